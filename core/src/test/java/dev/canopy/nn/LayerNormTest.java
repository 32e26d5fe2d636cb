package dev.canopy.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.canopy.kernels.ScalarRowOps;
import dev.canopy.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LayerNormTest {

    @Test
    void forwardMatchesScalarReference() {
        Random rng = new Random(1);
        int rows = 6, dim = 37;
        LayerNorm ln = new LayerNorm("ln", dim, 1e-5f);
        System.arraycopy(GradCheck.random(rng, dim, 1f), 0, ln.gamma.data, 0, dim);
        System.arraycopy(GradCheck.random(rng, dim, 1f), 0, ln.beta.data, 0, dim);
        float[] x = GradCheck.random(rng, rows * dim, 3f), y = new float[rows * dim];
        LayerNorm.Saved saved = ln.forward(rows, x, y);
        double[] stats = new double[2];
        for (int r = 0; r < rows; r++) {
            double[] ref = ScalarRowOps.layerNorm(x, r * dim, dim, ln.gamma.data, ln.beta.data, 1e-5, stats);
            assertEquals(stats[0], saved.mean()[r], 1e-5);
            assertEquals(stats[1], saved.rstd()[r], 1e-5 * stats[1]);
            for (int c = 0; c < dim; c++) assertEquals(ref[c], y[r * dim + c], 1e-5 * (1 + Math.abs(ref[c])));
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rng = new Random(2);
        for (int dim : new int[] {3, 17, 40}) {
            int rows = 4;
            LayerNorm ln = new LayerNorm("ln", dim, 1e-5f);
            System.arraycopy(GradCheck.random(rng, dim, 1f), 0, ln.gamma.data, 0, dim);
            System.arraycopy(GradCheck.random(rng, dim, 1f), 0, ln.beta.data, 0, dim);
            float[] x = GradCheck.random(rng, rows * dim, 1f), w = GradCheck.random(rng, rows * dim, 1f);
            float[] y = new float[rows * dim];
            java.util.function.DoubleSupplier loss = () -> {
                ln.forward(rows, x, y);
                return GradCheck.dot(y, w);
            };
            LayerNorm.Saved saved = ln.forward(rows, x, y);
            float[] dx = new float[rows * dim];
            ln.backward(saved, w, dx);
            GradCheck.assertClose("LayerNorm dx dim=" + dim, GradCheck.numerical(x, loss, 1e-2f), dx, 3e-3, 1e-4);
            GradCheck.assertClose("LayerNorm dgamma dim=" + dim, GradCheck.numerical(ln.gamma.data, loss, 1e-2f), ln.gamma.grad, 1e-3, 1e-5);
            GradCheck.assertClose("LayerNorm dbeta dim=" + dim, GradCheck.numerical(ln.beta.data, loss, 1e-2f), ln.beta.grad, 1e-3, 1e-5);
        }
    }

    @Test
    void backwardInPlaceOverDyMatches() {
        Random rng = new Random(3);
        int rows = 3, dim = 21;
        LayerNorm ln = new LayerNorm("ln", dim, 1e-5f);
        float[] x = GradCheck.random(rng, rows * dim, 1f), dy = GradCheck.random(rng, rows * dim, 1f), y = new float[rows * dim];
        LayerNorm.Saved saved = ln.forward(rows, x, y);
        float[] dx = new float[rows * dim];
        ln.backward(saved, dy, dx);
        float[] inPlace = dy.clone();
        ln.backward(saved, inPlace, inPlace);
        for (int i = 0; i < dx.length; i++) assertEquals(dx[i], inPlace[i], 0f);
    }

    @Test
    void badInputRejected() {
        assertThrows(IllegalArgumentException.class, () -> new LayerNorm("ln", 4, 0f));
        LayerNorm ln = new LayerNorm("ln", 4, 1e-5f);
        var e = assertThrows(IllegalArgumentException.class, () -> ln.forward(3, new float[11], new float[12]));
        assertEquals("LayerNorm ln: x [3, 4] has 11 elements, needs 12", e.getMessage());
    }
}
