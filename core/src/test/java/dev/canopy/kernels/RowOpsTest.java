package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Vectorised row kernels against the double-precision scalar references, over sizes around the vector length (tails),
 * and at nonzero offsets with sentinels on both sides to catch writes outside [off, off + n).
 * Tolerances: reductions |err| <= 1e-6 · Σ|terms| (float accumulation); element-wise results 1e-6 relative;
 * softmax 2e-6 relative per element.
 */
class RowOpsTest {
    static final int[] SIZES = {1, 2, 7, 15, 16, 17, 31, 32, 33, 64, 100, 1000, 1027};
    static final float SENTINEL = 12345.5f;

    static float[] padded(Random rng, int off, int n, float scale) {
        float[] a = new float[off + n + 19];
        java.util.Arrays.fill(a, SENTINEL);
        for (int i = 0; i < n; i++) a[off + i] = (float) (rng.nextGaussian() * scale);
        return a;
    }

    static void assertOutsideUntouched(float[] a, int off, int n) {
        for (int i = 0; i < off; i++) assertEquals(SENTINEL, a[i], "wrote before the range at " + i);
        for (int i = off + n; i < a.length; i++) assertEquals(SENTINEL, a[i], "wrote after the range at " + i);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 16})
    void reductionsMatchReference(int off) {
        Random rng = new Random(11 + off);
        for (int n : SIZES) {
            float[] a = padded(rng, off, n, 3f), b = padded(rng, off + 1, n, 2f);
            double absA = ScalarRowOps.sumAbs(a, off, n);
            assertEquals(ScalarRowOps.sum(a, off, n), RowOps.sum(a, off, n), 1e-6 * absA, "sum n=" + n);
            assertEquals(ScalarRowOps.max(a, off, n), RowOps.max(a, off, n), 0.0, "max n=" + n);
            double dotScale = 0, sq = 0;
            for (int i = 0; i < n; i++) {
                dotScale += Math.abs((double) a[off + i] * b[off + 1 + i]);
                sq += (double) a[off + i] * a[off + i];
            }
            assertEquals(ScalarRowOps.dot(a, off, b, off + 1, n), RowOps.dot(a, off, b, off + 1, n), 1e-6 * dotScale, "dot n=" + n);
            assertEquals(sq, RowOps.sumSquares(a, off, n), 1e-6 * sq, "sumSquares n=" + n);
            double mean = ScalarRowOps.sum(a, off, n) / n, dev = 0;
            for (int i = 0; i < n; i++) dev += (a[off + i] - mean) * (a[off + i] - mean);
            assertEquals(dev, RowOps.sumSquaredDeviations(a, off, n, (float) mean), 1e-5 * dev + 1e-6, "deviations n=" + n);
        }
    }

    @Test
    void maxOfEmptyRowIsNegativeInfinity() {
        assertEquals(Float.NEGATIVE_INFINITY, RowOps.max(new float[4], 2, 0));
        assertEquals(Float.NEGATIVE_INFINITY, RowOps.max(new float[] {Float.NEGATIVE_INFINITY}, 0, 1));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5, 17})
    void elementwiseMatchReferenceAndStayInRange(int off) {
        Random rng = new Random(23 + off);
        for (int n : SIZES) {
            float[] a = padded(rng, off, n, 1f), b = padded(rng, off + 2, n, 1f);
            float[] out = padded(rng, off + 1, 0, 1f);
            out = java.util.Arrays.copyOf(out, off + 1 + n + 19);
            java.util.Arrays.fill(out, SENTINEL);
            RowOps.add(a, off, b, off + 2, out, off + 1, n);
            for (int i = 0; i < n; i++) assertEquals(a[off + i] + b[off + 2 + i], out[off + 1 + i], 0f);
            assertOutsideUntouched(out, off + 1, n);

            java.util.Arrays.fill(out, SENTINEL);
            RowOps.scale(a, off, -2.5f, out, off + 1, n);
            for (int i = 0; i < n; i++) assertEquals(-2.5f * a[off + i], out[off + 1 + i], 0f);
            assertOutsideUntouched(out, off + 1, n);

            float[] y = b.clone();
            RowOps.axpy(0.75f, a, off, y, off + 2, n);
            for (int i = 0; i < n; i++) {
                double expected = b[off + 2 + i] + 0.75 * a[off + i];
                assertEquals(expected, y[off + 2 + i], 1e-6 * (Math.abs(b[off + 2 + i]) + Math.abs(0.75 * a[off + i])) + 1e-30);
            }
            assertOutsideUntouched(y, off + 2, n);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 9})
    void softmaxMatchesReference(int off) {
        Random rng = new Random(5 + off);
        for (int n : SIZES) {
            // A large shift checks the max subtraction: exp(x) alone would overflow.
            float[] x = padded(rng, off, n, 4f);
            for (int i = 0; i < n; i++) x[off + i] += 200f;
            double[] ref = ScalarRowOps.softmax(x, off, n);
            float[] out = new float[off + 3 + n + 19];
            java.util.Arrays.fill(out, SENTINEL);
            RowOps.softmax(x, off, out, off + 3, n);
            double total = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(ref[i], out[off + 3 + i], 2e-6 * ref[i] + 1e-12, "softmax n=" + n + " i=" + i);
                total += out[off + 3 + i];
            }
            assertEquals(1.0, total, 1e-5);
            assertOutsideUntouched(out, off + 3, n);
            assertEquals(ScalarRowOps.logSumExp(x, off, n), RowOps.logSumExp(x, off, n), 2e-6 * 220);
        }
    }

    @Test
    void softmaxInPlaceAndFullyMaskedRow() {
        float[] x = {1f, 2f, 3f, Float.NEGATIVE_INFINITY, 0.5f};
        double[] ref = ScalarRowOps.softmax(x, 0, 5);
        RowOps.softmax(x, 0, x, 0, 5);
        for (int i = 0; i < 5; i++) assertEquals(ref[i], x[i], 1e-6);
        assertEquals(0f, x[3]);
        float[] masked = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        RowOps.softmax(masked, 0, masked, 0, 3);
        for (float v : masked) assertEquals(0f, v);
    }

    @Test
    void softmaxBackwardMatchesFiniteDifferences() {
        Random rng = new Random(3);
        for (int n : new int[] {1, 5, 17, 40}) {
            float[] x = GradCheck.random(rng, n, 2f), w = GradCheck.random(rng, n, 1f);
            float[] y = new float[n];
            RowOps.softmax(x, 0, y, 0, n);
            float[] dx = new float[n];
            RowOps.softmaxBackward(y, 0, w, 0, dx, 0, n);
            double[] numerical = GradCheck.numerical(x, () -> {
                double[] p = ScalarRowOps.softmax(x, 0, n);
                double s = 0;
                for (int i = 0; i < n; i++) s += p[i] * w[i];
                return s;
            }, 1e-2f);
            GradCheck.assertClose("softmax dx n=" + n, numerical, dx, 1e-3, 1e-5);
        }
    }

    @Test
    void softmaxRowsMatchesPerRowAcrossThreads() {
        Random rng = new Random(8);
        int rows = 300, cols = 129, off = 7;
        float[] x = padded(rng, off, rows * cols, 3f);
        float[] out = new float[rows * cols];
        RowOps.softmaxRows(rows, cols, x, off, out, 0);
        for (int r = 0; r < rows; r++) {
            double[] ref = ScalarRowOps.softmax(x, off + r * cols, cols);
            for (int c = 0; c < cols; c++) assertEquals(ref[c], out[r * cols + c], 2e-6 * ref[c] + 1e-12);
        }
        assertTrue(out[rows * cols - 1] > 0);
    }
}
