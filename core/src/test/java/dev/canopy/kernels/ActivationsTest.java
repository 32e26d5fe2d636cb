package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * GELU (erf and tanh forms), ReLU and their derivatives against double references at odd sizes and offsets.
 * Tolerance: |y - ref| <= 1e-6 · max(1, |x|) for values and derivatives (float rounding of x·Φ(x) plus the erfc error).
 */
class ActivationsTest {
    static final int[] SIZES = {1, 15, 16, 17, 33, 1000};

    interface Kernel {
        void run(float[] x, int xOff, float[] y, int yOff, int n);
    }

    interface BackwardKernel {
        void run(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n);
    }

    static void check(String name, Kernel forward, java.util.function.DoubleUnaryOperator ref,
                      BackwardKernel backward, java.util.function.DoubleUnaryOperator grad) {
        Random rng = new Random(name.hashCode());
        double worst = 0;
        for (int n : SIZES) {
            for (int off : new int[] {0, 3}) {
                float[] x = RowOpsTest.padded(rng, off, n, 3f);
                if (n > 4) {
                    x[off] = -9f; // deep in the negative tail
                    x[off + 1] = 0f;
                }
                float[] y = new float[off + 1 + n + 19];
                java.util.Arrays.fill(y, RowOpsTest.SENTINEL);
                forward.run(x, off, y, off + 1, n);
                RowOpsTest.assertOutsideUntouched(y, off + 1, n);
                float[] dy = RowOpsTest.padded(rng, off + 2, n, 1f);
                float[] dx = new float[off + 4 + n + 19];
                java.util.Arrays.fill(dx, RowOpsTest.SENTINEL);
                backward.run(x, off, dy, off + 2, dx, off + 4, n);
                RowOpsTest.assertOutsideUntouched(dx, off + 4, n);
                for (int i = 0; i < n; i++) {
                    double xi = x[off + i], tol = 1e-6 * Math.max(1, Math.abs(xi));
                    double e1 = Math.abs(ref.applyAsDouble(xi) - y[off + 1 + i]);
                    double e2 = Math.abs(grad.applyAsDouble(xi) * dy[off + 2 + i] - dx[off + 4 + i]) / Math.max(1, Math.abs(dy[off + 2 + i]));
                    worst = Math.max(worst, Math.max(e1, e2) / Math.max(1, Math.abs(xi)));
                    assertTrue(e1 <= tol, name + " forward x=" + xi + " err " + e1);
                    assertTrue(e2 <= tol, name + " backward x=" + xi + " err " + e2);
                }
            }
        }
        System.out.printf("%s: worst error / max(1,|x|) = %.3g%n", name, worst);
    }

    @Test
    void geluErf() {
        check("geluErf", Activations::geluErf, ScalarRowOps::geluErf, Activations::geluErfBackward, ScalarRowOps::geluErfGrad);
    }

    @Test
    void geluTanh() {
        check("geluTanh", Activations::geluTanh, ScalarRowOps::geluTanh, Activations::geluTanhBackward, ScalarRowOps::geluTanhGrad);
    }

    @Test
    void relu() {
        check("relu", Activations::relu, x -> Math.max(x, 0), Activations::reluBackward, x -> x > 0 ? 1 : 0);
    }

    @Test
    void geluFormsDifferButAgreeClosely() {
        // The tanh form is an approximation of the erf form: close (|diff| < 1e-3) but not identical.
        float[] x = {-3f, -1f, -0.5f, 0.5f, 1f, 2f, 3f};
        float[] a = new float[x.length], b = new float[x.length];
        Activations.geluErf(x, 0, a, 0, x.length);
        Activations.geluTanh(x, 0, b, 0, x.length);
        double maxDiff = 0;
        for (int i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
        assertTrue(maxDiff > 1e-5 && maxDiff < 1e-3, "gelu erf vs tanh max diff " + maxDiff);
        assertEquals(0.8413447f, a[4], 1e-6f); // gelu(1) = Φ(1)
    }

    @Test
    void inPlaceForwardAndBackward() {
        Random rng = new Random(2);
        float[] x = RowOpsTest.padded(rng, 0, 37, 2f);
        float[] copy = x.clone();
        float[] expected = new float[37];
        Activations.geluErf(copy, 0, expected, 0, 37);
        Activations.geluErf(x, 0, x, 0, 37);
        for (int i = 0; i < 37; i++) assertEquals(expected[i], x[i], 0f);
    }
}
