package dev.canopy.attention.tree;

import dev.canopy.attention.AttentionShape;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import dev.canopy.kernels.VecOps;
import java.util.Arrays;

/**
 * Joins what the leaf tasks computed for each slot of a query routed by a beam: the forward's partial softmax states
 * (one softmax over the union of the leaves' keys) and the backward's dq rows.
 */
final class BeamMerge {
    private BeamMerge() {}

    /**
     * out_i = sum_b e^(m_b - M) acc_b / sum_b e^(m_b - M) l_b with M = max_b m_b, over query i's slots b that saw a key;
     * M and that sum then replace every slot's max and sum, so the backward reads the query's log-sum-exp at any of
     * them. Returns the queries (token order) that saw no key, marked {@link TfAttention#EMPTY}; their rows are zero.
     *
     * @param partial unnormalised output per slot, [pairs * stride, dv] in bucket order
     * @param rowMax  running max per slot, bucket order
     * @param rowSum  running sum per slot, bucket order
     */
    static byte[] merge(AttentionShape s, MassRouting.Beams beams, float[] partial, float[] rowMax, float[] rowSum, float[] out) {
        int nq = s.nq(), dv = s.dv(), beam = beams.beam(), stride = nq * beam;
        int[] position = beams.position();
        byte[] fallback = new byte[s.pairs() * nq];
        Parallel.forRanges(s.pairs() * nq, 256, (a, b) -> {
            for (int r = a; r < b; r++) { // query r % nq of pair r / nq; its slots are r * beam ...
                int base = (r / nq) * stride, o = r * dv;
                float max = Float.NEGATIVE_INFINITY;
                for (int slot = r * beam; slot < (r + 1) * beam && position[slot] >= 0; slot++) {
                    if (rowSum[base + position[slot]] > 0) max = Math.max(max, rowMax[base + position[slot]]);
                }
                Arrays.fill(out, o, o + dv, 0f);
                if (max == Float.NEGATIVE_INFINITY) {
                    fallback[r] = TfAttention.EMPTY;
                    continue;
                }
                float sum = 0f;
                for (int slot = r * beam; slot < (r + 1) * beam && position[slot] >= 0; slot++) {
                    int at = base + position[slot];
                    if (!(rowSum[at] > 0)) continue;
                    float w = (float) Math.exp(rowMax[at] - max);
                    sum += w * rowSum[at];
                    VecOps.axpy(w, partial, at * dv, out, o, dv);
                }
                RowOps.scale(out, o, 1f / sum, out, o, dv);
                for (int slot = r * beam; slot < (r + 1) * beam && position[slot] >= 0; slot++) {
                    rowMax[base + position[slot]] = max;
                    rowSum[base + position[slot]] = sum;
                }
            }
        });
        return fallback;
    }

    /** dq_i = the sum of query i's slot rows (dqRows [pairs * stride, d] in bucket order). */
    static void sumSlots(AttentionShape s, MassRouting.Beams beams, float[] dqRows, float[] dq) {
        int nq = s.nq(), d = s.d(), beam = beams.beam(), stride = nq * beam;
        int[] position = beams.position();
        Parallel.forRanges(s.pairs() * nq, 256, (a, b) -> {
            for (int r = a; r < b; r++) {
                int base = (r / nq) * stride;
                for (int slot = r * beam; slot < (r + 1) * beam && position[slot] >= 0; slot++) {
                    VecOps.axpy(1f, dqRows, (base + position[slot]) * d, dq, r * d, d);
                }
            }
        });
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
