package dev.canopy.decode;

import dev.canopy.kernels.RowOps;
import dev.canopy.kernels.TopKSelect;
import dev.canopy.kernels.VecOps;
import java.util.Arrays;

/**
 * Top-k over the cache: every cached key is scored (one streaming read of the keys), the k best are selected with the
 * vectorised {@link TopKSelect}, and only their k values are read. With k at least the cache's length it is exact.
 */
public final class TopKCacheAttention implements CacheAttention {
    private final KvCache cache;
    private final int k;
    private final float scale;
    private final float[][] scores, chosen; // per head [capacity], [k]
    private final int[][] picked;           // per head [k]
    private final TopKSelect[] select;      // per head: the selector keeps scratch

    /**
     * Top-k attention over a cache.
     *
     * @param cache the cache it reads
     * @param k     keys kept per query
     */
    public TopKCacheAttention(KvCache cache, int k) {
        if (k < 1) throw new IllegalArgumentException("topk: k must be at least 1, got " + k);
        this.cache = cache;
        this.k = k;
        this.scale = (float) (1 / Math.sqrt(cache.headDim()));
        int heads = cache.heads(), kept = Math.min(k, cache.capacity());
        scores = new float[heads][cache.capacity()];
        chosen = new float[heads][kept];
        picked = new int[heads][kept];
        select = new TopKSelect[heads];
        for (int h = 0; h < heads; h++) select[h] = new TopKSelect(kept);
    }

    @Override
    public String spec() {
        return "topk:k=" + k;
    }

    @Override
    public long attend(int layer, int head, float[] q, int qOff, float[] out, int outOff) {
        int n = cache.length(), d = cache.headDim(), base = cache.offset(head, 0);
        float[] keys = cache.keys(layer), values = cache.values(layer), s = scores[head], p = chosen[head];
        int[] idx = picked[head];
        Arrays.fill(out, outOff, outOff + d, 0f);
        if (n == 0) return 0;
        CacheKernels.scores(q, qOff, keys, base, n, d, scale, s);
        int m = select[head].select(s, 0, n, idx, p, 0);
        RowOps.softmax(p, 0, p, 0, m);
        CacheKernels.weightedSumAt(p, values, base, idx, m, d, out, outOff);
        return (long) (n + m) * d * Float.BYTES;
    }
}
