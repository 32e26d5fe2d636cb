package dev.canopy.cli.bench;

import dev.canopy.kernels.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's memory bandwidth for a plain streaming read: a vectorised sum over an array far larger than the
 * caches, split over the shared pool's threads as decode splits its heads. The best of a few passes, in GB/s.
 */
public final class StreamBandwidth {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static volatile float sink;

    private StreamBandwidth() {}

    /**
     * Measures the read bandwidth.
     *
     * @param bytes size of the array read (make it well over the last-level cache)
     * @param passes passes timed; the fastest counts
     * @return GB/s (10^9 bytes per second)
     */
    public static double measureGBps(long bytes, int passes) {
        int n = (int) Math.min(Integer.MAX_VALUE - 64, bytes / Float.BYTES);
        n -= n % (S.length() * 64);
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        int parts = Parallel.threads() * 4, per = n / parts;
        float[] partial = new float[parts];
        double best = 0;
        for (int p = 0; p < passes + 1; p++) {
            long t0 = System.nanoTime();
            Parallel.forEach(parts, part -> {
                FloatVector acc = FloatVector.zero(S);
                for (int i = part * per, end = i + per; i < end; i += S.length()) acc = acc.add(FloatVector.fromArray(S, a, i));
                partial[part] = acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
            });
            double s = (System.nanoTime() - t0) / 1e9;
            float sum = 0;
            for (float x : partial) sum += x;
            sink = sum;
            if (p > 0) best = Math.max(best, (double) per * parts * Float.BYTES / s / 1e9); // the first pass pages the array in
        }
        return best;
    }
}
