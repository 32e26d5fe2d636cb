package dev.canopy.attention;

import dev.canopy.config.OptionSchema;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.VecOps;
import dev.canopy.nn.Pass;
import java.util.Arrays;
import java.util.List;

/**
 * Sliding-window attention: query i sees the keys within w positions of it, softmax(q k^T / sqrt(d)) v over those only.
 * Queries and keys are aligned at the end (as the causal rule is), so with nq &lt; nk the last query sits at the last
 * key. With the causal mask a query sees only the w keys before it and itself. Cost and memory are linear in n: the
 * baseline every sparse attention should beat on tasks that need more than local context.
 */
public final class LocalAttention implements Attention {
    private final int window;

    public LocalAttention(int window) {
        if (window < 0) throw new IllegalArgumentException("local: w must be >= 0, got " + window);
        this.window = window;
    }

    public static final AttentionFamily FAMILY = new AttentionFamily("softmax attention over the keys within w positions of the query", true,
            new OptionSchema("local", List.of(OptionSchema.required("w", "keys seen on each side of the query"))),
            values -> {
                LocalAttention attention = new LocalAttention(values.integer("w", 0, Integer.MAX_VALUE));
                return setup -> attention;
            });

    @Override
    public String spec() {
        return "local:w=" + window;
    }

    @Override
    public Saved forward(AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask, Pass pass, float[] out) {
        s.check(q, k, v, out);
        mask.check(s);
        float[] lse = new float[s.pairs() * s.nq()];
        float scale = (float) (1.0 / Math.sqrt(s.d()));
        Parallel.forEach(s.pairs(), p -> {
            float[] scores = new float[scratchLength(s)];
            int b = p / s.heads();
            for (int i = 0; i < s.nq(); i++) {
                int lo = lo(s, i), hi = hi(s, mask, i), qOff = (p * s.nq() + i) * s.d(), oOff = (p * s.nq() + i) * s.dv();
                float max = Float.NEGATIVE_INFINITY;
                for (int j = lo; j < hi; j++) {
                    float e = visible(s, mask, b, j) ? scale * VecOps.dot(q, qOff, k, (p * s.nk() + j) * s.d(), s.d()) : Float.NEGATIVE_INFINITY;
                    scores[j - lo] = e;
                    max = Math.max(max, e);
                }
                Arrays.fill(out, oOff, oOff + s.dv(), 0f);
                if (max == Float.NEGATIVE_INFINITY) {
                    lse[p * s.nq() + i] = Float.POSITIVE_INFINITY;
                    continue;
                }
                float sum = 0f;
                for (int j = lo; j < hi; j++) sum += scores[j - lo] = (float) Math.exp(scores[j - lo] - max);
                for (int j = lo; j < hi; j++) {
                    if (scores[j - lo] != 0f) VecOps.axpy(scores[j - lo] / sum, v, (p * s.nk() + j) * s.dv(), out, oOff, s.dv());
                }
                lse[p * s.nq() + i] = max + (float) Math.log(sum);
            }
        });
        long pairs = visiblePairs(s, mask);
        long bytes = 4L * lse.length + 4L * scratchLength(s) * Math.min(Parallel.threads(), s.pairs());
        // Saved as exact attention saves it: the inputs by reference and each query row's log-sum-exp.
        return new ExactAttention.Context(s, mask, q, k, v, out, lse, pairs * 2L * (s.d() + s.dv()), pairs * (6L * s.d() + 4L * s.dv()), bytes);
    }

    @Override
    public void backward(Saved saved, float[] dOut, float[] dq, float[] dk, float[] dv) {
        ExactAttention.Context c = (ExactAttention.Context) saved;
        AttentionShape s = c.shape();
        s.checkGradients(dOut, dq, dk, dv);
        Arrays.fill(dq, 0f);
        Arrays.fill(dk, 0f);
        Arrays.fill(dv, 0f);
        float scale = (float) (1.0 / Math.sqrt(s.d()));
        // One task per (batch, head) pair: a key's gradient collects from several queries, all of the same pair.
        Parallel.forEach(s.pairs(), p -> {
            int b = p / s.heads();
            for (int i = 0; i < s.nq(); i++) {
                float lse = c.lse()[p * s.nq() + i];
                if (lse == Float.POSITIVE_INFINITY) continue;
                int qOff = (p * s.nq() + i) * s.d(), oOff = (p * s.nq() + i) * s.dv();
                float rowDot = VecOps.dot(dOut, oOff, c.out(), oOff, s.dv());
                for (int j = lo(s, i), hi = hi(s, c.mask(), i); j < hi; j++) {
                    if (!visible(s, c.mask(), b, j)) continue;
                    int kOff = (p * s.nk() + j) * s.d(), vOff = (p * s.nk() + j) * s.dv();
                    float prob = (float) Math.exp(scale * VecOps.dot(c.q(), qOff, c.k(), kOff, s.d()) - lse);
                    float dScore = prob * (VecOps.dot(dOut, oOff, c.v(), vOff, s.dv()) - rowDot) * scale;
                    VecOps.axpy(dScore, c.k(), kOff, dq, qOff, s.d());
                    VecOps.axpy(dScore, c.q(), qOff, dk, kOff, s.d());
                    VecOps.axpy(prob, dOut, oOff, dv, vOff, s.dv());
                }
            }
        });
    }

    /** Scores of one query's window: at most 2w + 1, never more than the keys there are. */
    private int scratchLength(AttentionShape s) {
        return (int) Math.min(2L * window + 1, s.nk());
    }

    /** The query's position among the keys (queries aligned at the end, as the causal rule aligns them). */
    private static int position(AttentionShape s, int i) {
        return i + (s.nk() - s.nq());
    }

    private int lo(AttentionShape s, int i) {
        return Math.max(0, position(s, i) - window);
    }

    private int hi(AttentionShape s, AttentionMask mask, int i) {
        int hi = Math.min(s.nk(), position(s, i) + (mask.causal() ? 0 : window) + 1);
        return Math.max(hi, lo(s, i));
    }

    private static boolean visible(AttentionShape s, AttentionMask mask, int b, int j) {
        return mask.keyPadding() == null || !mask.keyPadding()[b * s.nk() + j];
    }

    private long visiblePairs(AttentionShape s, AttentionMask mask) {
        long total = 0;
        for (int b = 0; b < s.batch(); b++) {
            for (int i = 0; i < s.nq(); i++) {
                for (int j = lo(s, i), hi = hi(s, mask, i); j < hi; j++) if (visible(s, mask, b, j)) total++;
            }
        }
        return total * s.heads();
    }
}
