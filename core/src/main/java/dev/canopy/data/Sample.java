package dev.canopy.data;

/**
 * One labelled example: a token sequence, and for two-document tasks a second one (null otherwise).
 * Token ids exclude [CLS]; the model adds it when it pools on it.
 */
public record Sample(int[] tokens, int[] second, int label) {
    public Sample(int[] tokens, int label) {
        this(tokens, null, label);
    }

    public boolean isPair() {
        return second != null;
    }
}
