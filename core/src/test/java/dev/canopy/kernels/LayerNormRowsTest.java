package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.canopy.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Layernorm kernel forward against the double reference (with offsets, odd widths, a large row offset). */
class LayerNormRowsTest {

    @Test
    void forwardMatchesReference() {
        Random rng = new Random(4);
        for (int cols : new int[] {1, 15, 16, 17, 33, 384, 1000}) {
            int rows = 5, xOff = 3, outOff = 6;
            float[] x = RowOpsTest.padded(rng, xOff, rows * cols, 2f);
            for (int i = 0; i < cols; i++) x[xOff + 2 * cols + i] += 1000f; // a row far from zero: two-pass variance
            float[] gamma = GradCheck.random(rng, cols, 1f), beta = GradCheck.random(rng, cols, 1f);
            float[] out = new float[outOff + rows * cols + 19];
            java.util.Arrays.fill(out, RowOpsTest.SENTINEL);
            float[] mean = new float[rows], rstd = new float[rows];
            LayerNormRows.forward(rows, cols, x, xOff, gamma, beta, 1e-5f, out, outOff, mean, rstd);
            RowOpsTest.assertOutsideUntouched(out, outOff, rows * cols);
            double[] stats = new double[2];
            for (int r = 0; r < rows; r++) {
                double[] ref = ScalarRowOps.layerNorm(x, xOff + r * cols, cols, gamma, beta, 1e-5, stats);
                assertEquals(stats[0], mean[r], 1e-6 * Math.max(1, Math.abs(stats[0])));
                assertEquals(stats[1], rstd[r], 1e-4 * stats[1], "rstd cols=" + cols + " row=" + r);
                for (int c = 0; c < cols; c++) {
                    double scale = Math.abs(gamma[c]) * 5 + Math.abs(beta[c]);
                    assertEquals(ref[c], out[outOff + r * cols + c], 2e-5 * scale, "cols=" + cols + " r=" + r + " c=" + c);
                }
            }
        }
    }

    @Test
    void backwardMatchesAnalyticReferenceWithOffsets() {
        Random rng = new Random(5);
        for (int cols : new int[] {1, 15, 16, 17, 33, 100, 1000}) {
            int rows = 7, xOff = 2, gOff = 5, dxOff = 1;
            float[] x = RowOpsTest.padded(rng, xOff, rows * cols, 2f);
            float[] dOut = RowOpsTest.padded(rng, gOff, rows * cols, 1f);
            float[] gamma = GradCheck.random(rng, cols, 1f), beta = GradCheck.random(rng, cols, 1f);
            float[] mean = new float[rows], rstd = new float[rows], out = new float[rows * cols];
            LayerNormRows.forward(rows, cols, x, xOff, gamma, beta, 1e-5f, out, 0, mean, rstd);
            float[] dx = new float[dxOff + rows * cols + 19];
            java.util.Arrays.fill(dx, RowOpsTest.SENTINEL);
            float[] dGamma = GradCheck.random(rng, cols, 1f), dBeta = GradCheck.random(rng, cols, 1f);
            double[] refGamma = new double[cols], refBeta = new double[cols];
            for (int c = 0; c < cols; c++) {
                refGamma[c] = dGamma[c];
                refBeta[c] = dBeta[c];
            }
            LayerNormRows.backward(rows, cols, x, xOff, mean, rstd, gamma, dOut, gOff, dx, dxOff, dGamma, dBeta);
            RowOpsTest.assertOutsideUntouched(dx, dxOff, rows * cols);
            for (int r = 0; r < rows; r++) {
                double[] ref = ScalarRowOps.layerNormBackward(x, xOff + r * cols, cols, gamma, 1e-5, dOut, gOff + r * cols, refGamma, refBeta);
                double scale = 0;
                for (double v : ref) scale = Math.max(scale, Math.abs(v));
                for (int c = 0; c < cols; c++) {
                    assertEquals(ref[c], dx[dxOff + r * cols + c], 1e-4 * scale + 1e-6, "dx cols=" + cols + " r=" + r + " c=" + c);
                }
            }
            GradCheck.assertClose("dGamma cols=" + cols, refGamma, toDouble(dGamma), 1e-5, 1e-5);
            GradCheck.assertClose("dBeta cols=" + cols, refBeta, toDouble(dBeta), 1e-5, 1e-5);
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
