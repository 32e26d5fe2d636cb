package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The batched dot products against one dot product per row: the same bits (the descents' ties depend on them). */
class VecOpsTest {
    @ParameterizedTest
    @CsvSource({"32, 1", "32, 3", "32, 8", "32, 13", "16, 8", "64, 20", "33, 9", "48, 5", "7, 8", "100, 17"})
    void dotsGiveEveryRowTheBitsOfItsOwnDot(int len, int count) {
        Random r = new Random(len * 31L + count);
        int rows = 3 * count + 5;
        float[] a = new float[len + 3], b = new float[rows * len + 2];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian() * (1 + r.nextInt(1000));
        int[] at = new int[count];
        for (int i = 0; i < count; i++) at[i] = r.nextInt(rows) * len + r.nextInt(2); // any rows, repeats and odd offsets too
        float[] out = new float[count + 4];
        out[count + 1] = 42f;
        VecOps.dots(a, 3, b, at, count, len, out, 1);
        for (int i = 0; i < count; i++) {
            float expected = VecOps.dot(a, 3, b, at[i], len);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(out[1 + i]), "row " + i);
        }
        assertEquals(0f, out[0]);
        assertEquals(42f, out[count + 1], "nothing written past count");
    }
}
