package dev.canopy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sixteen dot products at once on 16-lane vectors: out[outOff + i] = a[aAt[i] ..] . b[bAt[i] ..] over dim floats (dim a
 * multiple of 16), each with exactly the bits of {@link VecOps#dot}. Each product ends as a vector of partial sums;
 * rows i and i+8 fold theirs by halves, those pairs fold by quarters (a quad: rows i, i+8, i+4, i+12), and the quads by
 * eighths and sixteenths, pairing lanes in VecOps.sum's order, so lane i of the last fold is row i's sum. Sixteen lone
 * dot products would each end with four dependent shuffles; here the sixteen share fifteen folds.
 *
 * <p>No helper calls: C2 stops inlining calls in a method once its graph is large, and a vector crossing a call that is
 * not inlined becomes an object (measured: 13 MB allocated per 16384 routed rows, twice the time), so results go out
 * through arrays. Tree routing ({@code DecisionTree}) has these folds written out in its own per-level step instead:
 * its levels form a chain, and the trips through arrays made it 13% slower.
 */
public final class SixteenDots {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Whether this machine's vectors have the 16 lanes this kernel needs. */
    public static final boolean AVAILABLE = S.length() == 16;

    private SixteenDots() {}

    /**
     * out[outOff + i] for i below 16; park holds at least 64 floats of scratch. The four quads' folded vectors pass
     * through park: as calls, vectors would cross method boundaries the JIT may not inline (see above).
     */
    public static void into(float[] a, int[] aAt, float[] b, int[] bAt, int dim, float[] out, int outOff, float[] park) {
        for (int quad = 0; quad < 4; quad++) {
            int r = QUAD_FIRST[quad]; // the quad's rows: r, r + 8, r + 4, r + 12
            int ai = aAt[r], aj = aAt[r + 8], ak = aAt[r + 4], al = aAt[r + 12], bi = bAt[r], bj = bAt[r + 8], bk = bAt[r + 4], bl = bAt[r + 12];
            FloatVector pi = FloatVector.zero(S), pj = pi, pk = pi, pl = pi;
            for (int c = 0; c < dim; c += 16) {
                pi = FloatVector.fromArray(S, a, ai + c).fma(FloatVector.fromArray(S, b, bi + c), pi);
                pj = FloatVector.fromArray(S, a, aj + c).fma(FloatVector.fromArray(S, b, bj + c), pj);
                pk = FloatVector.fromArray(S, a, ak + c).fma(FloatVector.fromArray(S, b, bk + c), pk);
                pl = FloatVector.fromArray(S, a, al + c).fma(FloatVector.fromArray(S, b, bl + c), pl);
            }
            FloatVector ij = pi.blend(pj, HALF).add(pj.blend(pi, HALF).rearrange(X8));
            FloatVector kl = pk.blend(pl, HALF).add(pl.blend(pk, HALF).rearrange(X8));
            ij.blend(kl, QUARTER).add(kl.blend(ij, QUARTER).rearrange(X4)).intoArray(park, quad * 16);
        }
        FloatVector q0 = FloatVector.fromArray(S, park, 0), q1 = FloatVector.fromArray(S, park, 16);
        FloatVector q2 = FloatVector.fromArray(S, park, 32), q3 = FloatVector.fromArray(S, park, 48);
        FloatVector e0 = q0.blend(q1, EIGHTH).add(q1.blend(q0, EIGHTH).rearrange(X2));
        FloatVector e1 = q2.blend(q3, EIGHTH).add(q3.blend(q2, EIGHTH).rearrange(X2));
        e0.blend(e1, SIXTEENTH).add(e1.blend(e0, SIXTEENTH).rearrange(X1)).intoArray(out, outOff);
    }

    /** The first row of each quad: quads 0-3 hold rows {0,8,4,12}, {2,10,6,14}, {1,9,5,13}, {3,11,7,15}. */
    private static final int[] QUAD_FIRST = {0, 2, 1, 3};

    private static VectorMask<Float> laneBit(int bit) {
        boolean[] set = new boolean[S.length()];
        for (int i = 0; i < set.length; i++) set[i] = (i & bit) != 0;
        return VectorMask.fromValues(S, set);
    }

    private static VectorShuffle<Float> laneSwap(int bit) {
        return VectorShuffle.fromOp(S, i -> i ^ (bit % S.length()));
    }

    private static final VectorMask<Float> HALF = laneBit(8), QUARTER = laneBit(4), EIGHTH = laneBit(2), SIXTEENTH = laneBit(1);
    private static final VectorShuffle<Float> X8 = laneSwap(8), X4 = laneSwap(4), X2 = laneSwap(2), X1 = laneSwap(1);
}
