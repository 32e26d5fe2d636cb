package dev.canopy.attention.tree;

import dev.canopy.attention.AttentionShape;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import dev.canopy.kernels.VecOps;
import java.util.Arrays;

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
    private BeamMerge() {}

    /**
     * Folds one leaf's partial softmax state (running max m, running sum l, unnormalised output acc) into query r's:
     * runMax[r], runSum[r] and out[o ..] (the query's unnormalised output row, zero before the first fold), rescaled
     * to the larger max. A leaf that saw no key (l = 0) changes nothing.
     */
    static void fold(float m, float l, float[] acc, int accOff, float[] runMax, float[] runSum, int r, float[] out, int o, int dv) {
        if (!(l > 0)) return;
        float max = runMax[r];
        if (m <= max) {
            float w = (float) Math.exp(m - max);
            runSum[r] += w * l;
            VecOps.axpy(w, acc, accOff, out, o, dv);
        } else {
            float w = (float) Math.exp(max - m); // 0 at the first fold
            runSum[r] = runSum[r] * w + l;
            runMax[r] = m;
            RowOps.scale(out, o, w, out, o, dv);
            VecOps.axpy(1f, acc, accOff, out, o, dv);
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
            for (int r = a; r < b; r++) { // query r % nq of pair r / nq
                int base = (r / nq) * stride;
                for (int i = 0, n = leafOrder(beams, r, slots); i < n; i++) {
                    int at = base + position[slots[i]];
                    fold(rowMax[at], rowSum[at], partial, at * dv, run[0], run[1], r, out, r * dv, dv);
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
