package dev.canopy.attention.tree;

/**
 * Tokens grouped by leaf with a stable counting sort, for every (batch, head) pair at once: the tokens of leaf L in
 * pair p are order[p * n + start[p * (leaves + 1) + L] ... p * n + start[p * (leaves + 1) + L + 1]), in increasing
 * token index. Excluded tokens (padded keys) are left out, so the last start of a pair is its number of kept tokens.
 * Plain int arrays: no per-token objects.
 */
record LeafBuckets(int n, int leaves, int[] start, int[] order) {

    /** Buckets tokens of every pair; skip (may be null) is [batch * n] and applies to pair p's batch item p / heads. */
    static LeafBuckets of(int[] leaf, int pairs, int heads, int n, int leaves, boolean[] skip) {
        int[] start = new int[pairs * (leaves + 1)];
        int[] order = new int[pairs * n];
        dev.canopy.kernels.Parallel.forEach(pairs, p -> {
            int s0 = p * (leaves + 1), base = p * n, skipBase = (p / heads) * n;
            for (int i = 0; i < n; i++) if (skip == null || !skip[skipBase + i]) start[s0 + leaf[base + i] + 1]++;
            for (int l = 0; l < leaves; l++) start[s0 + l + 1] += start[s0 + l];
            int[] next = new int[leaves];
            for (int l = 0; l < leaves; l++) next[l] = start[s0 + l];
            for (int i = 0; i < n; i++) if (skip == null || !skip[skipBase + i]) order[base + next[leaf[base + i]]++] = i;
        });
        return new LeafBuckets(n, leaves, start, order);
    }

    int begin(int pair, int leaf) { return start[pair * (leaves + 1) + leaf]; }
    int end(int pair, int leaf) { return start[pair * (leaves + 1) + leaf + 1]; }
    int count(int pair, int leaf) { return end(pair, leaf) - begin(pair, leaf); }
    /** Token index of the r-th token (in bucket order) of pair. */
    int token(int pair, int r) { return order[pair * n + r]; }

    /**
     * The rows of x [pairs, n, width] in bucket order, each scaled and zero-padded to ld floats: pair p's r-th bucketed
     * token lands at row p * n + r; written into reuse when it is large enough (rows past a pair's kept tokens are left
     * as they were), else into a new array. Attention then reads a leaf's queries, keys or values as one contiguous
     * tile; the random row reads happen here, in one tight loop the core can keep many of them in flight for.
     */
    float[] gatherRows(float[] x, int width, int ld, float scale, float[] reuse) {
        int pairs = order.length / n;
        float[] rows = reuse.length >= order.length * ld ? reuse : new float[order.length * ld];
        dev.canopy.kernels.Parallel.forRanges(pairs * n, 1024, (a, b) -> {
            for (int at = a; at < b; at++) {
                int p = at / n, r = at % n;
                if (r >= start[p * (leaves + 1) + leaves]) continue; // past the pair's kept tokens
                dev.canopy.kernels.RowOps.scale(x, (p * n + order[at]) * width, scale, rows, at * ld, width);
                if (ld > width) java.util.Arrays.fill(rows, at * ld + width, (at + 1) * ld, 0f);
            }
        });
        return rows;
    }

    int maxCount() {
        int max = 0;
        for (int p = 0; p < start.length / (leaves + 1); p++) for (int l = 0; l < leaves; l++) max = Math.max(max, count(p, l));
        return max;
    }

    long bytes() {
        return 4L * (start.length + order.length);
    }
}
