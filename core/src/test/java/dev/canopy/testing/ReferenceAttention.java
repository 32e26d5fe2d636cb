package dev.canopy.testing;

import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionShape;

/**
 * Materialised softmax(QK^T / sqrt(d)) V in double precision, with its analytic backward. Tests only: it builds the
 * full nq x nk matrix, which is exactly what the real implementations must never do.
 */
public final class ReferenceAttention {
    private ReferenceAttention() {}

    /** Row-major attention probabilities [batch, heads, nq, nk]; a row with no visible key is all zeros. */
    public static double[] probabilities(AttentionShape s, float[] q, float[] k, AttentionMask mask) {
        int nq = s.nq(), nk = s.nk(), d = s.d();
        double scale = 1.0 / Math.sqrt(d);
        double[] p = new double[s.pairs() * nq * nk];
        for (int pair = 0; pair < s.pairs(); pair++) {
            int b = pair / s.heads();
            for (int i = 0; i < nq; i++) {
                int row = (pair * nq + i) * nk;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < nk; j++) {
                    if (!mask.allowed(s, b, i, j)) {
                        p[row + j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += (double) q[(pair * nq + i) * d + c] * k[(pair * nk + j) * d + c];
                    p[row + j] = dot * scale;
                    max = Math.max(max, p[row + j]);
                }
                double sum = 0;
                for (int j = 0; j < nk; j++) {
                    p[row + j] = max == Double.NEGATIVE_INFINITY ? 0 : Math.exp(p[row + j] - max);
                    sum += p[row + j];
                }
                for (int j = 0; j < nk; j++) p[row + j] = sum == 0 ? 0 : p[row + j] / sum;
            }
        }
        return p;
    }

    public static double[] forward(AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask) {
        return applyProbabilities(s, probabilities(s, q, k, mask), v);
    }

    /** out[pair, i, :] = sum_j p[pair, i, j] v[pair, j, :]. */
    public static double[] applyProbabilities(AttentionShape s, double[] p, float[] v) {
        int nq = s.nq(), nk = s.nk(), dv = s.dv();
        double[] out = new double[s.pairs() * nq * dv];
        for (int pair = 0; pair < s.pairs(); pair++)
            for (int i = 0; i < nq; i++)
                for (int j = 0; j < nk; j++) {
                    double w = p[(pair * nq + i) * nk + j];
                    if (w == 0) continue;
                    for (int c = 0; c < dv; c++) out[(pair * nq + i) * dv + c] += w * v[(pair * nk + j) * dv + c];
                }
        return out;
    }

    /** Gradients (dq, dk, dv) of sum(out * dOut), analytic, in double. */
    public static double[][] backward(AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask, float[] dOut) {
        return backwardThrough(s, probabilities(s, q, k, mask), q, k, v, dOut);
    }

    /**
     * Gradients (dq, dk, dv) of sum(out * dOut) where out = p·v and p = softmax(qk^T / sqrt(d)) over whichever keys p
     * gives weight (all visible keys, or a fixed selection of them): the softmax backward restricted to p's support.
     */
    public static double[][] backwardThrough(AttentionShape s, double[] p, float[] q, float[] k, float[] v, float[] dOut) {
        int nq = s.nq(), nk = s.nk(), d = s.d(), dv = s.dv();
        double scale = 1.0 / Math.sqrt(d);
        double[] dq = new double[s.qSize()], dk = new double[s.kSize()], dvv = new double[s.vSize()];
        for (int pair = 0; pair < s.pairs(); pair++) {
            for (int i = 0; i < nq; i++) {
                double[] dp = new double[nk];
                double rowDot = 0;
                for (int j = 0; j < nk; j++) {
                    double w = p[(pair * nq + i) * nk + j];
                    double g = 0;
                    for (int c = 0; c < dv; c++) {
                        g += (double) dOut[(pair * nq + i) * dv + c] * v[(pair * nk + j) * dv + c];
                        dvv[(pair * nk + j) * dv + c] += w * dOut[(pair * nq + i) * dv + c];
                    }
                    dp[j] = g;
                    rowDot += w * g;
                }
                for (int j = 0; j < nk; j++) {
                    double ds = p[(pair * nq + i) * nk + j] * (dp[j] - rowDot) * scale;
                    if (ds == 0) continue;
                    for (int c = 0; c < d; c++) {
                        dq[(pair * nq + i) * d + c] += ds * k[(pair * nk + j) * d + c];
                        dk[(pair * nk + j) * d + c] += ds * q[(pair * nq + i) * d + c];
                    }
                }
            }
        }
        return new double[][] {dq, dk, dvv};
    }
}
