package dev.canopy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax steps over one row of a blocked score tile, as blocked attention (exact, tree) uses them. Rows are padded to
 * a multiple of {@link Tiles#LANES}, with -inf in padding and masked slots, so no tails are needed and exp turns
 * those slots into exact zeros.
 */
public final class ScoreRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private ScoreRows() {}

    public static float max(float[] a, int off, int len) {
        FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < len; j += L) mx = mx.max(FloatVector.fromArray(S, a, off + j));
        return mx.reduceLanes(VectorOperators.MAX);
    }

    /** a = exp(a - shift) in place; returns the row sum (the online softmax's new mass). */
    public static float expShifted(float[] a, int off, int len, float shift) {
        FloatVector sh = FloatVector.broadcast(S, shift);
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < len; j += L) {
            FloatVector e = SpecialFunctions.exp(FloatVector.fromArray(S, a, off + j).sub(sh));
            e.intoArray(a, off + j);
            sum = sum.add(e);
        }
        return VecOps.sum(sum);
    }

    public static void scale(float[] a, int off, int len, float f) {
        FloatVector fv = FloatVector.broadcast(S, f);
        for (int j = 0; j < len; j += L) FloatVector.fromArray(S, a, off + j).mul(fv).intoArray(a, off + j);
    }

    /** a = exp(a * scale - lse): the forward's probabilities recomputed from the saved log-sum-exp. */
    public static void probabilities(float[] a, int off, int len, float scale, float lse) {
        FloatVector sv = FloatVector.broadcast(S, scale), minusLse = FloatVector.broadcast(S, -lse);
        for (int j = 0; j < len; j += L) {
            SpecialFunctions.exp(FloatVector.fromArray(S, a, off + j).fma(sv, minusLse)).intoArray(a, off + j);
        }
    }

    /** dS = P * (dP - D) * scale, written over dP (D = dO . O, the softmax backward's row term). */
    public static void softmaxGrad(float[] p, float[] dp, int off, int len, float rowDot, float scale) {
        FloatVector dv = FloatVector.broadcast(S, rowDot), sv = FloatVector.broadcast(S, scale);
        for (int j = 0; j < len; j += L) {
            FloatVector pj = FloatVector.fromArray(S, p, off + j);
            FloatVector.fromArray(S, dp, off + j).sub(dv).mul(pj).mul(sv).intoArray(dp, off + j);
        }
    }
}
