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
 *
 * @param vocab     token ids run from 0 to vocab - 1
 * @param maxLength tokens per document, [CLS] not counted
 * @param dim       model width
 * @param heads     attention heads
 * @param layers    encoder layers
 * @param ffnDim    hidden width of the dense feed-forward
 * @param attention the attention of every layer
 * @param positions learned or sinusoidal position embeddings, or rotary positions inside attention
 * @param pooling   mean over tokens, the [CLS] token, or per position
 * @param classes   classes the head scores
 * @param dropout   dropout probability, in [0, 1)
 * @param twoTower  whether the model compares two documents (one shared encoder)
 * @param seed      seed of the initialisation
 * @param ffn       {@value #DENSE_FFN} or a top-k feed-forward spec
 * @param causal    whether position t sees positions up to t only
 * @param shift     whether the embeddings get a token shift
 * @param qkvInit   standard deviation of the initial q/k/v weights
 */
public record ModelConfig(int vocab, int maxLength, int dim, int heads, int layers, int ffnDim, AttentionSpec attention,
                          Positions positions, Pooling pooling, int classes, float dropout, boolean twoTower, long seed, String ffn,
                          boolean causal, boolean shift, float qkvInit) {

    /** The feed-forward spec of a dense layer; otherwise {@code topk-ffn:k=K} (top-k feed-forward). */
    public static final String DENSE_FFN = "dense";

    /** How token positions are encoded. */
    public enum Positions {
        /** A trained embedding per position. */
        LEARNED,
        /** Fixed sines and cosines (Vaswani et al.). */
        SINUSOIDAL,
        /** Rotary: queries and keys rotated by their position ({@link dev.canopy.nn.Rope}); no table caps the length. */
        ROTARY
    }

    /** The default standard deviation of the initial q/k/v projection weights (GPT-2's 0.02). */
    public static final float QKV_INIT = 0.02f;

    /** MEAN and CLS pool a sequence to one vector; TOKENS classifies supervised positions (no pooling). */
    public enum Pooling {
        /** The mean over the document's tokens. */
        MEAN,
        /** The hidden state of a [CLS] token put in front. */
        CLS,
        /** No pooling: each supervised position is classified. */
        TOKENS
    }

    /**
     * Checks every field and their combinations; a blank feed-forward means dense.
     *
     * @throws IllegalArgumentException naming the field at fault
     */
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
        if (positions == Positions.ROTARY && (dim / heads) % 2 != 0) throw new IllegalArgumentException("rotary positions need an even head width; width " + dim + " / heads " + heads + " is odd");
        if (!(qkvInit > 0) || !Float.isFinite(qkvInit)) throw new IllegalArgumentException("q/k/v init std must be a positive number, got " + qkvInit);
    }

    private static final String CAUSAL_ATTENTIONS = String.join(", ", Attentions.FAMILIES.stream().filter(f -> f.causal()).map(f -> f.name()).toList());

    /**
     * A config with the defaults: width 64, 4 heads, 2 layers, FFN 128, exact attention, learned positions, mean pooling.
     *
     * @param vocab     token ids run from 0 to vocab - 1
     * @param maxLength tokens per document
     * @param classes   classes the head scores
     * @return a builder with the defaults
     */
    public static Builder builder(int vocab, int maxLength, int classes) {
        return new Builder(vocab, maxLength, classes);
    }

    /** {@return a builder holding this config's values} */
    public Builder toBuilder() {
        return new Builder(vocab, maxLength, classes).dim(dim).heads(heads).layers(layers).ffnDim(ffnDim).attention(attention)
                .positions(positions).pooling(pooling).dropout(dropout).twoTower(twoTower).seed(seed).ffn(ffn).causal(causal).shift(shift).qkvInit(qkvInit);
    }

    /** {@return width of each head: dim / heads} */
    public int headDim() {
        return dim / heads;
    }

    /**
     * Sequence length the attention sees: the document plus [CLS] when pooling on it.
     *
     * @return maxLength, plus one with CLS pooling
     */
    public int tokensPerSequence() {
        return maxLength + (pooling == Pooling.CLS ? 1 : 0);
    }

    /**
     * This config with another attention.
     *
     * @param spec the attention
     * @return the new config
     */
    public ModelConfig withAttention(AttentionSpec spec) {
        return toBuilder().attention(spec).build();
    }

    /** {@return this config as one JSON object, as run directories store it} */
    public String toJson() {
        return new JsonLine().put("vocab", vocab).put("max_length", maxLength).put("dim", dim).put("heads", heads)
                .put("layers", layers).put("ffn_dim", ffnDim).put("attention", attention.toString())
                .put("positions", positions.name().toLowerCase(Locale.ROOT)).put("pooling", pooling.name().toLowerCase(Locale.ROOT))
                .put("classes", classes).put("dropout", Float.toString(dropout)).put("two_tower", twoTower).put("seed", seed).put("ffn", ffn)
                .put("causal", causal).put("shift", shift).put("qkv_init", Float.toString(qkvInit)).toString();
    }

    /**
     * Reads what {@link #toJson()} wrote.
     *
     * @param json a JSON object
     * @return the config
     * @throws IllegalArgumentException if a field is missing or invalid
     */
    public static ModelConfig fromJson(String json) {
        return JsonFields.parse(json, "model config JSON").as(ModelConfig::fromJson);
    }

    /**
     * Reads {@link #toJson()}'s fields; a problem names the file (use through {@link JsonFields#as}).
     *
     * @param m the parsed fields
     * @return the config
     */
    public static ModelConfig fromJson(JsonFields m) {
        return builder(m.integer("vocab"), m.integer("max_length"), m.integer("classes")).dim(m.integer("dim")).heads(m.integer("heads"))
                .layers(m.integer("layers")).ffnDim(m.integer("ffn_dim")).attention(Attentions.parse(m.string("attention")))
                .positions(positions(m.string("positions"))).pooling(pooling(m.string("pooling"))).dropout(m.real32("dropout"))
                .twoTower(m.bool("two_tower", false)).seed(m.longValue("seed")).ffn(m.string("ffn", DENSE_FFN))
                .causal(m.bool("causal", false)).shift(m.bool("shift", false))
                .qkvInit(m.has("qkv_init") ? Float.parseFloat(m.string("qkv_init")) : QKV_INIT).build();
    }

    /**
     * Positions by name.
     *
     * @param name {@code learned}, {@code sinusoidal} or {@code rotary}
     * @return the kind
     * @throws IllegalArgumentException for another name
     */
    public static Positions positions(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "learned" -> Positions.LEARNED;
            case "sinusoidal" -> Positions.SINUSOIDAL;
            case "rotary" -> Positions.ROTARY;
            default -> throw new IllegalArgumentException("unknown positions '" + name + "'; known: learned, sinusoidal, rotary");
        };
    }

    /**
     * Pooling by name.
     *
     * @param name {@code mean}, {@code cls} or {@code tokens}
     * @return the kind
     * @throws IllegalArgumentException for another name
     */
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

        /**
         * Model width.
         *
         * @param v the width
         * @return this builder
         */
        public Builder dim(int v) { dim = v; return this; }
        /**
         * Attention heads.
         *
         * @param v the heads
         * @return this builder
         */
        public Builder heads(int v) { heads = v; return this; }
        /**
         * Encoder layers.
         *
         * @param v the layers
         * @return this builder
         */
        public Builder layers(int v) { layers = v; return this; }
        /**
         * Hidden width of the dense feed-forward.
         *
         * @param v the width
         * @return this builder
         */
        public Builder ffnDim(int v) { ffnDim = v; return this; }
        /**
         * The attention of every layer.
         *
         * @param v a parsed spec
         * @return this builder
         */
        public Builder attention(AttentionSpec v) { attention = v; return this; }
        /**
         * The attention of every layer.
         *
         * @param spec an attention spec
         * @return this builder
         */
        public Builder attention(String spec) { attention = Attentions.parse(spec); return this; }
        /**
         * Position embeddings.
         *
         * @param v learned or sinusoidal
         * @return this builder
         */
        public Builder positions(Positions v) { positions = v; return this; }
        /**
         * Pooling for the head.
         *
         * @param v mean, CLS or tokens
         * @return this builder
         */
        public Builder pooling(Pooling v) { pooling = v; return this; }
        /**
         * Dropout probability.
         *
         * @param v in [0, 1)
         * @return this builder
         */
        public Builder dropout(float v) { dropout = v; return this; }
        /**
         * Whether the model compares two documents.
         *
         * @param v true for the two-tower variant
         * @return this builder
         */
        public Builder twoTower(boolean v) { twoTower = v; return this; }
        /**
         * Seed of the initialisation.
         *
         * @param v the seed
         * @return this builder
         */
        public Builder seed(long v) { seed = v; return this; }
        /**
         * {@code dense} or {@code topk-ffn:k=K[,chunk=C][,act=gelu|relu]}.
         *
         * @param v the feed-forward spec
         * @return this builder
         */
        public Builder ffn(String v) { ffn = v; return this; }
        /**
         * Whether every layer's attention is causal.
         *
         * @param v true for a causal model
         * @return this builder
         */
        public Builder causal(boolean v) { causal = v; return this; }
        /**
         * Whether the embeddings get a token shift.
         *
         * @param v true to add it
         * @return this builder
         */
        public Builder shift(boolean v) { shift = v; return this; }
        /**
         * Standard deviation of the initial q/k/v weights.
         *
         * @param v a positive number
         * @return this builder
         */
        public Builder qkvInit(float v) { qkvInit = v; return this; }

        /**
         * Checks every setting.
         *
         * @return the config
         * @throws IllegalArgumentException naming the setting at fault
         */
        public ModelConfig build() {
            return new ModelConfig(vocab, maxLength, dim, heads, layers, ffnDim, attention, positions, pooling, classes, dropout, twoTower, seed, ffn,
                    causal, shift, qkvInit);
        }
    }
}
