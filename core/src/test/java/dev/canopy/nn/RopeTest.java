package dev.canopy.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.canopy.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RopeTest {
    @Test
    void rotatedDotProductsDependOnlyOnThePositionsDifference() {
        Rope rope = new Rope(8);
        Random rng = new Random(1);
        float[] q = GradCheck.random(rng, 8, 1f), k = GradCheck.random(rng, 8, 1f);
        float[] c = new float[4], s = new float[4];
        double[] dots = new double[2];
        int[][] pairs = {{3, 1}, {105, 103}};
        for (int i = 0; i < 2; i++) {
            float[] qi = q.clone(), ki = k.clone();
            rope.angles(pairs[i][0], c, s);
            rope.rotate(qi, 0, c, 0, s, 0, false);
            rope.angles(pairs[i][1], c, s);
            rope.rotate(ki, 0, c, 0, s, 0, false);
            for (int j = 0; j < 8; j++) dots[i] += qi[j] * ki[j];
        }
        assertEquals(dots[0], dots[1], 1e-4);
    }

    @Test
    void sequencesRotateEachRowByItsPositionAndTheInverseUndoesIt() {
        Rope rope = new Rope(4);
        Random rng = new Random(2);
        int seqs = 3, n = 5;
        float[] x = GradCheck.random(rng, seqs * n * 4, 1f), y = x.clone();
        rope.rotateSequences(seqs, n, y, false);
        float[] c = new float[2], s = new float[2];
        for (int r = 0; r < seqs * n; r++) {
            float[] one = java.util.Arrays.copyOfRange(x, r * 4, r * 4 + 4);
            rope.angles(r % n, c, s);
            rope.rotate(one, 0, c, 0, s, 0, false);
            for (int j = 0; j < 4; j++) assertEquals(one[j], y[r * 4 + j], 0f, "row " + r);
        }
        rope.rotateSequences(seqs, n, y, true);
        for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 1e-6f);
    }

    @Test
    void backwardIsTheInverseRotationAndMatchesFiniteDifferences() {
        Rope rope = new Rope(6);
        Random rng = new Random(3);
        int seqs = 2, n = 4;
        float[] x = GradCheck.random(rng, seqs * n * 6, 1f), w = GradCheck.random(rng, x.length, 1f);
        java.util.function.DoubleSupplier loss = () -> {
            float[] y = x.clone();
            rope.rotateSequences(seqs, n, y, false);
            return GradCheck.dot(y, w);
        };
        float[] dx = w.clone();
        rope.rotateSequences(seqs, n, dx, true);
        GradCheck.assertClose("dx", GradCheck.numerical(x, loss, 1e-2f), dx, 1e-3, 1e-4);
    }

    @Test
    void anOddHeadWidthIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Rope(5));
    }
}
