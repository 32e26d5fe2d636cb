package dev.canopy.nn;

/**
 * What kind of forward pass this is. Dropout is active only in training; the seed names the pass so a
 * recomputation (or a backward) draws exactly the same dropout mask from the counter-based generator.
 */
public record Pass(boolean training, long seed) {
    public static final Pass INFERENCE = new Pass(false, 0L);

    public static Pass training(long seed) {
        return new Pass(true, seed);
    }
}
