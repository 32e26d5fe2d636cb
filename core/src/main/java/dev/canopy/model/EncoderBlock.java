package dev.canopy.model;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.nn.Pass;
import dev.canopy.kernels.Parallel;
import dev.canopy.nn.Dropout;
import dev.canopy.nn.Gelu;
import dev.canopy.nn.Init;
import dev.canopy.nn.LayerNorm;
import dev.canopy.nn.Linear;
import dev.canopy.nn.Parameter;
import dev.canopy.nn.Rope;
import dev.canopy.nn.TopKFeedForward;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One pre-LayerNorm transformer block:
 * x = x + Dropout(Wo · Attention(split(Wqkv · LN1(x)))) ; x = x + Dropout(W2 · GELU(W1 · LN2(x))).
 * With rotary positions the split queries and keys are rotated by their positions before the attention.
 */
final class EncoderBlock {
    private final int dim, heads, headDim;
    private final LayerNorm ln1, ln2;
    private final Linear qkv, proj, fc1, fc2; // fc1, fc2 null when the feed-forward is top-k
    private final TopKFeedForward topkFfn;     // null when dense
    private final Gelu gelu = new Gelu(Gelu.Kind.ERF);
    private final Dropout attnDrop, ffnDrop;
    private final Rope rope; // null unless positions are rotary
    Attention attention;
    final AttentionSetup setup;
    private final String prefix;
    private final Map<String, Parameter> named = new LinkedHashMap<>();
    float[] capturedKeys; // set by forward while captureKeys is on: this layer's k [batch, heads, n, headDim]
    boolean captureKeys;

    EncoderBlock(String prefix, ModelConfig c, int layer, long seed) {
        this.dim = c.dim();
        this.heads = c.heads();
        this.headDim = c.headDim();
        ln1 = new LayerNorm(prefix + "ln1", dim, 1e-5f);
        qkv = new Linear(prefix + "attn.qkv", dim, 3 * dim, true);
        proj = new Linear(prefix + "attn.proj", dim, dim, true);
        ln2 = new LayerNorm(prefix + "ln2", dim, 1e-5f);
        boolean dense = c.ffn().equals(ModelConfig.DENSE_FFN);
        fc1 = dense ? new Linear(prefix + "ffn.fc1", dim, c.ffnDim(), true) : null;
        fc2 = dense ? new Linear(prefix + "ffn.fc2", c.ffnDim(), dim, true) : null;
        topkFfn = dense ? null : new TopKFeedForward(prefix + "ffn.topk", dim, c.ffnDim(), TopKFeedForward.Config.parse(c.ffn()), seed + 3);
        attnDrop = new Dropout(c.dropout(), 16L * layer + 1);
        ffnDrop = new Dropout(c.dropout(), 16L * layer + 2);
        this.prefix = prefix;
        rope = c.positions() == ModelConfig.Positions.ROTARY ? new Rope(headDim) : null;
        setup = new AttentionSetup(heads, headDim, c.tokensPerSequence(), seed);
        attention = c.attention().create(setup);
        // GPT-2 style: N(0, 0.02), residual projections scaled down by the depth so the residual stream stays O(1).
        float residualStd = 0.02f / (float) Math.sqrt(2.0 * Math.max(1, c.layers()));
        Init.normal(qkv.weight, c.qkvInit(), seed + 1);
        Init.normal(proj.weight, residualStd, seed + 2);
        if (dense) {
            Init.normal(fc1.weight, 0.02f, seed + 3);
            Init.normal(fc2.weight, residualStd, seed + 4);
        } else {
            Init.normal(topkFfn.values, residualStd, seed + 4);
        }
        var ffnParams = dense ? List.of(fc1.weight, fc1.bias, fc2.weight, fc2.bias) : topkFfn.parameters();
        for (var layerParams : List.of(ln1.parameters(), qkv.parameters(), proj.parameters(), ln2.parameters(), ffnParams)) {
            for (Parameter p : layerParams) named.put(p.name, p);
        }
        for (Parameter p : attention.parameters()) named.put(prefix + "attn." + p.name, p);
    }

    Map<String, Parameter> namedParameters() {
        return named;
    }

    /** Replaces the attention (and its parameters under this block's names). */
    void setAttention(Attention next) {
        for (Parameter p : attention.parameters()) named.remove(prefix + "attn." + p.name);
        attention = next;
        for (Parameter p : attention.parameters()) named.put(prefix + "attn." + p.name, p);
    }

    record Saved(int rows, AttentionShape shape, LayerNorm.Saved ln1, Linear.Saved qkv, Attention.Saved attn, Linear.Saved proj,
                 Dropout.Saved attnDrop, LayerNorm.Saved ln2, Linear.Saved fc1, Gelu.Saved gelu, Linear.Saved fc2,
                 TopKFeedForward.Saved topk, Dropout.Saved ffnDrop) {}

    /** x [batch * n, dim] in, the block's output returned in a new array (x itself is kept for nothing). */
    Saved forward(int batch, int n, float[] x, float[] y, AttentionMask mask, Pass pass) {
        int rows = batch * n;
        float[] h = new float[rows * dim];
        LayerNorm.Saved sLn1 = ln1.forward(rows, x, h);
        float[] qkvOut = new float[rows * 3 * dim];
        Linear.Saved sQkv = qkv.forward(rows, h, qkvOut);
        AttentionShape shape = AttentionShape.self(batch, heads, n, headDim);
        float[] q = new float[shape.qSize()], k = new float[shape.kSize()], v = new float[shape.vSize()];
        splitHeads(batch, n, qkvOut, q, k, v);
        if (rope != null) {
            rope.rotateSequences(batch * heads, n, q, false);
            rope.rotateSequences(batch * heads, n, k, false);
        }
        if (captureKeys) capturedKeys = k;
        float[] o = new float[shape.outSize()];
        Attention.Saved sAttn = attention.forward(shape, q, k, v, mask, pass, o);
        float[] merged = new float[rows * dim];
        mergeHeads(batch, n, o, merged);
        float[] a = new float[rows * dim];
        Linear.Saved sProj = proj.forward(rows, merged, a);
        Dropout.Saved sAd = attnDrop.forward(pass, rows * dim, a, a);
        float[] x1 = new float[rows * dim];
        for (int i = 0; i < x1.length; i++) x1[i] = x[i] + a[i];
        float[] h2 = new float[rows * dim];
        LayerNorm.Saved sLn2 = ln2.forward(rows, x1, h2);
        float[] z = new float[rows * dim];
        Linear.Saved sFc1 = null, sFc2 = null;
        Gelu.Saved sGelu = null;
        TopKFeedForward.Saved sTopk = null;
        if (topkFfn != null) {
            sTopk = topkFfn.forward(h2, rows, z);
        } else {
            int f = fc1.out;
            float[] u = new float[rows * f];
            sFc1 = fc1.forward(rows, h2, u);
            float[] g = new float[rows * f];
            sGelu = gelu.forward(rows * f, u, g);
            sFc2 = fc2.forward(rows, g, z);
        }
        Dropout.Saved sFd = ffnDrop.forward(pass, rows * dim, z, z);
        for (int i = 0; i < rows * dim; i++) y[i] = x1[i] + z[i];
        return new Saved(rows, shape, sLn1, sQkv, sAttn, sProj, sAd, sLn2, sFc1, sGelu, sFc2, sTopk, sFd);
    }

    /** dy [rows, dim] in; dx written (may alias dy). Adds into every parameter's gradient. */
    void backward(Saved s, float[] dy, float[] dx) {
        int rows = s.rows();
        AttentionShape shape = s.shape();
        // Feed-forward branch: dy flows to the residual unchanged and through the branch.
        float[] dz = new float[rows * dim];
        ffnDrop.backward(s.ffnDrop(), dy, dz);
        float[] dh2 = new float[rows * dim];
        if (topkFfn != null) {
            topkFfn.backward(s.topk(), dz, dh2);
        } else {
            float[] dg = new float[rows * fc1.out];
            fc2.backward(s.fc2(), dz, dg);
            gelu.backward(s.gelu(), dg, dg);
            fc1.backward(s.fc1(), dg, dh2);
        }
        float[] dx1 = new float[rows * dim];
        ln2.backward(s.ln2(), dh2, dx1);
        for (int i = 0; i < dx1.length; i++) dx1[i] += dy[i];
        // Attention branch.
        float[] da = new float[rows * dim];
        attnDrop.backward(s.attnDrop(), dx1, da);
        float[] dMerged = new float[rows * dim];
        proj.backward(s.proj(), da, dMerged);
        float[] dO = new float[shape.outSize()];
        splitOne(shape.batch(), shape.nq(), dMerged, dO);
        float[] dq = new float[shape.qSize()], dk = new float[shape.kSize()], dv = new float[shape.vSize()];
        attention.backward(s.attn(), dO, dq, dk, dv);
        if (rope != null) {
            rope.rotateSequences(shape.pairs(), shape.nq(), dq, true);
            rope.rotateSequences(shape.pairs(), shape.nq(), dk, true);
        }
        float[] dQkv = new float[rows * 3 * dim];
        joinHeads(shape.batch(), shape.nq(), dq, dk, dv, dQkv);
        float[] dh = new float[rows * dim];
        qkv.backward(s.qkv(), dQkv, dh);
        float[] dLn1 = new float[rows * dim];
        ln1.backward(s.ln1(), dh, dLn1);
        for (int i = 0; i < rows * dim; i++) dx[i] = dx1[i] + dLn1[i];
    }

    /** [batch * n, 3 * dim] (q | k | v per row, heads contiguous inside each) -> three [batch, heads, n, headDim]. */
    private void splitHeads(int batch, int n, float[] qkvOut, float[] q, float[] k, float[] v) {
        Parallel.forEach(batch, b -> {
            for (int t = 0; t < n; t++) {
                int src = (b * n + t) * 3 * dim;
                for (int hh = 0; hh < heads; hh++) {
                    int dst = ((b * heads + hh) * n + t) * headDim;
                    System.arraycopy(qkvOut, src + hh * headDim, q, dst, headDim);
                    System.arraycopy(qkvOut, src + dim + hh * headDim, k, dst, headDim);
                    System.arraycopy(qkvOut, src + 2 * dim + hh * headDim, v, dst, headDim);
                }
            }
        });
    }

    private void joinHeads(int batch, int n, float[] dq, float[] dk, float[] dv, float[] dQkv) {
        Parallel.forEach(batch, b -> {
            for (int t = 0; t < n; t++) {
                int dst = (b * n + t) * 3 * dim;
                for (int hh = 0; hh < heads; hh++) {
                    int src = ((b * heads + hh) * n + t) * headDim;
                    System.arraycopy(dq, src, dQkv, dst + hh * headDim, headDim);
                    System.arraycopy(dk, src, dQkv, dst + dim + hh * headDim, headDim);
                    System.arraycopy(dv, src, dQkv, dst + 2 * dim + hh * headDim, headDim);
                }
            }
        });
    }

    /** [batch, heads, n, headDim] -> [batch * n, dim]. */
    private void mergeHeads(int batch, int n, float[] o, float[] merged) {
        Parallel.forEach(batch, b -> {
            for (int hh = 0; hh < heads; hh++) {
                for (int t = 0; t < n; t++) {
                    System.arraycopy(o, ((b * heads + hh) * n + t) * headDim, merged, (b * n + t) * dim + hh * headDim, headDim);
                }
            }
        });
    }

    /** [batch * n, dim] -> [batch, heads, n, headDim]. */
    private void splitOne(int batch, int n, float[] merged, float[] o) {
        Parallel.forEach(batch, b -> {
            for (int hh = 0; hh < heads; hh++) {
                for (int t = 0; t < n; t++) {
                    System.arraycopy(merged, (b * n + t) * dim + hh * headDim, o, ((b * heads + hh) * n + t) * headDim, headDim);
                }
            }
        });
    }
}
