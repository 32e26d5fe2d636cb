package dev.canopy.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SoftmaxCrossEntropyTest {

    @Test
    void matchesHandComputedValue() {
        // Row 0: logits (1, 2, 3), label 2: loss = log(e + e² + e³) - 3 = log(1 + e^-1 + e^-2) = 0.40760596.
        // Row 1: logits (0, 0, 0), label 0: loss = log 3 = 1.09861229. Mean = 0.75310912.
        float[] logits = {1, 2, 3, 0, 0, 0};
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        SoftmaxCrossEntropy.Saved s = ce.forward(2, 3, logits, new int[] {2, 0});
        assertEquals(0.75310912, s.loss(), 1e-6);
        assertEquals(2, s.counted());
        float[] d = new float[6];
        ce.backward(s, 1f, d);
        // dlogits = (softmax - onehot) / 2; row 1 softmax is 1/3 each.
        assertEquals((1.0 / 3 - 1) / 2, d[3], 1e-7);
        assertEquals(1.0 / 6, d[4], 1e-7);
        double p2 = Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3));
        assertEquals((p2 - 1) / 2, d[2], 1e-7);
    }

    @Test
    void ignoredRowsCountForNothing() {
        float[] logits = {1, 2, 3, 5, -1, 0.5f};
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy(-100);
        SoftmaxCrossEntropy.Saved s = ce.forward(2, 3, logits, new int[] {2, -100});
        assertEquals(0.40760596, s.loss(), 1e-6);
        assertEquals(1, s.counted());
        float[] d = new float[6];
        java.util.Arrays.fill(d, 9f);
        ce.backward(s, 1f, d);
        for (int c = 3; c < 6; c++) assertEquals(0f, d[c]);
        SoftmaxCrossEntropy.Saved none = ce.forward(1, 3, logits, new int[] {-100});
        assertEquals(0.0, none.loss());
        ce.backward(none, 1f, d);
        for (int c = 0; c < 3; c++) assertEquals(0f, d[c]);
    }

    @Test
    void backwardMatchesFiniteDifferencesAndMayOverwriteLogits() {
        Random rng = new Random(1);
        int rows = 7, classes = 13;
        float[] logits = GradCheck.random(rng, rows * classes, 2f);
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) labels[r] = rng.nextInt(classes);
        labels[3] = -1;
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy(-1);
        SoftmaxCrossEntropy.Saved s = ce.forward(rows, classes, logits, labels);
        float[] d = new float[rows * classes];
        ce.backward(s, 2.5f, d);
        double[] numerical = GradCheck.numerical(logits, () -> 2.5 * ce.forward(rows, classes, logits, labels).loss(), 1e-2f);
        GradCheck.assertClose("CE dlogits", numerical, d, 1e-3, 1e-6);
        // Each counted row's gradient sums to zero (softmax minus a one-hot, both summing to one).
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += d[r * classes + c];
            assertEquals(0.0, sum, 1e-6);
        }
        float[] inPlace = logits.clone();
        SoftmaxCrossEntropy.Saved s2 = ce.forward(rows, classes, inPlace, labels);
        ce.backward(s2, 2.5f, inPlace);
        for (int i = 0; i < d.length; i++) assertEquals(d[i], inPlace[i], 0f);
    }

    @Test
    void largeLogitsDoNotOverflow() {
        float[] logits = {1000f, 0f, -1000f};
        SoftmaxCrossEntropy.Saved s = new SoftmaxCrossEntropy().forward(1, 3, logits, new int[] {1});
        assertEquals(1000.0, s.loss(), 1e-3);
    }

    @Test
    void badLabelNamesRowAndRange() {
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        var e = assertThrows(IllegalArgumentException.class, () -> ce.forward(2, 3, new float[6], new int[] {0, 3}));
        assertTrue(e.getMessage().contains("label 3 at row 1") && e.getMessage().contains("[0, 3)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ce.forward(2, 3, new float[5], new int[] {0, 1}));
    }
}
