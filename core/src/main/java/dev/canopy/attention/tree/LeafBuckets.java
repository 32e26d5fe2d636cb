package dev.canopy.attention.tree;

import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import java.util.Arrays;

/**
 * Tokens grouped by leaf with a stable counting sort, for every (batch, head) pair at once: the tokens of leaf L in
 * pair p are order[p * stride + start[p * (leaves + 1) + L] ... p * stride + start[p * (leaves + 1) + L + 1]), in
 * increasing token index. Excluded tokens (padded keys) are left out, so the last start of a pair is its number of
 * kept tokens. Plain int arrays: no per-token objects.
 *
 * <p>A token sits in one leaf (stride = n), or, for queries routed by a beam, in up to B leaves: then each token has B
 * slots (stride = n * B), a slot's leaf or none, and a token appears once in each leaf of its slots.
 */
record LeafBuckets(int n, int stride, int leaves, int[] start, int[] order) {

    /**
     * {queries' buckets, keys' buckets} for every pair, sorted in one parallel job over both. Keys flagged in keyPadding
     * (may be null; [batch * nk], pair p's batch item is p / heads) are left out.
     */
    static LeafBuckets[] of(int[] leafQ, int nq, int[] leafK, int nk, int pairs, int heads, int leaves, boolean[] keyPadding) {
        LeafBuckets qb = empty(pairs, nq, 1, leaves), kb = empty(pairs, nk, 1, leaves);
        Parallel.forEach(2 * pairs, t -> {
            if (t < pairs) qb.sortPair(leafQ, t, heads, null, null);
            else kb.sortPair(leafK, t - pairs, heads, keyPadding, null);
        });
        return new LeafBuckets[] {qb, kb};
    }

    /** The keys' buckets alone (as {@link #of} sorts them). */
    static LeafBuckets ofKeys(int[] leafK, int nk, int pairs, int heads, int leaves, boolean[] keyPadding) {
        LeafBuckets kb = empty(pairs, nk, 1, leaves);
        Parallel.forEach(pairs, p -> kb.sortPair(leafK, p, heads, keyPadding, null));
        return kb;
    }

    /**
     * Buckets of tokens with `slots` slots each: slot s of token i in pair p has leaf leaf[p * n * slots + i * slots + s],
     * or -1 for none. Writes each slot's bucket position (within its pair) into position, -1 for none.
     */
    static LeafBuckets ofSlots(int[] leaf, int n, int slots, int pairs, int leaves, int[] position) {
        LeafBuckets b = empty(pairs, n, slots, leaves);
        Parallel.forEach(pairs, p -> b.sortPair(leaf, p, 1, null, position));
        return b;
    }

    private static LeafBuckets empty(int pairs, int n, int slots, int leaves) {
        return new LeafBuckets(n, n * slots, leaves, new int[pairs * (leaves + 1)], new int[pairs * n * slots]);
    }

    /**
     * The stable counting sort of pair p's slots (leaf -1: none; skip, when given, drops tokens by [batch * n]) into
     * this record's start and order, and each slot's bucket position into position when given.
     */
    private void sortPair(int[] leaf, int p, int heads, boolean[] skip, int[] position) {
        int s0 = p * (leaves + 1), base = p * stride, skipBase = (p / heads) * n, slots = stride / n;
        for (int i = 0; i < stride; i++) if (kept(leaf, base + i, skip, skipBase + i / slots)) start[s0 + leaf[base + i] + 1]++;
        for (int l = 0; l < leaves; l++) start[s0 + l + 1] += start[s0 + l];
        int[] next = new int[leaves];
        for (int l = 0; l < leaves; l++) next[l] = start[s0 + l];
        for (int i = 0; i < stride; i++) {
            boolean kept = kept(leaf, base + i, skip, skipBase + i / slots);
            int at = kept ? next[leaf[base + i]]++ : -1;
            if (kept) order[base + at] = i / slots;
            if (position != null) position[base + i] = at;
        }
    }

    private static boolean kept(int[] leaf, int slot, boolean[] skip, int token) {
        return leaf[slot] >= 0 && (skip == null || !skip[token]);
    }

    int begin(int pair, int leaf) { return start[pair * (leaves + 1) + leaf]; }
    int end(int pair, int leaf) { return start[pair * (leaves + 1) + leaf + 1]; }
    int count(int pair, int leaf) { return end(pair, leaf) - begin(pair, leaf); }
    /** Token index of the r-th token (in bucket order) of pair. */
    int token(int pair, int r) { return order[pair * stride + r]; }

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
