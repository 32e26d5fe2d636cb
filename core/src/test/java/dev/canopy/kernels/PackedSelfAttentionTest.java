package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.ExactAttention;
import dev.canopy.nn.Pass;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Packed variable-length attention against exact attention run on each sequence alone, over odd sizes. */
class PackedSelfAttentionTest {

    @ParameterizedTest
    @CsvSource({"1,3", "2,16", "3,32", "1,40", "1,64"})
    void everySequenceAndHeadMatchesExactAttention(int heads, int d) {
        int[] lengths = {1, 7, 33, 130, 520, 16};
        int[] starts = new int[lengths.length + 1];
        for (int s = 0; s < lengths.length; s++) starts[s + 1] = starts[s] + lengths[s];
        int tokens = starts[lengths.length], w = heads * d, ld = 3 * w + 5;  // a row wider than Q|K|V
        Random rng = new Random(heads * 100L + d);
        float[] qkv = new float[tokens * ld];
        for (int i = 0; i < qkv.length; i++) qkv[i] = (float) rng.nextGaussian();
        PackedSelfAttention.Layout layout = new PackedSelfAttention.Layout(heads, d, ld, 5, 5 + w, 5 + 2 * w, w + 2);
        float[] out = new float[tokens * layout.ldOut()];
        PackedSelfAttention.forward(starts, layout, qkv, out);

        ExactAttention exact = new ExactAttention();
        for (int s = 0; s < lengths.length; s++) {
            int n = lengths[s];
            AttentionShape shape = AttentionShape.self(1, heads, n, d);
            float[] q = new float[n * w], k = new float[n * w], v = new float[n * w], o = new float[n * w];
            for (int hd = 0; hd < heads; hd++) {
                for (int i = 0; i < n; i++) {
                    int row = (starts[s] + i) * ld;
                    for (int c = 0; c < d; c++) {
                        q[(hd * n + i) * d + c] = qkv[row + 5 + hd * d + c];
                        k[(hd * n + i) * d + c] = qkv[row + 5 + w + hd * d + c];
                        v[(hd * n + i) * d + c] = qkv[row + 5 + 2 * w + hd * d + c];
                    }
                }
            }
            exact.forward(shape, q, k, v, AttentionMask.NONE, Pass.INFERENCE, o);
            for (int hd = 0; hd < heads; hd++) {
                for (int i = 0; i < n; i++) {
                    for (int c = 0; c < d; c++) {
                        assertEquals(o[(hd * n + i) * d + c], out[(starts[s] + i) * layout.ldOut() + hd * d + c], 2e-6,
                                "sequence " + s + " head " + hd + " row " + i + " col " + c);
                    }
                }
            }
        }
    }

    @Test
    void longestSequencesAreScheduledFirst() {
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2, 0, 3, 1}, PackedSelfAttention.longestFirst(new int[] {0, 3, 3, 10, 12}));
    }

    @Test
    void badLayoutsAndStartsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new PackedSelfAttention.Layout(2, 8, 40, 0, 16, 32, 16));
        assertThrows(IllegalArgumentException.class, () -> new PackedSelfAttention.Layout(2, 8, 48, 0, 16, 32, 15));
        PackedSelfAttention.Layout ok = PackedSelfAttention.Layout.fused(2, 8);
        assertThrows(IllegalArgumentException.class, () -> PackedSelfAttention.forward(new int[] {0, 3, 2}, ok, new float[3 * 48], new float[3 * 16]));
        assertThrows(IllegalArgumentException.class, () -> PackedSelfAttention.forward(new int[] {0, 4}, ok, new float[3 * 48], new float[4 * 16]));
    }
}
