package dev.canopy.kernels;

import jdk.incubator.vector.FloatVector;
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
 * order, to a candidate buffer of capacity about 2k; when it fills, a quickselect finds its k-th largest value, the
 * buffer is compacted (stably) to its best k and t rises to that value. Because entries arrive in increasing index
 * order, a later entry equal to t loses to the k held ones, which is why the pass compares with a strict '>'. On
 * typical rows t quickly passes almost everything, so the pass costs about one vector compare per L entries;
 * the worst case (ascending rows) is O(n) compaction work in total, since each compaction frees k slots for O(k).
 *
 * <p>Instances hold scratch and are not thread-safe: use one per thread.
 */
public final class TopKSelect {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private final int k;
    private final int capacity;
    private final float[] values;
    private final int[] indices;
    private final float[] work;

    public TopKSelect(int k) {
        if (k < 1) throw new IllegalArgumentException("top-k selection needs k >= 1, got " + k);
        this.k = k;
        this.capacity = Math.max(2 * k, k + 2 * L);
        this.values = new float[capacity];
        this.indices = new int[capacity];
        this.work = new float[capacity];
    }

    public int k() {
        return k;
    }

    /** Floats and ints this instance holds, for working-memory accounting. */
    public static long scratchBytes(int k) {
        long capacity = Math.max(2L * k, k + 2L * L);
        return 4L * 3 * capacity;
    }

    /**
     * Selects among row[off + j] for j in [0, len). Writes the chosen j (ascending) to outIdx[outOff ..] and their values
     * to outVal[outOff ..]; returns how many were chosen (min(k, selectable entries)).
     */
    public int select(float[] row, int off, int len, int[] outIdx, float[] outVal, int outOff) {
        float t = Float.NEGATIVE_INFINITY;
        int m = 0;
        int j = 0;
        FloatVector tv = FloatVector.broadcast(S, t);
        int bound = S.loopBound(len);
        for (; j < bound; j += L) {
            VectorMask<Float> above = FloatVector.fromArray(S, row, off + j).compare(VectorOperators.GT, tv);
            if (!above.anyTrue()) continue;
            long bits = above.toLong();
            while (bits != 0) {
                int lane = Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                float x = row[off + j + lane];
                if (x > t) {   // t may have risen earlier in this vector
                    values[m] = x;
                    indices[m] = j + lane;
                    if (++m == capacity) {
                        t = compact(m);
                        m = k;
                        tv = FloatVector.broadcast(S, t);
                    }
                }
            }
        }
        for (; j < len; j++) {
            float x = row[off + j];
            if (x > t) {
                values[m] = x;
                indices[m] = j;
                if (++m == capacity) {
                    t = compact(m);
                    m = k;
                }
            }
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
        float kth = kthLargest(work, m, k);
        int greater = 0;
        for (int i = 0; i < m; i++) if (values[i] > kth) greater++;
        int equalSlots = k - greater;   // ties at the threshold: the lowest indices, i.e. the earliest candidates
        int w = 0;
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
     * The k-th largest of a[0, m) (1-based k), reordering a. Quickselect with a median-of-three pivot and a three-way
     * partition (so runs of equal values cost one pass); falls back to sorting the remaining range if the pivots keep
     * failing, which bounds the worst case at O(m log m).
     */
    static float kthLargest(float[] a, int m, int k) {
        int target = m - k;          // rank in ascending order
        int lo = 0, hi = m - 1;
        int budget = 2 * (32 - Integer.numberOfLeadingZeros(m)) + 4;
        while (lo < hi) {
            if (budget-- == 0) {
                java.util.Arrays.sort(a, lo, hi + 1);
                return a[target];
            }
            float pivot = medianOfThree(a[lo], a[(lo + hi) >>> 1], a[hi]);
            // Three-way partition: [lo, lt) < pivot, [lt, i) == pivot, (gt, hi] > pivot.
            int lt = lo, i = lo, gt = hi;
            while (i <= gt) {
                float x = a[i];
                if (x < pivot) {
                    a[i++] = a[lt];
                    a[lt++] = x;
                } else if (x > pivot) {
                    a[i] = a[gt];
                    a[gt--] = x;
                } else {
                    i++;
                }
            }
            if (target < lt) hi = lt - 1;
            else if (target > gt) lo = gt + 1;
            else return pivot;
        }
        return a[target];
    }

    private static float medianOfThree(float a, float b, float c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }
}
