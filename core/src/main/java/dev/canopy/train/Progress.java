package dev.canopy.train;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a long loop (training steps, documents embedded): a bar redrawn in place when the JVM has a terminal,
 * plain lines every ten seconds otherwise (logs, pipes), and nothing when quiet. The one progress printer of the
 * command line.
 */
public final class Progress {
    private final PrintStream out;
    private final boolean terminal;
    private final boolean quiet;
    private final String label;
    private final long started = System.nanoTime();
    private long lastDraw;

    public Progress(PrintStream out, boolean terminal, boolean quiet, String label) {
        this.out = out;
        this.terminal = terminal;
        this.quiet = quiet;
        this.label = label;
    }

    /** A progress bar on System.out, drawn in place only if the JVM has a terminal. */
    public static Progress console(String label, boolean quiet) {
        Console c = System.console();
        return new Progress(System.out, c != null && c.isTerminal(), quiet, label);
    }

    /** A bar on standard error, only on a terminal (for commands whose standard output is data, such as JSON lines). */
    public static Progress onStderr(String label) {
        Console c = System.console();
        boolean terminal = c != null && c.isTerminal();
        return new Progress(System.err, terminal, !terminal, label);
    }

    /** A training step: loss and tokens/s beside the count. */
    public void update(int step, int total, double loss, double tokensPerSecond) {
        show(step, total, String.format(Locale.ROOT, " loss %.4f %s tok/s", loss, human(tokensPerSecond)));
    }

    /** Items done of total (documents, cases). */
    public void items(int done, int total) {
        show(done, total, "");
    }

    private void show(int step, int total, String detail) {
        if (quiet) return;
        long now = System.nanoTime();
        boolean last = step >= total;
        if (!last && now - lastDraw < (terminal ? 200_000_000L : 10_000_000_000L)) return;
        lastDraw = now;
        double elapsed = (now - started) / 1e9;
        double eta = step > 0 ? elapsed * (total - step) / step : Double.NaN;
        String stats = String.format(Locale.ROOT, "%s step %d/%d%s ETA %s", label, step, total, detail, clock(eta));
        if (terminal) {
            int width = 24, filled = (int) Math.round(width * (double) step / Math.max(1, total));
            out.print("\r[" + "#".repeat(filled) + "-".repeat(width - filled) + "] " + stats + "   ");
            if (last) out.println();
        } else {
            out.println(stats);
        }
        out.flush();
    }

    /** A one-off message (e.g. a training phase change) on its own line. */
    public void note(String message) {
        if (quiet) return;
        if (terminal) out.println();
        out.println(label + " " + message);
        out.flush();
    }

    static String human(double x) {
        if (!Double.isFinite(x)) return "-";
        if (x >= 1e6) return String.format(Locale.ROOT, "%.2fM", x / 1e6);
        if (x >= 1e3) return String.format(Locale.ROOT, "%.1fk", x / 1e3);
        return String.format(Locale.ROOT, "%.0f", x);
    }

    static String clock(double seconds) {
        if (!Double.isFinite(seconds)) return "--:--";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
