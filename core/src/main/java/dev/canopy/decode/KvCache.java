package dev.canopy.decode;

/**
 * The keys and values a causal model has produced, per layer and head, in arrays allocated once for {@code capacity}
 * positions: keys[layer] and values[layer] are [heads, capacity, headDim]. Position p lives in slot p mod capacity, so
 * once full the cache is a ring holding the last {@code capacity} positions (a sliding window; with rotary positions the
 * keys carry their own positions and the order of slots does not matter to attention). Nothing is allocated per token.
 */
public final class KvCache {
    private final int layers, heads, headDim, capacity;
    private final float[][] keys, values;
    private long positions; // appended so far, the current step's included once begun

    /**
     * An empty cache.
     *
     * @param layers   decoder layers
     * @param heads    heads per layer
     * @param headDim  width of each head's keys and values
     * @param capacity positions held before the oldest is overwritten
     */
    public KvCache(int layers, int heads, int headDim, int capacity) {
        if (layers < 1 || heads < 1 || headDim < 1 || capacity < 1) {
            throw new IllegalArgumentException("KV cache needs positive layers, heads, head width and capacity; got " + layers + ", " + heads + ", " + headDim + ", " + capacity);
        }
        if ((long) heads * capacity * headDim > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("KV cache of " + capacity + " positions x " + heads + " heads x " + headDim + " floats is over one array's 2^31 floats per layer");
        }
        this.layers = layers;
        this.heads = heads;
        this.headDim = headDim;
        this.capacity = capacity;
        keys = new float[layers][heads * capacity * headDim];
        values = new float[layers][heads * capacity * headDim];
    }

    /** {@return positions held before the oldest is overwritten} */
    public int capacity() { return capacity; }
    /** {@return layers} */
    public int layers() { return layers; }
    /** {@return heads per layer} */
    public int heads() { return heads; }
    /** {@return width of each key and value} */
    public int headDim() { return headDim; }

    /** {@return positions appended so far (the one being decoded included)} */
    public long positions() { return positions; }

    /** {@return slots holding a position: the ones attention may read} */
    public int length() {
        return (int) Math.min(positions, capacity);
    }

    /**
     * Starts the next position: returns its slot. When the cache is full that slot still holds the oldest position
     * until each layer overwrites it ({@link #wraps()} says so).
     *
     * @return the slot the new position's keys and values go to
     */
    public int begin() {
        return (int) (positions++ % capacity);
    }

    /** {@return whether the position begun last overwrites an older one} */
    public boolean wraps() {
        return positions > capacity;
    }

    /**
     * Takes over another cache's contents (same shape): its keys, values and position count.
     *
     * @param other a cache of the same layers, heads, head width and capacity
     */
    public void copyFrom(KvCache other) {
        if (other.layers != layers || other.heads != heads || other.headDim != headDim || other.capacity != capacity) {
            throw new IllegalArgumentException("KV caches differ in shape: " + other.layers + "x" + other.heads + "x" + other.capacity + "x" + other.headDim
                    + " vs " + layers + "x" + heads + "x" + capacity + "x" + headDim);
        }
        for (int l = 0; l < layers; l++) {
            System.arraycopy(other.keys[l], 0, keys[l], 0, keys[l].length);
            System.arraycopy(other.values[l], 0, values[l], 0, values[l].length);
        }
        positions = other.positions;
    }

    /** Empties the cache (the arrays are kept). */
    public void clear() {
        positions = 0;
    }

    /**
     * A layer's keys, [heads, capacity, headDim].
     *
     * @param layer the layer
     * @return the array itself
     */
    public float[] keys(int layer) { return keys[layer]; }

    /**
     * A layer's values, [heads, capacity, headDim].
     *
     * @param layer the layer
     * @return the array itself
     */
    public float[] values(int layer) { return values[layer]; }

    /**
     * Where a slot's key or value starts in a layer's arrays.
     *
     * @param head the head
     * @param slot the slot
     * @return the offset
     */
    public int offset(int head, int slot) {
        return (head * capacity + slot) * headDim;
    }

    /** {@return bytes of every key and value array} */
    public long bytes() {
        return 2L * layers * heads * capacity * headDim * Float.BYTES;
    }
}
