package dev.canopy.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.attention.registry.Attentions;
import dev.canopy.nn.Pass;
import dev.canopy.testing.GradCheck;
import dev.canopy.testing.ReferenceAttention;
import dev.canopy.testing.ReferenceTopK;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopKAttentionTest {

    private static float[][] inputs(AttentionShape s, Random rng) {
        return new float[][] {GradCheck.random(rng, s.qSize(), 1f), GradCheck.random(rng, s.kSize(), 1f), GradCheck.random(rng, s.vSize(), 1f)};
    }

    /** With k at least the number of keys, top-k attention is exact attention, forward and backward, for every mask. */
    @ParameterizedTest
    @CsvSource({
            "1,1,5,5,8,8,none,3", "2,3,37,37,8,8,causal,10", "2,2,70,150,16,24,padding,16", "1,2,130,130,64,64,both,1024",
            "1,1,300,17,5,3,none,64", "2,1,17,300,7,9,causal,5", "3,1,64,64,33,17,both,7", "1,1,40,90,16,16,padding,1"})
    void equalsExactAttentionWhenKCoversEveryKey(int batch, int heads, int nq, int nk, int d, int dv, String maskKind, int chunk) {
        Random rng = new Random(nq * 31 + nk);
        AttentionShape s = new AttentionShape(batch, heads, nq, nk, d, dv);
        float[][] in = inputs(s, rng);
        AttentionMask mask = ExactAttentionTest.mask(maskKind, s, rng);
        for (int k : new int[] {nk, nk + 5}) {
            TopKAttention attn = new TopKAttention(k, chunk, 0f);
            float[] out = new float[s.outSize()];
            Attention.Saved saved = attn.forward(s, in[0], in[1], in[2], mask, Pass.INFERENCE, out);
            GradCheck.assertClose("out", ReferenceAttention.forward(s, in[0], in[1], in[2], mask), out, 1e-5, 1e-6);
            float[] dOut = GradCheck.random(rng, s.outSize(), 1f);
            float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv2 = new float[s.vSize()];
            attn.backward(saved, dOut, dq, dk, dv2);
            double[][] ref = ReferenceAttention.backward(s, in[0], in[1], in[2], mask, dOut);
            GradCheck.assertClose("dq", ref[0], dq, 1e-5, 1e-6);
            GradCheck.assertClose("dk", ref[1], dk, 1e-5, 1e-6);
            GradCheck.assertClose("dv", ref[2], dv2, 1e-5, 1e-6);
        }
    }

    /** With k below the key count, forward and backward match a materialised top-k reference (double precision). */
    @ParameterizedTest
    @CsvSource({
            "2,3,37,37,8,8,none,5,10", "1,2,60,60,16,16,causal,7,16", "2,2,45,80,8,12,padding,9,7", "1,2,70,70,16,16,both,6,32",
            "1,1,150,150,64,64,none,32,64", "2,1,20,90,8,8,causal,4,3", "1,1,90,20,8,8,causal,3,1000"})
    void matchesMaterialisedTopKReference(int batch, int heads, int nq, int nk, int d, int dv, String maskKind, int k, int chunk) {
        Random rng = new Random(nq * 7 + nk + k);
        AttentionShape s = new AttentionShape(batch, heads, nq, nk, d, dv);
        float[][] in = inputs(s, rng);
        AttentionMask mask = ExactAttentionTest.mask(maskKind, s, rng);
        assertTrue(ReferenceTopK.selectionMargin(s, in[0], in[1], mask, k) > 1e-4, "inputs with a near-tie at the selection boundary");
        TopKAttention attn = new TopKAttention(k, chunk, 0f);
        float[] out = new float[s.outSize()];
        Attention.Saved saved = attn.forward(s, in[0], in[1], in[2], mask, Pass.INFERENCE, out);
        GradCheck.assertClose("out", ReferenceTopK.forward(s, in[0], in[1], in[2], mask, k), out, 1e-5, 1e-6);
        float[] dOut = GradCheck.random(rng, s.outSize(), 1f);
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv2 = new float[s.vSize()];
        attn.backward(saved, dOut, dq, dk, dv2);
        double[][] ref = ReferenceTopK.backward(s, in[0], in[1], in[2], mask, k, dOut);
        GradCheck.assertClose("dq", ref[0], dq, 1e-5, 1e-6);
        GradCheck.assertClose("dk", ref[1], dk, 1e-5, 1e-6);
        GradCheck.assertClose("dv", ref[2], dv2, 1e-5, 1e-6);
    }

    /** Seeds whose inputs keep the selection fixed under +-eps nudges (no near-tie at the k-th score). */
    private static float[][] inputsWithMargin(AttentionShape s, AttentionMask mask, int k, double margin, long seed) {
        for (long attempt = seed; attempt < seed + 1000; attempt++) {
            float[][] in = inputs(s, new Random(attempt));
            if (ReferenceTopK.selectionMargin(s, in[0], in[1], mask, k) > margin) return in;
        }
        throw new AssertionError("no seed gave a selection margin of " + margin);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "causal", "padding", "both"})
    void gradientsMatchFiniteDifferences(String maskKind) {
        AttentionShape s = new AttentionShape(2, 1, 11, 13, 4, 3);
        AttentionMask mask = ExactAttentionTest.mask(maskKind, s, new Random(5));
        int k = 4;
        float[][] in = inputsWithMargin(s, mask, k, 0.1, 100);
        checkFiniteDifferences(s, in, mask, new TopKAttention(k, 4, 0f), Pass.INFERENCE);
    }

    /** Dropout on, three chunks: the backward must replay each chunk's own mask (the official code does not). */
    @Test
    void dropoutGradientsMatchFiniteDifferencesAcrossChunks() {
        AttentionShape s = new AttentionShape(1, 2, 12, 12, 4, 3);
        AttentionMask mask = AttentionMask.CAUSAL;
        int k = 5;
        float[][] in = inputsWithMargin(s, mask, k, 0.1, 300);
        TopKAttention attn = new TopKAttention(k, 4, 0.5f);
        Pass pass = Pass.training(42);
        float[] withDrop = new float[s.outSize()], without = new float[s.outSize()];
        attn.forward(s, in[0], in[1], in[2], mask, pass, withDrop);
        attn.forward(s, in[0], in[1], in[2], mask, Pass.INFERENCE, without);
        assertNotEquals(java.util.Arrays.toString(without), java.util.Arrays.toString(withDrop), "dropout changed nothing");
        checkFiniteDifferences(s, in, mask, attn, pass);
        // The mask depends on the pass seed and the (row, key) only, so the chunk size does not change it.
        float[] oneChunk = new float[s.outSize()];
        new TopKAttention(k, 1000, 0.5f).forward(s, in[0], in[1], in[2], mask, pass, oneChunk);
        assertArrayEquals(withDrop, oneChunk);
    }

    private static void checkFiniteDifferences(AttentionShape s, float[][] in, AttentionMask mask, TopKAttention attn, Pass pass) {
        float[] q = in[0], k = in[1], v = in[2];
        float[] w = GradCheck.random(new Random(9), s.outSize(), 1f);
        float[] out = new float[s.outSize()];
        DoubleSupplier loss = () -> {
            attn.forward(s, q, k, v, mask, pass, out);
            return GradCheck.dot(out, w);
        };
        Attention.Saved saved = attn.forward(s, q, k, v, mask, pass, out);
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        attn.backward(saved, w, dq, dk, dv);
        GradCheck.assertClose("dq", GradCheck.numerical(q, loss, 1e-2f), dq, 5e-3, 1e-4);
        GradCheck.assertClose("dk", GradCheck.numerical(k, loss, 1e-2f), dk, 5e-3, 1e-4);
        GradCheck.assertClose("dv", GradCheck.numerical(v, loss, 1e-2f), dv, 5e-3, 1e-4);
    }

    @Test
    void resultDoesNotDependOnChunkSize() {
        AttentionShape s = new AttentionShape(2, 3, 37, 37, 8, 8);
        Random rng = new Random(11);
        float[][] in = inputs(s, rng);
        AttentionMask mask = ExactAttentionTest.mask("both", s, rng);
        float[] first = null;
        for (int chunk : new int[] {1, 4, 10, 16, 37, 1024}) {
            float[] out = new float[s.outSize()];
            new TopKAttention(5, chunk, 0f).forward(s, in[0], in[1], in[2], mask, Pass.INFERENCE, out);
            if (first == null) first = out;
            else assertArrayEquals(first, out, "chunk=" + chunk);
        }
    }

    /** Equal scores everywhere: the k lowest visible key indices win, so the output is the mean of their values. */
    @Test
    void tiesGoToTheLowerKeyIndex() {
        int nk = 50, d = 8, dv = 4, k = 6;
        AttentionShape s = new AttentionShape(1, 1, 3, nk, d, dv);
        float[] q = GradCheck.random(new Random(1), s.qSize(), 1f);
        float[] keys = new float[s.kSize()];
        float[] one = GradCheck.random(new Random(2), d, 1f);
        for (int j = 0; j < nk; j++) System.arraycopy(one, 0, keys, j * d, d);   // identical keys: every score ties
        float[] v = GradCheck.random(new Random(3), s.vSize(), 1f);
        boolean[] pad = new boolean[nk];
        pad[0] = pad[2] = pad[3] = true;
        int[] expected = {1, 4, 5, 6, 7, 8};
        float[] out = new float[s.outSize()];
        new TopKAttention(k, 2, 0f).forward(s, q, keys, v, AttentionMask.padding(pad), Pass.INFERENCE, out);
        for (int i = 0; i < 3; i++) {
            for (int c = 0; c < dv; c++) {
                double mean = 0;
                for (int j : expected) mean += v[j * dv + c] / (double) k;
                assertEquals(mean, out[i * dv + c], 1e-5, "row " + i + " col " + c);
            }
        }
    }

    @Test
    void rowWithoutVisibleKeysOutputsZerosAndGetsNoGradient() {
        AttentionShape s = new AttentionShape(2, 1, 4, 6, 4, 4);
        boolean[] pad = new boolean[12];
        for (int j = 0; j < 6; j++) pad[j] = true;   // batch item 0: every key padded
        Random rng = new Random(4);
        float[][] in = inputs(s, rng);
        TopKAttention attn = new TopKAttention(2, 3, 0f);
        float[] out = new float[s.outSize()];
        Attention.Saved saved = attn.forward(s, in[0], in[1], in[2], AttentionMask.padding(pad), Pass.INFERENCE, out);
        for (int x = 0; x < 16; x++) assertEquals(0f, out[x]);
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        java.util.Arrays.fill(dq, 7f);   // backward must overwrite, not add
        attn.backward(saved, GradCheck.random(rng, s.outSize(), 1f), dq, dk, dv);
        for (int x = 0; x < 16; x++) assertEquals(0f, dq[x]);
        for (int x = 0; x < 24; x++) assertEquals(0f, dk[x]);
        for (int x = 0; x < 24; x++) assertEquals(0f, dv[x]);
        assertEquals(2L * 4 * (4 * 6) + 2L * 4 * (4 * 2), saved.flops(), "only batch item 1 scores 4x6 pairs and selects 4x2");
    }

    @Test
    void workingMemoryIsLinearInLengthAndWithinBudget() {
        TopKAttention attn = new TopKAttention(64, TopKAttention.DEFAULT_CHUNK, 0f);
        long small = attn.workingBytes(AttentionShape.self(1, 1, 8192, 64), AttentionMask.NONE);
        long large = attn.workingBytes(AttentionShape.self(1, 1, 65536, 64), AttentionMask.NONE);
        // 8x the length: a quadratic buffer would grow 64x.
        assertTrue(large < 10 * small, small + " -> " + large);
        assertTrue(large <= 512L << 20, "n=65536 needs " + large + " bytes");
        // And the forward reports the same figure.
        AttentionShape s = AttentionShape.self(1, 2, 300, 16);
        float[][] in = inputs(s, new Random(1));
        Attention.Saved saved = attn.forward(s, in[0], in[1], in[2], AttentionMask.CAUSAL, Pass.INFERENCE, new float[s.outSize()]);
        assertEquals(attn.workingBytes(s, AttentionMask.CAUSAL), saved.workingBytes());
        assertTrue(saved.workingBytes() < 8L * 300 * 300, "smaller than one 300x300 matrix of doubles");
        // A row never keeps more than nk slots, however large k is.
        assertEquals(new TopKAttention(300, 1024, 0f).workingBytes(s, AttentionMask.NONE),
                new TopKAttention(1_000_000, 1024, 0f).workingBytes(s, AttentionMask.NONE));
    }

    @Test
    void specOptionsAreCheckedWithClearErrors() {
        AttentionSetup setup = new AttentionSetup(1, 8, 128, 1);
        Attention a = Attentions.create("topk:k=16,chunk=64,dropout=0.1", setup);
        assertEquals("topk:k=16,chunk=64,dropout=0.1", a.spec());
        assertEquals("topk:k=8,chunk=1024", Attentions.create("topk:k=8", setup).spec());
        String[][] bad = {
                {"topk", "needs option k"}, {"topk:k=0", "k must be >= 1"}, {"topk:k=abc", "k=abc is not an integer"},
                {"topk:k=4,chunk=0", "chunk must be >= 1"}, {"topk:k=4,dropout=1", "dropout must be in [0, 1)"},
                {"topk:k=4,dropout=-0.1", "dropout must be in [0, 1)"}, {"topk:k=4,heads=2", "no option 'heads'"}};
        for (String[] c : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Attentions.create(c[0], setup), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }
}
