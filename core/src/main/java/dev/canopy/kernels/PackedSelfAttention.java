package dev.canopy.kernels;

import static dev.canopy.kernels.Tiles.pad;

import java.util.Arrays;

/**
 * Exact bidirectional self-attention for inference over a batch of sequences of different lengths packed one after
 * another without padding, reading Q, K and V straight out of a fused projection's rows and writing the context in
 * the [tokens, heads * d] layout the output projection reads: no per-head layout copies, no padded positions.
 *
 * <p>One task per (sequence, head): the head's keys and values are copied once into padded rows, then each block of
 * {@link #QUERY_BLOCK} queries, transposed so that queries lie across the vector lanes, streams over blocks of
 * {@link #KEY_BLOCK} keys with an online softmax down the columns. Nothing is kept for a backward pass.
 */
public final class PackedSelfAttention {
    /** Queries per tile, across the lanes of the transposed scores: four vectors. */
    static final int QUERY_BLOCK = 4 * Tiles.LANES;
    /** Keys per block: the transposed score tile (KEY_BLOCK x QUERY_BLOCK floats, 32 KiB) stays in L1. */
    static final int KEY_BLOCK = 128;

    private PackedSelfAttention() {}

    /**
     * Where Q, K and V sit in each token's row of the fused projection, and where the context goes.
     *
     * @param heads  heads
     * @param d      head width
     * @param ld     floats per token row in the input (3 * heads * d for a fused Q|K|V row)
     * @param qAt    column of head 0's query in a row
     * @param kAt    column of head 0's key
     * @param vAt    column of head 0's value
     * @param ldOut  floats per token row of the output (at least heads * d)
     */
    public record Layout(int heads, int d, int ld, int qAt, int kAt, int vAt, int ldOut) {
        public Layout {
            if (heads < 1 || d < 1) throw new IllegalArgumentException("attention layout: heads and d must be positive, got " + heads + ", " + d);
            int width = heads * d;
            if (Math.max(qAt, Math.max(kAt, vAt)) + width > ld || Math.min(qAt, Math.min(kAt, vAt)) < 0) {
                throw new IllegalArgumentException("attention layout: q/k/v columns " + qAt + "/" + kAt + "/" + vAt + " + " + width + " do not fit rows of " + ld);
            }
            if (ldOut < width) throw new IllegalArgumentException("attention layout: output rows of " + ldOut + " floats cannot hold " + width);
        }

        /** Q, K, V side by side in rows of 3 * heads * d (a fused projection), context rows of heads * d. */
        public static Layout fused(int heads, int d) {
            int w = heads * d;
            return new Layout(heads, d, 3 * w, 0, w, 2 * w, w);
        }
    }

    /**
     * softmax(q k^T / sqrt(d)) v per sequence and head.
     *
     * @param starts sequence s covers token rows [starts[s], starts[s + 1]); non-decreasing, starts[0] = 0
     * @param layout the row layout of qkv and out
     * @param qkv    [tokens, ld]
     * @param out    [tokens, ldOut]; the columns of the heads are overwritten
     */
    public static void forward(int[] starts, Layout layout, float[] qkv, float[] out) {
        int sequences = starts.length - 1, heads = layout.heads();
        if (sequences < 1 || starts[0] != 0) throw new IllegalArgumentException("attention: starts must begin with 0 and name at least one sequence");
        for (int s = 0; s < sequences; s++) {
            if (starts[s + 1] < starts[s]) throw new IllegalArgumentException("attention: sequence " + s + " ends before it starts");
        }
        long tokens = starts[sequences];
        if (tokens * layout.ld() > qkv.length || tokens * layout.ldOut() > out.length) {
            throw new IllegalArgumentException("attention: " + tokens + " tokens need " + tokens * layout.ld() + " input and "
                    + tokens * layout.ldOut() + " output floats, got " + qkv.length + " and " + out.length);
        }
        int[] order = longestFirst(starts);
        Parallel.forEach(sequences * heads, task -> {
            int s = order[task / heads];
            head(starts[s], starts[s + 1] - starts[s], task % heads, layout, qkv, out);
        });
    }

    /**
     * Sequence indices, longest first, so a long one does not start last and leave the other threads idle. Sorted as
     * (length, index) packed into longs: no boxing.
     */
    static int[] longestFirst(int[] starts) {
        int sequences = starts.length - 1;
        long[] keys = new long[sequences];
        for (int s = 0; s < sequences; s++) keys[s] = ((long) (starts[s + 1] - starts[s]) << 32) | s;
        Arrays.sort(keys);
        int[] order = new int[sequences];
        for (int i = 0; i < sequences; i++) order[i] = (int) keys[sequences - 1 - i];
        return order;
    }

    /** Per-thread scratch, grown to the largest sequence seen. */
    private static final class Scratch {
        float[] ks = new float[0], vs = new float[0], qt = new float[0], st = new float[0], ot = new float[0], m = new float[0], l = new float[0];

        static float[] atLeast(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * One head of one sequence, computed transposed: scores as Sᵀ = K·Qᵀ (keys down, queries across the lanes), the
     * softmax down the columns ({@link ScoreColumns}), the context as Oᵀ += Vᵀ·Pᵀ, written back row by row at the end.
     */
    private static void head(int start, int n, int head, Layout lay, float[] qkv, float[] out) {
        if (n == 0) return;
        int d = lay.d(), ld = lay.ld(), dp = pad(d), br = QUERY_BLOCK, bc = KEY_BLOCK;
        Scratch t = SCRATCH.get();
        float[] ks = t.ks = Scratch.atLeast(t.ks, n * dp);
        float[] vs = t.vs = Scratch.atLeast(t.vs, n * dp);
        float[] qt = t.qt = Scratch.atLeast(t.qt, dp * br);
        float[] st = t.st = Scratch.atLeast(t.st, bc * br);
        float[] ot = t.ot = Scratch.atLeast(t.ot, d * br);
        float[] m = t.m = Scratch.atLeast(t.m, br), l = t.l = Scratch.atLeast(t.l, br);

        int qCol = lay.qAt() + head * d, kCol = lay.kAt() + head * d, vCol = lay.vAt() + head * d;
        Tiles.copyPadded(qkv, start * ld + kCol, ld, n, d, ks, 0, dp);
        Tiles.copyPadded(qkv, start * ld + vCol, ld, n, d, vs, 0, dp);
        float scale = (float) (1.0 / Math.sqrt(d));
        for (int i0 = 0; i0 < n; i0 += br) {
            int rows = Math.min(br, n - i0), lanes = pad(rows);
            // Qᵀ, scaled, zero in the lanes past the block's queries and the rows past d (they meet K's zero padding).
            Tiles.transposePadded(qkv, (start + i0) * ld + qCol, ld, rows, d, qt, 0, lanes);
            ScoreRows.scale(qt, 0, d * lanes, scale);
            if (dp > d) Arrays.fill(qt, d * lanes, dp * lanes, 0f);
            Arrays.fill(ot, 0, d * lanes, 0f);
            Arrays.fill(m, 0, lanes, Float.NEGATIVE_INFINITY);
            Arrays.fill(l, 0, lanes, 0f);
            for (int j0 = 0; j0 < n; j0 += bc) {
                int keys = Math.min(bc, n - j0);
                Tiles.mulBt(ks, j0 * dp, keys, dp, qt, 0, lanes, st, 0, lanes);
                ScoreColumns.onlineStep(st, lanes, keys, m, l, ot, d);
                Tiles.mulTransAcc(vs, j0 * dp, dp, keys, d, st, 0, lanes, ot, 0);
            }
            for (int r = 0; r < rows; r++) {
                float inv = 1f / l[r];  // every query sees at least itself, so l > 0
                int dst = (start + i0 + r) * lay.ldOut() + head * d;
                for (int c = 0; c < d; c++) out[dst + c] = ot[c * lanes + r] * inv;
            }
        }
    }
}
