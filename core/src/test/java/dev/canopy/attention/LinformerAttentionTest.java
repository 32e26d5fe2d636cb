package dev.canopy.attention;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.attention.registry.Attentions;
import dev.canopy.nn.Pass;
import dev.canopy.testing.GradCheck;
import dev.canopy.testing.ReferenceAttention;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinformerAttentionTest {

    /** With k = n = maxLength and E = F = identity the projection is a no-op, so Linformer must equal exact attention. */
    @Test
    void identityProjectionsGiveExactAttention() {
        int n = 12;
        AttentionShape s = new AttentionShape(2, 3, 9, n, 8, 5);
        LinformerAttention attn = new LinformerAttention(n, new AttentionSetup(3, 8, n, 1), "");
        for (var p : attn.parameters()) {
            java.util.Arrays.fill(p.data, 0f);
            for (int i = 0; i < n; i++) p.data[i * n + i] = 1f;
        }
        Random rng = new Random(1);
        float[] q = GradCheck.random(rng, s.qSize(), 1f), k = GradCheck.random(rng, s.kSize(), 1f), v = GradCheck.random(rng, s.vSize(), 1f);
        float[] out = new float[s.outSize()];
        attn.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out);
        GradCheck.assertClose("out", ReferenceAttention.forward(s, q, k, v, AttentionMask.NONE), out, 1e-5, 1e-6);
    }

    @Test
    void gradientsOfInputsAndProjectionsMatchFiniteDifferences() {
        AttentionShape s = new AttentionShape(2, 2, 7, 10, 6, 4);
        LinformerAttention attn = new LinformerAttention(5, new AttentionSetup(2, 6, 13, 3), "");
        Random rng = new Random(2);
        float[] q = GradCheck.random(rng, s.qSize(), 1f), k = GradCheck.random(rng, s.kSize(), 1f), v = GradCheck.random(rng, s.vSize(), 1f);
        float[] w = GradCheck.random(rng, s.outSize(), 1f);
        boolean[] pad = new boolean[s.batch() * s.nk()];
        for (int j = 6; j < 10; j++) pad[j] = true; // batch item 0 has 6 real keys, item 1 all 10
        AttentionMask mask = AttentionMask.padding(pad);
        java.util.function.DoubleSupplier loss = () -> {
            float[] out = new float[s.outSize()];
            attn.forward(s, q, k, v, mask, Pass.INFERENCE, out);
            return GradCheck.dot(out, w);
        };
        float[] out = new float[s.outSize()];
        Attention.Saved saved = attn.forward(s, q, k, v, mask, Pass.INFERENCE, out);
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        attn.parameters().forEach(p -> p.zeroGrad());
        attn.backward(saved, w, dq, dk, dv);
        GradCheck.assertClose("dq", GradCheck.numerical(q, loss, 1e-2f), dq, 2e-3, 1e-4);
        GradCheck.assertClose("dk", GradCheck.numerical(k, loss, 1e-2f), dk, 2e-3, 1e-4);
        GradCheck.assertClose("dv", GradCheck.numerical(v, loss, 1e-2f), dv, 2e-3, 1e-4);
        for (var p : attn.parameters()) GradCheck.assertClose("d" + p.name, GradCheck.numerical(p.data, loss, 1e-2f), p.grad, 2e-3, 1e-4);
        for (int j = 6; j < 10; j++) for (int c = 0; c < 6; c++) assertEquals(0f, dk[j * 6 + c], "padded key gets no gradient");
        assertTrue(saved.flops() > 0 && saved.backwardFlops() > saved.flops());
    }

    @Test
    void paddedKeysDoNotChangeTheOutput() {
        AttentionShape s = new AttentionShape(1, 2, 5, 8, 4, 4);
        LinformerAttention attn = new LinformerAttention(3, new AttentionSetup(2, 4, 8, 5), "");
        Random rng = new Random(3);
        float[] q = GradCheck.random(rng, s.qSize(), 1f), k = GradCheck.random(rng, s.kSize(), 1f), v = GradCheck.random(rng, s.vSize(), 1f);
        boolean[] pad = new boolean[8];
        pad[6] = pad[7] = true;
        float[] a = new float[s.outSize()], b = new float[s.outSize()];
        attn.forward(s, q, k, v, AttentionMask.padding(pad), Pass.INFERENCE, a);
        for (int h = 0; h < 2; h++) for (int c = 0; c < 4; c++) { k[(h * 8 + 7) * 4 + c] = 99f; v[(h * 8 + 6) * 4 + c] = -50f; }
        attn.forward(s, q, k, v, AttentionMask.padding(pad), Pass.INFERENCE, b);
        assertArrayEquals(a, b);
    }

    @Test
    void causalAndOverlongInputsAreRejected() {
        LinformerAttention attn = (LinformerAttention) Attentions.create("linformer:k=4", new AttentionSetup(1, 4, 8, 0));
        assertEquals("linformer:k=4", attn.spec());
        AttentionShape s = AttentionShape.self(1, 1, 8, 4);
        float[] x = new float[s.qSize()];
        var e = assertThrows(IllegalArgumentException.class, () -> attn.forward(s, x, x, x, AttentionMask.CAUSAL, Pass.INFERENCE, new float[s.outSize()]));
        assertTrue(e.getMessage().contains("causal"));
        AttentionShape big = AttentionShape.self(1, 1, 9, 4);
        float[] y = new float[big.qSize()];
        assertThrows(IllegalArgumentException.class, () -> attn.forward(big, y, y, y, AttentionMask.NONE, Pass.INFERENCE, new float[big.outSize()]));
        assertThrows(IllegalArgumentException.class, () -> Attentions.create("linformer", new AttentionSetup(1, 4, 8, 0)));
        assertThrows(IllegalArgumentException.class, () -> Attentions.create("linformer:k=4,h=2", new AttentionSetup(1, 4, 8, 0)));
    }
}
