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
        int parts = Parallel.threads() * 4, per = n / parts - n / parts % (4 * S.length());
        float[] partial = new float[parts];
        double best = 0;
        for (int p = 0; p < passes + 1; p++) {
            long t0 = System.nanoTime();
            Parallel.forEach(parts, part -> {
                // Four independent sums, so that the adds' latency never limits how fast loads issue.
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                int l = S.length();
                for (int i = part * per, end = i + per; i < end; i += 4 * l) {
                    a0 = a0.add(FloatVector.fromArray(S, a, i));
                    a1 = a1.add(FloatVector.fromArray(S, a, i + l));
                    a2 = a2.add(FloatVector.fromArray(S, a, i + 2 * l));
                    a3 = a3.add(FloatVector.fromArray(S, a, i + 3 * l));
                }
                partial[part] = a0.add(a1).add(a2.add(a3)).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
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
