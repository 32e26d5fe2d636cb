package dev.canopy.decode;

/**
 * Attention of one new query over a {@link KvCache}, per layer and head: the decode-time drop-in for the attention a
 * model was trained with. An instance is bound to one cache and holds its own per-head scratch, so calls for different
 * heads may run in parallel; nothing is allocated per call.
 */
public sealed interface CacheAttention permits ExactCacheAttention, TopKCacheAttention, TreeCacheAttention {

    /** {@return the spec that made this attention, e.g. {@code topk:k=64}} */
    String spec();

    /**
     * out = attention of the query over the slots the cache holds for (layer, head); the new position's own key and
     * value are already in the cache. A query that sees no key gets zeros.
     *
     * @param layer  the layer
     * @param head   the head
     * @param q      the query (rotated, when positions are rotary)
     * @param qOff   where it starts
     * @param out    written: headDim floats
     * @param outOff where they go
     * @return bytes of keys, values and routing state this call read
     */
    long attend(int layer, int head, float[] q, int qOff, float[] out, int outOff);

    /**
     * Called before a slot's key and value are overwritten (the cache has wrapped): forget the slot.
     *
     * @param layer the layer
     * @param head  the head
     * @param slot  the slot about to be overwritten
     */
    default void removing(int layer, int head, int slot) {}

    /**
     * Called after a slot's key and value were written: index the slot.
     *
     * @param layer the layer
     * @param head  the head
     * @param slot  the slot just written
     */
    default void added(int layer, int head, int slot) {}

    /** {@return whether the attention still has to be fitted to keys (then it attends exactly until {@link #fit})} */
    default boolean needsFit() {
        return false;
    }

    /** Fits whatever the attention routes with to the keys the cache holds now, and indexes them. */
    default void fit() {}

    /** Forgets every indexed slot (the cache was cleared); fitted routing is kept. */
    default void clear() {}
}
