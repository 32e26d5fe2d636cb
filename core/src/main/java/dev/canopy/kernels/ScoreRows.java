package dev.canopy.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax steps over the rows of a blocked score tile, as blocked attention (exact, tree) uses them. Rows are padded to
 * a multiple of {@link Tiles#LANES}, with -inf in padding and masked slots, so no tails are needed and exp turns
 * those slots into exact zeros.
 */
public final class ScoreRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private ScoreRows() {}

    /**
     * One online-softmax step over the first `rows` rows (stride ld, `len` columns) of a score tile: per row, the running
     * max m and mass l move to the block's, the row becomes exp(score - m), and the row's accumulator (acc, stride wp)
     * is rescaled. A row with nothing visible so far nor in this block is zeroed. The same bits as a row-at-a-time step
     * (each row's lane maximum, its exponentials and their {@link VecOps#sum}, then {@link #scale}; ScoreRowsTest keeps
     * that step as its reference), but a group of {@link LaneReduce#LANES} rows shares one shuffle network for its
     * maxima and one for its sums instead of ending every row with a chain of dependent shuffles.
     */
    public static void onlineStep(float[] sc, int ld, int rows, int len, float[] m, float[] l, float[] acc, int wp) {
        float[] park = PARK.get();
        for (int r = 0; r < rows; r += L) groupStep(sc, ld, r, Math.min(L, rows - r), len, m, l, acc, wp, park);
    }

    /** Row r's running max and mass move to mNew, the block adding mass; its accumulator row is rescaled to match. */
    private static void rescale(int r, float mNew, float mass, float[] m, float[] l, float[] acc, int wp) {
        if (m[r] == Float.NEGATIVE_INFINITY) { // the row's first visible keys: nothing to rescale
            l[r] = mass;
        } else {
            float alpha = (float) Math.exp(m[r] - mNew);
            l[r] = l[r] * alpha + mass;
            if (alpha != 1f) scale(acc, r * wp, wp, alpha);
        }
        m[r] = mNew;
    }

    /** Per thread: the parked vectors of {@link LaneReduce}, then the group's new maxima, then its sums. */
    private static final ThreadLocal<float[]> PARK = ThreadLocal.withInitial(() -> new float[LaneReduce.parkSize() + 2 * L]);

    /** onlineStep for rows r0 .. r0 + count - 1 (count <= L); the network's unused slots carry stale lanes, never read. */
    private static void groupStep(float[] sc, int ld, int r0, int count, int len, float[] m, float[] l, float[] acc, int wp, float[] park) {
        int maxAt = LaneReduce.parkSize(), sumAt = maxAt + L;
        for (int i = 0; i < count; i++) {
            int row = (r0 + i) * ld;
            RowOps.laneMaxima(sc, row, len, park, LaneReduce.slot(i) * L);
        }
        LaneReduce.maxima(park, maxAt);
        for (int i = 0; i < count; i++) {
            int row = (r0 + i) * ld;
            float mNew = park[maxAt + i] = Math.max(m[r0 + i], park[maxAt + i]);
            FloatVector sum = FloatVector.zero(S);
            if (mNew == Float.NEGATIVE_INFINITY) {
                Arrays.fill(sc, row, row + len, 0f);
            } else {
                FloatVector sh = FloatVector.broadcast(S, mNew);
                for (int j = 0; j < len; j += L) {
                    FloatVector e = SpecialFunctions.expBelowOverflow(FloatVector.fromArray(S, sc, row + j).sub(sh));
                    e.intoArray(sc, row + j);
                    sum = sum.add(e);
                }
            }
            sum.intoArray(park, LaneReduce.slot(i) * L);
        }
        LaneReduce.sums(park, sumAt);
        for (int i = 0; i < count; i++) {
            float mNew = park[maxAt + i];
            if (mNew != Float.NEGATIVE_INFINITY) rescale(r0 + i, mNew, park[sumAt + i], m, l, acc, wp);
        }
    }

    public static void scale(float[] a, int off, int len, float f) {
        FloatVector fv = FloatVector.broadcast(S, f);
        for (int j = 0; j < len; j += L) FloatVector.fromArray(S, a, off + j).mul(fv).intoArray(a, off + j);
    }

    /** a = exp(a * scale - lse): the forward's probabilities recomputed from the saved log-sum-exp. */
    public static void probabilities(float[] a, int off, int len, float scale, float lse) {
        FloatVector sv = FloatVector.broadcast(S, scale), minusLse = FloatVector.broadcast(S, -lse);
        for (int j = 0; j < len; j += L) {
            SpecialFunctions.expBelowOverflow(FloatVector.fromArray(S, a, off + j).fma(sv, minusLse)).intoArray(a, off + j);
        }
    }

    /** dS = P * (dP - D) * scale, written over dP (D = dO . O, the softmax backward's row term). */
    public static void softmaxGrad(float[] p, float[] dp, int off, int len, float rowDot, float scale) {
        FloatVector dv = FloatVector.broadcast(S, rowDot), sv = FloatVector.broadcast(S, scale);
        for (int j = 0; j < len; j += L) {
            FloatVector pj = FloatVector.fromArray(S, p, off + j);
            FloatVector.fromArray(S, dp, off + j).sub(dv).mul(pj).mul(sv).intoArray(dp, off + j);
        }
    }

    /** max + log(sum) per row, +inf where sum is 0 (the row saw nothing): the log-sum-exp kept from an online softmax. */
    public static float[] logSumExp(float[] max, float[] sum) {
        float[] lse = new float[max.length];
        Parallel.forRanges(lse.length, 1024, (a, b) -> {
            for (int i = a; i < b; i++) lse[i] = sum[i] > 0 ? max[i] + (float) Math.log(sum[i]) : Float.POSITIVE_INFINITY;
        });
        return lse;
    }
}
