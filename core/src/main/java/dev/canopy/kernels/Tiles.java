package dev.canopy.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small dense products on padded scratch tiles, the inner loops of blocked attention. Every width that is read as
 * vectors (dp, cols of S, wp) is a multiple of {@link #LANES}: callers copy odd-sized rows into zero-padded scratch
 * first, which costs O(rows * d) against the O(rows * cols * d) product. Register tiles are 4 rows x 4 vectors.
 */
public final class Tiles {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    public static final int LANES = S.length();
    private static final int L = LANES;

    private Tiles() {}

    public static int pad(int width) {
        return (width + L - 1) / L * L;
    }

    /** mulBt's rows in groups of six: 24 accumulators, so each loaded B vector feeds six FMAs instead of four. */
    private static int mulBtSix(float[] a, int aOff, int rows, int dp, float[] bt, int btOff, int cols, float[] s, int sOff, int lds) {
        FloatVector z = FloatVector.zero(S);
        int r = 0;
        for (; r + 6 <= rows; r += 6) {
            int a0 = aOff + r * dp;
            int j = 0;
            for (; j + 4 * L <= cols; j += 4 * L) {
                FloatVector s00 = z, s01 = z, s02 = z, s03 = z;
                FloatVector s10 = z, s11 = z, s12 = z, s13 = z;
                FloatVector s20 = z, s21 = z, s22 = z, s23 = z;
                FloatVector s30 = z, s31 = z, s32 = z, s33 = z;
                FloatVector s40 = z, s41 = z, s42 = z, s43 = z;
                FloatVector s50 = z, s51 = z, s52 = z, s53 = z;
                for (int c = 0; c < dp; c++) {
                    int bi = btOff + c * cols + j;
                    FloatVector b0 = FloatVector.fromArray(S, bt, bi), b1 = FloatVector.fromArray(S, bt, bi + L);
                    FloatVector b2 = FloatVector.fromArray(S, bt, bi + 2 * L), b3 = FloatVector.fromArray(S, bt, bi + 3 * L);
                    FloatVector x;
                    x = FloatVector.broadcast(S, a[a0 + 0 * dp + c]);
                    s00 = x.fma(b0, s00); s01 = x.fma(b1, s01); s02 = x.fma(b2, s02); s03 = x.fma(b3, s03);
                    x = FloatVector.broadcast(S, a[a0 + 1 * dp + c]);
                    s10 = x.fma(b0, s10); s11 = x.fma(b1, s11); s12 = x.fma(b2, s12); s13 = x.fma(b3, s13);
                    x = FloatVector.broadcast(S, a[a0 + 2 * dp + c]);
                    s20 = x.fma(b0, s20); s21 = x.fma(b1, s21); s22 = x.fma(b2, s22); s23 = x.fma(b3, s23);
                    x = FloatVector.broadcast(S, a[a0 + 3 * dp + c]);
                    s30 = x.fma(b0, s30); s31 = x.fma(b1, s31); s32 = x.fma(b2, s32); s33 = x.fma(b3, s33);
                    x = FloatVector.broadcast(S, a[a0 + 4 * dp + c]);
                    s40 = x.fma(b0, s40); s41 = x.fma(b1, s41); s42 = x.fma(b2, s42); s43 = x.fma(b3, s43);
                    x = FloatVector.broadcast(S, a[a0 + 5 * dp + c]);
                    s50 = x.fma(b0, s50); s51 = x.fma(b1, s51); s52 = x.fma(b2, s52); s53 = x.fma(b3, s53);
                }
                int o = sOff + r * lds + j;
                s00.intoArray(s, o + 0 * lds); s01.intoArray(s, o + 0 * lds + L); s02.intoArray(s, o + 0 * lds + 2 * L); s03.intoArray(s, o + 0 * lds + 3 * L);
                s10.intoArray(s, o + 1 * lds); s11.intoArray(s, o + 1 * lds + L); s12.intoArray(s, o + 1 * lds + 2 * L); s13.intoArray(s, o + 1 * lds + 3 * L);
                s20.intoArray(s, o + 2 * lds); s21.intoArray(s, o + 2 * lds + L); s22.intoArray(s, o + 2 * lds + 2 * L); s23.intoArray(s, o + 2 * lds + 3 * L);
                s30.intoArray(s, o + 3 * lds); s31.intoArray(s, o + 3 * lds + L); s32.intoArray(s, o + 3 * lds + 2 * L); s33.intoArray(s, o + 3 * lds + 3 * L);
                s40.intoArray(s, o + 4 * lds); s41.intoArray(s, o + 4 * lds + L); s42.intoArray(s, o + 4 * lds + 2 * L); s43.intoArray(s, o + 4 * lds + 3 * L);
                s50.intoArray(s, o + 5 * lds); s51.intoArray(s, o + 5 * lds + L); s52.intoArray(s, o + 5 * lds + 2 * L); s53.intoArray(s, o + 5 * lds + 3 * L);
            }
            for (; j < cols; j += L) {
                FloatVector t0 = z, t1 = z, t2 = z, t3 = z, t4 = z, t5 = z;
                for (int c = 0; c < dp; c++) {
                    FloatVector b0 = FloatVector.fromArray(S, bt, btOff + c * cols + j);
                    t0 = FloatVector.broadcast(S, a[a0 + 0 * dp + c]).fma(b0, t0);
                    t1 = FloatVector.broadcast(S, a[a0 + 1 * dp + c]).fma(b0, t1);
                    t2 = FloatVector.broadcast(S, a[a0 + 2 * dp + c]).fma(b0, t2);
                    t3 = FloatVector.broadcast(S, a[a0 + 3 * dp + c]).fma(b0, t3);
                    t4 = FloatVector.broadcast(S, a[a0 + 4 * dp + c]).fma(b0, t4);
                    t5 = FloatVector.broadcast(S, a[a0 + 5 * dp + c]).fma(b0, t5);
                }
                int o = sOff + r * lds + j;
                t0.intoArray(s, o + 0 * lds);
                t1.intoArray(s, o + 1 * lds);
                t2.intoArray(s, o + 2 * lds);
                t3.intoArray(s, o + 3 * lds);
                t4.intoArray(s, o + 4 * lds);
                t5.intoArray(s, o + 5 * lds);
            }
        }
        return r;
    }

    /** S[rows x cols] = A[rows x dp] · Bt[dp x cols]. Strides: A dp, Bt cols, S lds. cols % LANES == 0. */
    public static void mulBt(float[] a, int aOff, int rows, int dp, float[] bt, int btOff, int cols, float[] s, int sOff, int lds) {
        int r = mulBtSix(a, aOff, rows, dp, bt, btOff, cols, s, sOff, lds);
        for (; r + 4 <= rows; r += 4) {
            int a0 = aOff + r * dp;
            int j = 0;
            for (; j + 4 * L <= cols; j += 4 * L) {
                FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
                FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
                FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
                FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
                for (int c = 0; c < dp; c++) {
                    int bi = btOff + c * cols + j;
                    FloatVector b0 = FloatVector.fromArray(S, bt, bi);
                    FloatVector b1 = FloatVector.fromArray(S, bt, bi + L);
                    FloatVector b2 = FloatVector.fromArray(S, bt, bi + 2 * L);
                    FloatVector b3 = FloatVector.fromArray(S, bt, bi + 3 * L);
                    FloatVector x = FloatVector.broadcast(S, a[a0 + c]);
                    s00 = x.fma(b0, s00); s01 = x.fma(b1, s01); s02 = x.fma(b2, s02); s03 = x.fma(b3, s03);
                    x = FloatVector.broadcast(S, a[a0 + dp + c]);
                    s10 = x.fma(b0, s10); s11 = x.fma(b1, s11); s12 = x.fma(b2, s12); s13 = x.fma(b3, s13);
                    x = FloatVector.broadcast(S, a[a0 + 2 * dp + c]);
                    s20 = x.fma(b0, s20); s21 = x.fma(b1, s21); s22 = x.fma(b2, s22); s23 = x.fma(b3, s23);
                    x = FloatVector.broadcast(S, a[a0 + 3 * dp + c]);
                    s30 = x.fma(b0, s30); s31 = x.fma(b1, s31); s32 = x.fma(b2, s32); s33 = x.fma(b3, s33);
                }
                int o = sOff + r * lds + j;
                s00.intoArray(s, o); s01.intoArray(s, o + L); s02.intoArray(s, o + 2 * L); s03.intoArray(s, o + 3 * L);
                o += lds;
                s10.intoArray(s, o); s11.intoArray(s, o + L); s12.intoArray(s, o + 2 * L); s13.intoArray(s, o + 3 * L);
                o += lds;
                s20.intoArray(s, o); s21.intoArray(s, o + L); s22.intoArray(s, o + 2 * L); s23.intoArray(s, o + 3 * L);
                o += lds;
                s30.intoArray(s, o); s31.intoArray(s, o + L); s32.intoArray(s, o + 2 * L); s33.intoArray(s, o + 3 * L);
            }
            for (; j < cols; j += L) {
                FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
                for (int c = 0; c < dp; c++) {
                    FloatVector b0 = FloatVector.fromArray(S, bt, btOff + c * cols + j);
                    s0 = FloatVector.broadcast(S, a[a0 + c]).fma(b0, s0);
                    s1 = FloatVector.broadcast(S, a[a0 + dp + c]).fma(b0, s1);
                    s2 = FloatVector.broadcast(S, a[a0 + 2 * dp + c]).fma(b0, s2);
                    s3 = FloatVector.broadcast(S, a[a0 + 3 * dp + c]).fma(b0, s3);
                }
                int o = sOff + r * lds + j;
                s0.intoArray(s, o); s1.intoArray(s, o + lds); s2.intoArray(s, o + 2 * lds); s3.intoArray(s, o + 3 * lds);
            }
        }
        for (; r < rows; r++) {
            int a0 = aOff + r * dp;
            for (int j = 0; j < cols; j += L) {
                FloatVector s0 = FloatVector.zero(S);
                for (int c = 0; c < dp; c++) {
                    s0 = FloatVector.broadcast(S, a[a0 + c]).fma(FloatVector.fromArray(S, bt, btOff + c * cols + j), s0);
                }
                s0.intoArray(s, sOff + r * lds + j);
            }
        }
    }

    /**
     * O[rows x wp] += P[rows x cols] · X[cols x wp]. Strides: P ldp, X wp, O wp. wp % LANES == 0. The width is taken
     * four vectors at a time, then two, then one, each with enough rows in registers (4, 6, 8) that the FMA chains of a
     * small head (d = 16 or 32) still overlap: one accumulator per row would wait on each FMA's latency.
     */
    public static void mulAcc(float[] p, int pOff, int ldp, int rows, int cols, float[] x, int xOff, int wp, float[] o, int oOff) {
        int w = 0;
        for (; w + 4 * L <= wp; w += 4 * L) mulAccFour(p, pOff, ldp, rows, cols, x, xOff, wp, o, oOff, w);
        for (; w + 2 * L <= wp; w += 2 * L) mulAccTwo(p, pOff, ldp, rows, cols, x, xOff, wp, o, oOff, w);
        if (w < wp) mulAccOne(p, pOff, ldp, rows, cols, x, xOff, wp, o, oOff, w);
    }

    /** Rows r0.. of O's columns [w, w + vecs * L), one row at a time (the row tails of the tiled helpers). */
    private static void mulAccRows(float[] p, int pOff, int ldp, int r0, int rows, int cols, float[] x, int xOff, int wp, float[] o, int oOff, int w, int vecs) {
        for (int r = r0; r < rows; r++) {
            int p0 = pOff + r * ldp;
            for (int v = 0; v < vecs; v++) {
                int oi = oOff + r * wp + w + v * L;
                FloatVector acc = FloatVector.fromArray(S, o, oi);
                for (int j = 0; j < cols; j++) {
                    acc = FloatVector.broadcast(S, p[p0 + j]).fma(FloatVector.fromArray(S, x, xOff + j * wp + w + v * L), acc);
                }
                acc.intoArray(o, oi);
            }
        }
    }

    /** Columns [w, w + 2L) of O, eight rows at a time: sixteen accumulators (of AVX-512's 32 registers). */
    private static void mulAccTwo(float[] p, int pOff, int ldp, int rows, int cols, float[] x, int xOff, int wp, float[] o, int oOff, int w) {
        int r = 0;
        for (; r + 8 <= rows; r += 8) {
            int o0 = oOff + r * wp + w;
            FloatVector a00 = FloatVector.fromArray(S, o, o0 + 0 * wp), a01 = FloatVector.fromArray(S, o, o0 + 0 * wp + L);
            FloatVector a10 = FloatVector.fromArray(S, o, o0 + 1 * wp), a11 = FloatVector.fromArray(S, o, o0 + 1 * wp + L);
            FloatVector a20 = FloatVector.fromArray(S, o, o0 + 2 * wp), a21 = FloatVector.fromArray(S, o, o0 + 2 * wp + L);
            FloatVector a30 = FloatVector.fromArray(S, o, o0 + 3 * wp), a31 = FloatVector.fromArray(S, o, o0 + 3 * wp + L);
            FloatVector a40 = FloatVector.fromArray(S, o, o0 + 4 * wp), a41 = FloatVector.fromArray(S, o, o0 + 4 * wp + L);
            FloatVector a50 = FloatVector.fromArray(S, o, o0 + 5 * wp), a51 = FloatVector.fromArray(S, o, o0 + 5 * wp + L);
            FloatVector a60 = FloatVector.fromArray(S, o, o0 + 6 * wp), a61 = FloatVector.fromArray(S, o, o0 + 6 * wp + L);
            FloatVector a70 = FloatVector.fromArray(S, o, o0 + 7 * wp), a71 = FloatVector.fromArray(S, o, o0 + 7 * wp + L);
            int p0 = pOff + r * ldp;
            for (int j = 0; j < cols; j++) {
                int xi = xOff + j * wp + w;
                FloatVector x0 = FloatVector.fromArray(S, x, xi), x1 = FloatVector.fromArray(S, x, xi + L);
                FloatVector pv;
                pv = FloatVector.broadcast(S, p[p0 + 0 * ldp + j]);
                a00 = pv.fma(x0, a00); a01 = pv.fma(x1, a01);
                pv = FloatVector.broadcast(S, p[p0 + 1 * ldp + j]);
                a10 = pv.fma(x0, a10); a11 = pv.fma(x1, a11);
                pv = FloatVector.broadcast(S, p[p0 + 2 * ldp + j]);
                a20 = pv.fma(x0, a20); a21 = pv.fma(x1, a21);
                pv = FloatVector.broadcast(S, p[p0 + 3 * ldp + j]);
                a30 = pv.fma(x0, a30); a31 = pv.fma(x1, a31);
                pv = FloatVector.broadcast(S, p[p0 + 4 * ldp + j]);
                a40 = pv.fma(x0, a40); a41 = pv.fma(x1, a41);
                pv = FloatVector.broadcast(S, p[p0 + 5 * ldp + j]);
                a50 = pv.fma(x0, a50); a51 = pv.fma(x1, a51);
                pv = FloatVector.broadcast(S, p[p0 + 6 * ldp + j]);
                a60 = pv.fma(x0, a60); a61 = pv.fma(x1, a61);
                pv = FloatVector.broadcast(S, p[p0 + 7 * ldp + j]);
                a70 = pv.fma(x0, a70); a71 = pv.fma(x1, a71);
            }
            a00.intoArray(o, o0 + 0 * wp); a01.intoArray(o, o0 + 0 * wp + L);
            a10.intoArray(o, o0 + 1 * wp); a11.intoArray(o, o0 + 1 * wp + L);
            a20.intoArray(o, o0 + 2 * wp); a21.intoArray(o, o0 + 2 * wp + L);
            a30.intoArray(o, o0 + 3 * wp); a31.intoArray(o, o0 + 3 * wp + L);
            a40.intoArray(o, o0 + 4 * wp); a41.intoArray(o, o0 + 4 * wp + L);
            a50.intoArray(o, o0 + 5 * wp); a51.intoArray(o, o0 + 5 * wp + L);
            a60.intoArray(o, o0 + 6 * wp); a61.intoArray(o, o0 + 6 * wp + L);
            a70.intoArray(o, o0 + 7 * wp); a71.intoArray(o, o0 + 7 * wp + L);
        }
        mulAccRows(p, pOff, ldp, r, rows, cols, x, xOff, wp, o, oOff, w, 2);
    }

    /** Columns [w, w + L) of O, eight rows at a time: eight accumulators. */
    private static void mulAccOne(float[] p, int pOff, int ldp, int rows, int cols, float[] x, int xOff, int wp, float[] o, int oOff, int w) {
        int r = 0;
        for (; r + 8 <= rows; r += 8) {
            int o0 = oOff + r * wp + w;
            FloatVector a0 = FloatVector.fromArray(S, o, o0), a1 = FloatVector.fromArray(S, o, o0 + wp);
            FloatVector a2 = FloatVector.fromArray(S, o, o0 + 2 * wp), a3 = FloatVector.fromArray(S, o, o0 + 3 * wp);
            FloatVector a4 = FloatVector.fromArray(S, o, o0 + 4 * wp), a5 = FloatVector.fromArray(S, o, o0 + 5 * wp);
            FloatVector a6 = FloatVector.fromArray(S, o, o0 + 6 * wp), a7 = FloatVector.fromArray(S, o, o0 + 7 * wp);
            int p0 = pOff + r * ldp;
            for (int j = 0; j < cols; j++) {
                FloatVector x0 = FloatVector.fromArray(S, x, xOff + j * wp + w);
                a0 = FloatVector.broadcast(S, p[p0 + j]).fma(x0, a0);
                a1 = FloatVector.broadcast(S, p[p0 + ldp + j]).fma(x0, a1);
                a2 = FloatVector.broadcast(S, p[p0 + 2 * ldp + j]).fma(x0, a2);
                a3 = FloatVector.broadcast(S, p[p0 + 3 * ldp + j]).fma(x0, a3);
                a4 = FloatVector.broadcast(S, p[p0 + 4 * ldp + j]).fma(x0, a4);
                a5 = FloatVector.broadcast(S, p[p0 + 5 * ldp + j]).fma(x0, a5);
                a6 = FloatVector.broadcast(S, p[p0 + 6 * ldp + j]).fma(x0, a6);
                a7 = FloatVector.broadcast(S, p[p0 + 7 * ldp + j]).fma(x0, a7);
            }
            a0.intoArray(o, o0); a1.intoArray(o, o0 + wp); a2.intoArray(o, o0 + 2 * wp); a3.intoArray(o, o0 + 3 * wp);
            a4.intoArray(o, o0 + 4 * wp); a5.intoArray(o, o0 + 5 * wp); a6.intoArray(o, o0 + 6 * wp); a7.intoArray(o, o0 + 7 * wp);
        }
        mulAccRows(p, pOff, ldp, r, rows, cols, x, xOff, wp, o, oOff, w, 1);
    }

    /** Columns [w, w + 4L) of O, six rows at a time (24 accumulators); returns the first row left for smaller tiles. */
    private static int mulAccFourSix(float[] p, int pOff, int ldp, int rows, int cols, float[] x, int xOff, int wp, float[] o, int oOff, int w) {
        int r = 0;
        for (; r + 6 <= rows; r += 6) {
            int o0 = oOff + r * wp + w;
            FloatVector a00 = FloatVector.fromArray(S, o, o0 + 0 * wp), a01 = FloatVector.fromArray(S, o, o0 + 0 * wp + L), a02 = FloatVector.fromArray(S, o, o0 + 0 * wp + 2 * L), a03 = FloatVector.fromArray(S, o, o0 + 0 * wp + 3 * L);
            FloatVector a10 = FloatVector.fromArray(S, o, o0 + 1 * wp), a11 = FloatVector.fromArray(S, o, o0 + 1 * wp + L), a12 = FloatVector.fromArray(S, o, o0 + 1 * wp + 2 * L), a13 = FloatVector.fromArray(S, o, o0 + 1 * wp + 3 * L);
            FloatVector a20 = FloatVector.fromArray(S, o, o0 + 2 * wp), a21 = FloatVector.fromArray(S, o, o0 + 2 * wp + L), a22 = FloatVector.fromArray(S, o, o0 + 2 * wp + 2 * L), a23 = FloatVector.fromArray(S, o, o0 + 2 * wp + 3 * L);
            FloatVector a30 = FloatVector.fromArray(S, o, o0 + 3 * wp), a31 = FloatVector.fromArray(S, o, o0 + 3 * wp + L), a32 = FloatVector.fromArray(S, o, o0 + 3 * wp + 2 * L), a33 = FloatVector.fromArray(S, o, o0 + 3 * wp + 3 * L);
            FloatVector a40 = FloatVector.fromArray(S, o, o0 + 4 * wp), a41 = FloatVector.fromArray(S, o, o0 + 4 * wp + L), a42 = FloatVector.fromArray(S, o, o0 + 4 * wp + 2 * L), a43 = FloatVector.fromArray(S, o, o0 + 4 * wp + 3 * L);
            FloatVector a50 = FloatVector.fromArray(S, o, o0 + 5 * wp), a51 = FloatVector.fromArray(S, o, o0 + 5 * wp + L), a52 = FloatVector.fromArray(S, o, o0 + 5 * wp + 2 * L), a53 = FloatVector.fromArray(S, o, o0 + 5 * wp + 3 * L);
            int p0 = pOff + r * ldp;
            for (int j = 0; j < cols; j++) {
                int xi = xOff + j * wp + w;
                FloatVector x0 = FloatVector.fromArray(S, x, xi), x1 = FloatVector.fromArray(S, x, xi + L);
                FloatVector x2 = FloatVector.fromArray(S, x, xi + 2 * L), x3 = FloatVector.fromArray(S, x, xi + 3 * L);
                FloatVector pv;
                pv = FloatVector.broadcast(S, p[p0 + 0 * ldp + j]);
                a00 = pv.fma(x0, a00); a01 = pv.fma(x1, a01); a02 = pv.fma(x2, a02); a03 = pv.fma(x3, a03);
                pv = FloatVector.broadcast(S, p[p0 + 1 * ldp + j]);
                a10 = pv.fma(x0, a10); a11 = pv.fma(x1, a11); a12 = pv.fma(x2, a12); a13 = pv.fma(x3, a13);
                pv = FloatVector.broadcast(S, p[p0 + 2 * ldp + j]);
                a20 = pv.fma(x0, a20); a21 = pv.fma(x1, a21); a22 = pv.fma(x2, a22); a23 = pv.fma(x3, a23);
                pv = FloatVector.broadcast(S, p[p0 + 3 * ldp + j]);
                a30 = pv.fma(x0, a30); a31 = pv.fma(x1, a31); a32 = pv.fma(x2, a32); a33 = pv.fma(x3, a33);
                pv = FloatVector.broadcast(S, p[p0 + 4 * ldp + j]);
                a40 = pv.fma(x0, a40); a41 = pv.fma(x1, a41); a42 = pv.fma(x2, a42); a43 = pv.fma(x3, a43);
                pv = FloatVector.broadcast(S, p[p0 + 5 * ldp + j]);
                a50 = pv.fma(x0, a50); a51 = pv.fma(x1, a51); a52 = pv.fma(x2, a52); a53 = pv.fma(x3, a53);
            }
            a00.intoArray(o, o0 + 0 * wp); a01.intoArray(o, o0 + 0 * wp + L); a02.intoArray(o, o0 + 0 * wp + 2 * L); a03.intoArray(o, o0 + 0 * wp + 3 * L);
            a10.intoArray(o, o0 + 1 * wp); a11.intoArray(o, o0 + 1 * wp + L); a12.intoArray(o, o0 + 1 * wp + 2 * L); a13.intoArray(o, o0 + 1 * wp + 3 * L);
            a20.intoArray(o, o0 + 2 * wp); a21.intoArray(o, o0 + 2 * wp + L); a22.intoArray(o, o0 + 2 * wp + 2 * L); a23.intoArray(o, o0 + 2 * wp + 3 * L);
            a30.intoArray(o, o0 + 3 * wp); a31.intoArray(o, o0 + 3 * wp + L); a32.intoArray(o, o0 + 3 * wp + 2 * L); a33.intoArray(o, o0 + 3 * wp + 3 * L);
            a40.intoArray(o, o0 + 4 * wp); a41.intoArray(o, o0 + 4 * wp + L); a42.intoArray(o, o0 + 4 * wp + 2 * L); a43.intoArray(o, o0 + 4 * wp + 3 * L);
            a50.intoArray(o, o0 + 5 * wp); a51.intoArray(o, o0 + 5 * wp + L); a52.intoArray(o, o0 + 5 * wp + 2 * L); a53.intoArray(o, o0 + 5 * wp + 3 * L);
        }
        return r;
    }

    /** Columns [w, w + 4L) of O, four rows at a time: sixteen accumulators. */
    private static void mulAccFour(float[] p, int pOff, int ldp, int rows, int cols, float[] x, int xOff, int wp, float[] o, int oOff, int w) {
        int r = mulAccFourSix(p, pOff, ldp, rows, cols, x, xOff, wp, o, oOff, w);
        for (; r + 4 <= rows; r += 4) {
            int o0 = oOff + r * wp + w;
            FloatVector o00 = FloatVector.fromArray(S, o, o0), o01 = FloatVector.fromArray(S, o, o0 + L);
            FloatVector o02 = FloatVector.fromArray(S, o, o0 + 2 * L), o03 = FloatVector.fromArray(S, o, o0 + 3 * L);
            int o1 = o0 + wp;
            FloatVector o10 = FloatVector.fromArray(S, o, o1), o11 = FloatVector.fromArray(S, o, o1 + L);
            FloatVector o12 = FloatVector.fromArray(S, o, o1 + 2 * L), o13 = FloatVector.fromArray(S, o, o1 + 3 * L);
            int o2 = o1 + wp;
            FloatVector o20 = FloatVector.fromArray(S, o, o2), o21 = FloatVector.fromArray(S, o, o2 + L);
            FloatVector o22 = FloatVector.fromArray(S, o, o2 + 2 * L), o23 = FloatVector.fromArray(S, o, o2 + 3 * L);
            int o3 = o2 + wp;
            FloatVector o30 = FloatVector.fromArray(S, o, o3), o31 = FloatVector.fromArray(S, o, o3 + L);
            FloatVector o32 = FloatVector.fromArray(S, o, o3 + 2 * L), o33 = FloatVector.fromArray(S, o, o3 + 3 * L);
            int p0 = pOff + r * ldp;
            for (int j = 0; j < cols; j++) {
                int xi = xOff + j * wp + w;
                FloatVector x0 = FloatVector.fromArray(S, x, xi), x1 = FloatVector.fromArray(S, x, xi + L);
                FloatVector x2 = FloatVector.fromArray(S, x, xi + 2 * L), x3 = FloatVector.fromArray(S, x, xi + 3 * L);
                FloatVector pv = FloatVector.broadcast(S, p[p0 + j]);
                o00 = pv.fma(x0, o00); o01 = pv.fma(x1, o01); o02 = pv.fma(x2, o02); o03 = pv.fma(x3, o03);
                pv = FloatVector.broadcast(S, p[p0 + ldp + j]);
                o10 = pv.fma(x0, o10); o11 = pv.fma(x1, o11); o12 = pv.fma(x2, o12); o13 = pv.fma(x3, o13);
                pv = FloatVector.broadcast(S, p[p0 + 2 * ldp + j]);
                o20 = pv.fma(x0, o20); o21 = pv.fma(x1, o21); o22 = pv.fma(x2, o22); o23 = pv.fma(x3, o23);
                pv = FloatVector.broadcast(S, p[p0 + 3 * ldp + j]);
                o30 = pv.fma(x0, o30); o31 = pv.fma(x1, o31); o32 = pv.fma(x2, o32); o33 = pv.fma(x3, o33);
            }
            o00.intoArray(o, o0); o01.intoArray(o, o0 + L); o02.intoArray(o, o0 + 2 * L); o03.intoArray(o, o0 + 3 * L);
            o10.intoArray(o, o1); o11.intoArray(o, o1 + L); o12.intoArray(o, o1 + 2 * L); o13.intoArray(o, o1 + 3 * L);
            o20.intoArray(o, o2); o21.intoArray(o, o2 + L); o22.intoArray(o, o2 + 2 * L); o23.intoArray(o, o2 + 3 * L);
            o30.intoArray(o, o3); o31.intoArray(o, o3 + L); o32.intoArray(o, o3 + 2 * L); o33.intoArray(o, o3 + 3 * L);
        }
        mulAccRows(p, pOff, ldp, r, rows, cols, x, xOff, wp, o, oOff, w, 4);
    }

    /** O[cols x wp] += P^T · X where P is [rows x cols] (stride ldp) and X is [rows x wp]. wp % LANES == 0. */
    public static void mulTransAcc(float[] p, int pOff, int ldp, int rows, int cols, float[] x, int xOff, int wp, float[] o, int oOff) {
        int w0 = 0;
        for (; w0 + 4 * L <= wp; w0 += 4 * L) {
            int j = mulTransAccFour(p, pOff, ldp, rows, cols, x, xOff, wp, o, oOff, w0);
            if (j < cols) mulTransAccCols(p, pOff, ldp, rows, j, cols, x, xOff, wp, o, oOff, w0, 4);
        }
        for (int w = w0; w < wp; w += 2 * L) {
            boolean two = w + 2 * L <= wp;
            int j = 0;
            if (two) {
                for (; j + 4 <= cols; j += 4) {
                    int o0 = oOff + j * wp + w;
                    FloatVector a00 = FloatVector.fromArray(S, o, o0), a01 = FloatVector.fromArray(S, o, o0 + L);
                    FloatVector a10 = FloatVector.fromArray(S, o, o0 + wp), a11 = FloatVector.fromArray(S, o, o0 + wp + L);
                    FloatVector a20 = FloatVector.fromArray(S, o, o0 + 2 * wp), a21 = FloatVector.fromArray(S, o, o0 + 2 * wp + L);
                    FloatVector a30 = FloatVector.fromArray(S, o, o0 + 3 * wp), a31 = FloatVector.fromArray(S, o, o0 + 3 * wp + L);
                    for (int r = 0; r < rows; r++) {
                        int xi = xOff + r * wp + w;
                        FloatVector x0 = FloatVector.fromArray(S, x, xi), x1 = FloatVector.fromArray(S, x, xi + L);
                        int pi = pOff + r * ldp + j;
                        FloatVector pv = FloatVector.broadcast(S, p[pi]);
                        a00 = pv.fma(x0, a00); a01 = pv.fma(x1, a01);
                        pv = FloatVector.broadcast(S, p[pi + 1]);
                        a10 = pv.fma(x0, a10); a11 = pv.fma(x1, a11);
                        pv = FloatVector.broadcast(S, p[pi + 2]);
                        a20 = pv.fma(x0, a20); a21 = pv.fma(x1, a21);
                        pv = FloatVector.broadcast(S, p[pi + 3]);
                        a30 = pv.fma(x0, a30); a31 = pv.fma(x1, a31);
                    }
                    a00.intoArray(o, o0); a01.intoArray(o, o0 + L);
                    a10.intoArray(o, o0 + wp); a11.intoArray(o, o0 + wp + L);
                    a20.intoArray(o, o0 + 2 * wp); a21.intoArray(o, o0 + 2 * wp + L);
                    a30.intoArray(o, o0 + 3 * wp); a31.intoArray(o, o0 + 3 * wp + L);
                }
            }
            if (!two) {
                // One vector wide (a head of 16): eight columns of P at a time, so eight FMA chains overlap.
                for (; j + 8 <= cols; j += 8) {
                    int o0 = oOff + j * wp + w;
                    FloatVector a0 = FloatVector.fromArray(S, o, o0), a1 = FloatVector.fromArray(S, o, o0 + wp);
                    FloatVector a2 = FloatVector.fromArray(S, o, o0 + 2 * wp), a3 = FloatVector.fromArray(S, o, o0 + 3 * wp);
                    FloatVector a4 = FloatVector.fromArray(S, o, o0 + 4 * wp), a5 = FloatVector.fromArray(S, o, o0 + 5 * wp);
                    FloatVector a6 = FloatVector.fromArray(S, o, o0 + 6 * wp), a7 = FloatVector.fromArray(S, o, o0 + 7 * wp);
                    for (int r = 0; r < rows; r++) {
                        FloatVector x0 = FloatVector.fromArray(S, x, xOff + r * wp + w);
                        int pi = pOff + r * ldp + j;
                        a0 = FloatVector.broadcast(S, p[pi]).fma(x0, a0);
                        a1 = FloatVector.broadcast(S, p[pi + 1]).fma(x0, a1);
                        a2 = FloatVector.broadcast(S, p[pi + 2]).fma(x0, a2);
                        a3 = FloatVector.broadcast(S, p[pi + 3]).fma(x0, a3);
                        a4 = FloatVector.broadcast(S, p[pi + 4]).fma(x0, a4);
                        a5 = FloatVector.broadcast(S, p[pi + 5]).fma(x0, a5);
                        a6 = FloatVector.broadcast(S, p[pi + 6]).fma(x0, a6);
                        a7 = FloatVector.broadcast(S, p[pi + 7]).fma(x0, a7);
                    }
                    a0.intoArray(o, o0); a1.intoArray(o, o0 + wp); a2.intoArray(o, o0 + 2 * wp); a3.intoArray(o, o0 + 3 * wp);
                    a4.intoArray(o, o0 + 4 * wp); a5.intoArray(o, o0 + 5 * wp); a6.intoArray(o, o0 + 6 * wp); a7.intoArray(o, o0 + 7 * wp);
                }
            }
            mulTransAccCols(p, pOff, ldp, rows, j, cols, x, xOff, wp, o, oOff, w, two ? 2 : 1);
        }
    }

    /** mulTransAcc's columns j0.. of P, one at a time, over O's columns [w, w + vecs * L) (the tails of the tiled loops). */
    private static void mulTransAccCols(float[] p, int pOff, int ldp, int rows, int j0, int cols, float[] x, int xOff, int wp, float[] o, int oOff, int w, int vecs) {
        for (int j = j0; j < cols; j++) {
            for (int v = 0; v < vecs; v++) {
                int oi = oOff + j * wp + w + v * L;
                FloatVector acc = FloatVector.fromArray(S, o, oi);
                for (int r = 0; r < rows; r++) {
                    acc = FloatVector.broadcast(S, p[pOff + r * ldp + j]).fma(FloatVector.fromArray(S, x, xOff + r * wp + w + v * L), acc);
                }
                acc.intoArray(o, oi);
            }
        }
    }

    /**
     * mulTransAcc over O's columns [w, w + 4L), four columns of P at a time: sixteen accumulators, each loaded X vector
     * feeding four FMAs and each broadcast four (the two-vector loop needs as many loads as FMAs). Returns the first
     * column of P left.
     */
    private static int mulTransAccFour(float[] p, int pOff, int ldp, int rows, int cols, float[] x, int xOff, int wp, float[] o, int oOff, int w) {
        int j = 0;
        for (; j + 4 <= cols; j += 4) {
            int o0 = oOff + j * wp + w, o1 = o0 + wp, o2 = o1 + wp, o3 = o2 + wp;
            FloatVector a00 = FloatVector.fromArray(S, o, o0), a01 = FloatVector.fromArray(S, o, o0 + L), a02 = FloatVector.fromArray(S, o, o0 + 2 * L), a03 = FloatVector.fromArray(S, o, o0 + 3 * L);
            FloatVector a10 = FloatVector.fromArray(S, o, o1), a11 = FloatVector.fromArray(S, o, o1 + L), a12 = FloatVector.fromArray(S, o, o1 + 2 * L), a13 = FloatVector.fromArray(S, o, o1 + 3 * L);
            FloatVector a20 = FloatVector.fromArray(S, o, o2), a21 = FloatVector.fromArray(S, o, o2 + L), a22 = FloatVector.fromArray(S, o, o2 + 2 * L), a23 = FloatVector.fromArray(S, o, o2 + 3 * L);
            FloatVector a30 = FloatVector.fromArray(S, o, o3), a31 = FloatVector.fromArray(S, o, o3 + L), a32 = FloatVector.fromArray(S, o, o3 + 2 * L), a33 = FloatVector.fromArray(S, o, o3 + 3 * L);
            for (int r = 0; r < rows; r++) {
                int xi = xOff + r * wp + w, pi = pOff + r * ldp + j;
                FloatVector x0 = FloatVector.fromArray(S, x, xi), x1 = FloatVector.fromArray(S, x, xi + L);
                FloatVector x2 = FloatVector.fromArray(S, x, xi + 2 * L), x3 = FloatVector.fromArray(S, x, xi + 3 * L);
                FloatVector pv = FloatVector.broadcast(S, p[pi]);
                a00 = pv.fma(x0, a00); a01 = pv.fma(x1, a01); a02 = pv.fma(x2, a02); a03 = pv.fma(x3, a03);
                pv = FloatVector.broadcast(S, p[pi + 1]);
                a10 = pv.fma(x0, a10); a11 = pv.fma(x1, a11); a12 = pv.fma(x2, a12); a13 = pv.fma(x3, a13);
                pv = FloatVector.broadcast(S, p[pi + 2]);
                a20 = pv.fma(x0, a20); a21 = pv.fma(x1, a21); a22 = pv.fma(x2, a22); a23 = pv.fma(x3, a23);
                pv = FloatVector.broadcast(S, p[pi + 3]);
                a30 = pv.fma(x0, a30); a31 = pv.fma(x1, a31); a32 = pv.fma(x2, a32); a33 = pv.fma(x3, a33);
            }
            a00.intoArray(o, o0); a01.intoArray(o, o0 + L); a02.intoArray(o, o0 + 2 * L); a03.intoArray(o, o0 + 3 * L);
            a10.intoArray(o, o1); a11.intoArray(o, o1 + L); a12.intoArray(o, o1 + 2 * L); a13.intoArray(o, o1 + 3 * L);
            a20.intoArray(o, o2); a21.intoArray(o, o2 + L); a22.intoArray(o, o2 + 2 * L); a23.intoArray(o, o2 + 3 * L);
            a30.intoArray(o, o3); a31.intoArray(o, o3 + L); a32.intoArray(o, o3 + 2 * L); a33.intoArray(o, o3 + 3 * L);
        }
        return j;
    }

    /** dst[dstOff + c] = src[srcOff + c] * f for c < width, then zeros up to padded (>= width): one row, scaled. */
    public static void scaleRow(float[] src, int srcOff, int width, float f, float[] dst, int dstOff, int padded) {
        FloatVector fv = FloatVector.broadcast(S, f);
        int c = 0;
        for (int bound = S.loopBound(width); c < bound; c += L) FloatVector.fromArray(S, src, srcOff + c).mul(fv).intoArray(dst, dstOff + c);
        for (; c < width; c++) dst[dstOff + c] = src[srcOff + c] * f;
        for (; c < padded; c++) dst[dstOff + c] = 0f;
    }

    /** Copies rows x width from src (stride lds) into dst (stride ldd), zero-filling columns [width, ldd). */
    public static void copyPadded(float[] src, int srcOff, int lds, int rows, int width, float[] dst, int dstOff, int ldd) {
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, srcOff + r * lds, dst, dstOff + r * ldd, width);
            if (ldd > width) Arrays.fill(dst, dstOff + r * ldd + width, dstOff + (r + 1) * ldd, 0f);
        }
    }

    /** dst[c * ldd + r] = src[r * lds + c] for r < rows, c < width; columns r in [rows, ldd) of dst are zeroed. */
    public static void transposePadded(float[] src, int srcOff, int lds, int rows, int width, float[] dst, int dstOff, int ldd) {
        int r = 0;
        if (L == 16 && rows >= 16 && width >= 16) {
            int[] at = ROWS.get();
            for (; r + 16 <= rows; r += 16) {
                for (int i = 0; i < 16; i++) at[i] = srcOff + (r + i) * lds;
                transposeRows(src, at, width, dst, dstOff + r, ldd);
            }
        }
        // Four source rows per pass over the columns: measured twice as fast as one row per pass for 64 x 64.
        for (; r + 4 <= rows; r += 4) {
            int s0 = srcOff + r * lds, s1 = s0 + lds, s2 = s1 + lds, s3 = s2 + lds;
            for (int c = 0; c < width; c++) {
                int d = dstOff + c * ldd + r;
                dst[d] = src[s0 + c];
                dst[d + 1] = src[s1 + c];
                dst[d + 2] = src[s2 + c];
                dst[d + 3] = src[s3 + c];
            }
        }
        for (; r < rows; r++) for (int c = 0; c < width; c++) dst[dstOff + c * ldd + r] = src[srcOff + r * lds + c];
        if (ldd > rows) for (int c = 0; c < width; c++) Arrays.fill(dst, dstOff + c * ldd + rows, dstOff + (c + 1) * ldd, 0f);
    }

    private static final ThreadLocal<int[]> ROWS = ThreadLocal.withInitial(() -> new int[16]);

    /**
     * Sixteen rows of src, row i starting at src[at[i]], transposed: dst[c * ldd + dstOff + i] = src[at[i] + c] for c
     * below width (16-lane vectors only). Whole 16 x 16 blocks go through registers; columns past the last whole block
     * are copied one by one.
     */
    public static void transposeRows(float[] src, int[] at, int width, float[] dst, int dstOff, int ldd) {
        int c = 0;
        for (; c + 16 <= width; c += 16) transposeBlock(src, at, c, dst, dstOff + c * ldd, ldd);
        for (; c < width; c++) for (int i = 0; i < 16; i++) dst[dstOff + c * ldd + i] = src[at[i] + c];
    }

    /**
     * One 16 x 16 block: dst[j * ldd + dstOff + i] = src[at[i] + c + j]. Four rounds of two-vector selections: round b
     * (8, 4, 2, 1) swaps the off-diagonal b x b sub-blocks of each 2b x 2b block, so after the last round row i holds
     * column i. Written out with no helper calls: C2 stops inlining calls once a method's graph is this large, and a
     * vector crossing a call that is not inlined becomes an object.
     */
    private static void transposeBlock(float[] src, int[] at, int c, float[] dst, int dstOff, int ldd) {
        IntVector r0 = FloatVector.fromArray(S, src, at[0] + c).reinterpretAsInts(), r1 = FloatVector.fromArray(S, src, at[1] + c).reinterpretAsInts();
        IntVector r2 = FloatVector.fromArray(S, src, at[2] + c).reinterpretAsInts(), r3 = FloatVector.fromArray(S, src, at[3] + c).reinterpretAsInts();
        IntVector r4 = FloatVector.fromArray(S, src, at[4] + c).reinterpretAsInts(), r5 = FloatVector.fromArray(S, src, at[5] + c).reinterpretAsInts();
        IntVector r6 = FloatVector.fromArray(S, src, at[6] + c).reinterpretAsInts(), r7 = FloatVector.fromArray(S, src, at[7] + c).reinterpretAsInts();
        IntVector r8 = FloatVector.fromArray(S, src, at[8] + c).reinterpretAsInts(), r9 = FloatVector.fromArray(S, src, at[9] + c).reinterpretAsInts();
        IntVector r10 = FloatVector.fromArray(S, src, at[10] + c).reinterpretAsInts(), r11 = FloatVector.fromArray(S, src, at[11] + c).reinterpretAsInts();
        IntVector r12 = FloatVector.fromArray(S, src, at[12] + c).reinterpretAsInts(), r13 = FloatVector.fromArray(S, src, at[13] + c).reinterpretAsInts();
        IntVector r14 = FloatVector.fromArray(S, src, at[14] + c).reinterpretAsInts(), r15 = FloatVector.fromArray(S, src, at[15] + c).reinterpretAsInts();
        IntVector t0 = LOW8.selectFrom(r0, r8), t8 = HIGH8.selectFrom(r0, r8), t1 = LOW8.selectFrom(r1, r9), t9 = HIGH8.selectFrom(r1, r9);
        IntVector t2 = LOW8.selectFrom(r2, r10), t10 = HIGH8.selectFrom(r2, r10), t3 = LOW8.selectFrom(r3, r11), t11 = HIGH8.selectFrom(r3, r11);
        IntVector t4 = LOW8.selectFrom(r4, r12), t12 = HIGH8.selectFrom(r4, r12), t5 = LOW8.selectFrom(r5, r13), t13 = HIGH8.selectFrom(r5, r13);
        IntVector t6 = LOW8.selectFrom(r6, r14), t14 = HIGH8.selectFrom(r6, r14), t7 = LOW8.selectFrom(r7, r15), t15 = HIGH8.selectFrom(r7, r15);
        r0 = LOW4.selectFrom(t0, t4); r4 = HIGH4.selectFrom(t0, t4); r1 = LOW4.selectFrom(t1, t5); r5 = HIGH4.selectFrom(t1, t5);
        r2 = LOW4.selectFrom(t2, t6); r6 = HIGH4.selectFrom(t2, t6); r3 = LOW4.selectFrom(t3, t7); r7 = HIGH4.selectFrom(t3, t7);
        r8 = LOW4.selectFrom(t8, t12); r12 = HIGH4.selectFrom(t8, t12); r9 = LOW4.selectFrom(t9, t13); r13 = HIGH4.selectFrom(t9, t13);
        r10 = LOW4.selectFrom(t10, t14); r14 = HIGH4.selectFrom(t10, t14); r11 = LOW4.selectFrom(t11, t15); r15 = HIGH4.selectFrom(t11, t15);
        t0 = LOW2.selectFrom(r0, r2); t2 = HIGH2.selectFrom(r0, r2); t1 = LOW2.selectFrom(r1, r3); t3 = HIGH2.selectFrom(r1, r3);
        t4 = LOW2.selectFrom(r4, r6); t6 = HIGH2.selectFrom(r4, r6); t5 = LOW2.selectFrom(r5, r7); t7 = HIGH2.selectFrom(r5, r7);
        t8 = LOW2.selectFrom(r8, r10); t10 = HIGH2.selectFrom(r8, r10); t9 = LOW2.selectFrom(r9, r11); t11 = HIGH2.selectFrom(r9, r11);
        t12 = LOW2.selectFrom(r12, r14); t14 = HIGH2.selectFrom(r12, r14); t13 = LOW2.selectFrom(r13, r15); t15 = HIGH2.selectFrom(r13, r15);
        LOW1.selectFrom(t0, t1).reinterpretAsFloats().intoArray(dst, dstOff); HIGH1.selectFrom(t0, t1).reinterpretAsFloats().intoArray(dst, dstOff + ldd);
        LOW1.selectFrom(t2, t3).reinterpretAsFloats().intoArray(dst, dstOff + 2 * ldd); HIGH1.selectFrom(t2, t3).reinterpretAsFloats().intoArray(dst, dstOff + 3 * ldd);
        LOW1.selectFrom(t4, t5).reinterpretAsFloats().intoArray(dst, dstOff + 4 * ldd); HIGH1.selectFrom(t4, t5).reinterpretAsFloats().intoArray(dst, dstOff + 5 * ldd);
        LOW1.selectFrom(t6, t7).reinterpretAsFloats().intoArray(dst, dstOff + 6 * ldd); HIGH1.selectFrom(t6, t7).reinterpretAsFloats().intoArray(dst, dstOff + 7 * ldd);
        LOW1.selectFrom(t8, t9).reinterpretAsFloats().intoArray(dst, dstOff + 8 * ldd); HIGH1.selectFrom(t8, t9).reinterpretAsFloats().intoArray(dst, dstOff + 9 * ldd);
        LOW1.selectFrom(t10, t11).reinterpretAsFloats().intoArray(dst, dstOff + 10 * ldd); HIGH1.selectFrom(t10, t11).reinterpretAsFloats().intoArray(dst, dstOff + 11 * ldd);
        LOW1.selectFrom(t12, t13).reinterpretAsFloats().intoArray(dst, dstOff + 12 * ldd); HIGH1.selectFrom(t12, t13).reinterpretAsFloats().intoArray(dst, dstOff + 13 * ldd);
        LOW1.selectFrom(t14, t15).reinterpretAsFloats().intoArray(dst, dstOff + 14 * ldd); HIGH1.selectFrom(t14, t15).reinterpretAsFloats().intoArray(dst, dstOff + 15 * ldd);
    }

    /**
     * Round b's selections over the pair (a, b) of rows i and i + b: LOW keeps a's lanes without bit b and takes the
     * others from b's lane - b; HIGH takes a's lane + b where bit b is clear and keeps b's lanes where it is set.
     * Index values 16..31 select from the second vector.
     */
    private static IntVector selection(int b, boolean low) {
        int[] index = new int[L];
        for (int lane = 0; lane < L; lane++) {
            boolean set = (lane & b) != 0;
            index[lane] = low ? (set ? L + lane - b : lane) : (set ? L + lane : lane + b);
        }
        return IntVector.fromArray(INTS, index, 0);
    }

    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final IntVector LOW8 = selection(8 % L, true), HIGH8 = selection(8 % L, false), LOW4 = selection(4 % L, true), HIGH4 = selection(4 % L, false),
            LOW2 = selection(2 % L, true), HIGH2 = selection(2 % L, false), LOW1 = selection(1, true), HIGH1 = selection(1, false);
}
