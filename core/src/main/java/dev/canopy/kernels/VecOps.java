package dev.canopy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
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

    /** Lanes with bit h set, for h = L/2, L/4, ..., 1 (as BUTTERFLY). */
    private static final VectorMask<Float>[] HIGH = highHalves();

    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[] highHalves() {
        VectorMask<Float>[] masks = new VectorMask[BUTTERFLY.length];
        for (int s = 0; s < masks.length; s++) {
            int half = L >> (s + 1);
            boolean[] high = new boolean[L];
            for (int i = 0; i < L; i++) high[i] = (i & half) != 0;
            masks[s] = VectorMask.fromArray(S, high, 0);
        }
        return masks;
    }

    /** Rows a call of {@link #dots} reduces together. */
    private static final int GROUP = 8;

    /** Where row r of a group of eight ends up after the shared reduction (lane bit L/2 is r's bit 0, L/4 bit 1, L/8 bit 2). */
    private static final int LANE1 = laneOf(1), LANE2 = laneOf(2), LANE3 = laneOf(3), LANE4 = laneOf(4), LANE5 = laneOf(5), LANE6 = laneOf(6), LANE7 = laneOf(7);

    private static int laneOf(int row) {
        return L < GROUP ? 0 : (row & 1) * (L / 2) + (row >> 1 & 1) * (L / 4) + (row >> 2 & 1) * (L / 8);
    }

    /**
     * out[outOff + r] = a · b[rowOffsets[r] ..] over len floats, for r in [0, count): the same bits as {@link #dot} row
     * by row. Eight rows at a time share one reduction of their lanes (blends and one swap per pair of rows, the
     * butterfly's additions in its order), so that the rows' adds run side by side rather than as eight chains of lane
     * swaps one after another.
     */
    public static void dots(float[] a, int aOff, float[] b, int[] rowOffsets, int count, int len, float[] out, int outOff) {
        if (len < L || L < GROUP || count < 3) { // one or two rows: their own butterflies are as short
            for (int r = 0; r < count; r++) out[outOff + r] = dot(a, aOff, b, rowOffsets[r], len);
            return;
        }
        for (int first = 0; first < count; first += GROUP) dotsOfEight(a, aOff, b, rowOffsets, first, Math.min(GROUP, count - first), len, out, outOff + first);
    }

    /** Rows first .. first + rows (at most eight; the missing ones repeat the first and are not written). */
    private static void dotsOfEight(float[] a, int aOff, float[] b, int[] rowOffsets, int first, int rows, int len, float[] out, int outOff) {
        int o0 = rowOffsets[first];
        int o1 = rows > 1 ? rowOffsets[first + 1] : o0, o2 = rows > 2 ? rowOffsets[first + 2] : o0, o3 = rows > 3 ? rowOffsets[first + 3] : o0;
        int o4 = rows > 4 ? rowOffsets[first + 4] : o0, o5 = rows > 5 ? rowOffsets[first + 5] : o0, o6 = rows > 6 ? rowOffsets[first + 6] : o0;
        int o7 = rows > 7 ? rowOffsets[first + 7] : o0;
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        int bound = S.loopBound(len);
        for (int c = 0; c < bound; c += L) {
            FloatVector x = FloatVector.fromArray(S, a, aOff + c);
            s0 = x.fma(FloatVector.fromArray(S, b, o0 + c), s0);
            s1 = x.fma(FloatVector.fromArray(S, b, o1 + c), s1);
            s2 = x.fma(FloatVector.fromArray(S, b, o2 + c), s2);
            s3 = x.fma(FloatVector.fromArray(S, b, o3 + c), s3);
            s4 = x.fma(FloatVector.fromArray(S, b, o4 + c), s4);
            s5 = x.fma(FloatVector.fromArray(S, b, o5 + c), s5);
            s6 = x.fma(FloatVector.fromArray(S, b, o6 + c), s6);
            s7 = x.fma(FloatVector.fromArray(S, b, o7 + c), s7);
        }
        FloatVector t = pairUp(pairUp(pairUp(s0, s1, 0), pairUp(s2, s3, 0), 1), pairUp(pairUp(s4, s5, 0), pairUp(s6, s7, 0), 1), 2);
        for (int step = 3; step < BUTTERFLY.length; step++) t = t.add(t.rearrange(BUTTERFLY[step]));
        out[outOff] = tail(t.lane(0), a, aOff, b, o0, bound, len);
        if (rows > 1) out[outOff + 1] = tail(t.lane(LANE1), a, aOff, b, o1, bound, len);
        if (rows > 2) out[outOff + 2] = tail(t.lane(LANE2), a, aOff, b, o2, bound, len);
        if (rows > 3) out[outOff + 3] = tail(t.lane(LANE3), a, aOff, b, o3, bound, len);
        if (rows > 4) out[outOff + 4] = tail(t.lane(LANE4), a, aOff, b, o4, bound, len);
        if (rows > 5) out[outOff + 5] = tail(t.lane(LANE5), a, aOff, b, o5, bound, len);
        if (rows > 6) out[outOff + 6] = tail(t.lane(LANE6), a, aOff, b, o6, bound, len);
        if (rows > 7) out[outOff + 7] = tail(t.lane(LANE7), a, aOff, b, o7, bound, len);
    }

    /**
     * One butterfly step for two rows' partial sums at once: lanes without bit h = L >> (step + 1) get x's pairs
     * (x_i + x_(i^h)), lanes with it y's.
     */
    private static FloatVector pairUp(FloatVector x, FloatVector y, int step) {
        VectorMask<Float> high = HIGH[step];
        return x.blend(y, high).add(y.blend(x, high).rearrange(BUTTERFLY[step]));
    }

    /** sum plus the scalar tail of {@link #dot} past the vector bound, added in dot's order. */
    private static float tail(float sum, float[] a, int aOff, float[] b, int bOff, int from, int len) {
        for (int c = from; c < len; c++) sum += a[aOff + c] * b[bOff + c];
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
