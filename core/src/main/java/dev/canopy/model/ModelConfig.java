package dev.canopy.model;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.io.Json;
import dev.canopy.io.JsonLine;
import dev.canopy.nn.TopKFeedForward;
import java.util.Locale;
import java.util.Map;

/**
 * Shape of an encoder classifier: vocabulary, longest document, width, heads, layers, feed-forward width, the
 * attention, positions, pooling, classes, dropout, whether it is the two-tower (pair) variant, the initialisation
 * seed and the feed-forward kind. Build one with {@link #builder}; every field not set keeps the default below.
 *
 * @param vocab     token ids run from 0 to vocab - 1
 * @param maxLength tokens per document, [CLS] not counted
 * @param dim       model width
 * @param heads     attention heads
 * @param layers    encoder layers
 * @param ffnDim    hidden width of the dense feed-forward
 * @param attention the attention of every layer
 * @param positions learned or sinusoidal position embeddings
 * @param pooling   mean over tokens, or the [CLS] token
 * @param classes   classes the head scores
 * @param dropout   dropout probability, in [0, 1)
 * @param twoTower  whether the model compares two documents (one shared encoder)
 * @param seed      seed of the initialisation
 * @param ffn       {@value #DENSE_FFN} or a top-k feed-forward spec
 */
public record ModelConfig(int vocab, int maxLength, int dim, int heads, int layers, int ffnDim, AttentionSpec attention,
                          Positions positions, Pooling pooling, int classes, float dropout, boolean twoTower, long seed, String ffn) {

    /** The feed-forward spec of a dense layer; otherwise {@code topk-ffn:k=K} (top-k feed-forward). */
    public static final String DENSE_FFN = "dense";

    /** How token positions are encoded. */
    public enum Positions {
        /** A trained embedding per position. */
        LEARNED,
        /** Fixed sines and cosines (Vaswani et al.). */
        SINUSOIDAL
    }

    /** How the tokens become one vector for the head. */
    public enum Pooling {
        /** The mean over the document's tokens. */
        MEAN,
        /** The hidden state of a [CLS] token put in front. */
        CLS
    }

    /**
     * Checks every field; a blank feed-forward means dense.
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
    }

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
                .positions(positions).pooling(pooling).dropout(dropout).twoTower(twoTower).seed(seed).ffn(ffn);
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
                .put("classes", classes).put("dropout", Float.toString(dropout)).put("two_tower", twoTower).put("seed", seed).put("ffn", ffn).toString();
    }

    /**
     * Reads what {@link #toJson()} wrote.
     *
     * @param json a JSON object
     * @return the config
     * @throws IllegalArgumentException if a field is missing or invalid
     */
    public static ModelConfig fromJson(String json) {
        Map<String, Object> m = Json.parseObject(json);
        try {
            return builder(num(m, "vocab"), num(m, "max_length"), num(m, "classes")).dim(num(m, "dim")).heads(num(m, "heads"))
                    .layers(num(m, "layers")).ffnDim(num(m, "ffn_dim")).attention(Attentions.parse((String) m.get("attention")))
                    .positions(positions((String) m.get("positions"))).pooling(pooling((String) m.get("pooling")))
                    .dropout(Float.parseFloat((String) m.get("dropout"))).twoTower(Boolean.TRUE.equals(m.get("two_tower")))
                    .seed(((Number) m.get("seed")).longValue()).ffn(m.get("ffn") instanceof String f ? f : DENSE_FFN).build();
        } catch (ClassCastException | NullPointerException | NumberFormatException e) {
            throw new IllegalArgumentException("model config JSON is missing a field or has a wrong type: " + e.getMessage());
        }
    }

    private static int num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException("model config JSON: '" + key + "' is missing or not a number");
        return n.intValue();
    }

    /**
     * Positions by name.
     *
     * @param name {@code learned} or {@code sinusoidal}
     * @return the kind
     * @throws IllegalArgumentException for another name
     */
    public static Positions positions(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "learned" -> Positions.LEARNED;
            case "sinusoidal" -> Positions.SINUSOIDAL;
            default -> throw new IllegalArgumentException("unknown positions '" + name + "'; known: learned, sinusoidal");
        };
    }

    /**
     * Pooling by name.
     *
     * @param name {@code mean} or {@code cls}
     * @return the kind
     * @throws IllegalArgumentException for another name
     */
    public static Pooling pooling(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "mean" -> Pooling.MEAN;
            case "cls" -> Pooling.CLS;
            default -> throw new IllegalArgumentException("unknown pooling '" + name + "'; known: mean, cls");
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
         * @param v mean or CLS
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
         * Checks every setting.
         *
         * @return the config
         * @throws IllegalArgumentException naming the setting at fault
         */
        public ModelConfig build() {
            return new ModelConfig(vocab, maxLength, dim, heads, layers, ffnDim, attention, positions, pooling, classes, dropout, twoTower, seed, ffn);
        }
    }
}
