package dev.canopy.decode;

import dev.canopy.kernels.VecOps;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two streaming loops of attention over a cache, for one query: scores against consecutive cached keys, and the
 * probability-weighted sum of values. Decode is bound by how fast the cache streams in, so neither loop may spend more
 * per key than its loads: scores keep the query in registers, and the weighted sum keeps its accumulators in registers
 * across keys.
 */
final class CacheKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private CacheKernels() {}

    /**
     * s[j] = scale · q · k_j for keys j = 0 .. n-1 stored at keys[base + j d]. One lane reduction per key, with the
     * query's vectors held in registers: per key only its loads, the products and the reduction, so the next keys'
     * loads issue early (a sixteen-key fold measured 3-5x slower here, in and out of cache).
     */
    static void scores(float[] q, int qOff, float[] keys, int base, int n, int d, float scale, float[] s) {
        if (d == L) {
            FloatVector q0 = FloatVector.fromArray(S, q, qOff);
            for (int j = 0, at = base; j < n; j++, at += d) {
                s[j] = FloatVector.fromArray(S, keys, at).mul(q0).reduceLanes(VectorOperators.ADD) * scale;
            }
        } else if (d == 2 * L) {
            FloatVector q0 = FloatVector.fromArray(S, q, qOff), q1 = FloatVector.fromArray(S, q, qOff + L);
            for (int j = 0, at = base; j < n; j++, at += d) {
                FloatVector p = FloatVector.fromArray(S, keys, at).mul(q0).add(FloatVector.fromArray(S, keys, at + L).mul(q1));
                s[j] = p.reduceLanes(VectorOperators.ADD) * scale;
            }
        } else if (d % (2 * L) == 0) {
            for (int j = 0, at = base; j < n; j++, at += d) {
                FloatVector p0 = FloatVector.fromArray(S, keys, at).mul(FloatVector.fromArray(S, q, qOff));
                FloatVector p1 = FloatVector.fromArray(S, keys, at + L).mul(FloatVector.fromArray(S, q, qOff + L));
                for (int c = 2 * L; c < d; c += 2 * L) {
                    p0 = FloatVector.fromArray(S, keys, at + c).fma(FloatVector.fromArray(S, q, qOff + c), p0);
                    p1 = FloatVector.fromArray(S, keys, at + c + L).fma(FloatVector.fromArray(S, q, qOff + c + L), p1);
                }
                s[j] = p0.add(p1).reduceLanes(VectorOperators.ADD) * scale;
            }
        } else {
            for (int j = 0; j < n; j++) s[j] = VecOps.dot(q, qOff, keys, base + j * d, d) * scale;
        }
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
