package dev.canopy.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.ExactAttention;
import dev.canopy.nn.Pass;
import dev.canopy.kernels.Sgemm;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The peers compute what Canopy computes: if these disagree, either the peer harness is wrong (and its timings
 * mean nothing) or Canopy is. Small shapes, so the whole class runs in a few seconds once natives are extracted.
 */
class PeerAgreementTest {
    private static final AttentionShape SHAPE = new AttentionShape(2, 3, 37, 29, 16, 16);
    private static TorchPeer torch;
    private static OrtPeer ort;
    private final Random rng = new Random(11);

    @BeforeAll
    static void start() {
        torch = new TorchPeer();
        ort = new OrtPeer(2);
    }

    @AfterAll
    static void stop() {
        torch.close();
        ort.close();
    }

    @Test
    void matmulAgreesWithSgemm() {
        int m = 33, n = 47, k = 70;
        float[] a = random(m * k), b = random(k * n), expected = new float[m * n];
        Sgemm.matmul(m, n, k, a, b, expected);
        try (PeerOp t = torch.matmul(m, n, k, a, b); PeerOp o = ort.matmul(m, n, k, a, b)) {
            assertClose(expected, t.outputs()[0], 1e-4, "PyTorch matmul");
            assertClose(expected, o.outputs()[0], 1e-4, "ONNX Runtime MatMul");
        }
    }

    @Test
    void attentionAgreesWithExactAttention() {
        float[] q = random(SHAPE.qSize()), k = random(SHAPE.kSize()), v = random(SHAPE.vSize());
        float[] expected = canopy(q, k, v);
        long whole = 1L << 30, fewRows = 4L * SHAPE.pairs() * SHAPE.nk() * 5;  // the second forces 8 query chunks
        for (long budget : new long[] {whole, fewRows}) {
            try (PeerOp t = torch.attention(SHAPE, q, k, v, budget); PeerOp o = ort.attention(SHAPE, q, k, v, budget)) {
                assertClose(expected, t.outputs()[0], 1e-5, "PyTorch attention (" + t.formulation() + ")");
                assertClose(expected, o.outputs()[0], 1e-5, "ONNX Runtime attention (" + o.formulation() + ")");
            }
        }
    }

    @Test
    void topkWithEveryKeyIsExactAttention() {
        float[] q = random(SHAPE.qSize()), k = random(SHAPE.kSize()), v = random(SHAPE.vSize());
        try (PeerOp t = torch.topk(SHAPE, q, k, v, SHAPE.nk(), 4L * SHAPE.pairs() * SHAPE.nk() * 10)) {
            assertClose(canopy(q, k, v), t.outputs()[0], 1e-5, "PyTorch top-k with k = nk");
        }
    }

    @Test
    void topkKeepsOnlyTheLargestScores() {
        // One pair, one query: the PyTorch formulation must equal softmax over the k best scores, done by hand.
        AttentionShape s = new AttentionShape(1, 1, 1, 12, 4, 4);
        float[] q = random(s.qSize()), k = random(s.kSize()), v = random(s.vSize());
        int top = 3;
        double[] scores = new double[s.nk()];
        for (int j = 0; j < s.nk(); j++) {
            for (int c = 0; c < s.d(); c++) scores[j] += q[c] * k[j * s.d() + c] / Math.sqrt(s.d());
        }
        Integer[] order = new Integer[s.nk()];
        for (int j = 0; j < order.length; j++) order[j] = j;
        java.util.Arrays.sort(order, (x, y) -> Double.compare(scores[y], scores[x]));
        double max = scores[order[0]], sum = 0;
        float[] expected = new float[s.dv()];
        for (int t = 0; t < top; t++) sum += Math.exp(scores[order[t]] - max);
        for (int t = 0; t < top; t++) {
            double p = Math.exp(scores[order[t]] - max) / sum;
            for (int c = 0; c < s.dv(); c++) expected[c] += (float) (p * v[order[t] * s.dv() + c]);
        }
        try (PeerOp t = torch.topk(s, q, k, v, top, 1 << 20)) {
            assertClose(expected, t.outputs()[0], 1e-5, "PyTorch top-3");
        }
    }

    @Test
    void autogradAgreesWithCanopyBackward() {
        AttentionShape s = AttentionShape.self(1, 2, 23, 8);
        float[] q = random(s.qSize()), k = random(s.kSize()), v = random(s.vSize()), dOut = random(s.outSize());
        ExactAttention exact = new ExactAttention();
        Attention.Saved saved = exact.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, new float[s.outSize()]);
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        exact.backward(saved, dOut, dq, dk, dv);
        try (PeerOp t = torch.attentionForwardBackward(s, q, k, v, dOut)) {
            t.run();  // a second run must not accumulate into the first run's gradients
            float[][] grads = t.outputs();
            assertClose(dq, grads[0], 1e-4, "dq");
            assertClose(dk, grads[1], 1e-4, "dk");
            assertClose(dv, grads[2], 1e-4, "dv");
        }
    }

    @Test
    void queryChunkRespectsTheBudget() {
        AttentionShape s = AttentionShape.self(1, 8, 16384, 64);
        int rows = TorchPeer.queryChunk(s, 1L << 30);
        assertEquals(2048, rows);
        assertTrue(4L * s.pairs() * s.nk() * rows <= 1L << 30);
        assertEquals(1, TorchPeer.queryChunk(s, 1));
    }

    private static float[] canopy(float[] q, float[] k, float[] v) {
        float[] out = new float[SHAPE.outSize()];
        new ExactAttention().forward(SHAPE, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out);
        return out;
    }

    private float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rng.nextGaussian();
        return a;
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double scale = Math.max(1, Math.abs(expected[i]));
            assertTrue(Math.abs(expected[i] - actual[i]) <= tolerance * scale,
                    what + ": element " + i + " expected " + expected[i] + " got " + actual[i]);
        }
    }
}
