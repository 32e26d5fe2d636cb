package dev.canopy.data;

/**
 * One labelled example: a token sequence, and for two-document tasks a second one (null otherwise).
 * Token ids exclude [CLS]; the model adds it when it pools on it.
 *
 * <p>Token-level tasks label positions instead of the sequence: {@code targets} has one entry per token, the class
 * that position must predict, or {@link #UNSUPERVISED} (-1) where nothing is asked; {@code label} is then unused (0).
 * Sequence-level examples have {@code targets == null}.
 */
public record Sample(int[] tokens, int[] second, int label, int[] targets) {
    /** A target that asks nothing of its position. */
    public static final int UNSUPERVISED = -1;

    public Sample {
        if (targets != null) {
            if (second != null) throw new IllegalArgumentException("a paired example cannot carry per-position targets");
            if (targets.length != tokens.length) throw new IllegalArgumentException("per-position targets have " + targets.length + " entries for " + tokens.length + " tokens");
        }
    }

    public Sample(int[] tokens, int label) {
        this(tokens, null, label, null);
    }

    public Sample(int[] tokens, int[] second, int label) {
        this(tokens, second, label, null);
    }

    /** A token-level example: targets[t] is what position t must predict, or -1. */
    public static Sample positions(int[] tokens, int[] targets) {
        return new Sample(tokens, null, 0, targets);
    }

    public boolean isPair() {
        return second != null;
    }

    public boolean tokenLevel() {
        return targets != null;
    }
}
