package dev.canopy.kernels;

/**
 * A float array kept per thread and grown on demand, for scratch too large to allocate on every call (a fresh array
 * of megabytes costs its zeroing, and at tens of megabytes a humongous allocation). What a caller finds in it is
 * whatever the last user on that thread left: write before reading.
 */
public final class ThreadBuffer {
    private final ThreadLocal<float[][]> held = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * This thread's buffer, grown if it is shorter than floats.
     *
     * @param floats the length needed
     * @return an array of at least that length
     */
    public float[] get(int floats) {
        float[][] holder = held.get();
        if (holder[0].length < floats) holder[0] = new float[floats];
        return holder[0];
    }
}
