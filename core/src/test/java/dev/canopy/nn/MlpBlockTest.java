package dev.canopy.nn;

import dev.canopy.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pre-norm MLP block from the package documentation, x → x + fc2(gelu(fc1(ln(x)))), run exactly as written there and
 * checked end to end against finite differences: the layers compose, and the documented recipe is right.
 */
class MlpBlockTest {

    @Test
    void documentedBlockBackwardMatchesFiniteDifferences() {
        Random rng = new Random(7);
        int rows = 3, d = 8, hidden = 4 * d;
        LayerNorm ln = new LayerNorm("ln", d, 1e-5f);
        Linear fc1 = new Linear("fc1", d, hidden, true), fc2 = new Linear("fc2", hidden, d, true);
        Gelu gelu = new Gelu(Gelu.Kind.ERF);
        Residual residual = new Residual();
        Init.normal(ln.gamma, 0.5f, 1);
        Init.normal(ln.beta, 0.5f, 2);
        Init.normal(fc1.weight, 0.4f, 3);
        Init.normal(fc1.bias, 0.2f, 4);
        Init.normal(fc2.weight, 0.4f, 5);
        Init.normal(fc2.bias, 0.2f, 6);
        float[] x = GradCheck.random(rng, rows * d, 1f), w = GradCheck.random(rng, rows * d, 1f);
        float[] h0 = new float[rows * d], h1 = new float[rows * hidden], h2 = new float[rows * hidden];
        float[] h3 = new float[rows * d], y = new float[rows * d];

        java.util.function.DoubleSupplier loss = () -> {
            ln.forward(rows, x, h0);
            fc1.forward(rows, h0, h1);
            gelu.forward(rows * hidden, h1, h2);
            fc2.forward(rows, h2, h3);
            residual.forward(rows * d, x, h3, y);
            return GradCheck.dot(y, w);
        };

        LayerNorm.Saved s1 = ln.forward(rows, x, h0);
        Linear.Saved s2 = fc1.forward(rows, h0, h1);
        Gelu.Saved s3 = gelu.forward(rows * hidden, h1, h2);
        Linear.Saved s4 = fc2.forward(rows, h2, h3);
        residual.forward(rows * d, x, h3, y);

        float[] dy = w, dh2 = new float[rows * hidden], dh1 = new float[rows * hidden], dh0 = new float[rows * d];
        float[] dx = new float[rows * d];
        fc2.backward(s4, dy, dh2);
        gelu.backward(s3, dh2, dh1);
        fc1.backward(s2, dh1, dh0);
        ln.backward(s1, dh0, dx);
        residual.backwardAccumulate(rows * d, dy, dx);

        GradCheck.assertClose("block dx", GradCheck.numerical(x, loss, 1e-2f), dx, 3e-3, 1e-4);
        for (Layer layer : new Layer[] {ln, fc1, fc2}) {
            for (Parameter p : layer.parameters()) {
                GradCheck.assertClose("block d" + p.name, GradCheck.numerical(p.data, loss, 1e-2f), p.grad, 3e-3, 1e-4);
            }
        }
    }
}
