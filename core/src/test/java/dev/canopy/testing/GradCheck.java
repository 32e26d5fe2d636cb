package dev.canopy.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.canopy.nn.Parameter;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleSupplier;
import java.util.stream.IntStream;

/**
 * Central finite differences for checking analytic backward passes. The loss is evaluated in double (the caller
 * returns e.g. sum(out * w) accumulated in double) and each input element is nudged by +-eps in place.
 */
public final class GradCheck {
    private GradCheck() {}

    /** Numerical gradient of loss() with respect to every element of x (x is restored afterwards). */
    public static double[] numerical(float[] x, DoubleSupplier loss, float eps) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            float saved = x[i];
            x[i] = saved + eps;
            double plus = loss.getAsDouble();
            x[i] = saved - eps;
            double minus = loss.getAsDouble();
            x[i] = saved;
            g[i] = (plus - minus) / ((double) (saved + eps) - (double) (saved - eps));
        }
        return g;
    }

    /**
     * Asserts analytic and numerical gradients agree: |a - n| <= atol + rtol * max|n| for every element
     * (the scale is the largest numerical gradient, so near-zero entries are judged against the whole tensor).
     */
    public static void assertClose(String what, double[] numerical, float[] analytic, double rtol, double atol) {
        double[] a = new double[analytic.length];
        for (int i = 0; i < a.length; i++) a[i] = analytic[i];
        assertClose(what, numerical, a, rtol, atol);
    }

    public static void assertClose(String what, double[] expected, double[] actual, double rtol, double atol) {
        if (expected.length != actual.length) fail(what + ": length " + actual.length + " != " + expected.length);
        double scale = 0;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            if (!(err <= atol + rtol * scale)) {
                fail(String.format("%s: element %d expected %.7g got %.7g (err %.3g, scale %.3g, rtol %.1g, atol %.1g)",
                        what, i, expected[i], actual[i], err, scale, rtol, atol));
            }
        }
    }

    /** sum(out[i] * w[i]) in double: a loss whose gradient with respect to out is w. */
    public static double dot(float[] out, float[] w) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += (double) out[i] * w[i];
        return s;
    }

    public static float[] random(java.util.Random rng, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rng.nextGaussian() * scale);
        return a;
    }

    /**
     * Every parameter tensor against central differences of loss, at up to 10 sampled elements each (all of them for
     * small tensors): fast, and a wrong gradient anywhere in a tensor's backward shows up at almost any element. The
     * parameters' grad must hold the analytic gradient of the same loss.
     */
    public static void assertParameterGradients(String what, Map<String, Parameter> parameters, DoubleSupplier loss) {
        Random pick = new Random(3);
        for (var e : parameters.entrySet()) {
            float[] x = e.getValue().data;
            int[] idx = x.length <= 10 ? IntStream.range(0, x.length).toArray() : pick.ints(10, 0, x.length).toArray();
            double[] numerical = new double[idx.length], analytic = new double[idx.length];
            for (int i = 0; i < idx.length; i++) {
                float orig = x[idx[i]];
                x[idx[i]] = orig + 5e-3f;
                double plus = loss.getAsDouble();
                x[idx[i]] = orig - 5e-3f;
                double minus = loss.getAsDouble();
                x[idx[i]] = orig;
                numerical[i] = (plus - minus) / 1e-2;
                analytic[i] = e.getValue().grad[idx[i]];
            }
            assertClose(what + " d" + e.getKey(), numerical, analytic, 3e-2, 2e-4);
        }
    }
}
