package dev.canopy.spark.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/** The input layouts the command reads, and how auto picks one from the file names. */
enum InputFormat {
    LINES, FILES, JSONL, PARQUET;

    static InputFormat parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "auto" -> null;
            case "lines", "text" -> LINES;
            case "files" -> FILES;
            case "jsonl", "json" -> JSONL;
            case "parquet" -> PARQUET;
            default -> throw new IllegalArgumentException("--format " + name + ": expected auto, lines, files, jsonl or parquet");
        };
    }

    /** By extension: .parquet, .jsonl/.json, else text lines; a local directory is judged by the files in it. */
    static InputFormat guess(String input) {
        String name = input.toLowerCase(Locale.ROOT);
        if (name.endsWith(".parquet")) return PARQUET;
        if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) return JSONL;
        Path p = Path.of(input.startsWith("file:") ? input.substring(5) : input);
        if (!name.contains("://") && Files.isDirectory(p)) {
            try (Stream<Path> files = Files.list(p)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String n = f.getFileName().toString();
                    if (n.startsWith(".") || n.startsWith("_")) continue;   // _SUCCESS, .crc
                    InputFormat inner = guess(n);
                    if (inner != LINES) return inner;
                }
            } catch (IOException e) {
                return LINES;  // reading it will say what is wrong
            }
        }
        return LINES;
    }
}
