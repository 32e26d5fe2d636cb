package dev.canopy.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TokenShiftTest {
    static TokenShift random(Random rng, int dim) {
        TokenShift shift = new TokenShift("shift", dim);
        System.arraycopy(GradCheck.random(rng, dim * dim, 0.5f), 0, shift.weight().data, 0, dim * dim);
        return shift;
    }

    @Test
    void eachPositionAddsTheMapOfItsLeftNeighbourWithinItsOwnSequence() {
        Random rng = new Random(2);
        int batch = 2, n = 3, dim = 4;
        TokenShift shift = random(rng, dim);
        float[] x = GradCheck.random(rng, batch * n * dim, 1f), y = new float[x.length];
        shift.forward(batch, n, x, y);
        float[] w = shift.weight().data;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < n; t++) {
                for (int o = 0; o < dim; o++) {
                    double ref = x[(b * n + t) * dim + o];
                    if (t > 0) for (int i = 0; i < dim; i++) ref += (double) w[o * dim + i] * x[(b * n + t - 1) * dim + i];
                    assertEquals(ref, y[(b * n + t) * dim + o], 1e-5, "b=" + b + " t=" + t + " o=" + o);
                }
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rng = new Random(3);
        int batch = 2, n = 5, dim = 3;
        TokenShift shift = random(rng, dim);
        float[] x = GradCheck.random(rng, batch * n * dim, 1f), w = GradCheck.random(rng, batch * n * dim, 1f);
        java.util.function.DoubleSupplier loss = () -> {
            float[] y = new float[x.length];
            shift.forward(batch, n, x, y);
            return GradCheck.dot(y, w);
        };
        float[] y = new float[x.length], dx = new float[x.length];
        TokenShift.Saved saved = shift.forward(batch, n, x, y);
        shift.weight().zeroGrad();
        shift.backward(saved, w, dx);
        GradCheck.assertClose("dx", GradCheck.numerical(x, loss, 1e-2f), dx, 1e-3, 1e-4);
        GradCheck.assertClose("dW", GradCheck.numerical(shift.weight().data, loss, 1e-2f), shift.weight().grad, 1e-3, 1e-4);
        // In place (dx aliasing dy), as the encoder calls it.
        float[] dy = w.clone();
        shift.weight().zeroGrad();
        shift.backward(saved, dy, dy);
        assertArrayEquals(dx, dy, 1e-6f);
    }
}
