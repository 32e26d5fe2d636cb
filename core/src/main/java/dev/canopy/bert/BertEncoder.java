package dev.canopy.bert;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.Attentions;
import dev.canopy.attention.Pass;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.Sgemm;

/**
 * Inference for a BERT encoder (post-LayerNorm, exact GELU) on one sequence at a time, with the attention and the
 * feed-forward chosen by name, plus sentence-transformers pooling (mean over tokens, then L2 normalisation).
 *
 * <p>Per layer: Q, K, V = xW^T + b; ctx = attention(Q, K, V) over [1, heads, n, d]; x = LN(x + ctx Wo^T + bo);
 * x = LN(x + GELU(x W1^T + b1) W2^T + b2).
 */
public final class BertEncoder {
    private final BertWeights w;
    private final BertConfig c;
    private final Attention attention;
    private final FeedForwardSpec ffn;

    public BertEncoder(BertWeights weights, String attentionSpec, FeedForwardSpec ffn) {
        this.w = weights;
        this.c = weights.config();
        this.attention = Attentions.create(attentionSpec, new AttentionSetup(c.heads(), c.headDim(), c.maxPositions(), 0L));
        this.ffn = ffn;
        if (!ffn.dense() && ffn.k() > c.intermediate()) {
            throw new IllegalArgumentException("topk-ffn k=" + ffn.k() + " exceeds the feed-forward width " + c.intermediate());
        }
    }

    public BertConfig config() {
        return c;
    }

    public Attention attention() {
        return attention;
    }

    public FeedForwardSpec feedForward() {
        return ffn;
    }

    /** Hidden states and what the attention reported for the most expensive layer call. */
    public record Output(int length, float[] hidden, long attentionFlops, long attentionWorkingBytes) {}

    /** Runs the encoder over token ids (type ids all 0, no padding). Returns the last hidden state [n, hidden]. */
    public Output forward(int[] ids) {
        int n = ids.length, h = c.hidden(), heads = c.heads(), d = c.headDim(), ff = c.intermediate();
        if (n == 0) throw new IllegalArgumentException("cannot encode an empty token sequence");
        if (n > c.maxPositions()) throw new IllegalArgumentException(n + " tokens exceed the model's " + c.maxPositions() + " positions");
        float[] x = new float[n * h];
        for (int i = 0; i < n; i++) {
            int id = ids[i];
            if (id < 0 || id >= c.vocabSize()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + c.vocabSize());
            for (int j = 0; j < h; j++) {
                x[i * h + j] = w.wordEmbeddings()[id * h + j] + w.positionEmbeddings()[i * h + j] + w.typeEmbeddings()[j];
            }
        }
        layerNorm(x, n, h, w.embLnGamma(), w.embLnBeta(), (float) c.layerNormEps());

        float[] q = new float[n * h], k = new float[n * h], v = new float[n * h], t = new float[n * h];
        float[] qh = new float[n * h], kh = new float[n * h], vh = new float[n * h], ctx = new float[n * h];
        float[] inner = new float[n * ff];
        AttentionShape shape = AttentionShape.self(1, heads, n, d);
        long flops = 0, working = 0;
        for (BertWeights.Layer L : w.layers()) {
            linear(x, n, h, h, L.wq(), L.bq(), q);
            linear(x, n, h, h, L.wk(), L.bk(), k);
            linear(x, n, h, h, L.wv(), L.bv(), v);
            toHeads(q, qh, n, heads, d);
            toHeads(k, kh, n, heads, d);
            toHeads(v, vh, n, heads, d);
            Attention.Saved saved = attention.forward(shape, qh, kh, vh, AttentionMask.NONE, Pass.INFERENCE, ctx);
            flops = Math.max(flops, saved.flops());
            working = Math.max(working, saved.workingBytes());
            fromHeads(ctx, t, n, heads, d);
            linear(t, n, h, h, L.wo(), L.bo(), q); // q is free again: reuse it for the attention output
            addInPlace(x, q);
            layerNorm(x, n, h, L.ln1Gamma(), L.ln1Beta(), (float) c.layerNormEps());

            linear(x, n, h, ff, L.w1(), L.b1(), inner);
            if (ffn.dense()) Gelu.apply(inner, 0, inner.length);
            else keepTopKThenGelu(inner, n, ff, ffn.k());
            linear(inner, n, ff, h, L.w2(), L.b2(), q);
            addInPlace(x, q);
            layerNorm(x, n, h, L.ln2Gamma(), L.ln2Beta(), (float) c.layerNormEps());
        }
        return new Output(n, x, flops, working);
    }

    /** The sentence embedding: mean of the hidden states over the sequence, L2-normalised. */
    public float[] embed(int[] ids) {
        return meanPoolNormalize(forward(ids).hidden(), ids.length, c.hidden());
    }

    public static float[] meanPoolNormalize(float[] hidden, int n, int h) {
        double[] sum = new double[h];
        for (int i = 0; i < n; i++) for (int j = 0; j < h; j++) sum[j] += hidden[i * h + j];
        double norm = 0;
        for (int j = 0; j < h; j++) {
            sum[j] /= n;
            norm += sum[j] * sum[j];
        }
        // sentence-transformers' Normalize divides by max(||x||, 1e-12).
        double inv = 1.0 / Math.max(Math.sqrt(norm), 1e-12);
        float[] e = new float[h];
        for (int j = 0; j < h; j++) e[j] = (float) (sum[j] * inv);
        return e;
    }

    /** out[m x outDim] = in[m x inDim] · W^T + b, W stored [outDim, inDim] as nn.Linear does. */
    static void linear(float[] in, int m, int inDim, int outDim, float[] weight, float[] bias, float[] out) {
        Sgemm.matmulTransB(m, outDim, inDim, in, 0, inDim, weight, 0, inDim, out, 0, outDim, false);
        for (int i = 0; i < m; i++) for (int j = 0; j < outDim; j++) out[i * outDim + j] += bias[j];
    }

    /** [n, heads*d] -> [heads, n, d]. */
    static void toHeads(float[] src, float[] dst, int n, int heads, int d) {
        for (int i = 0; i < n; i++) for (int hd = 0; hd < heads; hd++) System.arraycopy(src, (i * heads + hd) * d, dst, (hd * n + i) * d, d);
    }

    /** [heads, n, d] -> [n, heads*d]. */
    static void fromHeads(float[] src, float[] dst, int n, int heads, int d) {
        for (int hd = 0; hd < heads; hd++) for (int i = 0; i < n; i++) System.arraycopy(src, (hd * n + i) * d, dst, (i * heads + hd) * d, d);
    }

    private static void addInPlace(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) x[i] += y[i];
    }

    /** LayerNorm over each row, statistics in double (rows are short; this keeps the ONNX comparison tight). */
    static void layerNorm(float[] x, int rows, int width, float[] gamma, float[] beta, float eps) {
        Parallel.forRanges(rows, 16, (a, b) -> {
            for (int r = a; r < b; r++) {
                int o = r * width;
                double mean = 0;
                for (int j = 0; j < width; j++) mean += x[o + j];
                mean /= width;
                double var = 0;
                for (int j = 0; j < width; j++) {
                    double dv = x[o + j] - mean;
                    var += dv * dv;
                }
                var /= width;
                double inv = 1.0 / Math.sqrt(var + eps);
                for (int j = 0; j < width; j++) x[o + j] = (float) ((x[o + j] - mean) * inv) * gamma[j] + beta[j];
            }
        });
    }

    /**
     * Top-k feed-forward (inference): per token keep the k largest pre-activations, GELU them, zero the rest. The
     * k-th largest is found with a partial selection on a copy of the row.
     */
    static void keepTopKThenGelu(float[] a, int rows, int width, int k) {
        Parallel.forRanges(rows, 8, (r0, r1) -> {
            float[] scratch = new float[width];
            for (int r = r0; r < r1; r++) {
                int o = r * width;
                System.arraycopy(a, o, scratch, 0, width);
                float threshold = kthLargest(scratch, width, k);
                int keptAtThreshold = 0, aboveThreshold = 0;
                for (int j = 0; j < width; j++) if (a[o + j] > threshold) aboveThreshold++;
                for (int j = 0; j < width; j++) {
                    float v = a[o + j];
                    // Ties at the threshold: keep only as many as needed to make exactly k.
                    boolean keep = v > threshold || (v == threshold && keptAtThreshold++ < k - aboveThreshold);
                    a[o + j] = keep ? Gelu.of(v) : 0f;
                }
            }
        });
    }

    /** Quickselect for the k-th largest of a[0..n) (reorders a). */
    static float kthLargest(float[] a, int n, int k) {
        int lo = 0, hi = n - 1, target = k - 1;
        while (lo < hi) {
            float pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] > pivot) i++;
                while (a[j] < pivot) j--;
                if (i <= j) {
                    float tmp = a[i];
                    a[i] = a[j];
                    a[j] = tmp;
                    i++;
                    j--;
                }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return a[target];
        }
        return a[target];
    }
}
