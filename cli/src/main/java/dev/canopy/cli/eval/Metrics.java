package dev.canopy.cli.eval;

import java.util.Arrays;
import java.util.Random;

/** Small statistics for comparing embeddings: cosine, percentiles, nearest-neighbour accuracy, cross-validated probes. */
public final class Metrics {
    private Metrics() {}

    public static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.max(Math.sqrt(na * nb), 1e-30);
    }

    public static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    /** The p-th percentile (0..100) with linear interpolation between order statistics. */
    public static double percentile(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        double pos = p / 100.0 * (s.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }

    /** Leave-one-out 1-nearest-neighbour accuracy under cosine similarity. */
    public static double nearestNeighbourAccuracy(float[][] x, int[] labels) {
        int correct = 0;
        for (int i = 0; i < x.length; i++) {
            int best = -1;
            double bestSim = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < x.length; j++) {
                if (j == i) continue;
                double s = cosine(x[i], x[j]);
                if (s > bestSim) {
                    bestSim = s;
                    best = j;
                }
            }
            if (best >= 0 && labels[best] == labels[i]) correct++;
        }
        return (double) correct / x.length;
    }

    /**
     * k-fold cross-validated accuracy of a logistic-regression probe. {@code train} supplies the features the probe
     * is fitted on and {@code test} those it is scored on (pass the same array for the usual CV; pass exact
     * embeddings as train and top-k ones as test to ask whether a probe fitted on the exact model still works).
     */
    public static double probeAccuracy(float[][] train, float[][] test, int[] labels, int folds, long seed) {
        int n = labels.length;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Random rng = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int correct = 0;
        for (int f = 0; f < folds; f++) {
            int from = n * f / folds, to = n * (f + 1) / folds;
            float[][] xTrain = new float[n - (to - from)][];
            int[] yTrain = new int[xTrain.length];
            int t = 0;
            for (int i = 0; i < n; i++) {
                if (i >= from && i < to) continue;
                xTrain[t] = train[order[i]];
                yTrain[t++] = labels[order[i]];
            }
            LogisticProbe probe = LogisticProbe.fit(xTrain, yTrain, 1e-3, 400);
            for (int i = from; i < to; i++) if (probe.predict(test[order[i]]) == labels[order[i]]) correct++;
        }
        return (double) correct / n;
    }
}
