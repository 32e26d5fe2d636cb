package dev.canopy.bert;

import dev.canopy.nn.TopKFeedForward;
import java.util.Locale;

/**
 * How the encoder's feed-forward runs: {@code dense}, or {@code topk-ffn:k=K[,chunk=C]} ({@link TopKFeedForward}: per
 * token only the K largest pre-activations of the first linear are kept, activated and mixed by the second).
 *
 * @param topk null for dense
 */
public record FeedForwardSpec(TopKFeedForward.Config topk) {
    /** The pretrained model's own feed-forward. */
    public static final FeedForwardSpec DENSE = new FeedForwardSpec(null);
    /** The forms parse accepts, for messages. */
    public static final String KNOWN = "dense, topk-ffn:k=K[,chunk=C]";

    /** {@return true for the dense feed-forward} */
    public boolean dense() {
        return topk == null;
    }

    /**
     * Parses a spec.
     *
     * @param text {@code dense} or {@code topk-ffn:k=K[,chunk=C]}
     * @return the spec
     * @throws IllegalArgumentException for an unknown kind or option
     */
    public static FeedForwardSpec parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("feed-forward spec is empty; known: " + KNOWN);
        String t = text.trim();
        if (t.equalsIgnoreCase("dense")) return DENSE;
        if (!t.toLowerCase(Locale.ROOT).startsWith("topk-ffn")) {
            throw new IllegalArgumentException("unknown feed-forward '" + t + "'; known: " + KNOWN);
        }
        TopKFeedForward.Config c = TopKFeedForward.Config.parse(t);
        if (c.activation() != TopKFeedForward.Activation.GELU) {
            throw new IllegalArgumentException("feed-forward '" + t + "': BERT uses act=gelu, a pretrained model cannot switch to " + c.activation());
        }
        return new FeedForwardSpec(c);
    }

    /** {@return the spec as text, which parses back to this} */
    public String spec() {
        return dense() ? "dense" : topk.spec();
    }
}
