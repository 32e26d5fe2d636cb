package dev.canopy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Layer normalisation over the last dimension of a contiguous [rows x cols] block:
 * out = (x - mean) · rstd · gamma + beta with rstd = 1 / sqrt(var + eps) and the biased (1/cols) variance.
 * The mean is computed first and the variance as a second pass over (x - mean)², which avoids the cancellation of
 * E[x²] - E[x]² when rows have a large offset.
 */
public final class LayerNormRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private LayerNormRows() {}

    /**
     * Forward over rows in parallel. x and out are [rows x cols] at their offsets (out may alias x); gamma and beta are
     * [cols] at offset 0; mean and rstd, [rows] at offset 0, receive the per-row statistics the backward needs.
     */
    public static void forward(int rows, int cols, float[] x, int xOff, float[] gamma, float[] beta, float eps,
                               float[] out, int outOff, float[] mean, float[] rstd) {
        Parallel.forRanges(rows, RowOps.rowGrain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) normalizeRow(cols, x, xOff + r * cols, gamma, beta, eps, out, outOff + r * cols, mean, rstd, r);
        });
    }

    /**
     * One row: out[oo..] = LayerNorm(x[xo..]). When mean and rstd are given, slot r receives the row's statistics (the
     * backward needs them; inference passes null).
     */
    static void normalizeRow(int cols, float[] x, int xo, float[] gamma, float[] beta, float eps, float[] out, int oo,
                             float[] mean, float[] rstd, int r) {
        float mu = RowOps.sum(x, xo, cols) / cols;
        float var = RowOps.sumSquaredDeviations(x, xo, cols, mu) / cols;
        float rs = (float) (1.0 / Math.sqrt(var + eps));
        if (mean != null) {
            mean[r] = mu;
            rstd[r] = rs;
        }
        FloatVector vmu = FloatVector.broadcast(S, mu), vrs = FloatVector.broadcast(S, rs);
        int i = 0;
        for (int bound = S.loopBound(cols); i < bound; i += L) {
            FloatVector norm = FloatVector.fromArray(S, x, xo + i).sub(vmu).mul(vrs);
            norm.fma(FloatVector.fromArray(S, gamma, i), FloatVector.fromArray(S, beta, i)).intoArray(out, oo + i);
        }
        if (i < cols) {
            VectorMask<Float> m = S.indexInRange(i, cols);
            FloatVector norm = FloatVector.fromArray(S, x, xo + i, m).sub(vmu).mul(vrs);
            norm.fma(FloatVector.fromArray(S, gamma, i, m), FloatVector.fromArray(S, beta, i, m)).intoArray(out, oo + i, m);
        }
    }

    /**
     * Backward. Writes (overwrites) dx [rows x cols] and adds into dGamma and dBeta [cols]. With norm = (x-mean)·rstd and
     * g = dOut·gamma: dx = rstd · (g - mean(g) - norm · mean(g·norm)); dGamma += Σ_rows dOut·norm; dBeta += Σ_rows dOut.
     * dx may alias dOut. dx may be null to compute only the parameter gradients.
     */
    public static void backward(int rows, int cols, float[] x, int xOff, float[] mean, float[] rstd, float[] gamma,
                                float[] dOut, int dOutOff, float[] dx, int dxOff, float[] dGamma, float[] dBeta) {
        // Parameter gradients first (dx may alias dOut): parallel over column ranges so no two tasks share an output.
        Parallel.forRanges(cols, Math.max(L, (1 << 14) / Math.max(1, rows)), (c0, c1) -> {
            for (int r = 0; r < rows; r++) {
                int xo = xOff + r * cols, go = dOutOff + r * cols;
                FloatVector vmu = FloatVector.broadcast(S, mean[r]), vrs = FloatVector.broadcast(S, rstd[r]);
                int i = c0;
                for (int bound = c0 + S.loopBound(c1 - c0); i < bound; i += L) {
                    FloatVector g = FloatVector.fromArray(S, dOut, go + i);
                    FloatVector norm = FloatVector.fromArray(S, x, xo + i).sub(vmu).mul(vrs);
                    g.fma(norm, FloatVector.fromArray(S, dGamma, i)).intoArray(dGamma, i);
                    g.add(FloatVector.fromArray(S, dBeta, i)).intoArray(dBeta, i);
                }
                if (i < c1) {
                    VectorMask<Float> m = S.indexInRange(i, c1);
                    FloatVector g = FloatVector.fromArray(S, dOut, go + i, m);
                    FloatVector norm = FloatVector.fromArray(S, x, xo + i, m).sub(vmu).mul(vrs);
                    g.fma(norm, FloatVector.fromArray(S, dGamma, i, m)).intoArray(dGamma, i, m);
                    g.add(FloatVector.fromArray(S, dBeta, i, m)).intoArray(dBeta, i, m);
                }
            }
        });
        if (dx == null) return;
        Parallel.forRanges(rows, RowOps.rowGrain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) backwardRow(cols, x, xOff + r * cols, mean[r], rstd[r], gamma, dOut,
                    dOutOff + r * cols, dx, dxOff + r * cols);
        });
    }

    private static void backwardRow(int cols, float[] x, int xo, float mu, float rs, float[] gamma,
                                    float[] dOut, int go, float[] dx, int dxo) {
        FloatVector vmu = FloatVector.broadcast(S, mu), vrs = FloatVector.broadcast(S, rs);
        FloatVector sumG = FloatVector.zero(S), sumGN = FloatVector.zero(S);
        int bound = S.loopBound(cols);
        VectorMask<Float> tail = S.indexInRange(bound, cols);
        for (int i = 0; i < bound; i += L) {
            FloatVector g = FloatVector.fromArray(S, dOut, go + i).mul(FloatVector.fromArray(S, gamma, i));
            FloatVector norm = FloatVector.fromArray(S, x, xo + i).sub(vmu).mul(vrs);
            sumG = sumG.add(g);
            sumGN = g.fma(norm, sumGN);
        }
        if (bound < cols) { // masked-off lanes load as 0, so they add nothing
            FloatVector g = FloatVector.fromArray(S, dOut, go + bound, tail).mul(FloatVector.fromArray(S, gamma, bound, tail));
            FloatVector norm = FloatVector.fromArray(S, x, xo + bound, tail).sub(vmu).mul(vrs);
            sumG = sumG.add(g);
            sumGN = g.fma(norm, sumGN);
        }
        FloatVector meanG = FloatVector.broadcast(S, VecOps.sum(sumG) / cols);
        FloatVector meanGN = FloatVector.broadcast(S, VecOps.sum(sumGN) / cols);
        for (int i = 0; i < bound; i += L) {
            FloatVector g = FloatVector.fromArray(S, dOut, go + i).mul(FloatVector.fromArray(S, gamma, i));
            FloatVector norm = FloatVector.fromArray(S, x, xo + i).sub(vmu).mul(vrs);
            g.sub(meanG).sub(norm.mul(meanGN)).mul(vrs).intoArray(dx, dxo + i);
        }
        if (bound < cols) {
            FloatVector g = FloatVector.fromArray(S, dOut, go + bound, tail).mul(FloatVector.fromArray(S, gamma, bound, tail));
            FloatVector norm = FloatVector.fromArray(S, x, xo + bound, tail).sub(vmu).mul(vrs);
            g.sub(meanG).sub(norm.mul(meanGN)).mul(vrs).intoArray(dx, dxo + bound, tail);
        }
    }
}
