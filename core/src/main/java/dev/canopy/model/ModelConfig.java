package dev.canopy.model;

import dev.canopy.bench.JsonLine;
import dev.canopy.io.Json;
import java.util.Map;

/**
 * Shape of an encoder classifier: vocabulary, longest document, width, heads, layers, feed-forward width, the
 * attention by spec string, positions, pooling, classes, dropout, whether it is the two-tower (pair) variant, and
 * whether every layer's attention is causal (position t sees positions <= t only), and whether the embeddings get a
 * token shift ({@link dev.canopy.nn.TokenShift}: each position adds a learned map of its left neighbour's embedding),
 * and the standard deviation of the initial q/k/v projection weights (0.02 by default; about 1/sqrt(dim) lets a narrow
 * model leave the long initial plateau of recall tasks much sooner).
 *
 * <p>Pooling {@link Pooling#TOKENS} is the token-level head: no pooling, the classifier reads each supervised position's
 * final hidden state (tasks with per-position targets).
 */
public record ModelConfig(int vocab, int maxLength, int dim, int heads, int layers, int ffnDim, String attention,
                          Positions positions, Pooling pooling, int classes, float dropout, boolean twoTower, long seed, String ffn,
                          boolean causal, boolean shift, float qkvInit) {

    /** The feed-forward spec of a dense layer; otherwise {@code topk-ffn:k=K} (top-k feed-forward). */
    public static final String DENSE_FFN = "dense";

    /** The default standard deviation of the initial q/k/v projection weights (GPT-2's 0.02). */
    public static final float QKV_INIT = 0.02f;

    /** A bidirectional model without token shift, q/k/v initialised as every other weight. */
    public ModelConfig(int vocab, int maxLength, int dim, int heads, int layers, int ffnDim, String attention,
                       Positions positions, Pooling pooling, int classes, float dropout, boolean twoTower, long seed, String ffn) {
        this(vocab, maxLength, dim, heads, layers, ffnDim, attention, positions, pooling, classes, dropout, twoTower, seed, ffn, false, false, QKV_INIT);
    }

    /** A model with the dense feed-forward. */
    public ModelConfig(int vocab, int maxLength, int dim, int heads, int layers, int ffnDim, String attention,
                       Positions positions, Pooling pooling, int classes, float dropout, boolean twoTower, long seed) {
        this(vocab, maxLength, dim, heads, layers, ffnDim, attention, positions, pooling, classes, dropout, twoTower, seed, DENSE_FFN);
    }

    public enum Positions { LEARNED, SINUSOIDAL }

    /** MEAN and CLS pool a sequence to one vector; TOKENS classifies supervised positions (no pooling). */
    public enum Pooling { MEAN, CLS, TOKENS }

    public ModelConfig {
        if (vocab < 2 || maxLength < 1 || dim < 1 || heads < 1 || layers < 0 || ffnDim < 1 || classes < 2) {
            throw new IllegalArgumentException("model config needs vocab >= 2, maxLength, dim, heads, ffn >= 1, layers >= 0, classes >= 2; got " + describe(vocab, maxLength, dim, heads, layers, ffnDim, classes));
        }
        if (dim % heads != 0) throw new IllegalArgumentException("model width " + dim + " is not divisible by heads " + heads);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        if (attention == null || attention.isBlank()) throw new IllegalArgumentException("model config needs an attention spec");
        if (ffn == null || ffn.isBlank()) ffn = DENSE_FFN;
        if (!ffn.equals(DENSE_FFN)) dev.canopy.nn.TopKFeedForward.Config.parse(ffn); // fail early on a bad spec
        if (pooling == Pooling.TOKENS && twoTower) throw new IllegalArgumentException("the two-tower model classifies pairs; it has no per-position head (pooling tokens)");
        if (causal) CausalAttention.check(attention, pooling);
        if (!(qkvInit > 0) || !Float.isFinite(qkvInit)) throw new IllegalArgumentException("q/k/v init std must be a positive number, got " + qkvInit);
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
        return new ModelConfig(vocab, maxLength, dim, heads, layers, ffnDim, spec, positions, pooling, classes, dropout, twoTower, seed, ffn, causal, shift, qkvInit);
    }

    public ModelConfig withFfn(String spec) {
        return new ModelConfig(vocab, maxLength, dim, heads, layers, ffnDim, attention, positions, pooling, classes, dropout, twoTower, seed, spec, causal, shift, qkvInit);
    }

    public ModelConfig withCausal(boolean on) {
        return new ModelConfig(vocab, maxLength, dim, heads, layers, ffnDim, attention, positions, pooling, classes, dropout, twoTower, seed, ffn, on, shift, qkvInit);
    }

    public ModelConfig withShift(boolean on) {
        return new ModelConfig(vocab, maxLength, dim, heads, layers, ffnDim, attention, positions, pooling, classes, dropout, twoTower, seed, ffn, causal, on, qkvInit);
    }

    public ModelConfig withQkvInit(float std) {
        return new ModelConfig(vocab, maxLength, dim, heads, layers, ffnDim, attention, positions, pooling, classes, dropout, twoTower, seed, ffn, causal, shift, std);
    }

    public String toJson() {
        return new JsonLine().put("vocab", vocab).put("max_length", maxLength).put("dim", dim).put("heads", heads)
                .put("layers", layers).put("ffn_dim", ffnDim).put("attention", attention)
                .put("positions", positions.name().toLowerCase(java.util.Locale.ROOT)).put("pooling", pooling.name().toLowerCase(java.util.Locale.ROOT))
                .put("classes", classes).put("dropout", Float.toString(dropout)).put("two_tower", twoTower).put("seed", seed).put("ffn", ffn).put("causal", causal).put("shift", shift).put("qkv_init", Float.toString(qkvInit)).toString();
    }

    public static ModelConfig fromJson(String json) {
        Map<String, Object> m = Json.parseObject(json);
        try {
            return new ModelConfig(num(m, "vocab"), num(m, "max_length"), num(m, "dim"), num(m, "heads"), num(m, "layers"),
                    num(m, "ffn_dim"), (String) m.get("attention"), Positions.valueOf(((String) m.get("positions")).toUpperCase(java.util.Locale.ROOT)),
                    Pooling.valueOf(((String) m.get("pooling")).toUpperCase(java.util.Locale.ROOT)), num(m, "classes"),
                    Float.parseFloat((String) m.get("dropout")), Boolean.TRUE.equals(m.get("two_tower")), ((Number) m.get("seed")).longValue(),
                    m.get("ffn") instanceof String f ? f : DENSE_FFN, Boolean.TRUE.equals(m.get("causal")), Boolean.TRUE.equals(m.get("shift")),
                    m.get("qkv_init") instanceof String q ? Float.parseFloat(q) : QKV_INIT);
        } catch (ClassCastException | NullPointerException | NumberFormatException e) {
            throw new IllegalArgumentException("model config JSON is missing a field or has a wrong type: " + e.getMessage());
        }
    }

    private static int num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException("model config JSON: '" + key + "' is missing or not a number");
        return n.intValue();
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
            case "tokens" -> Pooling.TOKENS;
            default -> throw new IllegalArgumentException("unknown pooling '" + name + "'; known: mean, cls, tokens");
        };
    }
}
