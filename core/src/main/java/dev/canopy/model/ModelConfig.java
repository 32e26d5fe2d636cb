package dev.canopy.model;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.io.JsonFields;
import dev.canopy.io.JsonLine;
import dev.canopy.nn.TopKFeedForward;
import java.util.Locale;

/**
 * Shape of an encoder classifier: vocabulary, longest document, width, heads, layers, feed-forward width, the
 * attention, positions, pooling, classes, dropout, whether it is the two-tower (pair) variant, the initialisation
 * seed and the feed-forward kind; whether every layer's attention is causal (position t sees positions &lt;= t only),
 * whether the embeddings get a token shift ({@link dev.canopy.nn.TokenShift}: each position adds a learned map of its
 * left neighbour's embedding), and the standard deviation of the initial q/k/v weights (0.02 by default; about
 * 1/sqrt(dim) lets a narrow model leave the long initial plateau of recall tasks much sooner). Build one with
 * {@link #builder}; every field not set keeps the default below.
 *
 * <p>Pooling {@link Pooling#TOKENS} is the token-level head: no pooling, the classifier reads each supervised
 * position's final hidden state (tasks with per-position targets).
 */
public record ModelConfig(int vocab, int maxLength, int dim, int heads, int layers, int ffnDim, AttentionSpec attention,
                          Positions positions, Pooling pooling, int classes, float dropout, boolean twoTower, long seed, String ffn,
                          boolean causal, boolean shift, float qkvInit) {

    /** The feed-forward spec of a dense layer; otherwise {@code topk-ffn:k=K} (top-k feed-forward). */
    public static final String DENSE_FFN = "dense";

    public enum Positions { LEARNED, SINUSOIDAL }

    /** The default standard deviation of the initial q/k/v projection weights (GPT-2's 0.02). */
    public static final float QKV_INIT = 0.02f;

    /** MEAN and CLS pool a sequence to one vector; TOKENS classifies supervised positions (no pooling). */
    public enum Pooling { MEAN, CLS, TOKENS }

    public ModelConfig {
        if (vocab < 2 || maxLength < 1 || dim < 1 || heads < 1 || layers < 0 || ffnDim < 1 || classes < 2) {
            throw new IllegalArgumentException("model config needs vocab >= 2, maxLength, dim, heads, ffn >= 1, layers >= 0, classes >= 2; got vocab=" + vocab
                    + " maxLength=" + maxLength + " dim=" + dim + " heads=" + heads + " layers=" + layers + " ffn=" + ffnDim + " classes=" + classes);
        }
        if (dim % heads != 0) throw new IllegalArgumentException("model width " + dim + " is not divisible by heads " + heads);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        if (attention == null) throw new IllegalArgumentException("model config needs an attention");
        if (ffn == null || ffn.isBlank()) ffn = DENSE_FFN;
        if (!ffn.equals(DENSE_FFN)) TopKFeedForward.Config.parse(ffn); // fail early on a bad spec
        if (pooling == Pooling.TOKENS && twoTower) throw new IllegalArgumentException("the two-tower model classifies pairs; it has no per-position head (pooling tokens)");
        if (causal && pooling == Pooling.CLS) throw new IllegalArgumentException("a causal model cannot pool on [CLS] (position 0 sees only itself); use pooling mean or tokens");
        if (causal && !attention.family().causal()) {
            throw new IllegalArgumentException("attention " + attention.name() + " cannot be causal (" + attention.family().summary() + "); use one of " + CAUSAL_ATTENTIONS);
        }
        if (!(qkvInit > 0) || !Float.isFinite(qkvInit)) throw new IllegalArgumentException("q/k/v init std must be a positive number, got " + qkvInit);
    }

    private static final String CAUSAL_ATTENTIONS = String.join(", ", Attentions.FAMILIES.stream().filter(f -> f.causal()).map(f -> f.name()).toList());

    /** A config with the defaults: width 64, 4 heads, 2 layers, FFN 128, exact attention, learned positions, mean pooling. */
    public static Builder builder(int vocab, int maxLength, int classes) {
        return new Builder(vocab, maxLength, classes);
    }

    public Builder toBuilder() {
        return new Builder(vocab, maxLength, classes).dim(dim).heads(heads).layers(layers).ffnDim(ffnDim).attention(attention)
                .positions(positions).pooling(pooling).dropout(dropout).twoTower(twoTower).seed(seed).ffn(ffn).causal(causal).shift(shift).qkvInit(qkvInit);
    }

    public int headDim() {
        return dim / heads;
    }

    /** Sequence length the attention sees: the document plus [CLS] when pooling on it. */
    public int tokensPerSequence() {
        return maxLength + (pooling == Pooling.CLS ? 1 : 0);
    }

    public ModelConfig withAttention(AttentionSpec spec) {
        return toBuilder().attention(spec).build();
    }

    public String toJson() {
        return new JsonLine().put("vocab", vocab).put("max_length", maxLength).put("dim", dim).put("heads", heads)
                .put("layers", layers).put("ffn_dim", ffnDim).put("attention", attention.toString())
                .put("positions", positions.name().toLowerCase(Locale.ROOT)).put("pooling", pooling.name().toLowerCase(Locale.ROOT))
                .put("classes", classes).put("dropout", Float.toString(dropout)).put("two_tower", twoTower).put("seed", seed).put("ffn", ffn)
                .put("causal", causal).put("shift", shift).put("qkv_init", Float.toString(qkvInit)).toString();
    }

    public static ModelConfig fromJson(String json) {
        return JsonFields.parse(json, "model config JSON").as(ModelConfig::fromJson);
    }

    /** Reads {@link #toJson()}'s fields; a problem names the file (use through {@link JsonFields#as}). */
    public static ModelConfig fromJson(JsonFields m) {
        return builder(m.integer("vocab"), m.integer("max_length"), m.integer("classes")).dim(m.integer("dim")).heads(m.integer("heads"))
                .layers(m.integer("layers")).ffnDim(m.integer("ffn_dim")).attention(Attentions.parse(m.string("attention")))
                .positions(positions(m.string("positions"))).pooling(pooling(m.string("pooling"))).dropout(m.real32("dropout"))
                .twoTower(m.bool("two_tower", false)).seed(m.longValue("seed")).ffn(m.string("ffn", DENSE_FFN))
                .causal(m.bool("causal", false)).shift(m.bool("shift", false))
                .qkvInit(m.has("qkv_init") ? Float.parseFloat(m.string("qkv_init")) : QKV_INIT).build();
    }

    public static Positions positions(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "learned" -> Positions.LEARNED;
            case "sinusoidal" -> Positions.SINUSOIDAL;
            default -> throw new IllegalArgumentException("unknown positions '" + name + "'; known: learned, sinusoidal");
        };
    }

    public static Pooling pooling(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "mean" -> Pooling.MEAN;
            case "cls" -> Pooling.CLS;
            case "tokens" -> Pooling.TOKENS;
            default -> throw new IllegalArgumentException("unknown pooling '" + name + "'; known: mean, cls, tokens");
        };
    }

    /** Named settings over the defaults; {@link #build} checks them all. */
    public static final class Builder {
        private final int vocab, maxLength, classes;
        private int dim = 64, heads = 4, layers = 2, ffnDim = 128;
        private AttentionSpec attention = Attentions.parse("exact");
        private Positions positions = Positions.LEARNED;
        private Pooling pooling = Pooling.MEAN;
        private float dropout = 0f;
        private boolean twoTower = false;
        private long seed = 1;
        private String ffn = DENSE_FFN;
        private boolean causal = false, shift = false;
        private float qkvInit = QKV_INIT;

        private Builder(int vocab, int maxLength, int classes) {
            this.vocab = vocab;
            this.maxLength = maxLength;
            this.classes = classes;
        }

        public Builder dim(int v) { dim = v; return this; }
        public Builder heads(int v) { heads = v; return this; }
        public Builder layers(int v) { layers = v; return this; }
        public Builder ffnDim(int v) { ffnDim = v; return this; }
        public Builder attention(AttentionSpec v) { attention = v; return this; }
        public Builder attention(String spec) { attention = Attentions.parse(spec); return this; }
        public Builder positions(Positions v) { positions = v; return this; }
        public Builder pooling(Pooling v) { pooling = v; return this; }
        public Builder dropout(float v) { dropout = v; return this; }
        public Builder twoTower(boolean v) { twoTower = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        /** {@code dense} or {@code topk-ffn:k=K[,chunk=C][,act=gelu|relu]}. */
        public Builder ffn(String v) { ffn = v; return this; }
        public Builder causal(boolean v) { causal = v; return this; }
        public Builder shift(boolean v) { shift = v; return this; }
        public Builder qkvInit(float v) { qkvInit = v; return this; }

        public ModelConfig build() {
            return new ModelConfig(vocab, maxLength, dim, heads, layers, ffnDim, attention, positions, pooling, classes, dropout, twoTower, seed, ffn,
                    causal, shift, qkvInit);
        }
    }
}
