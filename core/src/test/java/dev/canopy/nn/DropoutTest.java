package dev.canopy.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.nn.Pass;
import dev.canopy.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DropoutTest {

    @Test
    void sameSeedSameMaskInForwardRecomputationAndBackward() {
        Random rng = new Random(1);
        int n = 5000;
        Dropout d = new Dropout(0.3f, 17);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = 1f + rng.nextFloat(); // never zero, so a zero output means dropped
        float[] y1 = new float[n], y2 = new float[n];
        Pass pass = Pass.training(42);
        Dropout.Saved saved = d.forward(pass, n, x, y1);
        d.forward(pass, n, x, y2);
        assertArrayEquals(y1, y2, "recomputed forward must reproduce the mask");
        float[] ones = new float[n], dx = new float[n];
        java.util.Arrays.fill(ones, 1f);
        d.backward(saved, ones, dx);
        float scale = 1f / 0.7f;
        for (int i = 0; i < n; i++) {
            boolean kept = y1[i] != 0f;
            assertEquals(kept, d.kept(saved.seed(), i));
            assertEquals(kept ? x[i] * scale : 0f, y1[i], 0f);
            assertEquals(kept ? scale : 0f, dx[i], 0f, "backward mask differs from forward at " + i);
        }
        // Another pass seed or another stream gives a different mask.
        float[] y3 = new float[n];
        new Dropout(0.3f, 17).forward(Pass.training(43), n, x, y3);
        assertNotEquals(java.util.Arrays.hashCode(y1), java.util.Arrays.hashCode(y3));
        new Dropout(0.3f, 18).forward(pass, n, x, y3);
        assertNotEquals(java.util.Arrays.hashCode(y1), java.util.Arrays.hashCode(y3));
    }

    @Test
    void vectorisedMaskEqualsScalarCounterRngForEveryElement() {
        // Sizes with a scalar tail and enough elements to split over threads; p values on and off the 2^-24 grid.
        for (float p : new float[] {0.5f, 0.1f, 0.9f, 1e-7f, 0.3333f}) {
            for (int n : new int[] {1, 7, 1037, 70_001}) {
                Dropout d = new Dropout(p, 5);
                float[] x = new float[n], y = new float[n];
                java.util.Arrays.fill(x, 1f);
                Dropout.Saved s = d.forward(Pass.training(77), n, x, y);
                for (int i = 0; i < n; i++) {
                    if ((y[i] != 0f) != dev.canopy.nn.CounterRng.keep(s.seed(), i, p)) {
                        org.junit.jupiter.api.Assertions.fail("p=" + p + " n=" + n + ": mask differs from CounterRng.keep at " + i);
                    }
                }
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rng = new Random(2);
        int n = 60;
        Dropout d = new Dropout(0.5f, 3);
        float[] x = GradCheck.random(rng, n, 1f), w = GradCheck.random(rng, n, 1f), y = new float[n];
        Pass pass = Pass.training(9);
        Dropout.Saved saved = d.forward(pass, n, x, y);
        float[] dx = new float[n];
        d.backward(saved, w, dx);
        double[] numerical = GradCheck.numerical(x, () -> {
            d.forward(pass, n, x, y);
            return GradCheck.dot(y, w);
        }, 1e-2f);
        GradCheck.assertClose("Dropout dx", numerical, dx, 1e-4, 1e-6);
    }

    @Test
    void identityAtInferenceAndForZeroProbability() {
        Random rng = new Random(3);
        int n = 777;
        float[] x = GradCheck.random(rng, n, 1f), y = new float[n], dx = new float[n];
        Dropout d = new Dropout(0.4f, 1);
        Dropout.Saved s = d.forward(Pass.INFERENCE, n, x, y);
        assertArrayEquals(x, y);
        d.backward(s, x, dx);
        assertArrayEquals(x, dx);
        Dropout zero = new Dropout(0f, 1);
        java.util.Arrays.fill(y, 0f);
        zero.forward(Pass.training(5), n, x, y);
        assertArrayEquals(x, y);
    }

    @Test
    void keptFractionIsOneMinusP() {
        // n = 200k Bernoulli(0.75) draws: the standard deviation of the kept fraction is sqrt(p(1-p)/n) ≈ 9.7e-4, so a
        // 6-sigma band (±5.8e-3) fails only if the generator is biased (probability ~2e-9 by chance).
        int n = 200_000;
        for (float p : new float[] {0.1f, 0.25f, 0.5f}) {
            Dropout d = new Dropout(p, 11);
            float[] x = new float[n], y = new float[n];
            java.util.Arrays.fill(x, 1f);
            d.forward(Pass.training(123), n, x, y);
            int kept = 0;
            double mean = 0;
            for (float v : y) {
                if (v != 0f) kept++;
                mean += v;
            }
            double fraction = (double) kept / n, sigma = Math.sqrt(p * (1 - p) / n);
            assertEquals(1 - p, fraction, 6 * sigma, "kept fraction for p=" + p);
            // Inverted scaling keeps the expected value: mean(y) ≈ 1.
            assertEquals(1.0, mean / n, 6 * sigma / (1 - p), "mean output for p=" + p);
        }
    }

    @Test
    void badProbabilityRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(-0.1f, 0));
        var e = assertThrows(IllegalArgumentException.class, () -> new Dropout(Float.NaN, 0));
        assertTrue(e.getMessage().contains("NaN"));
    }
}
