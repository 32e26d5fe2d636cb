package dev.canopy.bert;

import dev.canopy.attention.AttentionSpec;

/**
 * How the encoder's feed-forward runs: {@code dense}, or {@code topk-ffn:k=K}, which keeps per token only the K
 * largest pre-activations of the first linear (the top-k "keys" of Gupta et al.'s memory view of the FFN) and
 * applies GELU and the second linear to those alone.
 */
public record FeedForwardSpec(int k) {
    public static final FeedForwardSpec DENSE = new FeedForwardSpec(0);
    public static final String KNOWN = "dense, topk-ffn:k=K";

    public boolean dense() {
        return k == 0;
    }

    public static FeedForwardSpec parse(String text) {
        AttentionSpec s = AttentionSpec.parse(text);
        return switch (s.name()) {
            case "dense" -> {
                s.allowOnly();
                yield DENSE;
            }
            case "topk-ffn" -> {
                s.allowOnly("k");
                int k = s.intOption("k", -1);
                if (k < 1) throw new IllegalArgumentException("feed-forward '" + text + "' needs k >= 1, e.g. topk-ffn:k=256");
                yield new FeedForwardSpec(k);
            }
            default -> throw new IllegalArgumentException("unknown feed-forward '" + s.name() + "' in '" + text + "'; known: " + KNOWN);
        };
    }

    public String spec() {
        return dense() ? "dense" : "topk-ffn:k=" + k;
    }
}
