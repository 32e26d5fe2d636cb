package dev.canopy.model;

import dev.canopy.attention.AttentionMask;
import dev.canopy.nn.Pass;
import dev.canopy.data.Batch;
import dev.canopy.nn.CounterRng;
import dev.canopy.nn.Dropout;
import dev.canopy.nn.Embedding;
import dev.canopy.nn.Init;
import dev.canopy.nn.LayerNorm;
import dev.canopy.nn.Parameter;
import dev.canopy.nn.TokenShift;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Token embedding + positions (learned or sinusoidal; rotary ones are applied inside each block) + pre-LN blocks + final LayerNorm + pooling (mean over real
 * tokens, or the [CLS] row): a batch of token rows becomes one vector per row. With pooling TOKENS there is no pooling:
 * the final hidden states [batch * n, dim] are the output. A causal config masks every layer's attention causally.
 */
final class Encoder {
    private final ModelConfig config;
    private final int dim;
    private final Embedding tokens;
    private final Embedding positions; // null for sinusoidal
    private final float[] sinusoid;     // [tokensPerSequence, dim] when sinusoidal, else null
    private final Dropout embedDrop;
    private final TokenShift shift; // null unless the config asks for it
    private final List<EncoderBlock> blocks = new ArrayList<>();
    private final LayerNorm lnFinal;
    private final Map<String, Parameter> named = new LinkedHashMap<>();

    Encoder(ModelConfig c, String prefix) {
        this.config = c;
        this.dim = c.dim();
        int n = c.tokensPerSequence();
        tokens = new Embedding(prefix + "embed.tokens", c.vocab(), dim);
        Init.normal(tokens.weight, 0.02f, CounterRng.mix(c.seed(), 1));
        if (c.positions() == ModelConfig.Positions.LEARNED) {
            positions = new Embedding(prefix + "embed.positions", n, dim);
            Init.normal(positions.weight, 0.02f, CounterRng.mix(c.seed(), 2));
            sinusoid = null;
        } else {
            positions = null;
            sinusoid = c.positions() == ModelConfig.Positions.SINUSOIDAL ? sinusoidTable(n, dim) : null; // rotary: inside each block
        }
        embedDrop = new Dropout(c.dropout(), 0);
        if (c.shift()) {
            shift = new TokenShift(prefix + "embed.shift", dim);
            Init.normal(shift.weight(), 0.02f, CounterRng.mix(c.seed(), 3));
        } else {
            shift = null;
        }
        for (int l = 0; l < c.layers(); l++) {
            EncoderBlock b = new EncoderBlock(prefix + "blocks." + l + ".", c, l, CounterRng.mix(c.seed(), 100 + l));
            blocks.add(b);
        }
        lnFinal = new LayerNorm(prefix + "ln_final", dim, 1e-5f);
        rebuildNames();
    }

    /** (Re)collects the parameters by name, in a fixed order (after a block's attention was replaced too). */
    void rebuildNames() {
        named.clear();
        named.put(tokens.weight.name, tokens.weight);
        if (positions != null) named.put(positions.weight.name, positions.weight);
        if (shift != null) named.put(shift.weight().name, shift.weight());
        for (EncoderBlock b : blocks) named.putAll(b.namedParameters());
        for (Parameter p : lnFinal.parameters()) named.put(p.name, p);
    }

    Map<String, Parameter> namedParameters() {
        return named;
    }

    List<EncoderBlock> blocks() {
        return blocks;
    }

    /** Transformer sinusoids: even columns sin(pos / 10000^(2i/dim)), odd columns cos. */
    static float[] sinusoidTable(int n, int dim) {
        float[] t = new float[n * dim];
        for (int pos = 0; pos < n; pos++) {
            for (int i = 0; i < dim; i += 2) {
                double angle = pos / Math.pow(10000, i / (double) dim);
                t[pos * dim + i] = (float) Math.sin(angle);
                if (i + 1 < dim) t[pos * dim + i + 1] = (float) Math.cos(angle);
            }
        }
        return t;
    }

    record Saved(Batch batch, Embedding.Saved tokens, int[] positionIds, Embedding.Saved positions, TokenShift.Saved shift, Dropout.Saved embedDrop,
                 List<EncoderBlock.Saved> blocks, LayerNorm.Saved lnFinal, float[] hidden, float[] pooled, long flops, long backwardFlops, long workingBytes) {}

    /** Final hidden states [batch * n, dim] in Saved.hidden; pooled [batch, dim] in Saved.pooled (null for TOKENS). */
    Saved forward(Batch batch, Pass pass) {
        int b = batch.size(), n = batch.length(), rows = b * n;
        if (n > config.tokensPerSequence()) throw new IllegalArgumentException("batch rows have " + n + " tokens but the model takes at most " + config.tokensPerSequence());
        float[] x = new float[rows * dim];
        Embedding.Saved sTok = tokens.forward(rows, batch.tokens(), x);
        int[] posIds = new int[rows];
        for (int r = 0; r < rows; r++) posIds[r] = r % n;
        Embedding.Saved sPos = null;
        if (positions != null) {
            float[] p = new float[rows * dim];
            sPos = positions.forward(rows, posIds, p);
            for (int i = 0; i < x.length; i++) x[i] += p[i];
        } else if (sinusoid != null) {
            for (int r = 0; r < rows; r++) {
                int off = r * dim, poff = (r % n) * dim;
                for (int c = 0; c < dim; c++) x[off + c] += sinusoid[poff + c];
            }
        }
        TokenShift.Saved sShift = null;
        if (shift != null) {
            float[] shifted = new float[rows * dim];
            sShift = shift.forward(b, n, x, shifted);
            x = shifted;
        }
        Dropout.Saved sDrop = embedDrop.forward(pass, rows * dim, x, x);
        AttentionMask mask = new AttentionMask(batch.padding(), config.causal());
        List<EncoderBlock.Saved> saved = new ArrayList<>(blocks.size());
        long flops = 0, bwd = 0, bytes = 0;
        for (int l = 0; l < blocks.size(); l++) {
            float[] y = new float[rows * dim];
            Pass layerPass = pass.training() ? Pass.training(CounterRng.mix(pass.seed(), l)) : pass;
            EncoderBlock.Saved s = blocks.get(l).forward(b, n, x, y, mask, layerPass);
            saved.add(s);
            flops += s.attn().flops();
            bwd += s.attn().backwardFlops();
            bytes = Math.max(bytes, s.attn().workingBytes());
            x = y;
        }
        float[] h = new float[rows * dim];
        LayerNorm.Saved sLn = lnFinal.forward(rows, x, h);
        float[] pooled = config.pooling() == ModelConfig.Pooling.TOKENS ? null : new float[b * dim];
        for (int i = 0; pooled != null && i < b; i++) {
            if (config.pooling() == ModelConfig.Pooling.CLS) {
                System.arraycopy(h, i * n * dim, pooled, i * dim, dim);
            } else {
                int count = 0;
                for (int t = 0; t < n; t++) {
                    if (batch.padding()[i * n + t]) continue;
                    count++;
                    for (int c = 0; c < dim; c++) pooled[i * dim + c] += h[(i * n + t) * dim + c];
                }
                float inv = 1f / Math.max(1, count);
                for (int c = 0; c < dim; c++) pooled[i * dim + c] *= inv;
            }
        }
        return new Saved(batch, sTok, posIds, sPos, sShift, sDrop, saved, sLn, h, pooled, flops, bwd, bytes);
    }

    /** dPooled [batch, dim] in; adds into every parameter's gradient. */
    void backward(Saved s, float[] dPooled) {
        Batch batch = s.batch();
        int b = batch.size(), n = batch.length(), rows = b * n;
        float[] dh = new float[rows * dim];
        for (int i = 0; i < b; i++) {
            if (config.pooling() == ModelConfig.Pooling.CLS) {
                System.arraycopy(dPooled, i * dim, dh, i * n * dim, dim);
            } else {
                int count = 0;
                for (int t = 0; t < n; t++) if (!batch.padding()[i * n + t]) count++;
                float inv = 1f / Math.max(1, count);
                for (int t = 0; t < n; t++) {
                    if (batch.padding()[i * n + t]) continue;
                    for (int c = 0; c < dim; c++) dh[(i * n + t) * dim + c] = dPooled[i * dim + c] * inv;
                }
            }
        }
        backwardHidden(s, dh);
    }

    /** dHidden [batch * n, dim] (the final hidden states' gradient) in; adds into every parameter's gradient. */
    void backwardHidden(Saved s, float[] dh) {
        int rows = s.batch().size() * s.batch().length();
        float[] dx = new float[rows * dim];
        lnFinal.backward(s.lnFinal(), dh, dx);
        for (int l = blocks.size() - 1; l >= 0; l--) blocks.get(l).backward(s.blocks().get(l), dx, dx);
        embedDrop.backward(s.embedDrop(), dx, dx);
        if (shift != null) shift.backward(s.shift(), dx, dx);
        tokens.backward(s.tokens(), dx);
        if (positions != null) positions.backward(s.positions(), dx);
    }
}
