package dev.canopy.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.canopy.kernels.ScalarRowOps;
import dev.canopy.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Gelu (both kinds), Relu and Residual layers: forward against scalar references, backward against finite differences. */
class ActivationLayersTest {

    @Test
    void geluForwardAndBackward() {
        Random rng = new Random(1);
        for (Gelu.Kind kind : Gelu.Kind.values()) {
            Gelu gelu = new Gelu(kind);
            int n = 53;
            float[] x = GradCheck.random(rng, n, 2f), w = GradCheck.random(rng, n, 1f), y = new float[n];
            Gelu.Saved saved = gelu.forward(n, x, y);
            for (int i = 0; i < n; i++) {
                double ref = kind == Gelu.Kind.ERF ? ScalarRowOps.geluErf(x[i]) : ScalarRowOps.geluTanh(x[i]);
                assertEquals(ref, y[i], 1e-6 * Math.max(1, Math.abs(x[i])), kind + " x=" + x[i]);
            }
            float[] dx = new float[n];
            gelu.backward(saved, w, dx);
            double[] numerical = GradCheck.numerical(x, () -> {
                gelu.forward(n, x, y);
                return GradCheck.dot(y, w);
            }, 1e-2f);
            GradCheck.assertClose("Gelu " + kind + " dx", numerical, dx, 1e-3, 1e-5);
        }
    }

    @Test
    void geluIsParallelSafeOnLargeInputs() {
        // Larger than one parallel grain: every element must match the single-threaded kernel.
        Random rng = new Random(2);
        int n = 100_003;
        float[] x = GradCheck.random(rng, n, 2f), y = new float[n], expected = new float[n];
        new Gelu(Gelu.Kind.ERF).forward(n, x, y);
        dev.canopy.kernels.Activations.geluErf(x, 0, expected, 0, n);
        for (int i = 0; i < n; i++) assertEquals(expected[i], y[i], 0f);
    }

    @Test
    void reluForwardBackwardAndInPlace() {
        Random rng = new Random(3);
        int n = 41;
        Relu relu = new Relu();
        float[] x = GradCheck.random(rng, n, 1f), w = GradCheck.random(rng, n, 1f), y = new float[n];
        Relu.Saved saved = relu.forward(n, x, y);
        for (int i = 0; i < n; i++) assertEquals(Math.max(0f, x[i]), y[i], 0f);
        float[] dx = new float[n];
        relu.backward(saved, w, dx);
        // Inputs are Gaussian, so none lies within eps of the kink at 0 (checked, to keep the difference meaningful).
        for (float v : x) org.junit.jupiter.api.Assertions.assertTrue(Math.abs(v) > 1e-3f);
        double[] numerical = GradCheck.numerical(x, () -> {
            relu.forward(n, x, y);
            return GradCheck.dot(y, w);
        }, 1e-4f);
        GradCheck.assertClose("Relu dx", numerical, dx, 1e-3, 1e-5);

        float[] inPlace = x.clone();
        Relu.Saved s2 = relu.forward(n, inPlace, inPlace);
        float[] dx2 = w.clone();
        relu.backward(s2, dx2, dx2);
        for (int i = 0; i < n; i++) assertEquals(dx[i], dx2[i], 0f);
    }

    @Test
    void residualForwardBackward() {
        Random rng = new Random(4);
        int n = 29;
        Residual res = new Residual();
        float[] a = GradCheck.random(rng, n, 1f), b = GradCheck.random(rng, n, 1f), w = GradCheck.random(rng, n, 1f);
        float[] out = new float[n];
        res.forward(n, a, b, out);
        for (int i = 0; i < n; i++) assertEquals(a[i] + b[i], out[i], 0f);
        float[] da = new float[n], db = new float[n];
        res.backward(n, w, da, db);
        java.util.function.DoubleSupplier loss = () -> {
            res.forward(n, a, b, out);
            return GradCheck.dot(out, w);
        };
        GradCheck.assertClose("Residual da", GradCheck.numerical(a, loss, 1e-2f), da, 1e-4, 1e-6);
        GradCheck.assertClose("Residual db", GradCheck.numerical(b, loss, 1e-2f), db, 1e-4, 1e-6);
        float[] acc = b.clone();
        res.backwardAccumulate(n, w, acc);
        for (int i = 0; i < n; i++) assertEquals(b[i] + w[i], acc[i], 1e-6f);
    }
}
