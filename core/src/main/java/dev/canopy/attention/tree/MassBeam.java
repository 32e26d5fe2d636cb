package dev.canopy.attention.tree;

import dev.canopy.kernels.VecOps;

/**
 * A descent of a tree by estimated attention mass, for queries the hyperplanes (fitted to keys) say little about. A
 * node's score for a query q is log(c) + q · (s / c) · scale, with c the node's key count and s the sum of its keys:
 * the log of the softmax mass its keys would get were they all at their mean. Each level keeps the B best children of
 * the nodes held (empty subtrees dropped; ties keep the left child first), so a beam of 1 takes the more promising
 * child at every node and a beam of B ends in min(B, non-empty leaves) leaves. Our choice, not the Treeformer paper's.
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
     * @param height  the tree's height (heap-ordered nodes: children of n are 2n + 1 and 2n + 2, leaf L is node 2^h - 1 + L)
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
        for (int level = 0; level < height; level++) {
            // Children of the held nodes, in place from the back (held has room for 2 * beam).
            int children = 0;
            for (int i = size - 1; i >= 0; i--) {
                int left = 2 * held[i] + 1;
                held[2 * i] = left;
                held[2 * i + 1] = left + 1;
            }
            for (int i = 0; i < 2 * size; i++) {
                int keys = count[countOff + held[i]];
                if (keys == 0) continue;
                float m = (float) Math.log(keys) + VecOps.dot(q, qOff, sums, sumsOff + held[i] * d, d) / keys * scale;
                if (m == Float.NEGATIVE_INFINITY) continue; // no mass to speak of: dropped like an empty subtree
                held[children] = held[i];
                mass[children++] = m;
            }
            keepBest(held, mass, children);
            size = Math.min(children, beam);
            if (size == 0) return 0;
        }
        if (height == 0 && count[countOff] == 0) return 0;
        int internal = (1 << height) - 1;
        for (int i = 0; i < size; i++) held[i] -= internal;
        return size;
    }

    /** Sorts the first n nodes by mass, largest first, stably (insertion sort: at most 2 * beam of them). */
    private static void keepBest(int[] held, float[] mass, int n) {
        for (int i = 1; i < n; i++) {
            int node = held[i];
            float mi = mass[i];
            int j = i - 1;
            for (; j >= 0 && mass[j] < mi; j--) {
                held[j + 1] = held[j];
                mass[j + 1] = mass[j];
            }
            held[j + 1] = node;
            mass[j + 1] = mi;
        }
    }
}
