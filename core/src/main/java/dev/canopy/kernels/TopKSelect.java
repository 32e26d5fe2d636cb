package dev.canopy.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Selects the k largest entries of a float row in time close to linear in its length, without sorting it.
 *
 * <p>Order: a beats b when a.value > b.value, or the values are equal and a has the lower index. Entries equal to
 * -infinity (how callers mark masked keys) and NaN are never selected, so a row with fewer than k selectable entries
 * yields all of them.
 *
 * <p>How: one vectorised pass compares the row against a running threshold t. Entries above t are appended, in index
 * order, to a candidate buffer of capacity about 2k (vector compress, no per-entry branches); when it fills, a
 * quickselect finds its k-th largest value, the buffer is compacted (stably) to its best k and t rises to that value.
 * Because entries arrive in increasing index order, a later entry equal to t loses to the k held ones, which is why
 * the pass compares with a strict '>'. On typical rows t soon exceeds almost every entry, so the pass costs about one
 * vector compare per L entries; the worst case (ascending rows) is O(n) compaction work in total, since each
 * compaction frees at least k slots for O(k) work. The quickselect partitions out of place with vector compress, so
 * its cost does not hinge on branch prediction.
 *
 * <p>Instances hold scratch and are not thread-safe: use one per thread.
 */
public final class TopKSelect {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    private static final int L = S.length();
    /** Below this many candidates the quickselect finishes with a sort. */
    private static final int SMALL = 32;

    private final int k;
    private final int capacity;
    private final float[] values;
    private final int[] indices;
    private final float[] work;
    private final float[] spare;

    public TopKSelect(int k) {
        if (k < 1) throw new IllegalArgumentException("top-k selection needs k >= 1, got " + k);
        if (k > (Integer.MAX_VALUE - 4 * L) / 2) throw new IllegalArgumentException("top-k selection: k=" + k + " is too large");
        this.k = k;
        this.capacity = capacity(k);
        // L floats of slack: compressed stores write whole vectors.
        this.values = new float[capacity + L];
        this.indices = new int[capacity + L];
        this.work = new float[capacity + L];
        this.spare = new float[capacity + L];
    }

    private static int capacity(int k) {
        return Math.max(2 * k, k + 2 * L);
    }

    public int k() {
        return k;
    }

    /** Bytes of scratch one instance holds, for working-memory accounting. */
    public static long scratchBytes(int k) {
        return 4L * 4 * (capacity(k) + L);
    }

    /**
     * Selects among row[off + j] for j in [0, len). Writes the chosen j (ascending) to outIdx[outOff ..] and their values
     * to outVal[outOff ..]; returns how many were chosen (min(k, selectable entries)).
     */
    public int select(float[] row, int off, int len, int[] outIdx, float[] outVal, int outOff) {
        float t = Float.NEGATIVE_INFINITY;
        int m = 0;
        IntVector lanes = IntVector.zero(I).addIndex(1);
        int bound = S.loopBound(len);
        VectorMask<Float> all = S.maskAll(true);
        for (int j = 0; j < len; j += L) {
            VectorMask<Float> inRange = j < bound ? all : S.indexInRange(j, len);
            FloatVector x = j < bound ? FloatVector.fromArray(S, row, off + j) : FloatVector.fromArray(S, row, off + j, inRange);
            VectorMask<Float> above = x.compare(VectorOperators.GT, t).and(inRange);
            if (!above.anyTrue()) continue;
            int count = above.trueCount();
            if (m + count > capacity) {   // capacity >= k + L, so here m > k and compaction frees room for this vector
                t = compact(m);
                m = k;
                above = x.compare(VectorOperators.GT, t).and(inRange);
                count = above.trueCount();
                if (count == 0) continue;
            }
            x.compress(above).intoArray(values, m);
            lanes.add(j).compress(above.cast(I)).intoArray(indices, m);
            m += count;
        }
        if (m > k) {
            compact(m);
            m = k;
        }
        System.arraycopy(indices, 0, outIdx, outOff, m);
        System.arraycopy(values, 0, outVal, outOff, m);
        return m;
    }

    /** Keeps the best k of the m > k candidates, in their (index) order; returns the k-th largest value. */
    private float compact(int m) {
        System.arraycopy(values, 0, work, 0, m);
        float kth = kthLargest(work, spare, m, k);
        int greater = 0, equal = 0;
        for (int i = 0; i < m; i += L) {
            VectorMask<Float> in = S.indexInRange(i, m);
            FloatVector x = FloatVector.fromArray(S, values, i, in);
            greater += x.compare(VectorOperators.GT, kth).and(in).trueCount();
            equal += x.compare(VectorOperators.EQ, kth).and(in).trueCount();
        }
        int equalSlots = k - greater;   // ties at the threshold: the lowest indices, i.e. the earliest candidates
        int w = 0;
        if (equal == equalSlots) {
            // Every entry >= kth stays: one stable vector pass (each store lands at or before the vector just read).
            for (int i = 0; i < m; i += L) {
                VectorMask<Float> in = S.indexInRange(i, m);
                FloatVector x = FloatVector.fromArray(S, values, i, in);
                VectorMask<Float> keep = x.compare(VectorOperators.GE, kth).and(in);
                IntVector ix = IntVector.fromArray(I, indices, i, in.cast(I));
                x.compress(keep).intoArray(values, w);
                ix.compress(keep.cast(I)).intoArray(indices, w);
                w += keep.trueCount();
            }
            return kth;
        }
        for (int i = 0; i < m; i++) {
            float x = values[i];
            if (x > kth || (x == kth && equalSlots-- > 0)) {
                values[w] = x;
                indices[w] = indices[i];
                w++;
            }
        }
        return kth;
    }

    /**
     * The k-th largest (1-based) of a[0, m). Quickselect that partitions out of place with vector compress between a
     * and b (both with L floats of slack; both are overwritten); a median-of-three pivot; runs of values equal to the
     * pivot end the search at once. Small or stubborn ranges finish with a sort, which bounds the worst case.
     */
    static float kthLargest(float[] a, float[] b, int m, int k) {
        int n = m;
        int want = k;   // rank from the top within a[0, n)
        int budget = 2 * (32 - Integer.numberOfLeadingZeros(m)) + 4;
        while (true) {
            if (n <= SMALL || budget-- == 0) {
                Arrays.sort(a, 0, n);
                return a[n - want];
            }
            float pivot = medianOfThree(a[0], a[n >>> 1], a[n - 1]);
            int greater = 0;
            for (int i = 0; i < n; i += L) {
                VectorMask<Float> in = S.indexInRange(i, n);
                FloatVector x = FloatVector.fromArray(S, a, i, in);
                VectorMask<Float> gt = x.compare(VectorOperators.GT, pivot).and(in);
                x.compress(gt).intoArray(b, greater);
                greater += gt.trueCount();
            }
            if (want <= greater) {
                float[] swap = a; a = b; b = swap;
                n = greater;
                continue;
            }
            int less = 0;
            for (int i = 0; i < n; i += L) {
                VectorMask<Float> in = S.indexInRange(i, n);
                FloatVector x = FloatVector.fromArray(S, a, i, in);
                VectorMask<Float> lt = x.compare(VectorOperators.LT, pivot).and(in);
                x.compress(lt).intoArray(b, less);
                less += lt.trueCount();
            }
            int equal = n - greater - less;
            if (want <= greater + equal) return pivot;
            want -= greater + equal;
            float[] swap = a; a = b; b = swap;
            n = less;
        }
    }

    private static float medianOfThree(float a, float b, float c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }
}
