package dev.canopy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise steps between the matrix products of a post-LayerNorm transformer at inference, each fused into
 * one pass over the rows so an activation is read and written once: bias (+ GELU), and residual + bias + LayerNorm.
 * Rows run in parallel; nothing is kept for a backward pass.
 */
public final class InferenceRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private InferenceRows() {}

    /** x[r, :] += bias for rows r of width cols (stride cols). */
    public static void addBias(int rows, int cols, float[] x, float[] bias) {
        Parallel.forRanges(rows, RowOps.rowGrain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) RowOps.add(x, r * cols, bias, 0, x, r * cols, cols);
        });
    }

    /**
     * x[r, :] = gelu(x[r, :] + bias), the exact (erf) GELU x·Φ(x) with {@link SpecialFunctions#normalCdf}, as
     * {@link Activations#geluErf} computes it.
     */
    public static void addBiasGelu(int rows, int cols, float[] x, float[] bias) {
        Parallel.forRanges(rows, RowOps.rowGrain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * cols, i = 0;
                for (int bound = S.loopBound(cols); i < bound; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, o + i).add(FloatVector.fromArray(S, bias, i));
                    v.mul(SpecialFunctions.normalCdf(v)).intoArray(x, o + i);
                }
                if (i < cols) {
                    VectorMask<Float> m = S.indexInRange(i, cols);
                    FloatVector v = FloatVector.fromArray(S, x, o + i, m).add(FloatVector.fromArray(S, bias, i, m));
                    v.mul(SpecialFunctions.normalCdf(v)).intoArray(x, o + i, m);
                }
            }
        });
    }

    /**
     * x = LayerNorm(x + y + bias) row by row (two-pass mean and variance as {@link LayerNormRows}); y is left holding
     * x + y + bias.
     */
    public static void residualBiasNorm(int rows, int cols, float[] x, float[] y, float[] bias, float[] gamma, float[] beta, float eps) {
        Parallel.forRanges(rows, RowOps.rowGrain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * cols;
                RowOps.add(y, o, bias, 0, y, o, cols);
                RowOps.add(y, o, x, o, y, o, cols);
                normRow(cols, y, o, gamma, beta, eps, x, o);
            }
        });
    }

    /** out = LayerNorm(x) for rows of width cols. */
    public static void norm(int rows, int cols, float[] x, float[] gamma, float[] beta, float eps, float[] out) {
        Parallel.forRanges(rows, RowOps.rowGrain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) normRow(cols, x, r * cols, gamma, beta, eps, out, r * cols);
        });
    }

    private static void normRow(int cols, float[] x, int xo, float[] gamma, float[] beta, float eps, float[] out, int oo) {
        LayerNormRows.normalizeRow(cols, x, xo, gamma, beta, eps, out, oo, null, null, 0);
    }
}
