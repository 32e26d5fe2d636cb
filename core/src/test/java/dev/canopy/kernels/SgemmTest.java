package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.canopy.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class SgemmTest {

    /** Scalar reference: C = op(A) op(B) in double, reading through leading dimensions and offsets. */
    static double ref(float[] a, int aOff, int lda, boolean ta, float[] b, int bOff, int ldb, boolean tb, int i, int j, int k) {
        double s = 0;
        for (int p = 0; p < k; p++) {
            float x = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
            float y = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
            s += (double) x * y;
        }
        return s;
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "3,5,7", "6,32,1", "7,33,300", "13,17,257", "72,64,64", "100,70,513", "145,2100,3"})
    void allLayoutsMatchReferenceWithOffsetsAndLeadingDims(int m, int n, int k) {
        Random rng = new Random(m * 31 + n * 7 + k);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                if (ta && tb) continue;
                int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
                int lda = aCols + 3, ldb = bCols + 1, ldc = n + 2, aOff = 5, bOff = 2, cOff = 7;
                float[] a = GradCheck.random(rng, aOff + aRows * lda, 1f);
                float[] b = GradCheck.random(rng, bOff + bRows * ldb, 1f);
                for (boolean acc : new boolean[] {false, true}) {
                    float[] c = GradCheck.random(rng, cOff + m * ldc, 1f);
                    float[] before = c.clone();
                    Sgemm.gemm(m, n, k, a, aOff, lda, ta, b, bOff, ldb, tb, c, cOff, ldc, acc);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double expect = ref(a, aOff, lda, ta, b, bOff, ldb, tb, i, j, k) + (acc ? before[cOff + i * ldc + j] : 0);
                            assertEquals(expect, c[cOff + i * ldc + j], 1e-4 * (Math.sqrt(k) + 1), "ta=" + ta + " tb=" + tb + " acc=" + acc + " at " + i + "," + j);
                        }
                        // Padding between rows of C is never touched.
                        for (int j = n; j < ldc && i < m - 1; j++) assertEquals(before[cOff + i * ldc + j], c[cOff + i * ldc + j]);
                    }
                    assertEquals(before[cOff - 1], c[cOff - 1]);
                }
            }
        }
    }

    /**
     * A read in place (rows at most 512 floats apart, and for A itself at most 256 columns) gives the same bits as A
     * packed (the same values laid out 600 floats apart), edge panels and several k blocks included.
     */
    @ParameterizedTest
    @CsvSource({"6,32,64", "7,33,300", "13,17,257", "72,64,64", "100,70,200", "5,40,9"})
    void readingAInPlaceGivesThePackedBits(int m, int n, int k) {
        Random rng = new Random(m * 17 + n * 3 + k);
        for (boolean ta : new boolean[] {false, true}) {
            int aRows = ta ? k : m, aCols = ta ? m : k, near = aCols + 3, far = 600 + aCols, ldb = n + 1, ldc = n + 2;
            float[] aNear = GradCheck.random(rng, 4 + aRows * near, 1f), aFar = new float[4 + aRows * far];
            for (int r = 0; r < aRows; r++) System.arraycopy(aNear, 4 + r * near, aFar, 4 + r * far, aCols);
            float[] b = GradCheck.random(rng, k * ldb, 1f);
            for (boolean acc : new boolean[] {false, true}) {
                float[] inPlace = GradCheck.random(rng, m * ldc, 1f), packed = inPlace.clone();
                Sgemm.gemm(m, n, k, aNear, 4, near, ta, b, 0, ldb, false, inPlace, 0, ldc, acc);
                Sgemm.gemm(m, n, k, aFar, 4, far, ta, b, 0, ldb, false, packed, 0, ldc, acc);
                for (int i = 0; i < packed.length; i++) assertEquals(packed[i], inPlace[i], 0f, "ta=" + ta + " acc=" + acc + " at " + i);
            }
        }
    }

    /** Packed once, B gives the same bits as packed per product, for both layouts and across k- and n-blocks. */
    @ParameterizedTest
    @CsvSource({"1,1,1", "7,33,300", "13,17,257", "100,70,513", "9,2100,3", "5,2050,260"})
    void prePackedBMatchesPackingPerProduct(int m, int n, int k) {
        Random rng = new Random(m * 13 + n * 5 + k);
        for (boolean tb : new boolean[] {false, true}) {
            int ldb = (tb ? k : n) + 1, lda = k + 2, ldc = n + 3;
            float[] a = GradCheck.random(rng, 3 + m * lda, 1f), b = GradCheck.random(rng, 4 + (tb ? n : k) * ldb, 1f);
            Sgemm.PackedB packed = Sgemm.pack(k, n, b, 4, ldb, tb);
            for (boolean acc : new boolean[] {false, true}) {
                float[] c = GradCheck.random(rng, 1 + m * ldc, 1f), expected = c.clone();
                Sgemm.gemm(m, n, k, a, 3, lda, false, b, 4, ldb, tb, expected, 1, ldc, acc);
                Sgemm.matmulPacked(m, a, 3, lda, packed, c, 1, ldc, acc);
                for (int i = 0; i < c.length; i++) assertEquals(expected[i], c[i], 0f, "tb=" + tb + " acc=" + acc + " at " + i);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Sgemm.pack(0, n, new float[n], 0, n, false));
    }

    @Test
    void rejectsArraysTooSmallForTheShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sgemm.matmul(4, 4, 4, new float[15], new float[16], new float[16]));
        assertEquals(true, e.getMessage().contains("A needs 16"), e.getMessage());
    }
}
