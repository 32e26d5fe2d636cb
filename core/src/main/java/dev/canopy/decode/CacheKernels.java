package dev.canopy.decode;

import dev.canopy.kernels.SixteenDots;
import dev.canopy.kernels.VecOps;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two streaming loops of attention over a cache, for one query: scores against consecutive cached keys, and the
 * probability-weighted sum of values. Decode is bound by how fast the cache streams in, so neither loop may spend more
 * per key than its loads: scores go sixteen keys at a time through {@link SixteenDots} (one shared lane fold instead of a
 * reduction per key), and the weighted sum keeps its accumulators in registers across keys.
 */
final class CacheKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private CacheKernels() {}

    /** Per-head scratch of {@link #scores}. */
    static final class Scratch {
        final int[] queryAt = new int[16], keyAt = new int[16];
        final float[] park = new float[64], sixteen = new float[16];
    }

    /** s[j] = scale · q · k_j for keys j = 0 .. n-1 stored at keys[base + j d]. */
    static void scores(float[] q, int qOff, float[] keys, int base, int n, int d, float scale, float[] s, Scratch x) {
        int j = 0;
        if (SixteenDots.AVAILABLE && d % 16 == 0) {
            java.util.Arrays.fill(x.queryAt, qOff);
            for (; j + 16 <= n; j += 16) {
                for (int i = 0; i < 16; i++) x.keyAt[i] = base + (j + i) * d;
                SixteenDots.into(q, x.queryAt, keys, x.keyAt, d, s, j, x.park);
                for (int i = 0; i < 16; i++) s[j + i] *= scale;
            }
        }
        for (; j < n; j++) s[j] = VecOps.dot(q, qOff, keys, base + j * d, d) * scale;
    }

    /** out[0 .. d) = Σ_j p[j] · v_j over values j = 0 .. n-1 at values[base + j d] (out overwritten). */
    static void weightedSum(float[] p, float[] values, int base, int n, int d, float[] out, int outOff) {
        if (d % L != 0) {
            java.util.Arrays.fill(out, outOff, outOff + d, 0f);
            for (int j = 0; j < n; j++) VecOps.axpy(p[j], values, base + j * d, out, outOff, d);
            return;
        }
        for (int c = 0; c < d; c += 2 * L) {
            boolean two = c + L < d;
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
            for (int j = 0, at = base + c; j < n; j++, at += d) {
                FloatVector w = FloatVector.broadcast(S, p[j]);
                a0 = FloatVector.fromArray(S, values, at).fma(w, a0);
                if (two) a1 = FloatVector.fromArray(S, values, at + L).fma(w, a1);
            }
            a0.intoArray(out, outOff + c);
            if (two) a1.intoArray(out, outOff + c + L);
        }
    }
}
