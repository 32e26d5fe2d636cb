package dev.canopy.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
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
        } else if (m[r] == mNew) {
            // The max held (the common case after the first blocks): alpha would be exp(0) = 1, so skip the scalar exp,
            // a fifth of this step's time at 64 x 128 tiles. The same bits as the general branch.
            l[r] += mass;
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

    /**
     * How far a block's scores may rise above a row's shift before the row is rescaled in {@link #onlineStepLanes}:
     * exponentials then stay below e^8 (about 3,000), far from float's overflow even summed over millions of keys.
     */
    private static final float LAZY_RISE = 8f;

    /**
     * {@link #onlineStep} rebuilt for the exact forward's long rows of keys: each row's running mass is a vector of
     * lane partial sums (lanes[r * L ..], zeros to start; {@link #laneTotals} turns them into masses once the keys are
     * done), and the row's shift m only moves when a block's scores rise more than {@link #LAZY_RISE} above it (a
     * row's first visible block sets it to that block's max). So a block needs no horizontal reduction and no rescale
     * unless a score jumps well above everything seen: a row costs one pass for its lane maxima and one for its
     * exponentials. The shift is then not always the row's max, but any shift gives the same softmax, and m + log(l)
     * is still the row's log-sum-exp. Rows with nothing visible so far get zeros, as in onlineStep.
     */
    public static void onlineStepLanes(float[] sc, int ld, int rows, int len, float[] m, float[] lanes, float[] acc, int wp) {
        float[] park = PARK.get();
        for (int r = 0; r < rows; r++) {
            int row = r * ld;
            FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), m1 = m0;
            int j = 0;
            for (; j + 2 * L <= len; j += 2 * L) {
                FloatVector x0 = FloatVector.fromArray(S, sc, row + j), x1 = FloatVector.fromArray(S, sc, row + j + L);
                m0 = m0.blend(x0, x0.compare(VectorOperators.GT, m0));
                m1 = m1.blend(x1, x1.compare(VectorOperators.GT, m1));
            }
            if (j < len) {
                FloatVector x0 = FloatVector.fromArray(S, sc, row + j);
                m0 = m0.blend(x0, x0.compare(VectorOperators.GT, m0));
            }
            m0 = m0.blend(m1, m1.compare(VectorOperators.GT, m0));
            float old = m[r];
            if (m0.compare(VectorOperators.GT, old + LAZY_RISE).anyTrue()) {
                m0.intoArray(park, 0);
                float a = park[0], b = park[1], c = park[2], d = park[3];
                for (int i = 4; i < L; i += 4) {
                    a = Math.max(a, park[i]); b = Math.max(b, park[i + 1]); c = Math.max(c, park[i + 2]); d = Math.max(d, park[i + 3]);
                }
                float mNew = Math.max(Math.max(a, b), Math.max(c, d));
                if (old != Float.NEGATIVE_INFINITY) {
                    float alpha = (float) Math.exp(old - mNew);
                    scale(lanes, r * L, L, alpha);
                    scale(acc, r * wp, wp, alpha);
                }
                m[r] = mNew;
            }
            float shift = m[r];
            if (shift == Float.NEGATIVE_INFINITY) {
                Arrays.fill(sc, row, row + len, 0f);
                continue;
            }
            FloatVector sh = FloatVector.broadcast(S, shift), sum = FloatVector.fromArray(S, lanes, r * L);
            for (j = 0; j < len; j += L) {
                FloatVector e = SpecialFunctions.softmaxExp(FloatVector.fromArray(S, sc, row + j).sub(sh));
                e.intoArray(sc, row + j);
                sum = sum.add(e);
            }
            sum.intoArray(lanes, r * L);
        }
    }

    /** l[r] = the sum of row r's lane partial sums (lanes[r * L ..]) from {@link #onlineStepLanes}, for r < rows. */
    public static void laneTotals(float[] lanes, int rows, float[] l) {
        float[] park = PARK.get();
        for (int r0 = 0; r0 < rows; r0 += L) {
            int count = Math.min(L, rows - r0);
            for (int i = 0; i < count; i++) System.arraycopy(lanes, (r0 + i) * L, park, LaneReduce.slot(i) * L, L);
            LaneReduce.sums(park, LaneReduce.parkSize());
            System.arraycopy(park, LaneReduce.parkSize(), l, r0, count);
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

    /**
     * D_i = dO_i . O_i for every row: the softmax backward's row term, computed once per row (in a fixed order, so
     * its bits do not depend on the threads).
     *
     * @param dOut gradient of the output rows [rows, width]
     * @param out  the output rows [rows, width]
     * @param rows how many rows
     * @param width the row width
     * @return D per row
     */
    public static float[] rowDots(float[] dOut, float[] out, int rows, int width) {
        float[] rowDot = new float[rows];
        Parallel.forRanges(rows, 256, (a, b) -> {
            for (int i = a; i < b; i++) {
                float sum = 0;
                for (int x = 0; x < width; x++) sum += dOut[i * width + x] * out[i * width + x];
                rowDot[i] = sum;
            }
        });
        return rowDot;
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
