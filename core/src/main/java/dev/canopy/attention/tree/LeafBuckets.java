package dev.canopy.attention.tree;

import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import java.util.Arrays;

/**
 * Tokens grouped by leaf with a stable counting sort, for every (batch, head) pair at once: the tokens of leaf L in
 * pair p are order[p * n + start[p * (leaves + 1) + L] ... p * n + start[p * (leaves + 1) + L + 1]), in increasing
 * token index. Excluded tokens (padded keys) are left out, so the last start of a pair is its number of kept tokens.
 * Plain int arrays: no per-token objects.
 */
record LeafBuckets(int n, int leaves, int[] start, int[] order) {

    /**
     * {queries' buckets, keys' buckets} for every pair, sorted in one parallel job over both. Keys flagged in keyPadding
     * (may be null; [batch * nk], pair p's batch item is p / heads) are left out.
     */
    static LeafBuckets[] of(int[] leafQ, int nq, int[] leafK, int nk, int pairs, int heads, int leaves, boolean[] keyPadding) {
        LeafBuckets qb = empty(pairs, nq, leaves), kb = empty(pairs, nk, leaves);
        Parallel.forEach(2 * pairs, t -> {
            if (t < pairs) qb.sortPair(leafQ, t, heads, null);
            else kb.sortPair(leafK, t - pairs, heads, keyPadding);
        });
        return new LeafBuckets[] {qb, kb};
    }

    private static LeafBuckets empty(int pairs, int n, int leaves) {
        return new LeafBuckets(n, leaves, new int[pairs * (leaves + 1)], new int[pairs * n]);
    }

    /** The stable counting sort of pair p's tokens, into this record's start and order. */
    private void sortPair(int[] leaf, int p, int heads, boolean[] skip) {
        int s0 = p * (leaves + 1), base = p * n, skipBase = (p / heads) * n;
        for (int i = 0; i < n; i++) if (skip == null || !skip[skipBase + i]) start[s0 + leaf[base + i] + 1]++;
        for (int l = 0; l < leaves; l++) start[s0 + l + 1] += start[s0 + l];
        int[] next = new int[leaves];
        for (int l = 0; l < leaves; l++) next[l] = start[s0 + l];
        for (int i = 0; i < n; i++) if (skip == null || !skip[skipBase + i]) order[base + next[leaf[base + i]]++] = i;
    }

    int begin(int pair, int leaf) { return start[pair * (leaves + 1) + leaf]; }
    int end(int pair, int leaf) { return start[pair * (leaves + 1) + leaf + 1]; }
    int count(int pair, int leaf) { return end(pair, leaf) - begin(pair, leaf); }
    /** Token index of the r-th token (in bucket order) of pair. */
    int token(int pair, int r) { return order[pair * n + r]; }

    /**
     * Rows of x [pairs, n, width] at pair's bucket positions [from, from + count), scaled and zero-padded to ld floats,
     * into dst from dstOff: a leaf's queries, keys or values as one contiguous tile.
     */
    void gatherRows(int pair, int from, int count, float[] x, int width, float scale, float[] dst, int dstOff, int ld) {
        for (int j = 0; j < count; j++) {
            int to = dstOff + j * ld;
            RowOps.scale(x, rowOffset(pair, from + j, width), scale, dst, to, width);
            if (ld > width) Arrays.fill(dst, to + width, to + ld, 0f);
        }
    }

    /** Offset in x [pairs, n, width] of the row of pair's bucket position r. */
    int rowOffset(int pair, int r, int width) {
        return (pair * n + token(pair, r)) * width;
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
