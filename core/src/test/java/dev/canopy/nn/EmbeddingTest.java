package dev.canopy.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EmbeddingTest {

    @Test
    void forwardPicksRowsAndBackwardScatterAddsWithRepeats() {
        Random rng = new Random(1);
        int vocab = 11, dim = 19, rows = 9;
        Embedding emb = new Embedding("tok", vocab, dim);
        Init.normal(emb.weight, 1f, 7);
        int[] ids = {3, 0, 10, 3, 3, 7, 0, 5, 10};
        float[] out = new float[rows * dim], w = GradCheck.random(rng, rows * dim, 1f);
        Embedding.Saved saved = emb.forward(rows, ids, out);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < dim; c++) assertEquals(emb.weight.data[ids[r] * dim + c], out[r * dim + c], 0f);
        }
        emb.backward(saved, w);
        double[] numerical = GradCheck.numerical(emb.weight.data, () -> {
            emb.forward(rows, ids, out);
            return GradCheck.dot(out, w);
        }, 1e-2f);
        GradCheck.assertClose("Embedding dW", numerical, emb.weight.grad, 1e-4, 1e-6);
        // Row 3 appears three times: its gradient is the sum of three rows of w.
        assertEquals(w[0 * dim + 2] + w[3 * dim + 2] + w[4 * dim + 2], emb.weight.grad[3 * dim + 2], 1e-6f);
        for (int c = 0; c < dim; c++) assertEquals(0f, emb.weight.grad[1 * dim + c]); // id 1 unused
    }

    @Test
    void largeBackwardMatchesSequentialSum() {
        // Enough rows and columns to split over threads; repeated ids must not race.
        Random rng = new Random(2);
        int vocab = 5, dim = 300, rows = 400;
        Embedding emb = new Embedding("tok", vocab, dim);
        int[] ids = new int[rows];
        for (int r = 0; r < rows; r++) ids[r] = rng.nextInt(vocab);
        float[] out = new float[rows * dim], dOut = GradCheck.random(rng, rows * dim, 1f);
        emb.backward(emb.forward(rows, ids, out), dOut);
        double[] expected = new double[vocab * dim];
        for (int r = 0; r < rows; r++) for (int c = 0; c < dim; c++) expected[ids[r] * dim + c] += dOut[r * dim + c];
        GradCheck.assertClose("Embedding parallel scatter", expected, emb.weight.grad, 1e-5, 1e-5);
    }

    @Test
    void badIdNamesIdAndVocabulary() {
        Embedding emb = new Embedding("tok", 10, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> emb.forward(3, new int[] {1, 10, 2}, new float[12]));
        assertTrue(e.getMessage().contains("token id 10") && e.getMessage().contains("vocabulary of size 10"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> emb.forward(1, new int[] {-1}, new float[4]));
        assertTrue(e.getMessage().contains("token id -1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> emb.forward(4, new int[3], new float[16]));
    }
}
