package dev.canopy.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision matrix multiply on row-major float[] with offsets and leading dimensions, in the three layouts
 * training needs: C = A·B, C = A·B^T and C = A^T·B. Each either overwrites C or adds into it.
 *
 * <p>Classic packed GEMM: B is packed once per (k-block, n-block) into NR-wide column panels, each task packs its own
 * MR-row panels of A, and a register-tiled micro-kernel keeps an MR x NR tile of C in vector registers while it
 * streams both panels from L1. Tasks are split over blocks of rows of C.
 */
public final class Sgemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Micro-tile: MR rows x NR columns of C live in MR * (NR / L) accumulator registers. */
    static final int MR = 6;
    static final int NR = 2 * L;
    private static final int KC = 256;
    private static final int MC = 96;
    private static final int NC = 2048;

    private Sgemm() {}

    /** C[m x n] (+)= A[m x k] · B[k x n]. */
    public static void matmul(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                              float[] c, int cOff, int ldc, boolean accumulate) {
        gemm(m, n, k, a, aOff, lda, false, b, bOff, ldb, false, c, cOff, ldc, accumulate);
    }

    /** C[m x n] (+)= A[m x k] · B^T where B is stored [n x k]. */
    public static void matmulTransB(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate) {
        gemm(m, n, k, a, aOff, lda, false, b, bOff, ldb, true, c, cOff, ldc, accumulate);
    }

    /** C[m x n] (+)= A^T · B where A is stored [k x m] and B is [k x n]. */
    public static void matmulTransA(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate) {
        gemm(m, n, k, a, aOff, lda, true, b, bOff, ldb, false, c, cOff, ldc, accumulate);
    }

    /** Dense row-major convenience forms with packed leading dimensions. */
    public static void matmul(int m, int n, int k, float[] a, float[] b, float[] c) {
        matmul(m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
    }

    public static void matmulTransB(int m, int n, int k, float[] a, float[] b, float[] c) {
        matmulTransB(m, n, k, a, 0, k, b, 0, k, c, 0, n, false);
    }

    public static void matmulTransA(int m, int n, int k, float[] a, float[] b, float[] c) {
        matmulTransA(m, n, k, a, 0, m, b, 0, n, c, 0, n, false);
    }

    static void gemm(int m, int n, int k, float[] a, int aOff, int lda, boolean transA,
                     float[] b, int bOff, int ldb, boolean transB,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        gemm(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, null, c, cOff, ldc, accumulate);
    }

    /**
     * B packed once into the panels the micro-kernel reads, for a matrix used in many products (inference weights):
     * the product then skips packing, and the packed copy can replace the original.
     *
     * @param k    rows of op(B)
     * @param n    columns of op(B)
     * @param data the (k-block, n-block) panels one after another, in the order {@link #gemm} visits them
     */
    public record PackedB(int k, int n, float[] data) {
        /** {@return the bytes held} */
        public long bytes() {
            return 4L * data.length;
        }
    }

    /**
     * Packs op(B) for {@link #matmulPacked}: B [k x n], or with transB B stored [n x k] (a linear layer's weight [out,
     * in], so that x · W^T is the product).
     */
    public static PackedB pack(int k, int n, float[] b, int bOff, int ldb, boolean transB) {
        if (k <= 0 || n <= 0) throw new IllegalArgumentException("sgemm pack: sizes must be positive, got k=" + k + " n=" + n);
        checkBounds("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
        int nc = Math.min(NC, roundUp(n, NR));
        float[] data = new float[Math.toIntExact((long) roundUp(n, NR) * k)];
        for (int jc = 0; jc < n; jc += nc) {
            int nb = Math.min(nc, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kb = Math.min(KC, k - pc);
                float[] block = B_PANEL.get(KC * nc);
                packB(b, bOff, ldb, transB, pc, kb, jc, nb, block);
                System.arraycopy(block, 0, data, packedOffset(k, jc, pc, nb), roundUp(nb, NR) * kb);
            }
        }
        return new PackedB(k, n, data);
    }

    /** Where block (jc, pc) starts in a packed B: all earlier column blocks in full, then this one's earlier k-blocks. */
    private static int packedOffset(int k, int jc, int pc, int nb) {
        return jc * k + roundUp(nb, NR) * pc;
    }

    /** C[m x n] (+)= A[m x k] · op(B) with B packed by {@link #pack}. */
    public static void matmulPacked(int m, float[] a, int aOff, int lda, PackedB b, float[] c, int cOff, int ldc, boolean accumulate) {
        gemm(m, b.n(), b.k(), a, aOff, lda, false, null, 0, 0, false, b, c, cOff, ldc, accumulate);
    }

    private static void gemm(int m, int n, int k, float[] a, int aOff, int lda, boolean transA,
                             float[] b, int bOff, int ldb, boolean transB, PackedB packed,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("sgemm sizes must be >= 0, got m=" + m + " n=" + n + " k=" + k);
        if (m == 0 || n == 0) return;
        checkBounds("A", a, aOff, lda, transA ? k : m, transA ? m : k);
        if (packed == null) checkBounds("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
        checkBounds("C", c, cOff, ldc, m, n);
        if (k == 0) {
            if (!accumulate) for (int i = 0; i < m; i++) Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            return;
        }
        int nc = Math.min(NC, roundUp(n, NR));
        float[] bPacked = packed != null ? packed.data() : B_PANEL.get(KC * nc);
        // Rows of C are split into blocks of whole MR-row panels, as many blocks per thread as MC allows, so that
        // every thread gets the same number of panels; few rows are made up for by also splitting the columns.
        int threads = Parallel.threads();
        int panels = (m + MR - 1) / MR;
        int rowBlocks = Math.min(panels, threads * Math.max(1, (m + threads * MC - 1) / (threads * MC)));
        int maxPanelsPerBlock = (panels + rowBlocks - 1) / rowBlocks;
        boolean direct = readsADirectly(transA, k, lda);
        for (int jc = 0; jc < n; jc += nc) {
            int nb = Math.min(nc, n - jc);
            int colPanels = (nb + NR - 1) / NR;
            int colGroups = rowBlocks >= threads ? 1 : Math.min(colPanels, (2 * threads + rowBlocks - 1) / rowBlocks);
            for (int pc = 0; pc < k; pc += KC) {
                int kb = Math.min(KC, k - pc);
                boolean addInto = accumulate || pc > 0;
                int bBlock = 0;
                if (packed != null) bBlock = packedOffset(k, jc, pc, nb);
                else packB(b, bOff, ldb, transB, pc, kb, jc, nb, bPacked);
                final int fjc = jc, fpc = pc, fbBlock = bBlock;
                Parallel.forEach(rowBlocks * colGroups, task -> {
                    int blk = task / colGroups, group = task % colGroups;
                    int p0 = (int) ((long) panels * blk / rowBlocks), p1 = (int) ((long) panels * (blk + 1) / rowBlocks);
                    int ic = p0 * MR;
                    int mb = Math.min(p1 * MR, m) - ic;
                    int g0 = (int) ((long) colPanels * group / colGroups) * NR;
                    int g1 = Math.min(nb, (int) ((long) colPanels * (group + 1) / colGroups) * NR);
                    if (direct) {
                        macroKernelDirect(mb, g0, g1, kb, a, aOff, lda, transA, ic, fpc, bPacked, fbBlock, c, cOff + ic * ldc + fjc, ldc, addInto);
                    } else {
                        float[] aPacked = A_PANEL.get(maxPanelsPerBlock * MR * KC);
                        packA(a, aOff, lda, transA, ic, mb, fpc, kb, aPacked);
                        macroKernel(mb, g0, g1, kb, aPacked, bPacked, fbBlock, c, cOff + ic * ldc + fjc, ldc, addInto);
                    }
                });
            }
        }
    }

    /** The packed A panel of a task, kept per thread. */
    private static final ThreadBuffer A_PANEL = new ThreadBuffer();

    /**
     * Whether the tasks read A in place ({@link #macroKernelDirect}): for A^T (six adjacent values per k) or for A of at
     * most KC columns, and only while A's rows are at most 512 floats apart: at 4 KiB strides every row lands in the
     * same L1 sets and the in-place reads ran 0.84x the packed ones (1024 x 1024, A^T).
     */
    private static boolean readsADirectly(boolean transA, int k, int lda) {
        return lda <= 512 && (transA || k <= KC);
    }

    /** The packed B block, kept per calling thread: a fresh 1 MiB array per call costs as much as a small product. */
    private static final ThreadBuffer B_PANEL = new ThreadBuffer();

    private static int roundUp(int x, int to) {
        return (x + to - 1) / to * to;
    }

    private static void checkBounds(String name, float[] x, int off, int ld, int rows, int cols) {
        if (x == null) throw new IllegalArgumentException("sgemm: " + name + " is null");
        if (off < 0 || ld < cols) throw new IllegalArgumentException("sgemm: " + name + " offset " + off + " / leading dimension " + ld + " invalid for " + rows + "x" + cols);
        long last = (long) off + (long) (rows - 1) * ld + cols;
        if (rows > 0 && cols > 0 && last > x.length) {
            throw new IllegalArgumentException("sgemm: " + name + " needs " + last + " floats (" + rows + "x" + cols + ", ld " + ld + ", offset " + off + ") but has " + x.length);
        }
    }

    /** Packs rows [pc, pc+kb) x cols [jc, jc+nb) of op(B) into NR-wide panels, zero-padded: panel-major, then k, then column. */
    private static void packB(float[] b, int bOff, int ldb, boolean transB, int pc, int kb, int jc, int nb, float[] out) {
        int panels = (nb + NR - 1) / NR;
        Parallel.forRanges(panels, 4, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int j0 = jc + p * NR;
                int w = Math.min(NR, jc + nb - j0);
                int base = p * NR * kb;
                if (!transB) {
                    for (int kk = 0; kk < kb; kk++) {
                        int src = bOff + (pc + kk) * ldb + j0;
                        int dst = base + kk * NR;
                        System.arraycopy(b, src, out, dst, w);
                        if (w < NR) Arrays.fill(out, dst + w, dst + NR, 0f);
                    }
                } else {
                    for (int jj = 0; jj < NR; jj++) {
                        if (jj < w) {
                            int src = bOff + (j0 + jj) * ldb + pc;
                            for (int kk = 0; kk < kb; kk++) out[base + kk * NR + jj] = b[src + kk];
                        } else {
                            for (int kk = 0; kk < kb; kk++) out[base + kk * NR + jj] = 0f;
                        }
                    }
                }
            }
        });
    }

    /** Packs rows [ic, ic+mb) x cols [pc, pc+kb) of op(A) into MR-row panels, zero-padded: panel, then k, then row. */
    private static void packA(float[] a, int aOff, int lda, boolean transA, int ic, int mb, int pc, int kb, float[] out) {
        for (int p = 0; p * MR < mb; p++) {
            int i0 = ic + p * MR;
            int h = Math.min(MR, ic + mb - i0);
            int base = p * MR * kb;
            if (!transA) {
                for (int r = 0; r < MR; r++) {
                    if (r < h) {
                        int src = aOff + (i0 + r) * lda + pc;
                        for (int kk = 0; kk < kb; kk++) out[base + kk * MR + r] = a[src + kk];
                    } else {
                        for (int kk = 0; kk < kb; kk++) out[base + kk * MR + r] = 0f;
                    }
                }
            } else {
                for (int kk = 0; kk < kb; kk++) {
                    int src = aOff + (pc + kk) * lda + i0;
                    int dst = base + kk * MR;
                    for (int r = 0; r < MR; r++) out[dst + r] = r < h ? a[src + r] : 0f;
                }
            }
        }
    }

    /** Multiplies the packed A block by packed B columns [j0, j1) (j0 a multiple of NR) into C. */
    private static void macroKernel(int mb, int j0, int j1, int kb, float[] aPacked, float[] bPacked, int bOff, float[] c, int cOff, int ldc, boolean accumulate) {
        int nb = j1;
        for (int jr = j0; jr < nb; jr += NR) {
            int w = Math.min(NR, nb - jr);
            int bBase = bOff + (jr / NR) * NR * kb;
            for (int ir = 0; ir < mb; ir += MR) {
                int h = Math.min(MR, mb - ir);
                int aBase = (ir / MR) * MR * kb;
                int at = cOff + ir * ldc + jr;
                if (h == MR && w == NR) {
                    microKernel(kb, aPacked, aBase, bPacked, bBase, c, at, ldc, accumulate);
                } else {
                    // Edge tile: compute the full register tile into scratch, then copy the valid h x w corner.
                    float[] t = EDGE_TILE.get();
                    microKernel(kb, aPacked, aBase, bPacked, bBase, t, 0, NR, false);
                    addCorner(t, h, w, c, at, ldc, accumulate);
                }
            }
        }
    }

    private static final ThreadLocal<float[]> EDGE_TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    /**
     * macroKernel reading A where it lies instead of from a packed copy: A^T's six values for one k are adjacent, and
     * a block of at most KC columns of A is six short rows, so packing would cost as much as the product at the small
     * k and n of a model's linear layers. Full MR-row panels only; a last partial panel is packed (a read past its rows
     * could leave the array). The same FMAs in the same order as the packed path, so the same bits.
     */
    private static void macroKernelDirect(int mb, int j0, int j1, int kb, float[] a, int aOff, int lda, boolean transA, int ic, int pc,
                                          float[] bPacked, int bOff, float[] c, int cOff, int ldc, boolean accumulate) {
        int full = mb / MR * MR;
        // Element (row i, k index kk) of op(A) sits at a[at(i) + kk * kStep], rows rowStep apart.
        int rowStep = transA ? 1 : lda, kStep = transA ? lda : 1;
        int first = transA ? aOff + pc * lda + ic : aOff + ic * lda + pc;
        for (int jr = j0; jr < j1 && full > 0; jr += NR) {
            int w = Math.min(NR, j1 - jr), bBase = bOff + (jr / NR) * NR * kb;
            for (int ir = 0; ir < full; ir += MR) {
                int at = cOff + ir * ldc + jr, aAt = first + ir * rowStep;
                if (w == NR) {
                    microKernelDirect(kb, a, aAt, rowStep, kStep, bPacked, bBase, c, at, ldc, accumulate);
                } else {
                    float[] t = EDGE_TILE.get();
                    microKernelDirect(kb, a, aAt, rowStep, kStep, bPacked, bBase, t, 0, NR, false);
                    addCorner(t, MR, w, c, at, ldc, accumulate);
                }
            }
        }
        if (full < mb) {
            float[] aPacked = A_PANEL.get(MR * KC);
            packA(a, aOff, lda, transA, ic + full, mb - full, pc, kb, aPacked);
            macroKernel(mb - full, j0, j1, kb, aPacked, bPacked, bOff, c, cOff + full * ldc, ldc, accumulate);
        }
    }

    /** The valid h x w corner of an edge tile t (stride NR) into C, added or stored. */
    private static void addCorner(float[] t, int h, int w, float[] c, int at, int ldc, boolean accumulate) {
        for (int r = 0; r < h; r++) {
            int dst = at + r * ldc;
            if (accumulate) {
                for (int j = 0; j < w; j++) c[dst + j] += t[r * NR + j];
            } else {
                System.arraycopy(t, r * NR, c, dst, w);
            }
        }
    }

    /**
     * The 6 x 2L register tile: per k step, two vector loads of B, six broadcasts of A, twelve FMAs; the tile is then
     * stored to (or added into) c. Kept free of branches on the tile shape so C2 keeps every accumulator in a register.
     */
    private static void microKernel(int kb, float[] ap, int aBase, float[] bp, int bBase, float[] c, int cOff, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int kk = 0; kk < kb; kk++) {
            int ai = aBase + kk * MR, bi = bBase + kk * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
        }
        if (accumulate) {
            int o = cOff;
            c00 = c00.add(FloatVector.fromArray(S, c, o)); c01 = c01.add(FloatVector.fromArray(S, c, o + L)); o += ldc;
            c10 = c10.add(FloatVector.fromArray(S, c, o)); c11 = c11.add(FloatVector.fromArray(S, c, o + L)); o += ldc;
            c20 = c20.add(FloatVector.fromArray(S, c, o)); c21 = c21.add(FloatVector.fromArray(S, c, o + L)); o += ldc;
            c30 = c30.add(FloatVector.fromArray(S, c, o)); c31 = c31.add(FloatVector.fromArray(S, c, o + L)); o += ldc;
            c40 = c40.add(FloatVector.fromArray(S, c, o)); c41 = c41.add(FloatVector.fromArray(S, c, o + L)); o += ldc;
            c50 = c50.add(FloatVector.fromArray(S, c, o)); c51 = c51.add(FloatVector.fromArray(S, c, o + L));
        }
        int o = cOff;
        c00.intoArray(c, o); c01.intoArray(c, o + L); o += ldc;
        c10.intoArray(c, o); c11.intoArray(c, o + L); o += ldc;
        c20.intoArray(c, o); c21.intoArray(c, o + L); o += ldc;
        c30.intoArray(c, o); c31.intoArray(c, o + L); o += ldc;
        c40.intoArray(c, o); c41.intoArray(c, o + L); o += ldc;
        c50.intoArray(c, o); c51.intoArray(c, o + L);
    }

    /**
     * {@link #microKernel} with A read in place: element (r, kk) of the tile's A at ap[aBase + r * rs + kk * ks]. A copy
     * rather than one kernel with strides for both paths: the shared kernel ran the in-place products 5-15% slower.
     */
    private static void microKernelDirect(int kb, float[] ap, int aBase, int rs, int ks, float[] bp, int bBase, float[] c, int cOff, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int kk = 0; kk < kb; kk++) {
            int ai = aBase + kk * ks, bi = bBase + kk * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1 * rs]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2 * rs]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3 * rs]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4 * rs]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5 * rs]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
        }
        if (accumulate) {
            int o = cOff;
            c00 = c00.add(FloatVector.fromArray(S, c, o)); c01 = c01.add(FloatVector.fromArray(S, c, o + L)); o += ldc;
            c10 = c10.add(FloatVector.fromArray(S, c, o)); c11 = c11.add(FloatVector.fromArray(S, c, o + L)); o += ldc;
            c20 = c20.add(FloatVector.fromArray(S, c, o)); c21 = c21.add(FloatVector.fromArray(S, c, o + L)); o += ldc;
            c30 = c30.add(FloatVector.fromArray(S, c, o)); c31 = c31.add(FloatVector.fromArray(S, c, o + L)); o += ldc;
            c40 = c40.add(FloatVector.fromArray(S, c, o)); c41 = c41.add(FloatVector.fromArray(S, c, o + L)); o += ldc;
            c50 = c50.add(FloatVector.fromArray(S, c, o)); c51 = c51.add(FloatVector.fromArray(S, c, o + L));
        }
        int o = cOff;
        c00.intoArray(c, o); c01.intoArray(c, o + L); o += ldc;
        c10.intoArray(c, o); c11.intoArray(c, o + L); o += ldc;
        c20.intoArray(c, o); c21.intoArray(c, o + L); o += ldc;
        c30.intoArray(c, o); c31.intoArray(c, o + L); o += ldc;
        c40.intoArray(c, o); c41.intoArray(c, o + L); o += ldc;
        c50.intoArray(c, o); c51.intoArray(c, o + L);
    }
}
