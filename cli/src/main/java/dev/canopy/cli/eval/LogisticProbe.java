package dev.canopy.cli.eval;

import java.util.Arrays;

/**
 * Binary logistic regression on standardised features, fitted by full-batch gradient descent with L2 on the weights:
 * the usual "linear probe" on frozen embeddings. Labels are 0 or 1.
 */
public final class LogisticProbe {
    private final double[] mean, invStd, w;
    private final double bias;

    private LogisticProbe(double[] mean, double[] invStd, double[] w, double bias) {
        this.mean = mean;
        this.invStd = invStd;
        this.w = w;
        this.bias = bias;
    }

    public static LogisticProbe fit(float[][] x, int[] y, double l2, int steps) {
        int n = x.length, d = x[0].length;
        double[] mean = new double[d], invStd = new double[d];
        for (float[] row : x) for (int j = 0; j < d; j++) mean[j] += row[j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (float[] row : x) for (int j = 0; j < d; j++) invStd[j] += (row[j] - mean[j]) * (row[j] - mean[j]);
        for (int j = 0; j < d; j++) invStd[j] = 1.0 / Math.sqrt(invStd[j] / n + 1e-12);
        double[][] z = new double[n][d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) z[i][j] = (x[i][j] - mean[j]) * invStd[j];

        double[] w = new double[d], g = new double[d];
        double b = 0, lr = 0.5;
        for (int step = 0; step < steps; step++) {
            Arrays.fill(g, 0);
            double gb = 0;
            for (int i = 0; i < n; i++) {
                double err = sigmoid(dot(w, z[i]) + b) - y[i];
                for (int j = 0; j < d; j++) g[j] += err * z[i][j];
                gb += err;
            }
            for (int j = 0; j < d; j++) w[j] -= lr * (g[j] / n + l2 * w[j]);
            b -= lr * gb / n;
        }
        return new LogisticProbe(mean, invStd, w, b);
    }

    public double probability(float[] x) {
        double s = bias;
        for (int j = 0; j < w.length; j++) s += w[j] * (x[j] - mean[j]) * invStd[j];
        return sigmoid(s);
    }

    public int predict(float[] x) {
        return probability(x) >= 0.5 ? 1 : 0;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double sigmoid(double s) {
        return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
    }
}
