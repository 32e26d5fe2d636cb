package dev.canopy.cli.report;

import dev.canopy.io.Json;
import dev.canopy.io.TextFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The JSON lines printed by the benchmarks (and training runs), read back for the report. Lines that do not start
 * with '{' (build messages, warnings captured with 2>&1) are skipped; a line that starts with '{' but is not a JSON
 * object is an error naming file and line.
 */
public record BenchRecords(List<Map<String, Object>> lines) {
    /** Longest input read, so a wrong file (a model, an archive) fails fast instead of filling the heap. */
    static final long MAX_FILE_BYTES = 256L << 20;

    public static BenchRecords read(List<Path> files) throws IOException {
        List<Map<String, Object>> lines = new ArrayList<>();
        for (Path file : files) {
            if (Files.isRegularFile(file) && Files.size(file) > MAX_FILE_BYTES) {
                throw new IOException("bench report: " + file + " is " + Files.size(file) + " bytes; JSON-line results over "
                        + MAX_FILE_BYTES + " bytes are not expected");
            }
            int number = 0;
            for (String line : TextFiles.readUtf8(file, MAX_FILE_BYTES).lines().toList()) {
                number++;
                String t = line.strip();
                if (!t.startsWith("{")) continue;
                try {
                    lines.add(Json.parseObject(t));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("bench report: " + file + " line " + number + " is not a JSON object: " + e.getMessage());
                }
            }
        }
        return new BenchRecords(List.copyOf(lines));
    }

    /** Lines whose "bench" field equals name. */
    public List<Map<String, Object>> bench(String name) {
        return lines.stream().filter(l -> name.equals(l.get("bench"))).toList();
    }

    /** The numeric field key, or NaN when absent or not a number. */
    public static double number(Map<String, Object> line, String key) {
        return line.get(key) instanceof Number x ? x.doubleValue() : Double.NaN;
    }

    /** The field key as text ("" when absent). */
    public static String text(Map<String, Object> line, String key) {
        Object v = line.get(key);
        return v == null ? "" : v.toString();
    }
}
