package dev.canopy.spark.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** What every {@code canopy spark} job takes: where the corpus is, where the Parquet goes, and where Spark runs. */
final class JobOptions {
    @Option(names = "--input", required = true, paramLabel = "PATH",
            description = "A file, directory or glob: text (one text per line), JSON lines or Parquet; see --format.")
    String input;

    @Option(names = "--output", required = true, paramLabel = "PATH", description = "Parquet directory to write (input columns + results + error).")
    String output;

    @Option(names = "--format", defaultValue = "auto", description = "auto, lines, files (one text per file), jsonl or parquet; auto looks at the file names (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--text-column", defaultValue = "text", description = "Column holding the text in JSON lines or Parquet (default: ${DEFAULT-VALUE}).")
    String textColumn;

    @Option(names = "--master", description = "Spark master: local[N] or local[*] (embedded, the default) or spark://HOST:PORT (a standalone cluster).")
    String master;

    @Option(names = "--partitions", defaultValue = "0", description = "Split the input into at least this many tasks (default: 4 per core Spark has).")
    int partitions;

    @Option(names = "--batch-size", defaultValue = "32", description = "Rows per batch handed to the model (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--overwrite", description = "Replace --output if it exists (otherwise an existing output is an error).")
    boolean overwrite;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "Any Spark setting, e.g. --conf spark.executor.memory=2g (repeatable).")
    List<String> conf = new ArrayList<>();

    void check() {
        if (partitions < 0) throw new IllegalArgumentException("--partitions must be >= 0, got " + partitions);
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
        InputFormat.parse(format);
        // A local path that is not there fails here, before Spark starts; globs and URLs are left to Spark.
        if (!input.contains("://") && !input.matches(".*[*?\\[{].*") && !java.nio.file.Files.exists(java.nio.file.Path.of(input))) {
            throw new IllegalArgumentException("--input " + input + ": no such file or directory");
        }
        for (String c : conf) {
            if (c.indexOf('=') <= 0) throw new IllegalArgumentException("--conf " + c + ": expected KEY=VALUE");
        }
    }
}
