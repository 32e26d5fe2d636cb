package dev.canopy.decode;

import dev.canopy.kernels.RowOps;
import java.util.Arrays;

/** Softmax over every cached key: one streaming read of the layer's keys and values for the head. */
public final class ExactCacheAttention implements CacheAttention {
    private final KvCache cache;
    private final float scale;
    private final float[][] scores; // per head [capacity]

    /**
     * Exact attention over a cache.
     *
     * @param cache the cache it reads
     */
    public ExactCacheAttention(KvCache cache) {
        this.cache = cache;
        this.scale = (float) (1 / Math.sqrt(cache.headDim()));
        this.scores = new float[cache.heads()][cache.capacity()];
    }

    @Override
    public String spec() {
        return "exact";
    }

    @Override
    public long attend(int layer, int head, float[] q, int qOff, float[] out, int outOff) {
        return attendAll(cache, layer, head, q, qOff, out, outOff, scores[head], scale);
    }

    /** Exact attention of one query over every slot of (layer, head), with s as scratch; returns bytes read. */
    static long attendAll(KvCache cache, int layer, int head, float[] q, int qOff, float[] out, int outOff, float[] s, float scale) {
        int n = cache.length(), d = cache.headDim(), base = cache.offset(head, 0);
        if (n == 0) {
            Arrays.fill(out, outOff, outOff + d, 0f);
            return 0;
        }
        CacheKernels.scores(q, qOff, cache.keys(layer), base, n, d, scale, s);
        RowOps.softmax(s, 0, s, 0, n);
        CacheKernels.weightedSum(s, cache.values(layer), base, n, d, out, outOff);
        return 2L * n * d * Float.BYTES;
    }
}
