package dev.canopy.attention.tree;

import dev.canopy.kernels.VecOps;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

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
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private MassBeam() {}

    /**
     * Room a descent needs in {@code held}: a level's 2B children, then the B it keeps.
     *
     * @param beam nodes kept per level
     * @return the length
     */
    public static int heldLength(int beam) {
        return 3 * beam;
    }

    /**
     * Room a descent needs in {@code mass}: a level's 2B scores, rounded up to whole vectors.
     *
     * @param beam nodes kept per level
     * @return the length
     */
    public static int massLength(int beam) {
        return Math.ceilDiv(2 * beam, L) * L;
    }

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
     * @param held    written: the leaves (0 .. 2^h - 1), best first; room for {@link #heldLength}
     * @param mass    scratch for the scores; room for {@link #massLength}
     * @return how many leaves were written (0 when the tree holds no key)
     */
    public static int descend(int height, int beam, int[] count, int countOff, float[] sums, int sumsOff, float[] q, int qOff, int d, float scale,
                              int[] held, float[] mass) {
        if (held.length < heldLength(beam) || mass.length < massLength(beam)) {
            throw new IllegalArgumentException("beam " + beam + " needs held[" + heldLength(beam) + "] and mass[" + massLength(beam) + "]");
        }
        int size = 1;
        held[0] = 0;
        for (int level = 0; level < height && size > 0; level++) {
            int children = expand(held, 0, size);
            for (int i = 0; i < children; i++) {
                int keys = count[countOff + held[i]];
                mass[i] = keys == 0 ? Float.NEGATIVE_INFINITY : mass(keys, VecOps.dot(q, qOff, sums, sumsOff + held[i] * d, d), scale);
            }
            size = keepBest(held, mass, children, beam);
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
     * Keeps, from the n children in held[0, n), the beam with the largest mass, largest first, in held[0, kept);
     * children without mass (empty, or -inf) are dropped, a NaN counts as the lowest finite mass, and ties keep the
     * earlier child first: the first `beam` of a stable sort. Returns how many are kept.
     */
    private static int keepBest(int[] held, float[] mass, int n, int beam) {
        int finite = 0;
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(mass[i])) mass[i] = -Float.MAX_VALUE;
            if (mass[i] != Float.NEGATIVE_INFINITY) finite++;
        }
        int kept = Math.min(beam, finite);
        if (n <= L) insertBest(held, mass, n, kept);
        else placeBest(held, mass, n, kept, 2 * beam);
        return kept;
    }

    /** Few children: a bounded insertion sort in place (a child that would land past the last kept costs one compare). */
    private static void insertBest(int[] held, float[] mass, int n, int kept) {
        int size = 0; // held[0, size): the best so far, in order; the slots before i are free to reuse
        for (int i = 0; i < n; i++) {
            float mi = mass[i];
            if (mi == Float.NEGATIVE_INFINITY || (size == kept && !(mass[size - 1] < mi))) continue;
            int node = held[i];
            int j = Math.min(size, kept - 1) - 1; // a full list drops its last
            for (; j >= 0 && mass[j] < mi; j--) {
                held[j + 1] = held[j];
                mass[j + 1] = mass[j];
            }
            held[j + 1] = node;
            mass[j + 1] = mi;
            if (size < kept) size++;
        }
    }

    /**
     * Many children (wide beams): each child's place is counted directly, how many children beat it by mass or by
     * coming first at the same mass, with vector compares, so no branch depends on the masses. Sorting 2B children
     * by insertion was a third of a wide beam's routing time. The kept go through held[out, out + kept).
     */
    private static void placeBest(int[] held, float[] mass, int n, int kept, int out) {
        int padded = Math.ceilDiv(n, L) * L;
        for (int i = n; i < padded; i++) mass[i] = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float mi = mass[i];
            if (mi == Float.NEGATIVE_INFINITY) continue;
            FloatVector m = FloatVector.broadcast(S, mi);
            int place = 0;
            for (int j = 0; j < padded; j += L) {
                FloatVector v = FloatVector.fromArray(S, mass, j);
                place += v.compare(VectorOperators.GT, m).trueCount()
                        + v.compare(VectorOperators.EQ, m).and(S.indexInRange(j, i)).trueCount();
            }
            if (place < kept) held[out + place] = held[i];
        }
        System.arraycopy(held, out, held, 0, kept);
    }

    /** Turns the size nodes held from off into leaf indices; returns size, or 0 for a tree with no key. */
    private static int toLeaves(int[] held, int off, int size, int height, int rootKeys) {
        if (rootKeys == 0) return 0;
        int internal = (1 << height) - 1;
        for (int i = 0; i < size; i++) held[off + i] -= internal;
        return size;
    }
}
