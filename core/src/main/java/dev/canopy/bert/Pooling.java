package dev.canopy.bert;

/** sentence-transformers pooling over rows [row, row + n) of hidden states of width h, summed in double. */
final class Pooling {
    private Pooling() {}

    /** The mean over the rows. */
    static float[] mean(float[] x, int row, int n, int h) {
        double[] sum = sum(x, row, n, h);
        float[] e = new float[h];
        for (int j = 0; j < h; j++) e[j] = (float) (sum[j] / n);
        return e;
    }

    /** The mean over the rows divided by its L2 norm (sentence-transformers' Normalize: by max(||x||, 1e-12)). */
    static float[] meanNormalized(float[] x, int row, int n, int h) {
        double[] sum = sum(x, row, n, h);
        double norm = 0;
        for (int j = 0; j < h; j++) {
            sum[j] /= n;
            norm += sum[j] * sum[j];
        }
        double inv = 1.0 / Math.max(Math.sqrt(norm), 1e-12);
        float[] e = new float[h];
        for (int j = 0; j < h; j++) e[j] = (float) (sum[j] * inv);
        return e;
    }

    private static double[] sum(float[] x, int row, int n, int h) {
        double[] sum = new double[h];
        for (int i = 0; i < n; i++) for (int j = 0; j < h; j++) sum[j] += x[(row + i) * h + j];
        return sum;
    }
}
