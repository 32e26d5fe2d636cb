package dev.canopy.bert;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.AttentionSpec;
import dev.canopy.nn.Pass;
import dev.canopy.nn.Gelu;
import dev.canopy.nn.LayerNorm;
import dev.canopy.nn.Linear;
import dev.canopy.nn.Parameter;
import dev.canopy.nn.TopKFeedForward;

/**
 * Inference for a BERT encoder (post-LayerNorm, exact GELU) on one sequence at a time, with the attention and the
 * feed-forward chosen by name, plus sentence-transformers pooling (mean over tokens, then L2 normalisation).
 *
 * <p>Per layer: Q, K, V = Linear(x); ctx = attention(Q, K, V) over [1, heads, n, d]; x = LN(x + Linear(ctx));
 * x = LN(x + FFN(x)) where FFN is Linear-GELU-Linear, or {@link TopKFeedForward} with the same weights.
 */
public final class BertEncoder implements SentenceEncoder {
    private final BertConfig c;
    private final BertWeights w;
    private final Attention attention;
    private final FeedForwardSpec ffnSpec;
    private final Block[] blocks;
    private final LayerNorm embeddingNorm;
    private final Gelu gelu = new Gelu(Gelu.Kind.ERF);

    /** One encoder layer's modules; the FFN is either (intermediate, output) or topk. */
    private record Block(Linear query, Linear key, Linear value, Linear attnOut, LayerNorm attnNorm,
                         Linear intermediate, Linear output, TopKFeedForward topk, LayerNorm outNorm) {}

    /**
     * An encoder over the given weights (copied into its layers).
     *
     * @param weights       a pretrained BERT
     * @param attentionSpec the attention every layer uses in place of the original
     * @param ffn           dense, or a top-k feed-forward over the same weights
     */
    public BertEncoder(BertWeights weights, AttentionSpec attentionSpec, FeedForwardSpec ffn) {
        this.w = weights;
        this.c = weights.config();
        this.attention = attentionSpec.create(new AttentionSetup(c.heads(), c.headDim(), c.maxPositions(), 0L));
        this.ffnSpec = ffn;
        float eps = (float) c.layerNormEps();
        int h = c.hidden(), ff = c.intermediate();
        this.embeddingNorm = norm("embeddings.LayerNorm", h, eps, weights.embLnGamma(), weights.embLnBeta());
        this.blocks = new Block[c.layers()];
        for (int i = 0; i < blocks.length; i++) {
            BertWeights.Layer L = weights.layers()[i];
            String p = "encoder.layer." + i + ".";
            Linear inter = null, out = null;
            TopKFeedForward topk = null;
            if (ffn.dense()) {
                inter = linear(p + "intermediate.dense", h, ff, L.w1(), L.b1());
                out = linear(p + "output.dense", ff, h, L.w2(), L.b2());
            } else {
                topk = new TopKFeedForward(p + "topk_ffn", h, ff, ffn.topk(), 0L);
                System.arraycopy(L.w1(), 0, topk.keys.data, 0, L.w1().length);       // W1 [ff, h]: rows are keys
                System.arraycopy(L.b1(), 0, topk.keyBias.data, 0, ff);
                transpose(L.w2(), h, ff, topk.values.data);                          // W2 [h, ff] -> values [ff, h]
                System.arraycopy(L.b2(), 0, topk.outBias.data, 0, h);
            }
            blocks[i] = new Block(linear(p + "attention.self.query", h, h, L.wq(), L.bq()),
                    linear(p + "attention.self.key", h, h, L.wk(), L.bk()),
                    linear(p + "attention.self.value", h, h, L.wv(), L.bv()),
                    linear(p + "attention.output.dense", h, h, L.wo(), L.bo()),
                    norm(p + "attention.output.LayerNorm", h, eps, L.ln1Gamma(), L.ln1Beta()),
                    inter, out, topk, norm(p + "output.LayerNorm", h, eps, L.ln2Gamma(), L.ln2Beta()));
        }
    }

    /** {@return the model's shape} */
    @Override
    public BertConfig config() {
        return c;
    }

    /** {@return the attention every layer runs} */
    public Attention attention() {
        return attention;
    }

    /** {@return the feed-forward every layer runs} */
    public FeedForwardSpec feedForward() {
        return ffnSpec;
    }

    /**
     * Hidden states [n, hidden], attention FLOPs summed over layers, and the largest per-layer working memory the attention and the feed-forward reported
     * (attention: its Saved.workingBytes; dense FFN: the [n, intermediate] activation; top-k FFN: the forward's score
     * chunk plus the kept (index, value) pairs).
     *
     * @param length                tokens
     * @param hidden                last hidden states [length, hidden]
     * @param attentionFlops        attention FLOPs over all layers
     * @param attentionWorkingBytes largest attention working memory of one layer
     * @param ffnWorkingBytes       largest feed-forward working memory of one layer
     */
    public record Output(int length, float[] hidden, long attentionFlops, long attentionWorkingBytes, long ffnWorkingBytes) {}

    /**
     * Runs the encoder over token ids (type ids all 0, no padding).
     *
     * @param ids token ids, [CLS] first and [SEP] last as the tokenizer writes them
     * @return the hidden states and what they cost
     * @throws IllegalArgumentException for no ids, too many, or an id outside the vocabulary
     */
    public Output forward(int[] ids) {
        int n = ids.length, h = c.hidden(), heads = c.heads(), d = c.headDim(), ff = c.intermediate();
        if (n == 0) throw new IllegalArgumentException("cannot encode an empty token sequence");
        if (n > c.maxPositions()) throw new IllegalArgumentException(n + " tokens exceed the model's " + c.maxPositions() + " positions");
        float[] x = new float[n * h], t = new float[n * h];
        for (int i = 0; i < n; i++) {
            int id = ids[i];
            if (id < 0 || id >= c.vocabSize()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + c.vocabSize());
            for (int j = 0; j < h; j++) {
                t[i * h + j] = w.wordEmbeddings()[id * h + j] + w.positionEmbeddings()[i * h + j] + w.typeEmbeddings()[j];
            }
        }
        embeddingNorm.forward(n, t, x);

        float[] q = new float[n * h], k = new float[n * h], v = new float[n * h];
        float[] qh = new float[n * h], kh = new float[n * h], vh = new float[n * h], ctx = new float[n * h];
        float[] inner = ffnSpec.dense() ? new float[n * ff] : null, act = ffnSpec.dense() ? new float[n * ff] : null;
        AttentionShape shape = AttentionShape.self(1, heads, n, d);
        long flops = 0, attnBytes = 0, ffnBytes = 0;
        for (Block b : blocks) {
            b.query().forward(n, x, q);
            b.key().forward(n, x, k);
            b.value().forward(n, x, v);
            toHeads(q, qh, n, heads, d);
            toHeads(k, kh, n, heads, d);
            toHeads(v, vh, n, heads, d);
            Attention.Saved saved = attention.forward(shape, qh, kh, vh, AttentionMask.NONE, Pass.INFERENCE, ctx);
            flops += saved.flops();
            attnBytes = Math.max(attnBytes, saved.workingBytes());
            fromHeads(ctx, q, n, heads, d);
            b.attnOut().forward(n, q, t);
            addInPlace(t, x);
            b.attnNorm().forward(n, t, x);

            if (b.topk() == null) {
                b.intermediate().forward(n, x, inner);
                gelu.forward(n * ff, inner, act);
                b.output().forward(n, act, t);
                ffnBytes = Math.max(ffnBytes, 4L * n * ff);
            } else {
                b.topk().forward(x, n, t);
                int kept = Math.min(b.topk().config.k(), ff);
                ffnBytes = Math.max(ffnBytes, 4L * Math.min(b.topk().config.chunk(), n) * ff + 8L * n * kept);
            }
            addInPlace(t, x);
            b.outNorm().forward(n, t, x);
        }
        return new Output(n, x, flops, attnBytes, ffnBytes);
    }

    /**
     * The sentence embedding: mean of the hidden states over the sequence, L2-normalised.
     *
     * @param ids token ids, as for {@link #forward}
     * @return the embedding [hidden]
     */
    public float[] embed(int[] ids) {
        return meanPoolNormalize(forward(ids).hidden(), ids.length, c.hidden());
    }

    /** One sequence at a time: {@link #forward} already spreads each sequence over the cores. */
    @Override
    public float[][] embed(int[][] batch) {
        float[][] out = new float[batch.length][];
        for (int s = 0; s < batch.length; s++) out[s] = embed(batch[s]);
        return out;
    }

    @Override
    public float[][] meanPooled(int[][] batch) {
        float[][] out = new float[batch.length][];
        for (int s = 0; s < batch.length; s++) out[s] = Pooling.mean(forward(batch[s]).hidden(), 0, batch[s].length, c.hidden());
        return out;
    }

    /**
     * sentence-transformers pooling: the mean over tokens, divided by its L2 norm.
     *
     * @param hidden hidden states [n, h]
     * @param n      tokens
     * @param h      width
     * @return the embedding [h]
     */
    public static float[] meanPoolNormalize(float[] hidden, int n, int h) {
        return Pooling.meanNormalized(hidden, 0, n, h);
    }

    private static Linear linear(String name, int in, int out, float[] weight, float[] bias) {
        Linear l = new Linear(name, in, out, true);
        copy(weight, l.weight);
        copy(bias, l.bias);
        return l;
    }

    private static LayerNorm norm(String name, int dim, float eps, float[] gamma, float[] beta) {
        LayerNorm l = new LayerNorm(name, dim, eps);
        copy(gamma, l.gamma);
        copy(beta, l.beta);
        return l;
    }

    private static void copy(float[] src, Parameter dst) {
        if (src.length != dst.size()) throw new IllegalArgumentException(dst + " needs " + dst.size() + " values, got " + src.length);
        System.arraycopy(src, 0, dst.data, 0, src.length);
    }

    static void transpose(float[] a, int rows, int cols, float[] out) {
        for (int r = 0; r < rows; r++) for (int col = 0; col < cols; col++) out[col * rows + r] = a[r * cols + col];
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
}
