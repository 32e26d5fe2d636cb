package dev.canopy.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.DoubleSupplier;

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
}
