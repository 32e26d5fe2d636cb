package dev.canopy.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.attention.registry.Attentions;
import dev.canopy.kernels.Tiles;
import dev.canopy.nn.Pass;
import dev.canopy.testing.GradCheck;
import dev.canopy.testing.ReferenceAttention;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExactAttentionTest {

    static AttentionMask mask(String kind, AttentionShape s, Random rng) {
        boolean[] pad = new boolean[s.batch() * s.nk()];
        for (int b = 0; b < s.batch(); b++) {
            int valid = 1 + rng.nextInt(s.nk());   // every batch item keeps at least one key
            for (int j = valid; j < s.nk(); j++) pad[b * s.nk() + j] = true;
        }
        return switch (kind) {
            case "none" -> AttentionMask.NONE;
            case "causal" -> AttentionMask.CAUSAL;
            case "padding" -> AttentionMask.padding(pad);
            case "both" -> new AttentionMask(pad, true);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest
    @CsvSource({
            "1,1,5,5,8,8,none", "2,3,37,37,8,8,causal", "2,2,70,150,16,24,padding", "1,2,130,130,64,64,both",
            "1,1,300,17,5,3,none", "2,1,17,300,7,9,causal", "1,2,129,257,64,64,none", "3,1,64,64,33,17,both"})
    void forwardMatchesMaterialisedReference(int batch, int heads, int nq, int nk, int d, int dv, String maskKind) {
        Random rng = new Random(nq * 1000 + nk);
        AttentionShape s = new AttentionShape(batch, heads, nq, nk, d, dv);
        float[] q = GradCheck.random(rng, s.qSize(), 1f), k = GradCheck.random(rng, s.kSize(), 1f), v = GradCheck.random(rng, s.vSize(), 1f);
        AttentionMask mask = mask(maskKind, s, rng);
        for (ExactAttention attn : new ExactAttention[] {new ExactAttention(), new ExactAttention(7, 16)}) {
            float[] out = new float[s.outSize()];
            attn.forward(s, q, k, v, mask, Pass.INFERENCE, out);
            double[] ref = ReferenceAttention.forward(s, q, k, v, mask);
            GradCheck.assertClose("out", ref, out, 1e-5, 1e-6);
        }
    }

    @ParameterizedTest
    @CsvSource({"2,2,37,37,8,8,none", "1,2,40,40,16,12,causal", "2,1,33,70,8,8,padding", "1,3,150,150,16,16,both"})
    void backwardMatchesAnalyticReference(int batch, int heads, int nq, int nk, int d, int dv, String maskKind) {
        Random rng = new Random(nq * 77 + nk);
        AttentionShape s = new AttentionShape(batch, heads, nq, nk, d, dv);
        float[] q = GradCheck.random(rng, s.qSize(), 1f), k = GradCheck.random(rng, s.kSize(), 1f), v = GradCheck.random(rng, s.vSize(), 1f);
        float[] dOut = GradCheck.random(rng, s.outSize(), 1f);
        AttentionMask mask = mask(maskKind, s, rng);
        for (ExactAttention attn : new ExactAttention[] {new ExactAttention(), new ExactAttention(5, 16)}) {
            float[] out = new float[s.outSize()];
            Attention.Saved saved = attn.forward(s, q, k, v, mask, Pass.INFERENCE, out);
            float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv2 = new float[s.vSize()];
            attn.backward(saved, dOut, dq, dk, dv2);
            double[][] ref = ReferenceAttention.backward(s, q, k, v, mask, dOut);
            GradCheck.assertClose("dq", ref[0], dq, 1e-5, 1e-6);
            GradCheck.assertClose("dk", ref[1], dk, 1e-5, 1e-6);
            GradCheck.assertClose("dv", ref[2], dv2, 1e-5, 1e-6);
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rng = new Random(3);
        AttentionShape s = new AttentionShape(1, 2, 9, 11, 4, 3);
        float[] q = GradCheck.random(rng, s.qSize(), 1f), k = GradCheck.random(rng, s.kSize(), 1f), v = GradCheck.random(rng, s.vSize(), 1f);
        float[] w = GradCheck.random(rng, s.outSize(), 1f);
        AttentionMask mask = new AttentionMask(null, true);
        ExactAttention attn = new ExactAttention(4, 16);
        float[] out = new float[s.outSize()];
        java.util.function.DoubleSupplier loss = () -> {
            attn.forward(s, q, k, v, mask, Pass.INFERENCE, out);
            return GradCheck.dot(out, w);
        };
        Attention.Saved saved = attn.forward(s, q, k, v, mask, Pass.INFERENCE, out);
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        attn.backward(saved, w, dq, dk, dv);
        GradCheck.assertClose("dq", GradCheck.numerical(q, loss, 1e-2f), dq, 5e-3, 1e-4);
        GradCheck.assertClose("dk", GradCheck.numerical(k, loss, 1e-2f), dk, 5e-3, 1e-4);
        GradCheck.assertClose("dv", GradCheck.numerical(v, loss, 1e-2f), dv, 5e-3, 1e-4);
    }

    @Test
    void rowWithNoVisibleKeyOutputsZerosAndNoGradient() {
        AttentionShape s = new AttentionShape(1, 1, 4, 3, 4, 4);
        boolean[] pad = {true, true, true};
        Random rng = new Random(1);
        float[] q = GradCheck.random(rng, s.qSize(), 1f), k = GradCheck.random(rng, s.kSize(), 1f), v = GradCheck.random(rng, s.vSize(), 1f);
        float[] out = new float[s.outSize()];
        ExactAttention attn = new ExactAttention();
        Attention.Saved saved = attn.forward(s, q, k, v, AttentionMask.padding(pad), Pass.INFERENCE, out);
        for (float x : out) assertEquals(0f, x);
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        attn.backward(saved, GradCheck.random(rng, s.outSize(), 1f), dq, dk, dv);
        for (float x : dq) assertEquals(0f, x);
        for (float x : dv) assertEquals(0f, x);
    }

    @Test
    void workingMemoryIsLinearInSequenceLength() {
        ExactAttention attn = new ExactAttention();
        long small = attn.workingBytes(AttentionShape.self(1, 1, 8192, 64));
        long large = attn.workingBytes(AttentionShape.self(1, 1, 131072, 64));
        // 16x the length: a quadratic buffer would grow 256x.
        assertTrue(large < 20 * small, small + " -> " + large);
        assertTrue(large <= 64L << 20, "n=131072 needs " + large + " bytes");
    }

    @Test
    void flopsFollowTheConvention() {
        AttentionShape s = AttentionShape.self(2, 3, 50, 16);
        Random rng = new Random(2);
        float[] q = GradCheck.random(rng, s.qSize(), 1f), k = GradCheck.random(rng, s.kSize(), 1f), v = GradCheck.random(rng, s.vSize(), 1f);
        Attention.Saved saved = new ExactAttention().forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, new float[s.outSize()]);
        assertEquals(4L * 2 * 3 * 50 * 50 * 16, saved.flops());
        assertEquals(saved.flops() * 5 / 2, saved.backwardFlops());
    }

    @Test
    void badShapesAreNamed() {
        AttentionShape s = AttentionShape.self(1, 2, 8, 4);
        ExactAttention attn = new ExactAttention();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> attn.forward(s, new float[64], new float[63], new float[64], AttentionMask.NONE, Pass.INFERENCE, new float[64]));
        assertTrue(e.getMessage().startsWith("k has 63 floats"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> attn.forward(s, new float[64], new float[64], new float[64], AttentionMask.padding(new boolean[7]), Pass.INFERENCE, new float[64]));
        assertTrue(e.getMessage().contains("key padding mask has length 7"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AttentionShape.self(1, 1, 0, 4));
    }

    @Test
    void longKeysGetTallerForwardTilesWithTheSameBits() {
        // 8,200 keys of 64 + 64 floats: 4.2 MB a pair, past the 2 MiB at which the forward takes 256 query rows a tile.
        AttentionShape s = new AttentionShape(1, 2, 300, 8200, 64, 64);
        ExactAttention auto = new ExactAttention(), rows64 = new ExactAttention(64, 128);
        assertEquals(256, auto.forwardQueryBlock(s));
        assertEquals(64, auto.forwardQueryBlock(AttentionShape.self(1, 2, 4096, 64)));
        assertEquals(64, rows64.forwardQueryBlock(s));
        Random rng = new Random(5);
        float[] q = GradCheck.random(rng, s.qSize(), 1f), k = GradCheck.random(rng, s.kSize(), 1f), v = GradCheck.random(rng, s.vSize(), 1f);
        for (AttentionMask mask : new AttentionMask[] {AttentionMask.NONE, AttentionMask.CAUSAL}) {
            float[] a = new float[s.outSize()], b = new float[s.outSize()];
            ExactAttention.Context ca = (ExactAttention.Context) auto.forward(s, q, k, v, mask, Pass.INFERENCE, a);
            ExactAttention.Context cb = (ExactAttention.Context) rows64.forward(s, q, k, v, mask, Pass.INFERENCE, b);
            assertArrayEquals(b, a, "output, " + mask);
            assertArrayEquals(cb.lse(), ca.lse(), "log-sum-exp, " + mask);
        }
    }

    @Test
    void longQueriesGetWiderBackwardTilesWithTheSameGradients() {
        // 4,200 queries of 64 + 64 floats: 2.15 MB a pair, past the 2 MiB at which the backward takes 256 keys a tile.
        AttentionShape s = new AttentionShape(1, 1, 4200, 600, 64, 64);
        ExactAttention auto = new ExactAttention(), keys128 = new ExactAttention(ExactAttention.AUTO, 128);
        assertEquals(256, auto.backwardKeyBlock(s));
        assertEquals(128, auto.backwardKeyBlock(AttentionShape.self(1, 1, 4096, 64)));
        assertEquals(128, keys128.backwardKeyBlock(s));
        Random rng = new Random(6);
        float[] q = GradCheck.random(rng, s.qSize(), 1f), k = GradCheck.random(rng, s.kSize(), 1f), v = GradCheck.random(rng, s.vSize(), 1f);
        float[] dOut = GradCheck.random(rng, s.outSize(), 1f);
        for (AttentionMask mask : new AttentionMask[] {AttentionMask.NONE, AttentionMask.CAUSAL}) {
            float[][] a = gradients(auto, s, q, k, v, mask, dOut), b = gradients(keys128, s, q, k, v, mask, dOut);
            for (int g = 0; g < 3; g++) {
                for (int i = 0; i < a[g].length; i++) {
                    assertEquals(b[g][i], a[g][i], 1e-6 + 1e-5 * Math.abs(b[g][i]), "gradient " + "qkv".charAt(g) + " element " + i + ", " + mask);
                }
            }
        }
    }

    private static float[][] gradients(ExactAttention attention, AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask, float[] dOut) {
        Attention.Saved saved = attention.forward(s, q, k, v, mask, Pass.INFERENCE, new float[s.outSize()]);
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        attention.backward(saved, dOut, dq, dk, dv);
        return new float[][] {dq, dk, dv};
    }

    @Test
    void blockOptionsTakeAutoOrAPositiveSize() {
        AttentionSetup setup = new AttentionSetup(1, 8, 64, 1);
        assertEquals("exact", Attentions.create("exact:qblock=auto", setup).spec());
        assertEquals("exact", Attentions.create("exact:qblock=32", setup).spec());
        assertEquals("exact", Attentions.create("exact:kblock=auto", setup).spec());
        assertEquals("exact", Attentions.create("exact:kblock=64", setup).spec());
        for (String bad : new String[] {"exact:qblock=0", "exact:qblock=x", "exact:kblock=0", "exact:kblock=x", "exact:kblock=" + (Tiles.LANES + 1)}) {
            String message = assertThrows(IllegalArgumentException.class, () -> Attentions.create(bad, setup), bad).getMessage();
            assertTrue(message.contains(bad.contains("qblock") ? "qblock" : "kblock"), bad + ": " + message);
        }
    }
}
