package dev.canopy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** Vectorised dot product and axpy over unpadded rows of any length (scalar tail), for gather/scatter loops; see {@link RowOps} for which to use. */
public final class VecOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VecOps() {}

    /** Lane i is paired with lane i ^ half, for half = L/2, L/4, ..., 1. */
    private static final VectorShuffle<Float>[] BUTTERFLY = butterfly();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] butterfly() {
        int steps = Integer.numberOfTrailingZeros(L);
        VectorShuffle<Float>[] shuffles = new VectorShuffle[steps];
        for (int s = 0; s < steps; s++) {
            int half = L >> (s + 1);
            shuffles[s] = VectorShuffle.fromOp(S, i -> i ^ half);
        }
        return shuffles;
    }

    /**
     * The sum of all lanes in a fixed order (a butterfly of lane swaps). {@code reduceLanes(ADD)} may add in a
     * different order once the JIT compiles the caller, which changes the last bit and so breaks exact
     * reproducibility of a seeded run (and bit-exact resume); this gives the same bits in every tier.
     */
    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> shuffle : BUTTERFLY) v = v.add(v.rearrange(shuffle));
        return v.lane(0);
    }

    /** sum_c a[aOff + c] * b[bOff + c] for c in [0, len). */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        int c = 0;
        float sum = 0f;
        if (len >= L) {
            FloatVector acc = FloatVector.zero(S);
            for (int bound = S.loopBound(len); c < bound; c += L) {
                acc = FloatVector.fromArray(S, a, aOff + c).fma(FloatVector.fromArray(S, b, bOff + c), acc);
            }
            sum = VecOps.sum(acc);
        }
        for (; c < len; c++) sum += a[aOff + c] * b[bOff + c];
        return sum;
    }

    /** y[yOff + c] += alpha * x[xOff + c] for c in [0, len). */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int len) {
        int c = 0;
        if (len >= L) {
            FloatVector av = FloatVector.broadcast(S, alpha);
            for (int bound = S.loopBound(len); c < bound; c += L) {
                av.fma(FloatVector.fromArray(S, x, xOff + c), FloatVector.fromArray(S, y, yOff + c)).intoArray(y, yOff + c);
            }
        }
        for (; c < len; c++) y[yOff + c] += alpha * x[xOff + c];
    }
}
