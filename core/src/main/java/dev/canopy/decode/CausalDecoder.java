package dev.canopy.decode;

import dev.canopy.kernels.Activations;
import dev.canopy.kernels.LayerNormRows;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import dev.canopy.kernels.Sgemm;
import dev.canopy.kernels.VecOps;
import dev.canopy.model.ModelConfig;
import dev.canopy.nn.Parameter;
import dev.canopy.nn.Rope;
import java.util.Map;

/**
 * One token at a time through a trained causal model (the token-level encoder classifier with causal attention),
 * keeping every layer's keys and values in a {@link KvCache}: the same arithmetic as the model's full-sequence forward
 * (embedding, positions, token shift, pre-LayerNorm blocks, final LayerNorm, next-token head) for one row, with the
 * attention over the cache done by any {@link CacheAttention}. Reads the model's parameters by name; the cache and all
 * buffers are allocated here, none per token (the shared GELU kernel takes one small scratch block per call).
 *
 * <p>Positions: rotary keys are stored rotated at their absolute position, so a full cache simply overwrites its oldest
 * slot (a sliding window of {@code capacity} positions) and no length caps decoding; learned positions stop at the
 * model's table with a clear error.
 */
public final class CausalDecoder {
    static final float LN_EPS = 1e-5f;
    private final ModelConfig config;
    private final int dim, heads, headDim, ffn, classes;
    private final KvCache cache;
    private final CacheAttention attention;
    private final Rope rope; // null unless rotary
    private final float[] tokenTable, positionTable, shiftMap; // last two may be null
    private final Block[] blocks;
    private final float[] lnFinalGamma, lnFinalBeta, headWeight, headBias;
    // Per-token buffers.
    private final float[] x, previous, shifted, h, qkv, att, a, u, logits, mean = new float[1], rstd = new float[1], cos, sin;
    private final long[] readByHead;
    private final java.util.function.IntConsumer[] attendHeads; // per layer: one head's attention (built once, so a step allocates no lambda)
    private long position, lastRead;

    record Block(float[] ln1g, float[] ln1b, float[] qkvW, float[] qkvB, float[] projW, float[] projB, float[] ln2g, float[] ln2b,
                         float[] fc1W, float[] fc1B, float[] fc2W, float[] fc2B) {}

    /**
     * A decoder over a trained model's parameters.
     *
     * @param config   the model's shape; must be causal, token-level, single-document, dense feed-forward
     * @param params   the model's parameters by name (an EncoderClassifier's namedParameters)
     * @param spec     the attention over the cache
     * @param capacity positions the cache holds (the context)
     * @throws IllegalArgumentException naming what the model or the parameters lack
     */
    public CausalDecoder(ModelConfig config, Map<String, Parameter> params, CacheAttentionSpec spec, int capacity) {
        if (!config.causal()) throw new IllegalArgumentException("the model is not causal; only a causal model (e.g. trained on brown-lm) can generate");
        if (config.pooling() != ModelConfig.Pooling.TOKENS || config.twoTower()) throw new IllegalArgumentException("the model has no per-position head (pooling tokens); it cannot predict next tokens");
        if (!config.ffn().equals(ModelConfig.DENSE_FFN)) throw new IllegalArgumentException("decoding supports the dense feed-forward only, the model has " + config.ffn());
        if (config.layers() < 1) throw new IllegalArgumentException("the model has no layers");
        if (capacity < 1) throw new IllegalArgumentException("--context must be at least 1, got " + capacity);
        if (config.positions() == ModelConfig.Positions.LEARNED && capacity > config.maxLength()) {
            throw new IllegalArgumentException("context " + capacity + " is longer than the model's " + config.maxLength() + " learned positions");
        }
        this.config = config;
        dim = config.dim();
        heads = config.heads();
        headDim = config.headDim();
        ffn = config.ffnDim();
        classes = config.classes();
        cache = new KvCache(config.layers(), heads, headDim, capacity);
        attention = spec.create(cache);
        rope = config.positions() == ModelConfig.Positions.ROTARY ? new Rope(headDim) : null;
        tokenTable = tensor(params, "embed.tokens.weight", config.vocab() * dim);
        positionTable = config.positions() == ModelConfig.Positions.LEARNED ? tensor(params, "embed.positions.weight", config.tokensPerSequence() * dim) : null;
        shiftMap = config.shift() ? tensor(params, "embed.shift.weight", dim * dim) : null;
        blocks = new Block[config.layers()];
        for (int l = 0; l < blocks.length; l++) {
            String p = "blocks." + l + ".";
            blocks[l] = new Block(tensor(params, p + "ln1.weight", dim), tensor(params, p + "ln1.bias", dim),
                    tensor(params, p + "attn.qkv.weight", 3 * dim * dim), tensor(params, p + "attn.qkv.bias", 3 * dim),
                    tensor(params, p + "attn.proj.weight", dim * dim), tensor(params, p + "attn.proj.bias", dim),
                    tensor(params, p + "ln2.weight", dim), tensor(params, p + "ln2.bias", dim),
                    tensor(params, p + "ffn.fc1.weight", ffn * dim), tensor(params, p + "ffn.fc1.bias", ffn),
                    tensor(params, p + "ffn.fc2.weight", dim * ffn), tensor(params, p + "ffn.fc2.bias", dim));
        }
        lnFinalGamma = tensor(params, "ln_final.weight", dim);
        lnFinalBeta = tensor(params, "ln_final.bias", dim);
        headWeight = tensor(params, "head.weight", classes * dim);
        headBias = tensor(params, "head.bias", classes);
        x = new float[dim];
        previous = new float[dim];
        shifted = new float[dim];
        h = new float[dim];
        qkv = new float[3 * dim];
        att = new float[dim];
        a = new float[dim];
        u = new float[ffn];
        logits = new float[classes];
        cos = new float[headDim / 2];
        sin = new float[headDim / 2];
        readByHead = new long[heads];
        attendHeads = new java.util.function.IntConsumer[blocks.length];
        for (int l = 0; l < blocks.length; l++) {
            int layer = l;
            attendHeads[l] = hh -> readByHead[hh] = attention.attend(layer, hh, qkv, hh * headDim, att, hh * headDim);
        }
    }

    private static float[] tensor(Map<String, Parameter> params, String name, int size) {
        Parameter p = params.get(name);
        if (p == null) throw new IllegalArgumentException("the checkpoint has no tensor " + name + ", which decoding needs");
        if (p.size() != size) throw new IllegalArgumentException("tensor " + name + " has " + p.size() + " floats; the model config needs " + size);
        return p.data;
    }

    /** {@return the cache (for its size and what it holds)} */
    public KvCache cache() { return cache; }

    /** {@return the attention over the cache} */
    public CacheAttention attention() { return attention; }

    /** {@return the model's shape} */
    public ModelConfig config() { return config; }

    /** {@return positions decoded since the last reset} */
    public long position() { return position; }

    /** {@return bytes of cached keys, values and routing state the attention read in the last step, all layers and heads} */
    public long bytesReadLastStep() { return lastRead; }

    /**
     * Continues where another decoder of the same model and capacity stands (its cache, position and last embedding),
     * with this decoder's attention: a benchmark fills one cache once and times every attention from it. A tree
     * attention is left to {@link CacheAttention#fit} on the copied keys.
     *
     * @param other a decoder of the same model and capacity
     */
    public void continueFrom(CausalDecoder other) {
        if (!other.config.equals(config)) throw new IllegalArgumentException("decoders of different models");
        cache.copyFrom(other.cache);
        position = other.position;
        System.arraycopy(other.previous, 0, previous, 0, dim);
        attention.clear();
    }

    /** Starts a new sequence: empties the cache (its arrays and any fitted trees are kept). */
    public void reset() {
        cache.clear();
        attention.clear();
        position = 0;
    }

    /**
     * Feeds one token and returns the logits of the next (an internal buffer, overwritten by the next call).
     *
     * @param token a token id of the model's vocabulary
     * @return logits over the classes
     */
    public float[] step(int token) {
        advance(token);
        LayerNormRows.forward(1, dim, x, 0, lnFinalGamma, lnFinalBeta, LN_EPS, h, 0, mean, rstd);
        matVec(headWeight, headBias, h, logits, classes, dim);
        return logits;
    }

    /**
     * Feeds a prompt's tokens (without computing logits) in chunks of rows, as matrix products (exact attention,
     * whatever the decode attention; a fitted tree indexes every key appended). Equal to {@link #feed} token by token
     * up to float rounding. When the tokens would wrap the cache they are fed one by one. Allocates its chunk buffers
     * once per call.
     *
     * @param tokens token ids
     * @param from   first index to feed
     * @param to     index after the last
     */
    public void prefill(int[] tokens, int from, int to) {
        if (position + (to - from) > cache.capacity() || positionTable != null && position + (to - from) > config.tokensPerSequence()) {
            for (int i = from; i < to; i++) feed(tokens[i]);
            return;
        }
        for (int i = from; i < to; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocab()) throw new IllegalArgumentException("token id " + tokens[i] + " is outside the model's vocabulary of " + config.vocab());
        }
        new ChunkedPrefill(this, to - from).run(tokens, from, to);
    }

    // What ChunkedPrefill reads and moves on (package-private: the two classes are one decoder).
    Rope rope() { return rope; }
    float[] shiftMap() { return shiftMap; }
    Block[] blocks() { return blocks; }
    /** The last position's embedding before its token shift: what the next position's shift reads. */
    float[] previousEmbedding() { return previous; }
    void advancePositions(int n) { position += n; }

    /**
     * out[off ..] = the token's embedding plus its position's (learned or sinusoidal; rotary ones act inside attention).
     *
     * @param token    token id
     * @param position its position
     * @param out      written: dim floats
     * @param off      where they go
     */
    void embed(int token, long position, float[] out, int off) {
        System.arraycopy(tokenTable, token * dim, out, off, dim);
        if (positionTable != null) {
            VecOps.axpy(1f, positionTable, (int) position * dim, out, off, dim);
        } else if (config.positions() == ModelConfig.Positions.SINUSOIDAL) {
            // The encoder's table, one row: even columns sin(pos / 10000^(i/dim)), odd columns cos.
            for (int i = 0; i < dim; i += 2) {
                double angle = position / Math.pow(10000, i / (double) dim);
                out[off + i] += (float) Math.sin(angle);
                if (i + 1 < dim) out[off + i + 1] += (float) Math.cos(angle);
            }
        }
    }

    /**
     * Feeds one token without computing the next token's logits (a prompt's tokens before its last).
     *
     * @param token a token id of the model's vocabulary
     */
    public void feed(int token) {
        advance(token);
    }

    private void advance(int token) {
        if (token < 0 || token >= config.vocab()) throw new IllegalArgumentException("token id " + token + " is outside the model's vocabulary of " + config.vocab());
        if (positionTable != null && position >= config.tokensPerSequence()) {
            throw new IllegalArgumentException("position " + position + " is beyond the model's " + config.tokensPerSequence() + " learned positions; a rotary model has no such limit");
        }
        embed(token, position, x, 0);
        if (shiftMap != null) {
            // y[t] = x[t] + W x[t-1]: the previous position's embedding (nothing at the first position).
            if (position > 0) {
                matVec(shiftMap, null, previous, shifted, dim, dim);
                System.arraycopy(x, 0, previous, 0, dim);
                for (int c = 0; c < dim; c++) x[c] += shifted[c];
            } else {
                System.arraycopy(x, 0, previous, 0, dim);
            }
        }
        if (rope != null) rope.angles(position, cos, sin);
        int slot = cache.begin();
        boolean wraps = cache.wraps();
        long read = 0;
        for (int l = 0; l < blocks.length; l++) read += block(l, blocks[l], slot, wraps);
        lastRead = read;
        position++;
    }

    private long block(int layer, Block b, int slot, boolean wraps) {
        LayerNormRows.forward(1, dim, x, 0, b.ln1g(), b.ln1b(), LN_EPS, h, 0, mean, rstd);
        matVec(b.qkvW(), b.qkvB(), h, qkv, 3 * dim, dim);
        float[] keys = cache.keys(layer), values = cache.values(layer);
        for (int hh = 0; hh < heads; hh++) {
            int q = hh * headDim, k = dim + hh * headDim, v = 2 * dim + hh * headDim;
            if (rope != null) {
                rope.rotate(qkv, q, cos, 0, sin, 0, false);
                rope.rotate(qkv, k, cos, 0, sin, 0, false);
            }
            if (wraps) attention.removing(layer, hh, slot);
            System.arraycopy(qkv, k, keys, cache.offset(hh, slot), headDim);
            System.arraycopy(qkv, v, values, cache.offset(hh, slot), headDim);
            attention.added(layer, hh, slot);
        }
        if (cache.length() >= 512) {
            Parallel.forEach(heads, attendHeads[layer]);
        } else {
            for (int hh = 0; hh < heads; hh++) attendHeads[layer].accept(hh);
        }
        matVec(b.projW(), b.projB(), att, a, dim, dim);
        for (int c = 0; c < dim; c++) x[c] += a[c];
        LayerNormRows.forward(1, dim, x, 0, b.ln2g(), b.ln2b(), LN_EPS, h, 0, mean, rstd);
        matVec(b.fc1W(), b.fc1B(), h, u, ffn, dim);
        Activations.geluErf(u, 0, u, 0, ffn);
        matVec(b.fc2W(), b.fc2B(), u, a, dim, ffn);
        for (int c = 0; c < dim; c++) x[c] += a[c];
        long read = 0;
        for (long r : readByHead) read += r;
        return read;
    }

    /** y[out] = W[out, in] · x + b (b may be null). */
    private static void matVec(float[] w, float[] bias, float[] in, float[] y, int out, int width) {
        for (int o = 0; o < out; o++) y[o] = VecOps.dot(w, o * width, in, 0, width) + (bias == null ? 0f : bias[o]);
    }
}
