package dev.canopy.cli.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/** Wall-clock timing of a repeated action: warm-up runs, then the median of measured runs. */
public final class Timer {
    private Timer() {}

    public record Result(double median, double min, double max, int runs) {}

    /** Warm-up that lasts at least this long (or the given number of runs, whichever is more), so C2 has compiled the hot loops. */
    public static final double WARMUP_SECONDS = 1.0;

    /** The longest warm-up spent waiting for the timings to settle. */
    public static final double MAX_WARMUP_SECONDS = 10.0;

    /**
     * Runs action unmeasured until it has settled, then measures it until both minRuns runs and minSeconds of total time
     * are reached (or maxRuns), and returns the median seconds per run. Settled means: at least warmup runs and
     * {@link #WARMUP_SECONDS}, the JIT compiled nothing during the last half-second batch of runs, and that batch was no
     * more than 10% faster than the one before it (after the first batch, a single run longer than the warm-up counts
     * as settled; at most {@link #MAX_WARMUP_SECONDS} are spent). This matters on a 2-core machine: while the action's threads keep both
     * cores busy, the compiler threads get little time, and a fixed warm-up could time a kernel still interpreted.
     */
    public static Result measure(Runnable action, int warmup, int minRuns, int maxRuns, double minSeconds) {
        long warmStart = System.nanoTime();
        double previous = Double.POSITIVE_INFINITY;
        long compiled = compilationMillis();
        for (int done = 0; ; ) {
            long batchStart = System.nanoTime();
            double[] batch = new double[256];
            int n = 0;
            while (n == 0 || n < batch.length && (System.nanoTime() - batchStart) * 1e-9 < WARMUP_SECONDS / 2) {
                long t0 = System.nanoTime();
                action.run();
                batch[n++] = (System.nanoTime() - t0) * 1e-9;
            }
            done += n;
            double median = median(batch, n), elapsed = (System.nanoTime() - warmStart) * 1e-9;
            long compiledNow = compilationMillis();
            boolean settled = previous < Double.POSITIVE_INFINITY // never the first batch: it pays one-off setup (lazy init, class loading)
                    && (median >= WARMUP_SECONDS || compiledNow == compiled && median > 0.9 * previous);
            compiled = compiledNow;
            previous = median;
            if (done >= warmup && elapsed >= WARMUP_SECONDS && settled || elapsed >= MAX_WARMUP_SECONDS) break;
        }
        double[] times = new double[maxRuns];
        int runs = 0;
        double total = 0;
        while (runs < maxRuns && (runs < minRuns || total < minSeconds)) {
            long t0 = System.nanoTime();
            action.run();
            double t = (System.nanoTime() - t0) * 1e-9;
            times[runs++] = t;
            total += t;
        }
        double[] sorted = Arrays.copyOf(times, runs);
        Arrays.sort(sorted);
        return new Result(median(times, runs), sorted[0], sorted[runs - 1], runs);
    }

    /** Total JIT compilation time so far (0 where the JVM does not report it). */
    private static long compilationMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    /** The median of values (the mean of the middle two for an even count); values are not reordered. */
    public static double median(double[] values) {
        return median(values, values.length);
    }

    private static double median(double[] values, int n) {
        double[] sorted = Arrays.copyOf(values, n);
        Arrays.sort(sorted);
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }
}
