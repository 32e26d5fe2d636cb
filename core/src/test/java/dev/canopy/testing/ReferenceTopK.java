package dev.canopy.testing;

import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionShape;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Materialised top-k attention in double precision: full score rows, a sort to pick the k best visible keys
 * (value descending, then index ascending), softmax over those only, and the analytic backward for that fixed
 * selection. Tests only.
 */
public final class ReferenceTopK {
    private ReferenceTopK() {}

    /** Scores q_i·k_j in double, [pairs, nq, nk]; masked entries are NaN. */
    public static double[] scores(AttentionShape s, float[] q, float[] k, AttentionMask mask) {
        int nq = s.nq(), nk = s.nk(), d = s.d();
        double[] out = new double[s.pairs() * nq * nk];
        for (int pair = 0; pair < s.pairs(); pair++) {
            int b = pair / s.heads();
            for (int i = 0; i < nq; i++) {
                for (int j = 0; j < nk; j++) {
                    double dot = Double.NaN;
                    if (mask.allowed(s, b, i, j)) {
                        dot = 0;
                        for (int c = 0; c < d; c++) dot += (double) q[(pair * nq + i) * d + c] * k[(pair * nk + j) * d + c];
                    }
                    out[(pair * nq + i) * nk + j] = dot;
                }
            }
        }
        return out;
    }

    /** The k selected key indices of row (pair, i), in the reference order (best first). */
    public static List<Integer> selection(AttentionShape s, double[] scores, int pair, int i, int topK) {
        int nk = s.nk();
        int row = (pair * s.nq() + i) * nk;
        List<Integer> visible = new ArrayList<>();
        for (int j = 0; j < nk; j++) if (!Double.isNaN(scores[row + j])) visible.add(j);
        visible.sort(Comparator.<Integer>comparingDouble(j -> -scores[row + j]).thenComparingInt(j -> j));
        return visible.subList(0, Math.min(topK, visible.size()));
    }

    /** Dense [pairs, nq, nk] probabilities: softmax(score / sqrt(d)) over each row's selection, zeros elsewhere. */
    public static double[] probabilities(AttentionShape s, float[] q, float[] k, AttentionMask mask, int topK) {
        double[] sc = scores(s, q, k, mask);
        int nq = s.nq(), nk = s.nk();
        double scale = 1.0 / Math.sqrt(s.d());
        double[] p = new double[sc.length];
        for (int pair = 0; pair < s.pairs(); pair++) {
            for (int i = 0; i < nq; i++) {
                int row = (pair * nq + i) * nk;
                List<Integer> sel = selection(s, sc, pair, i, topK);
                if (sel.isEmpty()) continue;
                double max = sc[row + sel.get(0)];
                double sum = 0;
                for (int j : sel) sum += Math.exp((sc[row + j] - max) * scale);
                for (int j : sel) p[row + j] = Math.exp((sc[row + j] - max) * scale) / sum;
            }
        }
        return p;
    }

    public static double[] forward(AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask, int topK) {
        return ReferenceAttention.applyProbabilities(s, probabilities(s, q, k, mask, topK), v);
    }

    /** Gradients (dq, dk, dv) of sum(out * dOut) with the selection held fixed. */
    public static double[][] backward(AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask, int topK, float[] dOut) {
        return ReferenceAttention.backwardThrough(s, probabilities(s, q, k, mask, topK), q, k, v, dOut);
    }

    /**
     * The smallest gap, over all rows that have more than topK visible keys, between the topK-th and the next score:
     * inputs with a comfortable gap keep the same selection under finite-difference nudges and float rounding.
     */
    public static double selectionMargin(AttentionShape s, float[] q, float[] k, AttentionMask mask, int topK) {
        double[] sc = scores(s, q, k, mask);
        double margin = Double.POSITIVE_INFINITY;
        for (int pair = 0; pair < s.pairs(); pair++) {
            for (int i = 0; i < s.nq(); i++) {
                List<Integer> all = selection(s, sc, pair, i, Integer.MAX_VALUE);
                if (all.size() <= topK) continue;
                int row = (pair * s.nq() + i) * s.nk();
                margin = Math.min(margin, sc[row + all.get(topK - 1)] - sc[row + all.get(topK)]);
            }
        }
        return margin;
    }
}
