package dev.canopy.bench;

import java.util.Arrays;

/** Wall-clock timing of a repeated action: warm-up runs, then the median of measured runs. */
public final class Timer {
    private Timer() {}

    public record Result(double median, double min, double max, int runs) {}

    /**
     * Runs action warmup times unmeasured, then measures it until both minRuns runs and minSeconds of total time
     * are reached (or maxRuns), and returns the median seconds per run.
     */
    public static Result measure(Runnable action, int warmup, int minRuns, int maxRuns, double minSeconds) {
        for (int i = 0; i < warmup; i++) action.run();
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
