package dev.canopy.nn;

/**
 * What kind of forward pass this is. Dropout is active only in training; the seed names the pass so a
 * recomputation (or a backward) draws exactly the same dropout mask from the counter-based generator.
 *
 * @param training whether dropout is active
 * @param seed     names the pass for counter-based dropout
 */
public record Pass(boolean training, long seed) {
    /** No dropout. */
    public static final Pass INFERENCE = new Pass(false, 0L);

    /**
     * A training pass.
     *
     * @param seed names the pass; the same seed draws the same dropout masks
     * @return the pass
     */
    public static Pass training(long seed) {
        return new Pass(true, seed);
    }
}
