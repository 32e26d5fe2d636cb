package dev.canopy.model;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionSpec;
import dev.canopy.nn.Pass;
import dev.canopy.attention.tree.KeySample;
import dev.canopy.data.Batch;
import dev.canopy.nn.CounterRng;
import dev.canopy.nn.Gelu;
import dev.canopy.nn.Init;
import dev.canopy.nn.Linear;
import dev.canopy.nn.Parameter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The encoder classifier, and with {@code twoTower} the LRA retrieval variant: both documents go through the same
 * encoder to u and v, and an MLP reads [u, v, u*v, u-v]. Logits [batch, classes].
 *
 * <p>With pooling TOKENS the head is token-level: the same linear head reads the final hidden state of every
 * supervised position of the batch (targets >= 0), and the logits are [supervised positions, classes] in row-major
 * position order; {@link Forward#labels()} gives their targets. Unsupervised positions cost no head work.
 */
public final class EncoderClassifier implements SequenceClassifier {
    private final ModelConfig config;
    private final Encoder encoder;
    private final Linear hidden; // two-tower only: [4 dim] -> [dim]
    private final Gelu gelu = new Gelu(Gelu.Kind.ERF);
    private final Linear head;
    private final Map<String, Parameter> named = new LinkedHashMap<>();

    /**
     * A model with fresh parameters drawn from the config's seed.
     *
     * @param config shape, attention and seed
     */
    public EncoderClassifier(ModelConfig config) {
        this.config = config;
        this.encoder = new Encoder(config, "");
        int d = config.dim();
        if (config.twoTower()) {
            hidden = new Linear("match.hidden", 4 * d, d, true);
            Init.normal(hidden.weight, 0.02f, CounterRng.mix(config.seed(), 7));
        } else {
            hidden = null;
        }
        head = new Linear("head", d, config.classes(), true);
        Init.normal(head.weight, 0.02f, CounterRng.mix(config.seed(), 8));
        rebuildNames();
    }

    private void rebuildNames() {
        named.clear();
        named.putAll(encoder.namedParameters());
        if (hidden != null) for (Parameter p : hidden.parameters()) named.put(p.name, p);
        for (Parameter p : head.parameters()) named.put(p.name, p);
    }

    /**
     * Replaces layer's attention (a Treeformer schedule step); its parameters are named blocks.L.attn.*.
     *
     * @param layer     index of the encoder layer
     * @param attention the new attention
     */
    public void setAttention(int layer, Attention attention) {
        encoder.blocks().get(layer).setAttention(attention);
        encoder.rebuildNames();
        rebuildNames();
    }

    /**
     * What layer's attention was built with (heads, head size, length, seed).
     *
     * @param layer index of the encoder layer
     * @return the setup
     */
    public AttentionSetup attentionSetup(int layer) {
        return encoder.blocks().get(layer).setup;
    }

    /**
     * Keys of every layer on a batch (inference pass of the first tower), each as [heads, rows, headDim] over the
     * unpadded tokens only: what a Treeformer training schedule fits its trees on.
     *
     * @param batch the batch to run
     * @return one sample per layer
     */
    public List<KeySample> sampleKeys(Batch batch) {
        List<EncoderBlock> blocks = encoder.blocks();
        for (EncoderBlock b : blocks) b.captureKeys = true;
        try {
            encoder.forward(batch, Pass.INFERENCE);
        } finally {
            for (EncoderBlock b : blocks) b.captureKeys = false;
        }
        int n = batch.length(), heads = config.heads(), hd = config.headDim();
        boolean[] pad = batch.padding();
        int rows = 0;
        for (boolean p : pad) if (!p) rows++;
        List<KeySample> out = new ArrayList<>();
        for (EncoderBlock b : blocks) {
            float[] k = b.capturedKeys, keys = new float[heads * rows * hd];
            b.capturedKeys = null;
            for (int h = 0; h < heads; h++) {
                int r = 0;
                for (int i = 0; i < batch.size(); i++) {
                    for (int t = 0; t < n; t++) {
                        if (pad[i * n + t]) continue;
                        System.arraycopy(k, ((i * heads + h) * n + t) * hd, keys, (h * rows + r++) * hd, hd);
                    }
                }
            }
            out.add(new KeySample(keys, rows));
        }
        return out;
    }

    /**
     * This model's weights in a model with another attention: every parameter whose name and size match is copied;
     * the new attention's own parameters, if any, keep their fresh initialisation.
     *
     * @param spec the other attention
     * @return a new model; this one is unchanged
     */
    public EncoderClassifier withAttention(AttentionSpec spec) {
        EncoderClassifier other = new EncoderClassifier(config.withAttention(spec));
        named.forEach((name, p) -> {
            Parameter target = other.named.get(name);
            if (target != null && target.size() == p.size()) System.arraycopy(p.data, 0, target.data, 0, p.size());
        });
        return other;
    }

    /** {@return the configuration the model was built from} */
    public ModelConfig config() { return config; }

    @Override public Map<String, Parameter> namedParameters() { return Collections.unmodifiableMap(named); }
    @Override public int classes() { return config.classes(); }
    @Override public boolean clsToken() { return config.pooling() == ModelConfig.Pooling.CLS; }
    @Override public int maxLength() { return config.maxLength(); }
    @Override public boolean splitsBatches() { return attentions().stream().allMatch(dev.canopy.attention.Attention::splitsBatches); }

    /**
     * The attentions of every layer, in order (for reporting what they are and what they cost).
     *
     * @return one attention per layer
     */
    public List<dev.canopy.attention.Attention> attentions() {
        return encoder.blocks().stream().map(b -> b.attention).toList();
    }

    record Saved(float[] logits, int[] labels, int[] positions, Encoder.Saved first, Encoder.Saved second, float[] features, Linear.Saved hidden,
                 dev.canopy.nn.Gelu.Saved gelu, float[] hiddenPre, Linear.Saved head) implements Forward {
        @Override public long attentionFlops() { return first.flops() + (second == null ? 0 : second.flops()); }
        @Override public long attentionBackwardFlops() { return first.backwardFlops() + (second == null ? 0 : second.backwardFlops()); }
        @Override public long attentionWorkingBytes() { return Math.max(first.workingBytes(), second == null ? 0 : second.workingBytes()); }
    }

    @Override
    public Forward forward(Batch batch, Pass pass) {
        if (config.twoTower() != (batch.second() != null)) {
            throw new IllegalArgumentException(config.twoTower() ? "the two-tower model needs paired examples" : "this model takes single documents, the batch has pairs");
        }
        int b = batch.size(), d = config.dim(), c = config.classes();
        boolean tokens = config.pooling() == ModelConfig.Pooling.TOKENS;
        if (tokens != batch.tokenLevel()) {
            throw new IllegalArgumentException(tokens ? "this model classifies positions (pooling tokens); the batch has no per-position targets"
                    : "this model classifies whole sequences; the batch labels positions (use pooling tokens)");
        }
        Encoder.Saved first = encoder.forward(batch, pass);
        if (tokens) {
            int[] at = batch.supervisedPositions();
            int m = at.length;
            float[] rows = new float[m * d], logits = new float[m * c];
            int[] labels = new int[m];
            float[] h = first.hidden();
            for (int r = 0; r < m; r++) {
                System.arraycopy(h, at[r] * d, rows, r * d, d);
                labels[r] = batch.targets()[at[r]];
            }
            Linear.Saved sHead = head.forward(m, rows, logits);
            return new Saved(logits, labels, at, first, null, null, null, null, null, sHead);
        }
        float[] logits = new float[b * c];
        if (!config.twoTower()) {
            Linear.Saved sHead = head.forward(b, first.pooled(), logits);
            return new Saved(logits, batch.labels(), null, first, null, null, null, null, null, sHead);
        }
        Pass secondPass = pass.training() ? Pass.training(CounterRng.mix(pass.seed(), 0x5EC0)) : pass;
        Encoder.Saved second = encoder.forward(batch.second(), secondPass);
        float[] u = first.pooled(), v = second.pooled();
        float[] features = new float[b * 4 * d];
        for (int i = 0; i < b; i++) {
            int f = i * 4 * d, o = i * d;
            for (int j = 0; j < d; j++) {
                features[f + j] = u[o + j];
                features[f + d + j] = v[o + j];
                features[f + 2 * d + j] = u[o + j] * v[o + j];
                features[f + 3 * d + j] = u[o + j] - v[o + j];
            }
        }
        float[] pre = new float[b * d], act = new float[b * d];
        Linear.Saved sHidden = hidden.forward(b, features, pre);
        Gelu.Saved sGelu = gelu.forward(b * d, pre, act);
        Linear.Saved sHead = head.forward(b, act, logits);
        return new Saved(logits, batch.labels(), null, first, second, features, sHidden, sGelu, pre, sHead);
    }

    @Override
    public void backward(Forward forward, float[] dLogits) {
        Saved s = (Saved) forward;
        int b = s.first().batch().size(), d = config.dim();
        if (s.positions() != null) {
            int[] at = s.positions();
            float[] dRows = new float[at.length * d];
            head.backward(s.head(), dLogits, dRows);
            Batch batch = s.first().batch();
            float[] dh = new float[batch.size() * batch.length() * d];
            for (int r = 0; r < at.length; r++) System.arraycopy(dRows, r * d, dh, at[r] * d, d);
            encoder.backwardHidden(s.first(), dh);
            return;
        }
        if (!config.twoTower()) {
            float[] dPooled = new float[b * d];
            head.backward(s.head(), dLogits, dPooled);
            encoder.backward(s.first(), dPooled);
            return;
        }
        float[] dAct = new float[b * d];
        head.backward(s.head(), dLogits, dAct);
        gelu.backward(s.gelu(), dAct, dAct);
        float[] dFeatures = new float[b * 4 * d];
        hidden.backward(s.hidden(), dAct, dFeatures);
        float[] u = s.first().pooled(), v = s.second().pooled();
        float[] du = new float[b * d], dv = new float[b * d];
        for (int i = 0; i < b; i++) {
            int f = i * 4 * d, o = i * d;
            for (int j = 0; j < d; j++) {
                float gu = dFeatures[f + j], gv = dFeatures[f + d + j], gp = dFeatures[f + 2 * d + j], gm = dFeatures[f + 3 * d + j];
                du[o + j] = gu + gp * v[o + j] + gm;
                dv[o + j] = gv + gp * u[o + j] - gm;
            }
        }
        encoder.backward(s.first(), du);
        encoder.backward(s.second(), dv);
    }
}
