package dev.canopy.attention.tree;

import dev.canopy.attention.AttentionShape;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import dev.canopy.kernels.VecOps;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Joins what the leaf tasks computed for each slot of a query routed by a beam: the forward's partial softmax states
 * (one softmax over the union of the leaves' keys) and the backward's dq rows.
 *
 * <p>A query's leaves are always joined in ascending leaf order, the order in which the leaf tasks run when they run
 * on one thread. The tasks may then fold each leaf into the query's row as they finish it ({@link #fold}), with no
 * slot rows at all; run in parallel, they leave slot rows that {@link #merge} and {@link #sumSlots} fold in that same
 * order afterwards. Both give the same bits, so results never depend on the thread count.
 */
final class BeamMerge {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private BeamMerge() {}

    /**
     * Folds one leaf's partial softmax state (running max m, running sum l, unnormalised output acc) into query r's:
     * runMax[r], runSum[r] and out[o ..] (the query's unnormalised output row, zero before the first fold), rescaled
     * to the larger max. A leaf that saw no key (l = 0) changes nothing. coef: two floats of scratch.
     */
    static void fold(float m, float l, float[] acc, int accOff, float[] runMax, float[] runSum, int r, float[] out, int o, int dv, float[] coef) {
        if (!(l > 0)) return;
        weigh(m, l, runMax, runSum, r, coef, 0);
        update(out, o, acc, accOff, coef[0], coef[1], dv);
    }

    /**
     * {@link #fold} for the rows of a leaf's block of queries (qb's bucket positions from .. from + rows of pair):
     * row r's state m[r], l[r] and acc[r * accLd ..]. The same arithmetic; rows of two vectors go four at a time, their
     * queries' rows all loaded before any is stored. coef: 2 * rows floats of scratch.
     */
    static void foldBlock(LeafBuckets qb, int pair, int from, int rows, float[] m, float[] l, float[] acc, int accLd,
                          float[] runMax, float[] runSum, float[] out, int dv, float[] coef) {
        int qBase = pair * qb.n();
        for (int r = 0; r < rows; r++) if (l[r] > 0) weigh(m[r], l[r], runMax, runSum, qBase + qb.token(pair, from + r), coef, 2 * r);
        int r = 0;
        if (dv == 2 * L) {
            for (; r + 4 <= rows; r += 4) {
                if (!(l[r] > 0 && l[r + 1] > 0 && l[r + 2] > 0 && l[r + 3] > 0)) {
                    updateRows(qb, pair, from, r, r + 4, l, acc, accLd, out, dv, coef);
                    continue;
                }
                int o0 = qb.rowOffset(pair, from + r, dv), o1 = qb.rowOffset(pair, from + r + 1, dv);
                int o2 = qb.rowOffset(pair, from + r + 2, dv), o3 = qb.rowOffset(pair, from + r + 3, dv);
                FloatVector x0 = FloatVector.fromArray(S, out, o0), y0 = FloatVector.fromArray(S, out, o0 + L);
                FloatVector x1 = FloatVector.fromArray(S, out, o1), y1 = FloatVector.fromArray(S, out, o1 + L);
                FloatVector x2 = FloatVector.fromArray(S, out, o2), y2 = FloatVector.fromArray(S, out, o2 + L);
                FloatVector x3 = FloatVector.fromArray(S, out, o3), y3 = FloatVector.fromArray(S, out, o3 + L);
                FloatVector a0 = FloatVector.broadcast(S, coef[2 * r]), a1 = FloatVector.broadcast(S, coef[2 * r + 2]);
                FloatVector a2 = FloatVector.broadcast(S, coef[2 * r + 4]), a3 = FloatVector.broadcast(S, coef[2 * r + 6]);
                float b0 = coef[2 * r + 1], b1 = coef[2 * r + 3], b2 = coef[2 * r + 5], b3 = coef[2 * r + 7];
                int c0 = r * accLd, c1 = c0 + accLd, c2 = c1 + accLd, c3 = c2 + accLd;
                FloatVector.fromArray(S, acc, c0).fma(a0, x0.mul(b0)).intoArray(out, o0);
                FloatVector.fromArray(S, acc, c0 + L).fma(a0, y0.mul(b0)).intoArray(out, o0 + L);
                FloatVector.fromArray(S, acc, c1).fma(a1, x1.mul(b1)).intoArray(out, o1);
                FloatVector.fromArray(S, acc, c1 + L).fma(a1, y1.mul(b1)).intoArray(out, o1 + L);
                FloatVector.fromArray(S, acc, c2).fma(a2, x2.mul(b2)).intoArray(out, o2);
                FloatVector.fromArray(S, acc, c2 + L).fma(a2, y2.mul(b2)).intoArray(out, o2 + L);
                FloatVector.fromArray(S, acc, c3).fma(a3, x3.mul(b3)).intoArray(out, o3);
                FloatVector.fromArray(S, acc, c3 + L).fma(a3, y3.mul(b3)).intoArray(out, o3 + L);
            }
        }
        updateRows(qb, pair, from, r, rows, l, acc, accLd, out, dv, coef);
    }

    /** foldBlock's rows r0 .. r1 one at a time, those that saw a key, with the coefficients weigh left in coef. */
    private static void updateRows(LeafBuckets qb, int pair, int from, int r0, int r1, float[] l, float[] acc, int accLd, float[] out, int dv, float[] coef) {
        for (int r = r0; r < r1; r++) if (l[r] > 0) update(out, qb.rowOffset(pair, from + r, dv), acc, r * accLd, coef[2 * r], coef[2 * r + 1], dv);
    }

    /**
     * Takes a leaf's state (max m, sum l > 0) into query r's running max and sum; the query's row then becomes
     * acc * a + row * b with coef[at] = a and coef[at + 1] = b, one of them 1 (exp(-inf) = 0 drops the empty start).
     */
    private static void weigh(float m, float l, float[] runMax, float[] runSum, int r, float[] coef, int at) {
        float max = runMax[r];
        if (m <= max) {
            float w = (float) Math.exp(m - max);
            runSum[r] += w * l;
            coef[at] = w;
            coef[at + 1] = 1f;
        } else {
            float w = (float) Math.exp(max - m);
            runSum[r] = runSum[r] * w + l;
            runMax[r] = m;
            coef[at] = 1f;
            coef[at + 1] = w;
        }
    }

    /** out[o, o + n) = acc * a + out * b, lane by lane: one multiply, then one multiply-add. */
    private static void update(float[] out, int o, float[] acc, int accOff, float a, float b, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, acc, accOff + i).fma(FloatVector.broadcast(S, a), FloatVector.fromArray(S, out, o + i).mul(b)).intoArray(out, o + i);
        }
        if (i < n) {
            VectorMask<Float> tail = S.indexInRange(i, n);
            FloatVector.fromArray(S, acc, accOff + i, tail).fma(FloatVector.broadcast(S, a), FloatVector.fromArray(S, out, o + i, tail).mul(b)).intoArray(out, o + i, tail);
        }
    }

    /**
     * Query states for {@link #fold}: max -inf and sum 0 per query, and out zeroed.
     *
     * @return {runMax, runSum}
     */
    static float[][] start(AttentionShape s, float[] out) {
        float[] runMax = new float[s.pairs() * s.nq()], runSum = new float[runMax.length];
        Arrays.fill(runMax, Float.NEGATIVE_INFINITY);
        Arrays.fill(out, 0, s.pairs() * s.nq() * s.dv(), 0f);
        return new float[][] {runMax, runSum};
    }

    /**
     * Folds every query's slots (partial [pairs * stride, dv], rowMax and rowSum in bucket order) in ascending leaf
     * order, as the leaf tasks would have, then {@link #finish}es.
     */
    static byte[] merge(AttentionShape s, MassRouting.Beams beams, float[] partial, float[] rowMax, float[] rowSum, float[] out) {
        int nq = s.nq(), dv = s.dv(), beam = beams.beam(), stride = nq * beam;
        int[] position = beams.position();
        float[][] run = start(s, out);
        Parallel.forRanges(s.pairs() * nq, 256, (a, b) -> {
            int[] slots = new int[beam];
            float[] coef = new float[2];
            for (int r = a; r < b; r++) { // query r % nq of pair r / nq
                int base = (r / nq) * stride;
                for (int i = 0, n = leafOrder(beams, r, slots); i < n; i++) {
                    int at = base + position[slots[i]];
                    fold(rowMax[at], rowSum[at], partial, at * dv, run[0], run[1], r, out, r * dv, dv, coef);
                }
            }
        });
        return finish(s, beams, run[0], run[1], out, rowMax, rowSum);
    }

    /**
     * Normalises each folded query's row and writes its max and sum into every one of its slots, so the backward
     * reads the query's log-sum-exp at any of them. Returns the queries (token order) that saw no key, marked
     * {@link TfAttention#EMPTY}; their rows stay zero.
     */
    static byte[] finish(AttentionShape s, MassRouting.Beams beams, float[] runMax, float[] runSum, float[] out, float[] rowMax, float[] rowSum) {
        int nq = s.nq(), dv = s.dv(), beam = beams.beam(), stride = nq * beam;
        int[] position = beams.position();
        byte[] fallback = new byte[s.pairs() * nq];
        Parallel.forRanges(s.pairs() * nq, 256, (a, b) -> {
            for (int r = a; r < b; r++) {
                if (!(runSum[r] > 0)) {
                    fallback[r] = TfAttention.EMPTY;
                    continue;
                }
                RowOps.scale(out, r * dv, 1f / runSum[r], out, r * dv, dv);
                int base = (r / nq) * stride;
                for (int slot = r * beam; slot < (r + 1) * beam && position[slot] >= 0; slot++) {
                    rowMax[base + position[slot]] = runMax[r];
                    rowSum[base + position[slot]] = runSum[r];
                }
            }
        });
        return fallback;
    }

    /**
     * dq_i += scale times each of query i's slot rows (dqRows [pairs * stride, d] in bucket order), one multiply-add
     * per slot in ascending leaf order.
     */
    static void sumSlots(AttentionShape s, MassRouting.Beams beams, float[] dqRows, float scale, float[] dq) {
        int nq = s.nq(), d = s.d(), beam = beams.beam(), stride = nq * beam;
        int[] position = beams.position();
        Parallel.forRanges(s.pairs() * nq, 256, (a, b) -> {
            int[] slots = new int[beam];
            for (int r = a; r < b; r++) {
                int base = (r / nq) * stride;
                for (int i = 0, n = leafOrder(beams, r, slots); i < n; i++) VecOps.axpy(scale, dqRows, (base + position[slots[i]]) * d, dq, r * d, d);
            }
        });
    }

    /** Query r's slots (r * beam ...) into slots[0, n), by ascending leaf; returns n. */
    private static int leafOrder(MassRouting.Beams beams, int r, int[] slots) {
        int beam = beams.beam();
        int[] leafOf = beams.leafOf();
        int n = 0;
        for (int slot = r * beam; slot < (r + 1) * beam && leafOf[slot] >= 0; slot++) {
            int i = n++;
            for (; i > 0 && leafOf[slots[i - 1]] > leafOf[slot]; i--) slots[i] = slots[i - 1];
            slots[i] = slot;
        }
        return n;
    }

    /** What {@link #merge} costs at most: a multiply-add per slot and output element, then the normalisation. */
    static long flops(AttentionShape s, int beam) {
        return (long) s.pairs() * s.nq() * (2L * beam + 1) * s.dv();
    }

    /** What {@link #sumSlots} costs at most: an add per slot and element. */
    static long sumFlops(AttentionShape s, int beam) {
        return (long) s.pairs() * s.nq() * beam * s.d();
    }
}
