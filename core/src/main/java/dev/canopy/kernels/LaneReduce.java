package dev.canopy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane sums (or maxima) of {@link #LANES} vectors at once: the vectors are parked in a float[] at the slots
 * {@link #slot} gives, and one shuffle network turns them into a single vector whose lane i is the reduction of vector
 * i. A sum pairs lanes i and i ^ L/2 first, then i ^ L/4, ..., as {@link VecOps#sum} does, so every lane has exactly the
 * bits VecOps.sum gives its vector; a lone reduction would instead end with log2(L) dependent shuffles of its own.
 *
 * <p>The network runs as a loop over its stages on the parked vectors rather than unrolled: C2 stops inlining within
 * a method once its graph is large, and an unrolled network of sixteen vectors was enough to leave vector helpers out
 * of line (each vector crossing such a call becomes an object).
 */
public final class LaneReduce {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    public static final int LANES = S.length();
    private static final int STAGES = Integer.numberOfTrailingZeros(LANES);
    /** Stage t pairs lane i with lane i ^ (L >> (t + 1)); lanes with that bit set take the second vector's values. */
    private static final VectorMask<Float>[] UPPER = masks();
    private static final VectorShuffle<Float>[] SWAP = swaps();
    private static final int[] SLOT = slots();

    private LaneReduce() {}

    /** Floats a park needs: LANES vectors plus one result vector. */
    public static int parkSize() {
        return LANES * LANES + LANES;
    }

    /** Where (in vectors) the vector whose reduction should land in lane i is parked. */
    public static int slot(int i) {
        return SLOT[i];
    }

    /** park[at + i] = the lane sum of the vector parked at slot(i), i < LANES; the parked vectors are overwritten. */
    public static void sums(float[] park, int at) {
        for (int t = 0, count = LANES; t < STAGES; t++, count /= 2) {
            VectorMask<Float> upper = UPPER[t];
            VectorShuffle<Float> swap = SWAP[t];
            for (int j = 0; j < count / 2; j++) {
                FloatVector a = FloatVector.fromArray(S, park, 2 * j * LANES), b = FloatVector.fromArray(S, park, (2 * j + 1) * LANES);
                a.blend(b, upper).add(b.blend(a, upper).rearrange(swap)).intoArray(park, j * LANES);
            }
        }
        System.arraycopy(park, 0, park, at, LANES);
    }

    /** park[at + i] = the lane maximum (Math.max's rules) of the vector parked at slot(i); the parked vectors are overwritten. */
    public static void maxima(float[] park, int at) {
        for (int t = 0, count = LANES; t < STAGES; t++, count /= 2) {
            VectorMask<Float> upper = UPPER[t];
            VectorShuffle<Float> swap = SWAP[t];
            for (int j = 0; j < count / 2; j++) {
                FloatVector a = FloatVector.fromArray(S, park, 2 * j * LANES), b = FloatVector.fromArray(S, park, (2 * j + 1) * LANES);
                a.blend(b, upper).max(b.blend(a, upper).rearrange(swap)).intoArray(park, j * LANES);
            }
        }
        System.arraycopy(park, 0, park, at, LANES);
    }

    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[] masks() {
        VectorMask<Float>[] m = new VectorMask[STAGES];
        for (int t = 0; t < STAGES; t++) {
            int bit = LANES >> (t + 1);
            boolean[] set = new boolean[LANES];
            for (int i = 0; i < LANES; i++) set[i] = (i & bit) != 0;
            m[t] = VectorMask.fromValues(S, set);
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] swaps() {
        VectorShuffle<Float>[] x = new VectorShuffle[STAGES];
        for (int t = 0; t < STAGES; t++) {
            int bit = LANES >> (t + 1);
            x[t] = VectorShuffle.fromOp(S, i -> i ^ bit);
        }
        return x;
    }

    /**
     * Follows one marker per slot through the network: stage t keeps, in lanes with bit L >> (t + 1) clear, the first
     * vector's lanes and, in lanes with it set, the second's, so slot s ends in the lane whose bits spell s reversed.
     */
    private static int[] slots() {
        int[] slotOfLane = new int[LANES];
        int bits = STAGES;
        for (int s = 0; s < LANES; s++) slotOfLane[Integer.reverse(s) >>> (32 - bits) & (LANES - 1)] = s;
        if (LANES == 1) slotOfLane[0] = 0;
        return slotOfLane;
    }
}
