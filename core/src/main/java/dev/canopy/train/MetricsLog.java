package dev.canopy.train;

import dev.canopy.io.AtomicFiles;
import dev.canopy.io.Json;
import dev.canopy.io.JsonLine;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Appends one JSON object per line to a run's metrics file, flushed per line so a crash loses nothing written. Each
 * checkpoint is marked by a line {@code {"event":"checkpoint","step":S}}; resuming from checkpoint S cuts the file
 * back to that line, so the steps a crash repeats are not logged twice and a resumed run's log equals a straight one's.
 */
public final class MetricsLog implements AutoCloseable {
    private final BufferedWriter out;

    private MetricsLog(BufferedWriter out) {
        this.out = out;
    }

    public static MetricsLog open(Path file) throws IOException {
        if (file.getParent() != null) Files.createDirectories(file.getParent());
        return new MetricsLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND));
    }

    /**
     * Opens a run's log to continue from checkpoint {@code step}: first replaces the file, atomically, by its lines up
     * to that checkpoint's marker (everything after was written by steps the resumed run repeats).
     */
    public static MetricsLog resume(Path file, int step) throws IOException {
        if (Files.exists(file)) {
            // Latin-1 maps bytes to chars one to one: the kept lines are written back byte for byte, even a UTF-8
            // character a crash cut in half.
            String text = Files.readString(file, StandardCharsets.ISO_8859_1);
            List<String> lines = text.lines().toList();
            List<String> kept = upToCheckpoint(lines, step);
            if (kept.size() != lines.size() || !text.endsWith("\n")) {
                byte[] bytes = (kept.isEmpty() ? "" : String.join("\n", kept) + "\n").getBytes(StandardCharsets.ISO_8859_1);
                AtomicFiles.write(file, ch -> {
                    for (var b = java.nio.ByteBuffer.wrap(bytes); b.hasRemaining(); ) ch.write(b);
                });
            }
        }
        return open(file);
    }

    /**
     * The lines up to and including checkpoint {@code step}'s marker. A log cut between the checkpoint and its marker
     * (or written before markers existed) is cut after that step's own lines instead, and gets the marker added. A log
     * without the step at all is kept whole: nothing in it can be matched to the checkpoint.
     */
    static List<String> upToCheckpoint(List<String> lines, int step) {
        if (step == 0) return List.of(); // a run that starts over from nothing
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (is(lines.get(i), "checkpoint", step)) return lines.subList(0, i + 1);
        }
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (!is(lines.get(i), "step", step)) continue;
            int end = i + 1;
            while (end < lines.size() && is(lines.get(end), "eval", step)) end++;
            List<String> kept = new java.util.ArrayList<>(lines.subList(0, end));
            kept.add(checkpointLine(step).toString());
            return kept;
        }
        return lines;
    }

    private static boolean is(String line, String event, int step) {
        if (!line.startsWith("{")) return false;
        try {
            Map<String, Object> m = Json.parseObject(line);
            return event.equals(m.get("event")) && m.get("step") instanceof Long s && s == step;
        } catch (IllegalArgumentException e) {
            return false; // a line a crash cut short
        }
    }

    /** The line that marks checkpoint {@code step} as written. */
    public static JsonLine checkpointLine(int step) {
        return new JsonLine().put("event", "checkpoint").put("step", step);
    }

    /** A log that drops everything (runs without an output directory, tests). */
    public static MetricsLog none() {
        return new MetricsLog(null);
    }

    public void write(JsonLine line) {
        if (out == null) return;
        try {
            out.write(line.toString());
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the metrics log", e);
        }
    }

    @Override
    public void close() throws IOException {
        if (out != null) out.close();
    }
}
