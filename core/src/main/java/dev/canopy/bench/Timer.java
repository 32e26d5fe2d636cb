package dev.canopy.bench;

import java.util.Arrays;

/** Wall-clock timing of a repeated action: warm-up runs, then the median of measured runs. */
public final class Timer {
    private Timer() {}

    public record Result(double median, double min, double max, int runs) {}

    /** Warm-up that lasts at least this long (or the given number of runs, whichever is more), so C2 has compiled the hot loops. */
    public static final double WARMUP_SECONDS = 1.0;

    /**
     * Runs action unmeasured at least warmup times and for at least {@link #WARMUP_SECONDS} (a single run that takes
     * longer counts as enough), then measures it until both minRuns runs and minSeconds of total time are reached
     * (or maxRuns), and returns the median seconds per run.
     */
    public static Result measure(Runnable action, int warmup, int minRuns, int maxRuns, double minSeconds) {
        long warmStart = System.nanoTime();
        for (int i = 0; i < warmup || (System.nanoTime() - warmStart) * 1e-9 < WARMUP_SECONDS; i++) action.run();
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
        double median = runs % 2 == 1 ? sorted[runs / 2] : 0.5 * (sorted[runs / 2 - 1] + sorted[runs / 2]);
        return new Result(median, sorted[0], sorted[runs - 1], runs);
    }
}
