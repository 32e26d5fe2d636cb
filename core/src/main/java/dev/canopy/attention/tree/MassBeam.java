package dev.canopy.attention.tree;

import dev.canopy.kernels.VecOps;

/**
 * A descent of a tree by estimated attention mass, for queries the hyperplanes (fitted to keys) say little about. A
 * node's score for a query q is log(c) + q · (s / c) · scale, with c the node's key count and s the sum of its keys:
 * the log of the softmax mass its keys would get were they all at their mean. Each level keeps the B best children of
 * the nodes held (empty subtrees dropped; ties keep the earlier child first), so a beam of 1 takes the more promising
 * child at every node and a beam of B ends in min(B, non-empty leaves) leaves. Our choice, not the Treeformer paper's.
 *
 * <p>Nodes are heap-ordered: the children of n are 2n + 1 and 2n + 2, and leaf L is node 2^h - 1 + L. (Walking sixteen
 * queries in lockstep, their dot products through SixteenDots, measured no faster here: the per-level selection and the logs cost as much as the dots.)
 */
public final class MassBeam {
    private MassBeam() {}

    /**
     * Centroid dot products a descent evaluates at most: 2 min(B, 2^l) at level l (fewer where a child is empty).
     *
     * @param height the tree's height
     * @param beam   nodes kept per level
     * @return the number of dot products
     */
    public static long dots(int height, int beam) {
        long dots = 0;
        for (int level = 0; level < height; level++) dots += 2L * Math.min(beam, 1L << level);
        return dots;
    }

    /**
     * The leaves one query's descent ends in, best first.
     *
     * @param height  the tree's height
     * @param beam    nodes kept per level
     * @param count   keys under each node, from countOff
     * @param sums    sum of the keys under each node, d floats per node, from sumsOff
     * @param q       the query, at qOff
     * @param d       the key width
     * @param scale   the score scale, 1 / sqrt(d)
     * @param held    written: the leaves (0 .. 2^h - 1); room for 2 * beam
     * @param mass    scratch for the scores; room for 2 * beam
     * @return how many leaves were written (0 when the tree holds no key)
     */
    public static int descend(int height, int beam, int[] count, int countOff, float[] sums, int sumsOff, float[] q, int qOff, int d, float scale,
                              int[] held, float[] mass) {
        int size = 1;
        held[0] = 0;
        for (int level = 0; level < height && size > 0; level++) {
            int children = expand(held, 0, size);
            for (int i = 0; i < children; i++) {
                int keys = count[countOff + held[i]];
                mass[i] = keys == 0 ? Float.NEGATIVE_INFINITY : mass(keys, VecOps.dot(q, qOff, sums, sumsOff + held[i] * d, d), scale);
            }
            size = keepBest(held, mass, 0, children, beam);
        }
        return toLeaves(held, 0, size, height, count[countOff]);
    }

    /** log(c) + (q · s) / c · scale: the log of the mass of c keys at their mean s / c. */
    private static float mass(int keys, float dot, float scale) {
        return (float) Math.log(keys) + dot / keys * scale;
    }

    /** Replaces the first size nodes held from off by their children, in place from the back; returns 2 * size. */
    private static int expand(int[] held, int off, int size) {
        for (int i = size - 1; i >= 0; i--) {
            int left = 2 * held[off + i] + 1;
            held[off + 2 * i] = left;
            held[off + 2 * i + 1] = left + 1;
        }
        return 2 * size;
    }

    /**
     * Keeps, from the n children at off, the beam with the largest mass, largest first; children without mass (empty,
     * or -inf) are dropped and ties keep the earlier child first: the first `beam` of a stable sort, found without
     * sorting them all (a child that would land after the last of a full beam is skipped with one comparison, which
     * matters for wide beams, where sorting all 2B children per level was a third of TF's training step). Returns how
     * many are kept.
     */
    private static int keepBest(int[] held, float[] mass, int off, int n, int beam) {
        int kept = 0; // held[off .. off + kept): the best so far, in order; the slots before i are free to reuse
        for (int i = 0; i < n; i++) {
            float mi = mass[off + i];
            if (mi == Float.NEGATIVE_INFINITY || (kept == beam && !(mass[off + kept - 1] < mi))) continue;
            int node = held[off + i];
            int j = Math.min(kept, beam - 1) - 1; // a full beam drops its last
            for (; j >= 0 && mass[off + j] < mi; j--) {
                held[off + j + 1] = held[off + j];
                mass[off + j + 1] = mass[off + j];
            }
            held[off + j + 1] = node;
            mass[off + j + 1] = mi;
            if (kept < beam) kept++;
        }
        return kept;
    }

    /** Turns the size nodes held from off into leaf indices; returns size, or 0 for a tree with no key. */
    private static int toLeaves(int[] held, int off, int size, int height, int rootKeys) {
        if (rootKeys == 0) return 0;
        int internal = (1 << height) - 1;
        for (int i = 0; i < size; i++) held[off + i] -= internal;
        return size;
    }
}
