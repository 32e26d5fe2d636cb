package dev.canopy.examples;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.nn.Pass;
import java.util.Random;

/** An attention created by name, run forward and backward on random tensors. Argument: a spec (default topk:k=64). */
public final class AttentionExample {
    public static void main(String[] args) {
        String spec = args.length > 0 ? args[0] : "topk:k=64";
        int batch = 1, heads = 4, n = 2048, d = 64;
        Attention attention = Attentions.create(spec, new AttentionSetup(heads, d, n, 42));

        AttentionShape shape = AttentionShape.self(batch, heads, n, d);     // q, k, v: [batch, heads, n, d], row-major
        float[] q = random(shape.qSize(), 1), k = random(shape.kSize(), 2), v = random(shape.vSize(), 3);
        float[] out = new float[shape.outSize()];
        Attention.Saved saved = attention.forward(shape, q, k, v, AttentionMask.CAUSAL, Pass.training(7), out);

        float[] dOut = random(shape.outSize(), 4);                         // dLoss/dOut from the layers above
        float[] dq = new float[shape.qSize()], dk = new float[shape.kSize()], dv = new float[shape.vSize()];
        attention.backward(saved, dOut, dq, dk, dv);

        System.out.printf("%s: n=%d, forward %.1f MFLOP, backward %.1f MFLOP, working memory %.1f MiB, |dq|=%.4f%n",
                attention.spec(), n, saved.flops() / 1e6, saved.backwardFlops() / 1e6, saved.workingBytes() / 1048576.0, norm(dq));
    }

    private static float[] random(int size, long seed) {
        Random rng = new Random(seed);
        float[] a = new float[size];
        for (int i = 0; i < size; i++) a[i] = (float) rng.nextGaussian();
        return a;
    }

    private static double norm(float[] a) {
        double s = 0;
        for (float x : a) s += x * x;
        return Math.sqrt(s);
    }
}
