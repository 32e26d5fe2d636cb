package dev.canopy.attention;

import static dev.canopy.kernels.Tiles.pad;

import dev.canopy.config.OptionSchema;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.ScoreRows;
import dev.canopy.kernels.Tiles;
import dev.canopy.nn.Pass;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Exact softmax attention that never holds an n x n matrix (FlashAttention-2 style, on CPU).
 *
 * <p>Forward: each task takes one block of queries of one (batch, head) pair and streams over key blocks, keeping a
 * running row max m and row sum l (online softmax) and an unnormalised output; it saves only the log-sum-exp per row.
 * Backward: each task owns a range of key blocks (so dK and dV need no locks), recomputes the probabilities of every
 * query block from the saved log-sum-exp, and accumulates dQ into its own buffer when key ranges of one pair run in
 * parallel.
 */
public final class ExactAttention implements Attention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** A queryBlock or keyBlock that lets each call choose ({@link #forwardQueryBlock}, {@link #backwardKeyBlock}). */
    public static final int AUTO = 0;
    private static final int QUERY_BLOCK = 64, KEY_BLOCK = 128;
    /**
     * Query rows per forward tile once one pair's keys and values outgrow a core's L2 cache (1 MiB here; more than 2
     * MiB of them, n > 4,096 at d = 64): every query block streams the pair's keys and values once, so taller blocks
     * stream them fewer times. At n = 16,384, d = 64: 1.65-1.68 s against 1.87-2.15 s with 64 rows (`bench peers`);
     * at 4,096 and 1,024 no difference beyond noise.
     */
    private static final int LONG_QUERY_BLOCK = 256;
    /**
     * Keys per backward tile once one pair's queries and output gradients outgrow L2 (the backward's mirror image: each
     * key block streams them once). At n = 16,384, d = 64: 4.05 s against 4.74 s with 128 keys (`bench attention
     * --backward`); in the forward 256 keys ran slower, so the forward keeps 128.
     */
    private static final int LONG_KEY_BLOCK = 256;
    private static final long L2_PAIR_BYTES = 2L << 20;

    private final int queryBlock;
    private final int keyBlock;

    public ExactAttention() {
        this(AUTO, AUTO);
    }

    /**
     * @param queryBlock query rows per tile, or {@link #AUTO}: 64, and 256 in the forward when a pair's keys and values
     *                   exceed 2 MiB
     * @param keyBlock   keys per tile, a positive multiple of the vector width, or {@link #AUTO}: 128, and 256 in the
     *                   backward when a pair's queries and output gradients exceed 2 MiB
     */
    public ExactAttention(int queryBlock, int keyBlock) {
        if (queryBlock < AUTO || keyBlock < AUTO || keyBlock % L != 0) {
            throw new IllegalArgumentException("exact attention: query block must be >= 1 and key block a positive multiple of "
                    + L + " (or auto), got qblock=" + named(queryBlock) + " kblock=" + named(keyBlock));
        }
        this.queryBlock = queryBlock;
        this.keyBlock = keyBlock;
    }

    private static String named(int block) {
        return block == AUTO ? "auto" : Integer.toString(block);
    }

    /** The forward's keys per tile. */
    private int forwardKeyBlock() {
        return keyBlock == AUTO ? KEY_BLOCK : keyBlock;
    }

    /** The backward's keys per tile for this shape. */
    int backwardKeyBlock(AttentionShape s) {
        if (keyBlock != AUTO) return keyBlock;
        return outgrowsL2(s, s.nq()) ? LONG_KEY_BLOCK : KEY_BLOCK;
    }

    /** The forward's query rows per tile for this shape. */
    int forwardQueryBlock(AttentionShape s) {
        if (queryBlock != AUTO) return queryBlock;
        return outgrowsL2(s, s.nk()) ? LONG_QUERY_BLOCK : QUERY_BLOCK;
    }

    /** Whether rows of one pair, each d + dv padded floats (keys and values, or queries and output gradients), pass 2 MiB. */
    private static boolean outgrowsL2(AttentionShape s, int rows) {
        return 4L * rows * (pad(s.d()) + pad(s.dv())) > L2_PAIR_BYTES;
    }

    /** The backward's query rows per tile (taller tiles measured no faster there). */
    private int backwardQueryBlock() {
        return queryBlock == AUTO ? QUERY_BLOCK : queryBlock;
    }

    public static final AttentionFamily FAMILY = new AttentionFamily("softmax(q k^T / sqrt(d)) v over every key, streamed in blocks (O(n) memory)", true,
            new OptionSchema("exact", List.of(
                    OptionSchema.optional("qblock", "auto", "queries per tile; auto: 64, and 256 in the forward once a pair's keys and values exceed 2 MiB (n > 4096 at d = 64)"),
                    OptionSchema.optional("kblock", "auto", "keys per tile; auto: 128, and 256 in the backward once a pair's queries and output gradients exceed 2 MiB"))),
            values -> {
                String qblock = values.text("qblock");
                String kblock = values.text("kblock");
                ExactAttention attention = new ExactAttention(qblock.equals("auto") ? AUTO : values.integer("qblock", 1, 1 << 16),
                        kblock.equals("auto") ? AUTO : values.integer("kblock", 1, 1 << 16));
                return setup -> attention;
            });

    @Override
    public String spec() {
        return "exact";
    }

    /** Saved state: the inputs by reference and one log-sum-exp per query row (+inf for a row with no visible key). */
    record Context(AttentionShape shape, AttentionMask mask, float[] q, float[] k, float[] v, float[] out, float[] lse,
                   long flops, long backwardFlops, long workingBytes) implements Saved {}

    @Override
    public Saved forward(AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask, Pass pass, float[] out) {
        s.check(q, k, v, out);
        mask.check(s);
        float[] lse = new float[s.pairs() * s.nq()];
        int qb = forwardQueryBlock(s), qBlocks = Math.ceilDiv(s.nq(), qb);
        if (pairParallel(s)) {
            // Many pairs: one task per pair, each with its own transposed keys.
            Parallel.forEach(s.pairs(), pair -> {
                PairKeys keys = PairKeys.of(s, k, v, pair, forwardKeyBlock(), SCRATCH.get());
                for (int b = 0; b < qBlocks; b++) forwardBlock(s, q, keys, mask, out, lse, pair, b * qb, qb);
            });
        } else {
            // Few pairs: one pair at a time, its query blocks in parallel, sharing the transposed keys.
            for (int pair = 0; pair < s.pairs(); pair++) {
                PairKeys keys = PairKeys.of(s, k, v, pair, forwardKeyBlock(), null);
                int p = pair;
                Parallel.forEach(qBlocks, b -> forwardBlock(s, q, keys, mask, out, lse, p, b * qb, qb));
            }
        }
        long visible = visiblePairs(s, mask);
        long flops = 2L * visible * (s.d() + s.dv());
        return new Context(s, mask, q, k, v, out, lse, flops, flops * 5 / 2, workingBytes(s));
    }

    private boolean pairParallel(AttentionShape s) {
        return s.pairs() >= 2 * Parallel.threads();
    }

    /**
     * One pair's keys laid out for the score tiles: K transposed block by block ([dp x bc] per key block, zero-padded)
     * and V with rows padded to a multiple of the vector width (V itself when dv already is one). Built once per pair
     * so the O(n d) transposition is not repeated for every query block. With a thread's scratch (a task that uses the
     * keys alone) the layout is written into its buffers, so many small pairs allocate nothing; otherwise (keys shared
     * by the threads) into new arrays.
     */
    record PairKeys(float[] kt, float[] v, int vOff, int nk, int blocks) {
        static PairKeys of(AttentionShape s, float[] k, float[] v, int pair, int bc, Scratch own) {
            int d = s.d(), dv = s.dv(), nk = s.nk(), dp = pad(d), wp = pad(dv);
            int blocks = Math.ceilDiv(nk, bc);
            float[] kt = own == null ? new float[blocks * dp * bc] : (own.pairKeys = Scratch.ensure(own.pairKeys, blocks * dp * bc));
            for (int blk = 0; blk < blocks; blk++) {
                int j0 = blk * bc, cols = Math.min(bc, nk - j0), at = blk * dp * bc;
                Tiles.transposePadded(k, (pair * nk + j0) * d, d, cols, d, kt, at, pad(cols));
                if (own != null && dp > d) Arrays.fill(kt, at + d * pad(cols), at + dp * pad(cols), 0f); // rows past d meet q's zero padding
            }
            if (wp == dv) return new PairKeys(kt, v, pair * nk * dv, nk, blocks);
            float[] vp = own == null ? new float[nk * wp] : (own.pairValues = Scratch.ensure(own.pairValues, nk * wp));
            Tiles.copyPadded(v, pair * nk * dv, dv, nk, dv, vp, 0, wp);
            return new PairKeys(kt, vp, 0, nk, blocks);
        }

        static long bytes(AttentionShape s, int bc) {
            int dp = pad(s.d()), wp = pad(s.dv());
            return 4L * ((long) Math.ceilDiv(s.nk(), bc) * dp * bc + (wp == s.dv() ? 0 : (long) s.nk() * wp));
        }
    }

    /** Per-thread scratch, sized for the largest shape seen so far. */
    private static final class Scratch {
        float[] qs, kt, vs, sc, acc, m, l, lanes, dos, vt, ks, dp, dkAcc, dvAcc, pairKeys, pairValues;

        static float[] ensure(float[] a, int n) {
            return a != null && a.length >= n ? a : new float[n];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private void forwardBlock(AttentionShape s, float[] q, PairKeys keys, AttentionMask mask, float[] out, float[] lse, int pair, int i0, int block) {
        int d = s.d(), dv = s.dv(), nq = s.nq();
        int dp = pad(d), wp = pad(dv), bc = forwardKeyBlock();
        int rows = Math.min(block, nq - i0);
        int batch = pair / s.heads();
        float scale = (float) (1.0 / Math.sqrt(d));
        Scratch t = SCRATCH.get();
        float[] qs = t.qs = Scratch.ensure(t.qs, block * dp);
        float[] sc = t.sc = Scratch.ensure(t.sc, block * bc);
        float[] acc = t.acc = Scratch.ensure(t.acc, block * wp);
        float[] m = t.m = Scratch.ensure(t.m, block);
        float[] l = t.l = Scratch.ensure(t.l, block);
        float[] lanes = t.lanes = Scratch.ensure(t.lanes, block * L);

        // Scale Q on the way in, so the tile product is already QK^T / sqrt(d).
        int qBase = (pair * nq + i0) * d;
        for (int r = 0; r < rows; r++) Tiles.scaleRow(q, qBase + r * d, d, scale, qs, r * dp, dp);
        Arrays.fill(acc, 0, rows * wp, 0f);
        Arrays.fill(m, 0, rows, Float.NEGATIVE_INFINITY);
        Arrays.fill(lanes, 0, rows * L, 0f);

        int keyEnd = mask.keyLimit(s, i0 + rows - 1);
        for (int j0 = 0; j0 < keyEnd; j0 += bc) {
            int cols = Math.min(bc, keyEnd - j0);
            int colsP = pad(Math.min(bc, keys.nk() - j0));
            Tiles.mulBt(qs, 0, rows, dp, keys.kt(), (j0 / bc) * dp * bc, colsP, sc, 0, bc);
            applyMask(s, mask, batch, i0, rows, j0, cols, colsP, sc, bc);
            ScoreRows.onlineStepLanes(sc, bc, rows, colsP, m, lanes, acc, wp);
            Tiles.mulAcc(sc, 0, bc, rows, cols, keys.v(), keys.vOff() + j0 * wp, wp, acc, 0);
        }
        ScoreRows.laneTotals(lanes, rows, l);
        int oBase = (pair * nq + i0) * dv;
        for (int r = 0; r < rows; r++) {
            Tiles.scaleRow(acc, r * wp, dv, l[r] > 0 ? 1f / l[r] : 0f, out, oBase + r * dv, dv);
            lse[pair * nq + i0 + r] = l[r] > 0 ? m[r] + (float) Math.log(l[r]) : Float.POSITIVE_INFINITY;
        }
    }

    /** Sets invisible scores, and the padding columns [cols, colsP), to -inf. */
    private static void applyMask(AttentionShape s, AttentionMask mask, int batch, int i0, int rows, int j0, int cols, int colsP, float[] sc, int ld) {
        for (int r = 0; r < rows; r++) {
            int row = r * ld;
            for (int j = cols; j < colsP; j++) sc[row + j] = Float.NEGATIVE_INFINITY;
        }
        if (mask.isNone()) return;
        boolean[] pad = mask.keyPadding();
        for (int r = 0; r < rows; r++) {
            int row = r * ld;
            int limit = Math.min(cols, mask.keyLimit(s, i0 + r) - j0);
            for (int j = Math.max(0, limit); j < cols; j++) sc[row + j] = Float.NEGATIVE_INFINITY;
            if (pad != null) {
                int base = batch * s.nk() + j0;
                for (int j = 0; j < cols; j++) if (pad[base + j]) sc[row + j] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    @Override
    public void backward(Saved saved, float[] dOut, float[] dq, float[] dk, float[] dv) {
        if (!(saved instanceof Context c)) throw new IllegalArgumentException("exact attention backward got state from " + saved.getClass().getSimpleName());
        AttentionShape s = c.shape();
        s.checkGradients(dOut, dq, dk, dv);
        int nq = s.nq(), d = s.d();
        float[] rowDot = ScoreRows.rowDots(dOut, c.out(), s.pairs() * nq, s.dv());
        int kBlocks = Math.ceilDiv(s.nk(), backwardKeyBlock(s));
        int splits = splitsPerPair(s);
        Arrays.fill(dq, 0f);
        float[] dqExtra = splits > 1 ? new float[s.pairs() * (splits - 1) * nq * d] : null;
        Parallel.forEach(s.pairs() * splits, task -> {
            int pair = task / splits, split = task % splits;
            int b0 = (int) ((long) kBlocks * split / splits), b1 = (int) ((long) kBlocks * (split + 1) / splits);
            float[] dqTarget = split == 0 ? dq : dqExtra;
            int dqOff = split == 0 ? pair * nq * d : ((pair * (splits - 1)) + split - 1) * nq * d;
            backwardKeys(c, dOut, rowDot, dqTarget, dqOff, dk, dv, pair, b0, b1);
        });
        if (dqExtra != null) {
            Parallel.forRanges(s.pairs() * nq * d, 4096, (a, b) -> {
                for (int i = a; i < b; i++) {
                    int pair = i / (nq * d), rest = i % (nq * d);
                    for (int e = 0; e < splits - 1; e++) dq[i] += dqExtra[(pair * (splits - 1) + e) * nq * d + rest];
                }
            });
        }
    }

    /** How many key ranges each pair is split into, so that few pairs still keep every thread busy. */
    private int splitsPerPair(AttentionShape s) {
        int kBlocks = Math.ceilDiv(s.nk(), backwardKeyBlock(s));
        return Math.max(1, Math.min(kBlocks, Math.ceilDiv(Parallel.threads(), s.pairs())));
    }

    private void backwardKeys(Context c, float[] dOut, float[] rowDot, float[] dqOut, int dqOff, float[] dk, float[] dvOut, int pair, int b0, int b1) {
        AttentionShape s = c.shape();
        AttentionMask mask = c.mask();
        int d = s.d(), dv = s.dv(), nq = s.nq(), nk = s.nk();
        int dp = pad(d), wp = pad(dv), bc = backwardKeyBlock(s), br = backwardQueryBlock();
        int batch = pair / s.heads();
        float scale = (float) (1.0 / Math.sqrt(d));
        Scratch t = SCRATCH.get();
        float[] qs = t.qs = Scratch.ensure(t.qs, br * dp);
        float[] kt = t.kt = Scratch.ensure(t.kt, dp * bc);
        float[] vt = t.vt = Scratch.ensure(t.vt, wp * bc);
        float[] ks = t.ks = Scratch.ensure(t.ks, bc * dp);
        float[] sc = t.sc = Scratch.ensure(t.sc, br * bc);
        float[] dpb = t.dp = Scratch.ensure(t.dp, br * bc);
        float[] dos = t.dos = Scratch.ensure(t.dos, br * wp);
        float[] dkAcc = t.dkAcc = Scratch.ensure(t.dkAcc, bc * dp);
        float[] dvAcc = t.dvAcc = Scratch.ensure(t.dvAcc, bc * wp);
        float[] dqAcc = t.acc = Scratch.ensure(t.acc, br * dp);
        float[] q = c.q(), k = c.k(), v = c.v(), lse = c.lse();

        for (int blk = b0; blk < b1; blk++) {
            int j0 = blk * bc;
            int cols = Math.min(bc, nk - j0);
            int colsP = pad(cols);
            Tiles.transposePadded(k, (pair * nk + j0) * d, d, cols, d, kt, 0, colsP);
            Tiles.transposePadded(v, (pair * nk + j0) * dv, dv, cols, dv, vt, 0, colsP);
            Tiles.copyPadded(k, (pair * nk + j0) * d, d, cols, d, ks, 0, dp);
            Arrays.fill(dkAcc, 0, cols * dp, 0f);
            Arrays.fill(dvAcc, 0, cols * wp, 0f);
            int firstQuery = mask.causal() ? Math.max(0, j0 - (nk - nq)) : 0;
            for (int i0 = firstQuery / br * br; i0 < nq; i0 += br) {
                int rows = Math.min(br, nq - i0);
                Tiles.copyPadded(q, (pair * nq + i0) * d, d, rows, d, qs, 0, dp);
                Tiles.copyPadded(dOut, (pair * nq + i0) * dv, dv, rows, dv, dos, 0, wp);
                Tiles.mulBt(qs, 0, rows, dp, kt, 0, colsP, sc, 0, bc);
                applyMask(s, mask, batch, i0, rows, j0, cols, colsP, sc, bc);
                // P = exp(S * scale - lse): the forward's probabilities, recomputed.
                for (int r = 0; r < rows; r++) ScoreRows.probabilities(sc, r * bc, colsP, scale, lse[pair * nq + i0 + r]);
                Tiles.mulTransAcc(sc, 0, bc, rows, cols, dos, 0, wp, dvAcc, 0);
                Tiles.mulBt(dos, 0, rows, wp, vt, 0, colsP, dpb, 0, bc);
                // dS = P * (dP - D) * scale, written over dP.
                for (int r = 0; r < rows; r++) ScoreRows.softmaxGrad(sc, dpb, r * bc, colsP, rowDot[pair * nq + i0 + r], scale);
                Tiles.mulTransAcc(dpb, 0, bc, rows, cols, qs, 0, dp, dkAcc, 0);
                Arrays.fill(dqAcc, 0, rows * dp, 0f);
                Tiles.mulAcc(dpb, 0, bc, rows, cols, ks, 0, dp, dqAcc, 0);
                int qBase = dqOff + i0 * d;
                for (int r = 0; r < rows; r++) {
                    for (int x = 0; x < d; x++) dqOut[qBase + r * d + x] += dqAcc[r * dp + x];
                }
            }
            for (int j = 0; j < cols; j++) {
                System.arraycopy(dkAcc, j * dp, dk, (pair * nk + j0 + j) * d, d);
                System.arraycopy(dvAcc, j * wp, dvOut, (pair * nk + j0 + j) * dv, dv);
            }
        }
    }

    /** Number of (query, key) pairs the mask lets through, summed over batch and heads. */
    static long visiblePairs(AttentionShape s, AttentionMask mask) {
        long total = 0;
        for (int b = 0; b < s.batch(); b++) {
            int validKeys = s.nk();
            if (mask.keyPadding() != null) {
                validKeys = 0;
                for (int j = 0; j < s.nk(); j++) if (!mask.keyPadding()[b * s.nk() + j]) validKeys++;
            }
            if (!mask.causal()) {
                total += (long) s.nq() * validKeys;
                continue;
            }
            for (int i = 0; i < s.nq(); i++) {
                int limit = mask.keyLimit(s, i);
                if (mask.keyPadding() == null) {
                    total += limit;
                } else {
                    for (int j = 0; j < limit; j++) if (!mask.keyPadding()[b * s.nk() + j]) total++;
                }
            }
        }
        return total * s.heads();
    }

    /** Bytes allocated beyond inputs and outputs: saved log-sum-exp, per-thread tiles, backward row terms and dQ partials. */
    public long workingBytes(AttentionShape s) {
        int dp = pad(s.d()), wp = pad(s.dv()), fc = forwardKeyBlock(), bc = backwardKeyBlock(s), bf = forwardQueryBlock(s), br = backwardQueryBlock();
        long perThreadForward = (long) bf * dp + (long) bf * fc + (long) bf * wp + 2L * bf;
        long perThreadBackward = (long) br * dp + 2L * dp * bc + (long) wp * bc + 2L * br * bc + (long) br * wp
                + (long) bc * dp + (long) bc * wp + (long) br * Math.max(dp, wp);
        int threads = Math.min(Parallel.threads(), s.pairs() * Math.ceilDiv(s.nq(), bf));
        long lse = (long) s.pairs() * s.nq();
        long keys = PairKeys.bytes(s, fc) / 4 * (pairParallel(s) ? Math.min(Parallel.threads(), s.pairs()) : 1);
        long forward = lse + threads * perThreadForward + keys;
        int splits = splitsPerPair(s);
        long backward = lse + lse /* row dots */ + (long) Math.min(Parallel.threads(), s.pairs() * splits) * perThreadBackward
                + (splits > 1 ? (long) s.pairs() * (splits - 1) * s.nq() * s.d() : 0);
        return 4L * Math.max(forward, backward);
    }
}
