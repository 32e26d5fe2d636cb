package dev.canopy.attention.tree;

import dev.canopy.kernels.VecOps;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
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
 * queries in lockstep, their dot products through SixteenDots, measured no faster: the per-level selection costs as
 * much as the dots.)
 */
public final class MassBeam {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final FloatVector LANE = FloatVector.zero(S).addIndex(1);

    /**
     * How a level's children are ranked, by count (timed on 16 lanes): up to 8 by insertion; up to one vector by
     * counting each child's place with vector compares (16 children: 80 ns, against 190-240 by insertion and 175 by
     * sorting; then every child written to its place without a branch: a whole descent at h=10, beam=8, seven such
     * levels, from 1.34 to 0.95 us); more by sorting keys (40 children: 145 ns, against 450 by counting places over
     * three vectors).
     */
    private static final int INSERTION_MAX = 8;

    private MassBeam() {}

    /** A descent's working memory for one beam width; the leaves it found stay in it until the next descent. */
    public static final class Frontier {
        final int beam;
        final int[] held;   // a level's 2B children, then room for them ranked
        final float[] mass; // the children's scores, then the q · s of each node in held
        final int dots;     // where the q · s start in mass
        final long[] order; // sort keys for a level's children
        final int[] leftAt; // where each held node's left child's key sum starts
        final float[] leftDots; // q · s of each held node's left child

        /** @param beam nodes kept per level, at least 1 */
        public Frontier(int beam) {
            if (beam < 1) throw new IllegalArgumentException("beam must be at least 1, got " + beam);
            this.beam = beam;
            held = new int[4 * beam];
            dots = Math.max(2 * beam, L); // room to pad the scores to a vector
            mass = new float[dots + 4 * beam];
            order = new long[2 * beam];
            leftAt = new int[beam];
            leftDots = new float[beam];
        }

        /** The i-th best leaf of the last descent (0 .. 2^h - 1). */
        public int leaf(int i) {
            return held[i];
        }
    }

    /**
     * Dot products a descent evaluates at most: the root's, then one per node held at each level (fewer where a
     * child is empty). A right child's q · s is its parent's minus its sibling's, since a parent's key sum is the sum
     * of its children's.
     *
     * @param height the tree's height
     * @param beam   nodes kept per level
     * @return the number of dot products
     */
    public static long dots(int height, int beam) {
        long dots = 1;
        for (int level = 0; level < height; level++) dots += Math.min(beam, 1L << level);
        return dots;
    }

    /**
     * Turns each node's key count c into the two factors of its mass, log(c) (-inf for an empty node) and scale / c,
     * so that no query pays for a log or a division.
     *
     * @param count    keys under each node, from off
     * @param off      the first node
     * @param nodes    how many nodes
     * @param scale    the score scale, 1 / sqrt(d)
     * @param logCount written: log(c) per node, from off
     * @param perKey   written: scale / c per node (0 when empty), from off
     */
    public static void prepare(int[] count, int off, int nodes, float scale, float[] logCount, float[] perKey) {
        for (int node = off; node < off + nodes; node++) weigh(count[node], scale, logCount, perKey, node);
    }

    /**
     * One node's factors from its key count (for a tree whose counts change one key at a time).
     *
     * @param keys     keys under the node
     * @param scale    the score scale
     * @param logCount written at node: log(keys), -inf when empty
     * @param perKey   written at node: scale / keys, 0 when empty
     * @param node     the node's index in both
     */
    public static void weigh(int keys, float scale, float[] logCount, float[] perKey, int node) {
        logCount[node] = keys == 0 ? Float.NEGATIVE_INFINITY : (float) Math.log(keys);
        perKey[node] = keys == 0 ? 0f : scale / keys;
    }

    /**
     * The leaves one query's descent ends in, best first.
     *
     * <p>A node's mass is logCount + (q · s) perKey. Only left children take a dot product; a right child's q · s is
     * its parent's minus the left one's (an empty left child counts 0). A level whose non-empty children all fit in
     * the beam keeps them as expanded, unsorted: the set is the same, and only a level that drops children, and the
     * last (for the order of the result), needs them ranked.
     *
     * @param height   the tree's height
     * @param f        the working memory, which also sets the beam; the leaves found are f.leaf(0 .. found - 1)
     * @param logCount log of the keys under each node, -inf for an empty one, from nodeOff ({@link #prepare})
     * @param perKey   scale / keys per node, from nodeOff ({@link #prepare})
     * @param nodeOff  the root's index in logCount and perKey
     * @param sums     each node's key sum, d floats per node, from sumsOff
     * @param sumsOff  the root's key sum
     * @param q        the query, at qOff
     * @param d        the key width
     * @return how many leaves were found (0 when the tree holds no key)
     */
    public static int descend(int height, Frontier f, float[] logCount, float[] perKey, int nodeOff, float[] sums, int sumsOff, float[] q, int qOff, int d) {
        int beam = f.beam, dots = f.dots; // mass[dots + i]: q · s of the node in held[i]
        int[] held = f.held;
        float[] mass = f.mass;
        if (logCount[nodeOff] == Float.NEGATIVE_INFINITY) return 0;
        int size = 1;
        held[0] = 0;
        mass[dots] = VecOps.dot(q, qOff, sums, sumsOff, d);
        for (int level = 0; level < height; level++) {
            int found = 0;
            for (int i = size - 1; i >= 0; i--) { // expand from the back: children 2i, 2i + 1 overwrite nothing unread
                int left = 2 * held[i] + 1;
                mass[dots + 2 * i + 1] = mass[dots + i];
                held[2 * i] = left;
                held[2 * i + 1] = left + 1;
            }
            for (int i = 0; i < size; i++) f.leftAt[i] = sumsOff + held[2 * i] * d;
            VecOps.dots(q, qOff, sums, f.leftAt, size, d, f.leftDots, 0); // an empty child's dot is computed and not used
            for (int i = 0; i < 2 * size; i += 2) { // found <= i: the compacted slots are ones already read
                int left = held[i], right = held[i + 1];
                float parentDot = mass[dots + i + 1];
                float leftLog = logCount[nodeOff + left], rightLog = logCount[nodeOff + right];
                float leftDot = leftLog == Float.NEGATIVE_INFINITY ? 0f : f.leftDots[i / 2];
                if (leftLog != Float.NEGATIVE_INFINITY) found = keep(held, mass, dots, found, left, leftLog + leftDot * perKey[nodeOff + left], leftDot);
                if (rightLog != Float.NEGATIVE_INFINITY) {
                    float rightDot = parentDot - leftDot;
                    found = keep(held, mass, dots, found, right, rightLog + rightDot * perKey[nodeOff + right], rightDot);
                }
            }
            size = found <= beam && level < height - 1 ? found : keepBest(f, found);
        }
        int internal = (1 << height) - 1;
        for (int i = 0; i < size; i++) held[i] -= internal;
        return size;
    }

    /** Appends a scored child at slot found; returns found + 1. NaN ranks as the lowest finite mass. */
    private static int keep(int[] held, float[] mass, int dots, int found, int node, float m, float dot) {
        held[found] = node;
        mass[found] = Float.isNaN(m) ? -Float.MAX_VALUE : m;
        mass[dots + found] = dot;
        return found + 1;
    }

    /**
     * Keeps, from the n children in held[0, n) (none empty, none NaN), the beam with the largest mass, largest first, in
     * held[0, kept), their q · s moving along; ties keep the earlier child first: the first `beam` of a stable sort.
     * Returns how many are kept.
     */
    private static int keepBest(Frontier f, int n) {
        int kept = Math.min(f.beam, n);
        if (n <= INSERTION_MAX) insertBest(f.held, f.mass, f.dots, n, kept);
        else if (n <= L) placeInOneVector(f.held, f.mass, f.dots, n, kept, 2 * f.beam);
        else sortBest(f.held, f.mass, f.dots, f.order, n, kept, 2 * f.beam);
        return kept;
    }

    /** Few children: a bounded insertion sort in place (a child that would land past the last kept costs one compare). */
    private static void insertBest(int[] held, float[] mass, int dots, int n, int kept) {
        int size = 0; // held[0, size): the best so far, in order; the slots before i are free to reuse
        for (int i = 0; i < n; i++) {
            float mi = mass[i];
            if (size == kept && !(mass[size - 1] < mi)) continue;
            int node = held[i];
            float dot = mass[dots + i];
            int j = Math.min(size, kept - 1) - 1; // a full list drops its last
            for (; j >= 0 && mass[j] < mi; j--) {
                held[j + 1] = held[j];
                mass[j + 1] = mass[j];
                mass[dots + j + 1] = mass[dots + j];
            }
            held[j + 1] = node;
            mass[j + 1] = mi;
            mass[dots + j + 1] = dot;
            if (size < kept) size++;
        }
    }

    /**
     * Children that fit in one vector: each child's place is how many beat it by mass or come before it at the same
     * mass, counted with two compares against all of them at once. The kept go through held[out, out + kept).
     */
    private static void placeInOneVector(int[] held, float[] mass, int dots, int n, int kept, int out) {
        Arrays.fill(mass, n, L, Float.NEGATIVE_INFINITY);
        FloatVector all = FloatVector.fromArray(S, mass, 0);
        for (int i = 0; i < n; i++) {
            FloatVector m = FloatVector.broadcast(S, mass[i]);
            VectorMask<Float> before = LANE.compare(VectorOperators.LT, i);
            int place = all.compare(VectorOperators.GT, m).or(all.compare(VectorOperators.EQ, m).and(before)).trueCount();
            held[out + place] = held[i]; // every child, kept or not: the places are distinct, and no branch to mispredict
            mass[dots + out + place] = mass[dots + i];
        }
        System.arraycopy(held, out, held, 0, kept);
        System.arraycopy(mass, dots + out, mass, dots, kept);
    }

    /**
     * Many children (wide beams): sorted as keys that order by mass, then by place (so no two tie and the sort is
     * stable). The kept go through held[out, out + kept).
     */
    private static void sortBest(int[] held, float[] mass, int dots, long[] order, int n, int kept, int out) {
        for (int i = 0; i < n; i++) order[i] = (long) ~sortable(mass[i]) << 32 | i; // larger mass first, then earlier
        Arrays.sort(order, 0, n);
        for (int k = 0; k < kept; k++) {
            int i = (int) order[k];
            held[out + k] = held[i];
            mass[dots + out + k] = mass[dots + i];
        }
        System.arraycopy(held, out, held, 0, kept);
        System.arraycopy(mass, dots + out, mass, dots, kept);
    }

    /** An int that orders as the float does (-0 as +0; no NaN reaches here). */
    private static int sortable(float x) {
        int bits = Float.floatToRawIntBits(x + 0f);
        return bits >= 0 ? bits : bits ^ Integer.MAX_VALUE;
    }
}
