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
     * query's vectors in registers: per key only its loads, the products and the reduction, so the next keys' loads
     * issue early (a sixteen-key fold measured 3-5x slower here, in and out of cache).
     */
    static void scores(float[] q, int qOff, float[] keys, int base, int n, int d, float scale, float[] s) {
        for (int j = 0, at = base; j < n; j++, at += d) s[j] = dot(q, qOff, keys, at, d) * scale;
    }

    /** s[i] = scale · q · k over the keys of slots[0 .. m) (slot j's key at keys[base + j d]). */
    static void scoresAt(float[] q, int qOff, float[] keys, int base, int[] slots, int m, int d, float scale, float[] s) {
        for (int i = 0; i < m; i++) s[i] = dot(q, qOff, keys, base + slots[i] * d, d) * scale;
    }

    /**
     * reduceLanes(ADD) here, though its order of additions may change once the JIT compiles this (so a score's last bit
     * may differ between a decode's first tokens and later ones): decode trains nothing, and {@link VecOps#sum}'s fixed
     * order cost 9.2 ns a key against 6.6 at d = 64.
     */
    private static float dot(float[] q, int qOff, float[] keys, int at, int d) {
        if (d == L) return FloatVector.fromArray(S, keys, at).mul(FloatVector.fromArray(S, q, qOff)).reduceLanes(VectorOperators.ADD);
        if (d % (2 * L) != 0) return VecOps.dot(q, qOff, keys, at, d);
        FloatVector p0 = FloatVector.fromArray(S, keys, at).mul(FloatVector.fromArray(S, q, qOff));
        FloatVector p1 = FloatVector.fromArray(S, keys, at + L).mul(FloatVector.fromArray(S, q, qOff + L));
        for (int c = 2 * L; c < d; c += 2 * L) {
            p0 = FloatVector.fromArray(S, keys, at + c).fma(FloatVector.fromArray(S, q, qOff + c), p0);
            p1 = FloatVector.fromArray(S, keys, at + c + L).fma(FloatVector.fromArray(S, q, qOff + c + L), p1);
        }
        return p0.add(p1).reduceLanes(VectorOperators.ADD);
    }

    /** out[0 .. d) = Σ_j p[j] · v_j over values j = 0 .. n-1 at values[base + j d] (out overwritten). */
    static void weightedSum(float[] p, float[] values, int base, int n, int d, float[] out, int outOff) {
        weightedSum(p, values, base, null, n, d, out, outOff);
    }

    /** out[0 .. d) = Σ_i p[i] · v over the values of slots[0 .. m) (out overwritten). */
    static void weightedSumAt(float[] p, float[] values, int base, int[] slots, int m, int d, float[] out, int outOff) {
        weightedSum(p, values, base, slots, m, d, out, outOff);
    }

    /** The weighted sum over values j (slots == null) or slots[j]; accumulators stay in registers across values. */
    private static void weightedSum(float[] p, float[] values, int base, int[] slots, int n, int d, float[] out, int outOff) {
        if (d % L != 0) {
            java.util.Arrays.fill(out, outOff, outOff + d, 0f);
            for (int j = 0; j < n; j++) VecOps.axpy(p[j], values, base + (slots == null ? j : slots[j]) * d, out, outOff, d);
            return;
        }
        for (int c = 0; c < d; c += 2 * L) {
            boolean two = c + L < d;
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
            for (int j = 0; j < n; j++) {
                int at = base + (slots == null ? j : slots[j]) * d + c;
                FloatVector w = FloatVector.broadcast(S, p[j]);
                a0 = FloatVector.fromArray(S, values, at).fma(w, a0);
                if (two) a1 = FloatVector.fromArray(S, values, at + L).fma(w, a1);
            }
            a0.intoArray(out, outOff + c);
            if (two) a1.intoArray(out, outOff + c + L);
        }
    }
}
