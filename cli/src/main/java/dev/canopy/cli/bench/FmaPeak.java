package dev.canopy.cli.bench;

import dev.canopy.io.JsonLine;
import dev.canopy.kernels.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures the machine's fused multiply-add peak through the Vector API: every thread runs chains of independent
 * FMAs on registers only, so nothing but the FMA units limits it. Kernels are reported as a fraction of this figure.
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12;
    private static final int ITERATIONS = 2_000_000;

    private FmaPeak() {}

    /** The JSON line benches print for a measured peak: the shared pool's threads and their GFLOP/s. */
    public static JsonLine line(double gflops) {
        return new JsonLine().put("bench", "fma_peak").put("threads", Parallel.threads()).put("gflops", gflops);
    }

    /** Best of several runs, in GFLOP/s, over all threads of the shared pool. */
    public static double measureGflops() {
        double best = 0;
        for (int rep = 0; rep < 15; rep++) {
            long t0 = System.nanoTime();
            float[] sink = new float[Parallel.threads()];
            Parallel.forEach(Parallel.threads(), t -> sink[t] = chains(ITERATIONS, 1f + t * 1e-7f));
            double seconds = (System.nanoTime() - t0) * 1e-9;
            double flops = 2.0 * S.length() * CHAINS * (double) ITERATIONS * Parallel.threads();
            if (rep >= 2) best = Math.max(best, flops / seconds / 1e9);
            if (sink[0] == 42f) System.out.print("");  // keep the result alive
        }
        return best;
    }

    private static float chains(int iterations, float seed) {
        FloatVector m = FloatVector.broadcast(S, 0.999999f), a = FloatVector.broadcast(S, 1e-7f);
        FloatVector x0 = FloatVector.broadcast(S, seed), x1 = x0.add(1), x2 = x0.add(2), x3 = x0.add(3);
        FloatVector x4 = x0.add(4), x5 = x0.add(5), x6 = x0.add(6), x7 = x0.add(7);
        FloatVector x8 = x0.add(8), x9 = x0.add(9), x10 = x0.add(10), x11 = x0.add(11);
        for (int i = 0; i < iterations; i++) {
            x0 = x0.fma(m, a); x1 = x1.fma(m, a); x2 = x2.fma(m, a); x3 = x3.fma(m, a);
            x4 = x4.fma(m, a); x5 = x5.fma(m, a); x6 = x6.fma(m, a); x7 = x7.fma(m, a);
            x8 = x8.fma(m, a); x9 = x9.fma(m, a); x10 = x10.fma(m, a); x11 = x11.fma(m, a);
        }
        return x0.add(x1).add(x2).add(x3).add(x4).add(x5).add(x6).add(x7).add(x8).add(x9).add(x10).add(x11)
                .reduceLanes(VectorOperators.ADD);
    }
}
