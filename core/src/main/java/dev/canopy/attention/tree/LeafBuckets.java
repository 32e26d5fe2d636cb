package dev.canopy.attention.tree;

import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import dev.canopy.kernels.VecOps;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

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
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

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
        int j = 0;
        if (width == 2 * L && ld == width) { // rows of two vectors, eight at a time: all sixteen loads before the stores
            FloatVector sv = FloatVector.broadcast(S, scale);
            for (; j + 8 <= count; j += 8) {
                int o0 = rowOffset(pair, from + j, width), o1 = rowOffset(pair, from + j + 1, width), o2 = rowOffset(pair, from + j + 2, width), o3 = rowOffset(pair, from + j + 3, width);
                int o4 = rowOffset(pair, from + j + 4, width), o5 = rowOffset(pair, from + j + 5, width), o6 = rowOffset(pair, from + j + 6, width), o7 = rowOffset(pair, from + j + 7, width);
                FloatVector a0 = FloatVector.fromArray(S, x, o0), b0 = FloatVector.fromArray(S, x, o0 + L);
                FloatVector a1 = FloatVector.fromArray(S, x, o1), b1 = FloatVector.fromArray(S, x, o1 + L);
                FloatVector a2 = FloatVector.fromArray(S, x, o2), b2 = FloatVector.fromArray(S, x, o2 + L);
                FloatVector a3 = FloatVector.fromArray(S, x, o3), b3 = FloatVector.fromArray(S, x, o3 + L);
                FloatVector a4 = FloatVector.fromArray(S, x, o4), b4 = FloatVector.fromArray(S, x, o4 + L);
                FloatVector a5 = FloatVector.fromArray(S, x, o5), b5 = FloatVector.fromArray(S, x, o5 + L);
                FloatVector a6 = FloatVector.fromArray(S, x, o6), b6 = FloatVector.fromArray(S, x, o6 + L);
                FloatVector a7 = FloatVector.fromArray(S, x, o7), b7 = FloatVector.fromArray(S, x, o7 + L);
                int to = dstOff + j * ld;
                a0.mul(sv).intoArray(dst, to); b0.mul(sv).intoArray(dst, to + L);
                a1.mul(sv).intoArray(dst, to + ld); b1.mul(sv).intoArray(dst, to + ld + L);
                a2.mul(sv).intoArray(dst, to + 2 * ld); b2.mul(sv).intoArray(dst, to + 2 * ld + L);
                a3.mul(sv).intoArray(dst, to + 3 * ld); b3.mul(sv).intoArray(dst, to + 3 * ld + L);
                a4.mul(sv).intoArray(dst, to + 4 * ld); b4.mul(sv).intoArray(dst, to + 4 * ld + L);
                a5.mul(sv).intoArray(dst, to + 5 * ld); b5.mul(sv).intoArray(dst, to + 5 * ld + L);
                a6.mul(sv).intoArray(dst, to + 6 * ld); b6.mul(sv).intoArray(dst, to + 6 * ld + L);
                a7.mul(sv).intoArray(dst, to + 7 * ld); b7.mul(sv).intoArray(dst, to + 7 * ld + L);
            }
        }
        for (; j < count; j++) {
            int to = dstOff + j * ld;
            RowOps.scale(x, rowOffset(pair, from + j, width), scale, dst, to, width);
            if (ld > width) Arrays.fill(dst, to + width, to + ld, 0f);
        }
    }

    /**
     * x's rows [pairs, n, width] at pair's bucket positions [from, from + count) += scale times src's rows (srcLd
     * apart from srcOff), each element one multiply-add as {@link VecOps#axpy} does it: a leaf's dq added into its
     * queries' rows. Rows of two vectors go four at a time, all their loads before the stores.
     */
    void addRows(int pair, int from, int count, float[] src, int srcOff, int srcLd, float scale, float[] x, int width) {
        int j = 0;
        if (width == 2 * L) {
            FloatVector sv = FloatVector.broadcast(S, scale);
            for (; j + 4 <= count; j += 4) {
                int o0 = rowOffset(pair, from + j, width), o1 = rowOffset(pair, from + j + 1, width), o2 = rowOffset(pair, from + j + 2, width), o3 = rowOffset(pair, from + j + 3, width);
                FloatVector a0 = FloatVector.fromArray(S, x, o0), b0 = FloatVector.fromArray(S, x, o0 + L);
                FloatVector a1 = FloatVector.fromArray(S, x, o1), b1 = FloatVector.fromArray(S, x, o1 + L);
                FloatVector a2 = FloatVector.fromArray(S, x, o2), b2 = FloatVector.fromArray(S, x, o2 + L);
                FloatVector a3 = FloatVector.fromArray(S, x, o3), b3 = FloatVector.fromArray(S, x, o3 + L);
                int at = srcOff + j * srcLd;
                FloatVector.fromArray(S, src, at).fma(sv, a0).intoArray(x, o0);
                FloatVector.fromArray(S, src, at + L).fma(sv, b0).intoArray(x, o0 + L);
                FloatVector.fromArray(S, src, at + srcLd).fma(sv, a1).intoArray(x, o1);
                FloatVector.fromArray(S, src, at + srcLd + L).fma(sv, b1).intoArray(x, o1 + L);
                FloatVector.fromArray(S, src, at + 2 * srcLd).fma(sv, a2).intoArray(x, o2);
                FloatVector.fromArray(S, src, at + 2 * srcLd + L).fma(sv, b2).intoArray(x, o2 + L);
                FloatVector.fromArray(S, src, at + 3 * srcLd).fma(sv, a3).intoArray(x, o3);
                FloatVector.fromArray(S, src, at + 3 * srcLd + L).fma(sv, b3).intoArray(x, o3 + L);
            }
        }
        for (; j < count; j++) VecOps.axpy(scale, src, srcOff + j * srcLd, x, rowOffset(pair, from + j, width), width);
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
