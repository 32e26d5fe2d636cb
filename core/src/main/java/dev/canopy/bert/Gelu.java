package dev.canopy.bert;

/** GELU with the exact error function, x/2 (1 + erf(x / sqrt 2)), as BERT's "gelu" activation. */
final class Gelu {
    private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);

    private Gelu() {}

    static float of(float x) {
        return (float) (0.5 * x * (1.0 + erf(x * INV_SQRT2)));
    }

    static void apply(float[] a, int from, int to) {
        for (int i = from; i < to; i++) a[i] = of(a[i]);
    }

    /**
     * erf via the complementary error function's Chebyshev-fitted exponential form (Numerical Recipes' erfcc), with
     * absolute error below 1.2e-7 everywhere: far inside float rounding of the activations that follow.
     */
    static double erf(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1.0 - r : r - 1.0;
    }
}
