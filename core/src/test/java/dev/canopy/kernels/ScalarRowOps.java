package dev.canopy.kernels;

/**
 * Plain scalar references for the vectorised kernels, computed in double: the oracles the kernel and layer tests
 * compare against. Deliberately the most obvious code, one element at a time.
 */
public final class ScalarRowOps {
    private ScalarRowOps() {}

    public static double sum(float[] x, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += x[off + i];
        return s;
    }

    public static double sumAbs(float[] x, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.abs(x[off + i]);
        return s;
    }

    public static double max(float[] x, int off, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    public static double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) a[aOff + i] * b[bOff + i];
        return s;
    }

    public static double[] softmax(float[] x, int off, int n) {
        double m = max(x, off, n);
        double[] y = new double[n];
        if (m == Double.NEGATIVE_INFINITY) return y;
        double s = 0;
        for (int i = 0; i < n; i++) s += y[i] = Math.exp(x[off + i] - m);
        for (int i = 0; i < n; i++) y[i] /= s;
        return y;
    }

    public static double logSumExp(float[] x, int off, int n) {
        double m = max(x, off, n);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(x[off + i] - m);
        return m + Math.log(s);
    }

    /** One layernorm row: returns out; stats[0] = mean, stats[1] = rstd. */
    public static double[] layerNorm(float[] x, int off, int n, float[] gamma, float[] beta, double eps, double[] stats) {
        double mean = sum(x, off, n) / n;
        double var = 0;
        for (int i = 0; i < n; i++) var += (x[off + i] - mean) * (x[off + i] - mean);
        var /= n;
        double rstd = 1 / Math.sqrt(var + eps);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = (x[off + i] - mean) * rstd * gamma[i] + beta[i];
        if (stats != null) {
            stats[0] = mean;
            stats[1] = rstd;
        }
        return out;
    }

    /**
     * Analytic layernorm backward for one row in double (recomputing mean and rstd from x): returns dx and adds into
     * dGamma and dBeta.
     */
    public static double[] layerNormBackward(float[] x, int off, int n, float[] gamma, double eps, float[] dOut, int dOff,
                                             double[] dGamma, double[] dBeta) {
        double mean = sum(x, off, n) / n, var = 0;
        for (int i = 0; i < n; i++) var += (x[off + i] - mean) * (x[off + i] - mean);
        double rstd = 1 / Math.sqrt(var / n + eps);
        double meanG = 0, meanGN = 0;
        for (int i = 0; i < n; i++) {
            double norm = (x[off + i] - mean) * rstd, g = (double) dOut[dOff + i] * gamma[i];
            meanG += g / n;
            meanGN += g * norm / n;
            dGamma[i] += dOut[dOff + i] * norm;
            dBeta[i] += dOut[dOff + i];
        }
        double[] dx = new double[n];
        for (int i = 0; i < n; i++) {
            double norm = (x[off + i] - mean) * rstd, g = (double) dOut[dOff + i] * gamma[i];
            dx[i] = rstd * (g - meanG - norm * meanGN);
        }
        return dx;
    }

    /**
     * erf in double by the series erf(x) = 2/√π · e^{-x²} · Σ_n 2^n x^{2n+1} / (1·3·…·(2n+1)): every term is positive,
     * so there is no cancellation; summed until terms fall below 1e-17 of the total (relative accuracy ~1e-15).
     */
    public static double erf(double x) {
        double ax = Math.abs(x);
        if (ax > 6) return Math.signum(x); // 1 - erf(6) = 2e-17: below double resolution of 1
        double term = ax, total = ax;
        for (int n = 1; n < 2000; n++) {
            term *= 2 * ax * ax / (2 * n + 1);
            total += term;
            if (term < 1e-17 * total) break;
        }
        return Math.signum(x) * 2 / Math.sqrt(Math.PI) * Math.exp(-ax * ax) * total;
    }

    /**
     * erfc in double with relative accuracy: 1 - erf(x) below x = 2 (erfc >= 0.0047 there, so the subtraction loses
     * at most ~3 digits of 16), and the Laplace continued fraction e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
     * evaluated bottom-up with 200 levels beyond, where it converges fast.
     */
    public static double erfc(double x) {
        if (x < 2) return 1 - erf(x);
        double f = x;
        for (int k = 200; k >= 1; k--) f = x + (k / 2.0) / f;
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }

    public static double normalCdf(double x) {
        return 0.5 * erfc(-x / Math.sqrt(2));
    }

    public static double geluErf(double x) {
        return x * normalCdf(x);
    }

    public static double geluErfGrad(double x) {
        return normalCdf(x) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    }

    public static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    public static double geluTanhGrad(double x) {
        double c = Math.sqrt(2 / Math.PI);
        double t = Math.tanh(c * (x + 0.044715 * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
    }
}
