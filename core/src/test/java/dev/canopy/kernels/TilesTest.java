package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.canopy.testing.GradCheck;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The attention tile products against plain loops, over tile tails (rows not a multiple of 4, odd vector counts). */
class TilesTest {
    static final int L = Tiles.LANES;

    @ParameterizedTest
    @CsvSource({"1,1,1", "3,2,5", "4,4,3", "5,1,7", "9,3,2", "64,4,8", "13,5,9", "17,1,3", "64,1,8", "23,2,9", "64,2,8", "8,6,1"})
    void productsMatchScalarLoops(int rows, int depthVectors, int colVectors) {
        Random rng = new Random(rows * 100 + depthVectors * 10 + colVectors);
        int dp = depthVectors * L, cols = colVectors * L;
        int lds = cols + 3 * L, off = 5;
        float[] a = GradCheck.random(rng, off + rows * dp, 1f);
        float[] bt = GradCheck.random(rng, off + dp * cols, 1f);
        float[] s = new float[off + rows * lds];
        Tiles.mulBt(a, off, rows, dp, bt, off, cols, s, off, lds);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++) {
                double e = 0;
                for (int c = 0; c < dp; c++) e += (double) a[off + r * dp + c] * bt[off + c * cols + j];
                assertEquals(e, s[off + r * lds + j], 1e-4 * Math.sqrt(dp), "mulBt " + r + "," + j);
            }

        // mulAcc: O[rows x wp] += P[rows x n] X[n x wp]
        int n = cols - 3, wp = dp;
        float[] x = GradCheck.random(rng, off + n * wp, 1f);
        float[] o = GradCheck.random(rng, off + rows * wp, 1f);
        float[] o0 = o.clone();
        Tiles.mulAcc(s, off, lds, rows, n, x, off, wp, o, off);
        for (int r = 0; r < rows; r++)
            for (int w = 0; w < wp; w++) {
                double e = o0[off + r * wp + w];
                for (int j = 0; j < n; j++) e += (double) s[off + r * lds + j] * x[off + j * wp + w];
                assertEquals(e, o[off + r * wp + w], 1e-3 * Math.sqrt(n * dp), "mulAcc " + r + "," + w);
            }

        // mulTransAcc: O[n x wp] += P^T X, P [rows x n], X [rows x wp]
        float[] xr = GradCheck.random(rng, off + rows * wp, 1f);
        float[] ot = GradCheck.random(rng, off + n * wp, 1f);
        float[] ot0 = ot.clone();
        Tiles.mulTransAcc(s, off, lds, rows, n, xr, off, wp, ot, off);
        for (int j = 0; j < n; j++)
            for (int w = 0; w < wp; w++) {
                double e = ot0[off + j * wp + w];
                for (int r = 0; r < rows; r++) e += (double) s[off + r * lds + j] * xr[off + r * wp + w];
                assertEquals(e, ot[off + j * wp + w], 1e-3 * Math.sqrt(rows * dp), "mulTransAcc " + j + "," + w);
            }
    }

    @ParameterizedTest
    @CsvSource({"3,5,8", "1,1,16", "7,20,32", "9,64,64", "16,16,16", "37,45,48", "33,64,64", "64,64,64"})
    void padAndTransposeFillPaddingWithZeros(int rows, int width, int ld) {
        Random rng = new Random(rows + width);
        float[] src = GradCheck.random(rng, rows * width, 1f);
        float[] dst = new float[rows * ld];
        java.util.Arrays.fill(dst, Float.NaN);
        Tiles.copyPadded(src, 0, width, rows, width, dst, 0, ld);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < ld; c++) assertEquals(c < width ? src[r * width + c] : 0f, dst[r * ld + c]);
        int ldT = Tiles.pad(rows);
        float[] t = new float[width * ldT];
        java.util.Arrays.fill(t, Float.NaN);
        Tiles.transposePadded(src, 0, width, rows, width, t, 0, ldT);
        for (int c = 0; c < width; c++)
            for (int r = 0; r < ldT; r++) assertEquals(r < rows ? src[r * width + c] : 0f, t[c * ldT + r]);
    }

    @org.junit.jupiter.api.Test
    void transposeRowsTakesSixteenRowsFromAnywhere() {
        if (L != 16) return; // the 16 x 16 register transpose exists only for 16-lane vectors
        Random rng = new Random(8);
        for (int width : new int[] {16, 40, 64}) {
            float[] src = GradCheck.random(rng, 2000, 1f);
            int[] at = new int[16];
            for (int i = 0; i < 16; i++) at[i] = rng.nextInt(2000 - width); // overlapping and unordered rows too
            int ldd = 48, off = 7;
            float[] dst = new float[off + width * ldd];
            java.util.Arrays.fill(dst, Float.NaN);
            Tiles.transposeRows(src, at, width, dst, off, ldd);
            for (int c = 0; c < width; c++)
                for (int j = 0; j < ldd; j++) {
                    float expected = j < 16 ? src[at[j] + c] : Float.NaN; // columns past the sixteen untouched
                    assertEquals(expected, dst[off + c * ldd + j], "width " + width + " row " + j + " column " + c);
                }
        }
    }
}
