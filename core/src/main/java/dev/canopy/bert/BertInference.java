package dev.canopy.bert;

import dev.canopy.kernels.InferenceRows;
import dev.canopy.kernels.PackedSelfAttention;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import dev.canopy.kernels.Sgemm;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The inference path of a BERT encoder (exact attention, dense feed-forward): a batch of token sequences of any
 * lengths runs together, packed one after another with no padding, so every linear layer is one matrix product over
 * all the batch's tokens and attention runs per (sequence, head) straight out of the fused Q/K/V rows. Same
 * arithmetic as {@link BertEncoder}'s forward (which training-side code and other attentions keep using).
 *
 * <p>Activations live in workspaces reused from call to call (grown, never shrunk), so a steady stream of batches
 * allocates only the results. Each call takes an idle workspace (or makes one) and gives it back, so callers on several
 * threads run at once, each in its own buffers: a call from outside a parallel section spreads its kernels over every
 * core, and calls made from inside one (langchain4j's workers, one batch per core) each run on their own thread.
 */
public final class BertInference implements SentenceEncoder {
    /** Tokens run through the layers at once: enough rows for the products to reach full speed, bounded memory. */
    public static final int DEFAULT_CHUNK_TOKENS = 4096;

    private final InferenceWeights w;
    private final BertConfig c;
    private final int chunkTokens;
    private final PackedSelfAttention.Layout layout;
    /** Workspaces no call is using; as many exist as calls have ever run at once. */
    private final ConcurrentLinkedDeque<Workspace> idle = new ConcurrentLinkedDeque<>();

    /**
     * An inference path that runs at most {@link #DEFAULT_CHUNK_TOKENS} tokens per pass.
     *
     * @param weights packed weights
     */
    public BertInference(InferenceWeights weights) {
        this(weights, DEFAULT_CHUNK_TOKENS);
    }

    /**
     * An inference path with a chosen pass size.
     *
     * @param weights     packed weights
     * @param chunkTokens most tokens per pass through the layers; a batch with more runs in several passes (a single
     *                    longer sequence runs alone)
     */
    public BertInference(InferenceWeights weights, int chunkTokens) {
        if (chunkTokens < 1) throw new IllegalArgumentException("chunk tokens must be positive, got " + chunkTokens);
        this.w = weights;
        this.c = weights.config();
        this.chunkTokens = chunkTokens;
        this.layout = PackedSelfAttention.Layout.fused(c.heads(), c.headDim());
    }

    /** {@return the model's shape} */
    @Override
    public BertConfig config() {
        return c;
    }

    /** {@return the weights} */
    public InferenceWeights weights() {
        return w;
    }

    /** Activation buffers for up to {@code tokens} tokens. */
    private record Workspace(int tokens, int hidden, int intermediate, float[] x, float[] y, float[] qkv, float[] ctx, float[] inner) {
        Workspace(int tokens, int hidden, int intermediate) {
            this(tokens, hidden, intermediate, new float[tokens * hidden], new float[tokens * hidden], new float[tokens * 3 * hidden],
                    new float[tokens * hidden], new float[tokens * intermediate]);
        }

        long bytes() {
            return 4L * (x.length + y.length + qkv.length + ctx.length + inner.length);
        }
    }

    /**
     * Bytes of the activations one pass over this batch needs (its largest chunk's tokens, at most).
     *
     * @param batch token ids per sequence
     * @return the bytes
     */
    public long workspaceBytes(int[][] batch) {
        int total = 0, longest = 0;
        for (int[] ids : batch) {
            total += ids.length;
            longest = Math.max(longest, ids.length);
        }
        long tokens = Math.min(total, Math.max(chunkTokens, longest));
        return 4L * tokens * (6L * c.hidden() + c.intermediate());
    }

    /**
     * Last hidden states of each sequence.
     *
     * @param batch token ids per sequence ([CLS] first and [SEP] last as the tokenizer writes them; type ids all 0)
     * @return per sequence, [length, hidden]
     * @throws IllegalArgumentException for an empty sequence, one longer than the model's positions, or an id outside
     *                                  the vocabulary
     */
    public float[][] hidden(int[][] batch) {
        float[][] out = new float[batch.length][];
        run(batch, (s, x, row, n) -> {
            out[s] = new float[n * c.hidden()];
            System.arraycopy(x, row * c.hidden(), out[s], 0, n * c.hidden());
        });
        return out;
    }

    /**
     * Mean of each sequence's last hidden states, not normalised (what langchain4j-style pooling averages further).
     *
     * @param batch token ids per sequence, as for {@link #hidden}
     * @return per sequence, [hidden]
     */
    @Override
    public float[][] meanPooled(int[][] batch) {
        float[][] out = new float[batch.length][];
        int h = c.hidden();
        run(batch, (s, x, row, n) -> out[s] = Pooling.mean(x, row, n, h));
        return out;
    }

    /**
     * Sentence embeddings: the mean over tokens, L2-normalised, as {@link BertEncoder#embed} gives them.
     *
     * @param batch token ids per sequence, as for {@link #hidden}
     * @return per sequence, [hidden]
     */
    @Override
    public float[][] embed(int[][] batch) {
        float[][] out = new float[batch.length][];
        run(batch, (s, x, row, n) -> out[s] = Pooling.meanNormalized(x, row, n, c.hidden()));
        return out;
    }

    /** What to do with one sequence's hidden states: rows [row, row + n) of x. */
    private interface SequenceSink {
        void accept(int sequence, float[] x, int row, int n);
    }

    private void run(int[][] batch, SequenceSink sink) {
        for (int s = 0; s < batch.length; s++) check(s, batch[s]);
        int s0 = 0;
        while (s0 < batch.length) {
            int s1 = s0 + 1, tokens = batch[s0].length;
            while (s1 < batch.length && tokens + batch[s1].length <= chunkTokens) tokens += batch[s1++].length;
            int[] starts = new int[s1 - s0 + 1];
            for (int s = s0; s < s1; s++) starts[s - s0 + 1] = starts[s - s0] + batch[s].length;
            Workspace x = forward(batch, s0, s1, starts);
            try {
                for (int s = s0; s < s1; s++) sink.accept(s, x.x(), starts[s - s0], batch[s].length);
            } finally {
                idle.offerFirst(x); // the most recently used first: its pages are the warm ones
            }
            s0 = s1;
        }
    }

    private void check(int s, int[] ids) {
        if (ids.length == 0) throw new IllegalArgumentException("sequence " + s + ": cannot encode an empty token sequence");
        if (ids.length > c.maxPositions()) {
            throw new IllegalArgumentException("sequence " + s + ": " + ids.length + " tokens exceed the model's " + c.maxPositions() + " positions");
        }
        for (int id : ids) {
            if (id < 0 || id >= c.vocabSize()) throw new IllegalArgumentException("sequence " + s + ": token id " + id + " is outside the vocabulary of " + c.vocabSize());
        }
    }

    /** An idle workspace for at least this many tokens (grown if too small), now this call's until run gives it back. */
    private Workspace workspace(int tokens) {
        Workspace ws = idle.pollFirst();
        if (ws == null) ws = new Workspace(0, 0, 0);
        if (ws.tokens() < tokens) ws = new Workspace(Math.max(tokens, Math.min(chunkTokens, 2 * ws.tokens())), c.hidden(), c.intermediate());
        return ws;
    }

    /** Runs sequences [s0, s1) through the encoder; their hidden states end in the returned workspace's x. */
    private Workspace forward(int[][] batch, int s0, int s1, int[] starts) {
        int tokens = starts[starts.length - 1], h = c.hidden(), ff = c.intermediate();
        float eps = (float) c.layerNormEps();
        Workspace b = workspace(tokens);
        float[] x = b.x(), y = b.y(), qkv = b.qkv(), ctx = b.ctx(), inner = b.inner();
        embed(batch, s0, s1, starts, y);
        InferenceRows.norm(tokens, h, y, w.embLnGamma(), w.embLnBeta(), eps, x);
        for (InferenceWeights.Layer l : w.layers()) {
            Sgemm.matmulPacked(tokens, x, 0, h, l.qkv(), qkv, 0, 3 * h, false);
            InferenceRows.addBias(tokens, 3 * h, qkv, l.qkvBias());
            PackedSelfAttention.forward(starts, layout, qkv, ctx);
            Sgemm.matmulPacked(tokens, ctx, 0, h, l.attnOut(), y, 0, h, false);
            InferenceRows.residualBiasNorm(tokens, h, x, y, l.attnBias(), l.ln1Gamma(), l.ln1Beta(), eps);
            Sgemm.matmulPacked(tokens, x, 0, h, l.ffnIn(), inner, 0, ff, false);
            InferenceRows.addBiasGelu(tokens, ff, inner, l.ffnInBias());
            Sgemm.matmulPacked(tokens, inner, 0, ff, l.ffnOut(), y, 0, h, false);
            InferenceRows.residualBiasNorm(tokens, h, x, y, l.ffnOutBias(), l.ln2Gamma(), l.ln2Beta(), eps);
        }
        return b;
    }

    /** out[t] = word[id] + position[i] + type[0] for token t at position i of its sequence. */
    private void embed(int[][] batch, int s0, int s1, int[] starts, float[] out) {
        int h = c.hidden();
        float[] word = w.wordEmbeddings(), pos = w.positionEmbeddings(), type = w.typeEmbeddings();
        Parallel.forEach(s1 - s0, k -> {
            int[] ids = batch[s0 + k];
            for (int i = 0; i < ids.length; i++) {
                int o = (starts[k] + i) * h;
                RowOps.add(word, ids[i] * h, pos, i * h, out, o, h);
                RowOps.add(out, o, type, 0, out, o, h);
            }
        });
    }
}
