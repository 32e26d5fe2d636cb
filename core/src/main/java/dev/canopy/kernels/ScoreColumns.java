package dev.canopy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The online softmax over a transposed score tile: keys are rows, queries are lanes (columns, a multiple of
 * {@link Tiles#LANES} wide). Each query's maximum and sum then run down a column, one vector operation per key for
 * sixteen queries at once, where a row-major tile needs a reduction across lanes per query. The inference path uses
 * it for small heads, whose products are too short to hide the softmax.
 */
public final class ScoreColumns {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private ScoreColumns() {}

    /**
     * One online-softmax step over keys rows of st (row stride ld = the lanes in use): every column's running max m and
     * mass l move to the block's, the column becomes exp(score - m), and the columns of the accumulator ot
     * ({@code otRows} rows of stride ld: the output transposed) are rescaled to match. Every column must see at least
     * one finite score per block (self-attention without masks).
     */
    public static void onlineStep(float[] st, int ld, int keys, float[] m, float[] l, float[] ot, int otRows) {
        for (int g = 0; g < ld; g += L) {
            FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), m1 = m0;
            int j = 0;
            for (; j + 2 <= keys; j += 2) {
                FloatVector x0 = FloatVector.fromArray(S, st, j * ld + g), x1 = FloatVector.fromArray(S, st, (j + 1) * ld + g);
                m0 = m0.blend(x0, x0.compare(VectorOperators.GT, m0));
                m1 = m1.blend(x1, x1.compare(VectorOperators.GT, m1));
            }
            if (j < keys) {
                FloatVector x0 = FloatVector.fromArray(S, st, j * ld + g);
                m0 = m0.blend(x0, x0.compare(VectorOperators.GT, m0));
            }
            FloatVector old = FloatVector.fromArray(S, m, g);
            FloatVector block = m0.blend(m1, m1.compare(VectorOperators.GT, m0));
            FloatVector now = old.blend(block, block.compare(VectorOperators.GT, old));
            FloatVector alpha = SpecialFunctions.expBelowOverflow(old.sub(now)); // 0 on the first block (old = -inf)
            // One exp call site per loop: each inlined copy of it is large, and past C2's inlining budget the vector
            // operations fall back to boxed Java code (measured: 2x slower overall with three sites).
            FloatVector sum = FloatVector.zero(S);
            for (j = 0; j < keys; j++) {
                FloatVector e = SpecialFunctions.expBelowOverflow(FloatVector.fromArray(S, st, j * ld + g).sub(now));
                e.intoArray(st, j * ld + g);
                sum = sum.add(e);
            }
            FloatVector.fromArray(S, l, g).mul(alpha).add(sum).intoArray(l, g);
            now.intoArray(m, g);
            for (int c = 0; c < otRows; c++) FloatVector.fromArray(S, ot, c * ld + g).mul(alpha).intoArray(ot, c * ld + g);
        }
    }
}
