package dev.canopy.model;

import dev.canopy.bench.JsonLine;
import dev.canopy.io.JsonFields;

/**
 * Shape of an encoder classifier: vocabulary, longest document, width, heads, layers, feed-forward width, the
 * attention by spec string, positions, pooling, classes, dropout, and whether it is the two-tower (pair) variant.
 */
public record ModelConfig(int vocab, int maxLength, int dim, int heads, int layers, int ffnDim, String attention,
                          Positions positions, Pooling pooling, int classes, float dropout, boolean twoTower, long seed, String ffn) {

    /** The feed-forward spec of a dense layer; otherwise {@code topk-ffn:k=K} (top-k feed-forward). */
    public static final String DENSE_FFN = "dense";

    /** A model with the dense feed-forward. */
    public ModelConfig(int vocab, int maxLength, int dim, int heads, int layers, int ffnDim, String attention,
                       Positions positions, Pooling pooling, int classes, float dropout, boolean twoTower, long seed) {
        this(vocab, maxLength, dim, heads, layers, ffnDim, attention, positions, pooling, classes, dropout, twoTower, seed, DENSE_FFN);
    }

    public enum Positions { LEARNED, SINUSOIDAL }

    public enum Pooling { MEAN, CLS }

    public ModelConfig {
        if (vocab < 2 || maxLength < 1 || dim < 1 || heads < 1 || layers < 0 || ffnDim < 1 || classes < 2) {
            throw new IllegalArgumentException("model config needs vocab >= 2, maxLength, dim, heads, ffn >= 1, layers >= 0, classes >= 2; got " + describe(vocab, maxLength, dim, heads, layers, ffnDim, classes));
        }
        if (dim % heads != 0) throw new IllegalArgumentException("model width " + dim + " is not divisible by heads " + heads);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        if (attention == null || attention.isBlank()) throw new IllegalArgumentException("model config needs an attention spec");
        if (ffn == null || ffn.isBlank()) ffn = DENSE_FFN;
        if (!ffn.equals(DENSE_FFN)) dev.canopy.nn.TopKFeedForward.Config.parse(ffn); // fail early on a bad spec
    }

    private static String describe(int vocab, int maxLength, int dim, int heads, int layers, int ffnDim, int classes) {
        return "vocab=" + vocab + " maxLength=" + maxLength + " dim=" + dim + " heads=" + heads + " layers=" + layers + " ffn=" + ffnDim + " classes=" + classes;
    }

    public int headDim() {
        return dim / heads;
    }

    /** Sequence length the attention sees: the document plus [CLS] when pooling on it. */
    public int tokensPerSequence() {
        return maxLength + (pooling == Pooling.CLS ? 1 : 0);
    }

    public ModelConfig withAttention(String spec) {
        return new ModelConfig(vocab, maxLength, dim, heads, layers, ffnDim, spec, positions, pooling, classes, dropout, twoTower, seed, ffn);
    }

    public ModelConfig withFfn(String spec) {
        return new ModelConfig(vocab, maxLength, dim, heads, layers, ffnDim, attention, positions, pooling, classes, dropout, twoTower, seed, spec);
    }

    public String toJson() {
        return new JsonLine().put("vocab", vocab).put("max_length", maxLength).put("dim", dim).put("heads", heads)
                .put("layers", layers).put("ffn_dim", ffnDim).put("attention", attention)
                .put("positions", positions.name().toLowerCase(java.util.Locale.ROOT)).put("pooling", pooling.name().toLowerCase(java.util.Locale.ROOT))
                .put("classes", classes).put("dropout", Float.toString(dropout)).put("two_tower", twoTower).put("seed", seed).put("ffn", ffn).toString();
    }

    public static ModelConfig fromJson(String json) {
        return JsonFields.parse(json, "model config JSON").as(ModelConfig::fromJson);
    }

    /** Reads {@link #toJson()}'s fields; a problem names the file (use through {@link JsonFields#as}). */
    public static ModelConfig fromJson(JsonFields m) {
        return new ModelConfig(m.integer("vocab"), m.integer("max_length"), m.integer("dim"), m.integer("heads"), m.integer("layers"),
                m.integer("ffn_dim"), m.string("attention"), positions(m.string("positions")), pooling(m.string("pooling")), m.integer("classes"),
                m.real32("dropout"), m.bool("two_tower", false), m.longValue("seed"), m.string("ffn", DENSE_FFN));
    }

    public static Positions positions(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "learned" -> Positions.LEARNED;
            case "sinusoidal" -> Positions.SINUSOIDAL;
            default -> throw new IllegalArgumentException("unknown positions '" + name + "'; known: learned, sinusoidal");
        };
    }

    public static Pooling pooling(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "mean" -> Pooling.MEAN;
            case "cls" -> Pooling.CLS;
            default -> throw new IllegalArgumentException("unknown pooling '" + name + "'; known: mean, cls");
        };
    }
}
