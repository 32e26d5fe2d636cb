package dev.canopy.spark.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A JSON-lines corpus {"id": i, "text": ...} for the command tests. */
final class Corpus {
    private Corpus() {}

    static Path jsonl(Path file, List<String> texts) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            lines.add("{\"id\":" + i + ",\"text\":" + (t == null ? "null" : dev.canopy.io.Json.quote(t)) + "}");
        }
        Files.write(file, lines);
        return file;
    }
}
