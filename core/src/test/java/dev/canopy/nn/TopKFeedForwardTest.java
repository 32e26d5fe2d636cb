package dev.canopy.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.nn.TopKFeedForward.Activation;
import dev.canopy.nn.TopKFeedForward.Config;
import dev.canopy.testing.GradCheck;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopKFeedForwardTest {

    private static TopKFeedForward layer(int dModel, int dFf, String spec, Random rng) {
        TopKFeedForward f = new TopKFeedForward("ffn", dModel, dFf, Config.parse(spec), 1);
        for (Parameter p : f.parameters()) {
            float[] r = GradCheck.random(rng, p.size(), 0.5f);
            System.arraycopy(r, 0, p.data, 0, r.length);
        }
        return f;
    }

    private static double[] preActivations(TopKFeedForward f, float[] x, int tokens) {
        double[] h = new double[tokens * f.dFf];
        for (int t = 0; t < tokens; t++)
            for (int j = 0; j < f.dFf; j++) {
                double sum = f.keyBias.data[j];
                for (int c = 0; c < f.dModel; c++) sum += (double) x[t * f.dModel + c] * f.keys.data[j * f.dModel + c];
                h[t * f.dFf + j] = sum;
            }
        return h;
    }

    /** Reference in double: keep the k largest h per token (ties to lower j), activation, sum of value rows, + b2. */
    private static double[] reference(TopKFeedForward f, float[] x, int tokens, int k) {
        double[] h = preActivations(f, x, tokens);
        double[] out = new double[tokens * f.dModel];
        for (int t = 0; t < tokens; t++) {
            final int row = t * f.dFf;
            List<Integer> order = new ArrayList<>();
            for (int j = 0; j < f.dFf; j++) order.add(j);
            order.sort(Comparator.<Integer>comparingDouble(j -> -h[row + j]).thenComparingInt(j -> j));
            for (int c = 0; c < f.dModel; c++) out[t * f.dModel + c] = f.outBias.data[c];
            for (int j : order.subList(0, Math.min(k, f.dFf))) {
                double hv = h[row + j];
                double a = f.config.activation() == Activation.RELU ? Math.max(0, hv) : 0.5 * hv * (1 + referenceErf(hv / Math.sqrt(2)));
                for (int c = 0; c < f.dModel; c++) out[t * f.dModel + c] += a * f.values.data[j * f.dModel + c];
            }
        }
        return out;
    }

    /** erf in double (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7): the reference's own, not the kernel's. */
    private static double referenceErf(double x) {
        double a = Math.abs(x), t = 1.0 / (1.0 + 0.3275911 * a);
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        return Math.signum(x) * (1.0 - poly * Math.exp(-a * a));
    }

    /** Smallest gap at the selection boundary, and smallest |h| (ReLU's kink), over all tokens. */
    private static double margin(TopKFeedForward f, float[] x, int tokens, int k) {
        double[] h = preActivations(f, x, tokens);
        double m = Double.POSITIVE_INFINITY;
        for (int t = 0; t < tokens; t++) {
            double[] row = java.util.Arrays.copyOfRange(h, t * f.dFf, (t + 1) * f.dFf);
            for (double v : row) m = Math.min(m, Math.abs(v));
            java.util.Arrays.sort(row);
            if (k < f.dFf) m = Math.min(m, row[f.dFf - k] - row[f.dFf - k - 1]);
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "gelu"})
    void equalsDenseFeedForwardWhenKCoversEveryUnit(String act) {
        Random rng = new Random(3);
        int dModel = 24, dFf = 40, tokens = 37;
        for (int k : new int[] {dFf, dFf + 9}) {
            TopKFeedForward f = layer(dModel, dFf, "topk-ffn:k=" + k + ",chunk=10,act=" + act, rng);
            float[] x = GradCheck.random(rng, tokens * dModel, 1f), out = new float[tokens * dModel];
            f.forward(x, tokens, out);
            GradCheck.assertClose("dense " + act, reference(f, x, tokens, dFf), out, 1e-5, 1e-5);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "gelu"})
    void topKMatchesReferenceAndGradientsMatchFiniteDifferences(String act) {
        int dModel = 6, dFf = 15, tokens = 9, k = 4;
        TopKFeedForward f = null;
        float[] x = null;
        for (long seed = 0; seed < 2000; seed++) {
            Random rng = new Random(seed);
            f = layer(dModel, dFf, "topk-ffn:k=" + k + ",chunk=4,act=" + act, rng);
            x = GradCheck.random(rng, tokens * dModel, 1f);
            if (margin(f, x, tokens, k) > 0.06) break;
        }
        assertTrue(margin(f, x, tokens, k) > 0.06, "no seed without near-ties");
        float[] out = new float[tokens * dModel];
        TopKFeedForward.Saved saved = f.forward(x, tokens, out);
        GradCheck.assertClose("out", reference(f, x, tokens, k), out, 1e-5, 1e-6);

        float[] w = GradCheck.random(new Random(5), tokens * dModel, 1f);
        float[] dx = new float[x.length];
        java.util.Arrays.fill(dx, 3f);   // must be overwritten
        for (Parameter p : f.parameters()) p.zeroGrad();
        f.backward(saved, w, dx);
        final TopKFeedForward layer = f;
        final float[] input = x;
        DoubleSupplier loss = () -> {
            float[] o = new float[tokens * dModel];
            layer.forward(input, tokens, o);
            return GradCheck.dot(o, w);
        };
        GradCheck.assertClose("dx", GradCheck.numerical(x, loss, 1e-2f), dx, 5e-3, 1e-4);
        for (Parameter p : f.parameters()) {
            GradCheck.assertClose("d" + p.name, GradCheck.numerical(p.data, loss, 1e-2f), p.grad, 5e-3, 1e-4);
        }
    }

    @Test
    void gradientsAccumulateAcrossCalls() {
        Random rng = new Random(8);
        TopKFeedForward f = layer(8, 32, "topk-ffn:k=5", rng);
        float[] x = GradCheck.random(rng, 3 * 8, 1f), dOut = GradCheck.random(rng, 3 * 8, 1f);
        TopKFeedForward.Saved s = f.forward(x, 3, new float[24]);
        f.backward(s, dOut, new float[24]);
        float[] once = f.keys.grad.clone();
        f.backward(s, dOut, new float[24]);
        for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], f.keys.grad[i], 1e-6);
    }

    @Test
    void workingMemoryDoesNotHoldTokensTimesHiddenUnits() {
        Random rng = new Random(1);
        TopKFeedForward f = layer(8, 512, "topk-ffn:k=8,chunk=16", rng);
        int tokens = 128;
        TopKFeedForward.Saved s = f.forward(GradCheck.random(rng, tokens * 8, 1f), tokens, new float[tokens * 8]);
        // Saved: 8 bytes x 8 slots per token; scores: one 16 x 512 chunk. A tokens x dFf buffer alone would be 256 KiB.
        long expected = Math.max(8L * tokens * 8 + 4L * 16 * 512, 16L * tokens * 8 + 4L * (2 * 512 + 1 + tokens * 8));
        assertEquals(expected, s.workingBytes());
        assertTrue(s.workingBytes() < 4L * tokens * 512 / 4, "working bytes " + s.workingBytes());
    }

    @Test
    void badSpecsAreNamed() {
        String[][] bad = {{"topk-ffn", "needs option k"}, {"topk-ffn:k=0", "k must be >= 1"}, {"topk-ffn:k=4,act=tanh", "act=tanh"},
                {"topk-ffn:k=4,chunk=x", "chunk=x is not an integer"}, {"topk-ffn:k=4,heads=1", "no option 'heads'"}, {"topk:k=4", "is not topk-ffn"}};
        for (String[] c : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Config.parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
        assertEquals("topk-ffn:k=8,chunk=1024,act=gelu", Config.parse("topk-ffn:k=8").spec());
        TopKFeedForward f = new TopKFeedForward("f", 4, 8, Config.parse("topk-ffn:k=2"), 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.forward(new float[7], 2, new float[8]));
        assertTrue(e.getMessage().contains("x has 7 floats"), e.getMessage());
    }
}
