package dev.canopy.nn;

/**
 * A counter-based random generator: the value for (seed, index) is a pure hash, so any pass can be replayed
 * exactly (dropout masks in a backward or a recomputed chunk) without storing the mask or generator state.
 */
public final class CounterRng {
    private CounterRng() {}

    /**
     * A well-mixed 64-bit hash of (seed, index) (SplitMix64 finaliser over a Weyl step).
     *
     * @param seed  the stream
     * @param index the position in it
     * @return 64 well-mixed bits
     */
    public static long hash(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xD1B54A32D192ED03L + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Uniform in [0, 1) with 24 random bits.
     *
     * @param seed  the stream
     * @param index the position in it
     * @return a value in [0, 1)
     */
    public static float uniform(long seed, long index) {
        return (hash(seed, index) >>> 40) * 0x1.0p-24f;
    }

    /**
     * Dropout decision: true when the element at index survives a drop probability of p.
     *
     * @param seed  the stream
     * @param index the element
     * @param p     the drop probability
     * @return true if the element is kept
     */
    public static boolean keep(long seed, long index, float p) {
        return uniform(seed, index) >= p;
    }

    /**
     * Derives an independent stream seed, e.g. per layer: mix(runSeed, layerId).
     *
     * @param seed   the run's seed
     * @param stream a number naming the user, e.g. a layer
     * @return the derived seed
     */
    public static long mix(long seed, long stream) {
        return hash(seed ^ 0x5DEECE66DL, stream);
    }

    /**
     * A standard normal sample for (seed, index) by Box-Muller over two hashed uniforms.
     *
     * @param seed  the stream
     * @param index the position in it
     * @return a sample of N(0, 1)
     */
    public static float gaussian(long seed, long index) {
        double u1 = ((hash(seed, 2 * index) >>> 11) + 1) * 0x1.0p-53;
        double u2 = (hash(seed, 2 * index + 1) >>> 11) * 0x1.0p-53;
        return (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
    }
}
