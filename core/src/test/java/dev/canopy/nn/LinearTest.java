package dev.canopy.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearTest {

    static Linear randomLinear(Random rng, int in, int out, boolean bias) {
        Linear lin = new Linear("fc", in, out, bias);
        System.arraycopy(GradCheck.random(rng, in * out, 0.5f), 0, lin.weight.data, 0, in * out);
        if (bias) System.arraycopy(GradCheck.random(rng, out, 0.5f), 0, lin.bias.data, 0, out);
        return lin;
    }

    @Test
    void forwardMatchesScalarReference() {
        Random rng = new Random(1);
        for (int[] s : new int[][] {{1, 1, 1}, {5, 7, 6}, {33, 17, 40}, {3, 100, 3}}) {
            int rows = s[0], in = s[1], out = s[2];
            Linear lin = randomLinear(rng, in, out, true);
            float[] x = GradCheck.random(rng, rows * in, 1f), y = new float[rows * out];
            lin.forward(rows, x, y);
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < out; o++) {
                    double ref = lin.bias.data[o], scale = Math.abs(ref);
                    for (int i = 0; i < in; i++) {
                        ref += (double) x[r * in + i] * lin.weight.data[o * in + i];
                        scale += Math.abs((double) x[r * in + i] * lin.weight.data[o * in + i]);
                    }
                    assertEquals(ref, y[r * out + o], 1e-6 * scale + 1e-7, "rows=" + rows + " r=" + r + " o=" + o);
                }
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rng = new Random(2);
        for (boolean withBias : new boolean[] {true, false}) {
            int rows = 5, in = 7, out = 6;
            Linear lin = randomLinear(rng, in, out, withBias);
            float[] x = GradCheck.random(rng, rows * in, 1f), w = GradCheck.random(rng, rows * out, 1f);
            float[] y = new float[rows * out];
            java.util.function.DoubleSupplier loss = () -> {
                lin.forward(rows, x, y);
                return GradCheck.dot(y, w);
            };
            Linear.Saved saved = lin.forward(rows, x, y);
            float[] dx = new float[rows * in];
            lin.backward(saved, w, dx);
            GradCheck.assertClose("Linear dx", GradCheck.numerical(x, loss, 1e-2f), dx, 1e-3, 1e-5);
            GradCheck.assertClose("Linear dW", GradCheck.numerical(lin.weight.data, loss, 1e-2f), lin.weight.grad, 1e-3, 1e-5);
            if (withBias) GradCheck.assertClose("Linear db", GradCheck.numerical(lin.bias.data, loss, 1e-2f), lin.bias.grad, 1e-3, 1e-5);
        }
    }

    @Test
    void parameterGradientsAccumulateAndNullDxSkipsInputGradient() {
        Random rng = new Random(3);
        int rows = 4, in = 9, out = 5;
        Linear lin = randomLinear(rng, in, out, true);
        float[] x = GradCheck.random(rng, rows * in, 1f), dy = GradCheck.random(rng, rows * out, 1f), y = new float[rows * out];
        Linear.Saved saved = lin.forward(rows, x, y);
        lin.backward(saved, dy, null);
        float[] once = lin.weight.grad.clone(), onceB = lin.bias.grad.clone();
        lin.backward(saved, dy, null);
        for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], lin.weight.grad[i], 1e-5f * Math.abs(once[i]) + 1e-7f);
        for (int i = 0; i < onceB.length; i++) assertEquals(2 * onceB[i], lin.bias.grad[i], 1e-5f * Math.abs(onceB[i]) + 1e-7f);
        assertTrue(lin.weight.grad[0] != 0f);
    }

    @Test
    void badShapesAreRejectedWithTheirSizes() {
        Linear lin = new Linear("proj", 4, 3, true);
        var e = assertThrows(IllegalArgumentException.class, () -> lin.forward(2, new float[7], new float[6]));
        assertTrue(e.getMessage().contains("x [2, 4]") && e.getMessage().contains("needs 8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> lin.forward(2, new float[8], new float[5]));
        assertTrue(e.getMessage().contains("y [2, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Linear("bad", 0, 3, true));
        assertEquals(0, lin.forward(0, new float[0], new float[0]).rows());
    }
}
