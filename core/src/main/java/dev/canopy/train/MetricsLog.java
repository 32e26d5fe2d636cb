package dev.canopy.train;

import dev.canopy.io.JsonLine;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Appends one JSON object per line to a run's metrics file, flushed per line so a crash loses nothing written. */
public final class MetricsLog implements AutoCloseable {
    private final BufferedWriter out;

    private MetricsLog(BufferedWriter out) {
        this.out = out;
    }

    public static MetricsLog open(Path file) throws IOException {
        if (file.getParent() != null) Files.createDirectories(file.getParent());
        return new MetricsLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND));
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
