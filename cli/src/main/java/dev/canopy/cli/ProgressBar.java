package dev.canopy.cli;

import java.io.Console;
import java.io.PrintStream;

/** A one-line progress bar on stderr, drawn only when stderr is a terminal (never in pipes, logs or CI). */
final class ProgressBar {
    private final PrintStream err = System.err;
    private final String label;
    private final int total;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private long lastDraw;

    ProgressBar(String label, int total) {
        this.label = label;
        this.total = total;
        Console console = System.console();
        this.enabled = total > 1 && console != null && console.isTerminal();
    }

    void step(int done) {
        if (!enabled) return;
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) return; // at most 10 redraws a second
        lastDraw = now;
        int width = 30, filled = (int) ((long) width * done / total);
        double seconds = (now - start) / 1e9;
        double eta = done == 0 ? 0 : seconds / done * (total - done);
        err.printf("\r%s [%s%s] %d/%d  %.0fs elapsed, ~%.0fs left ", label, "#".repeat(filled), " ".repeat(width - filled), done, total, seconds, eta);
        if (done >= total) err.println();
        err.flush();
    }
}
