package dev.canopy.attention;

import static dev.canopy.kernels.Tiles.pad;

import dev.canopy.kernels.KeyLists;
import dev.canopy.config.OptionSchema;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.Tiles;
import dev.canopy.kernels.TopKSelect;
import dev.canopy.kernels.VecOps;
import dev.canopy.nn.CounterRng;
import dev.canopy.nn.Pass;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Top-k attention (Gupta et al. 2021, "Memory-efficient Transformers via Top-k Attention"): each query keeps only the
 * k keys with the largest scores q·k among the keys it may see, and softmax(score / sqrt(d)) runs over those k only.
 * Spec: {@code topk:k=K[,chunk=C][,dropout=P]}.
 *
 * <p><b>Forward.</b> For each (batch, head) pair, queries are taken in chunks of exactly C rows (the last may be
 * shorter). The chunk's scores S = Q_c K^T (unscaled, the selection works on raw dot products) are written into one
 * C x nk buffer, row blocks of the chunk in parallel (when C is too small to occupy every thread, a few consecutive
 * chunks run at once, each with its own buffer); each row's masked keys are set to -inf, {@link TopKSelect}
 * picks its k best visible keys in close to linear time (ties: the lower key index wins), and the output row is the
 * softmax-weighted sum of the k selected value rows. Only the selected indices and their raw scores are kept.
 * A row whose visible keys number fewer than k uses those it has; a row with none outputs zeros.
 *
 * <p><b>Dropout</b> (training passes only) drops selected probabilities with inverted scaling 1/(1-P). The decision for
 * (query row, key) is a pure hash of (pass seed, global query row, key index) via {@link CounterRng}, so the backward
 * replays exactly the forward's mask in every chunk (the official code replays the last chunk's RNG state for all).
 *
 * <p><b>Backward</b> works from the cached indices and scores only (the paper's memory saving: no n x n matrix): per row,
 * recompute the k probabilities, g_s = dO_i·v_{j_s}, ds_s = p_s (g_s - sum_t p_t g_t) / sqrt(d), dQ_i = sum_s ds_s k_{j_s}.
 * dK and dV are gathered per key from the rows that selected it ({@link KeyLists}), so key ranges run in parallel
 * without locks or per-thread partial buffers (one head on two threads is as safe as many heads). No nq x nk buffer.
 *
 * <p><b>FLOPs</b> (multiply-add = 2): forward 2·d per visible (query, key) pair for scoring plus 2·dv per selected key for
 * the output; backward 4·(d + dv) per selected key (g and dV over dv, dQ and dK over d). Selection and exponentials
 * are not counted. <b>Working memory</b>: 8 bytes per (row, slot) kept for backward, the C x nk score buffer, a padded
 * copy of one pair's K^T, per-thread scratch; backward adds 8 bytes per (row, slot) of one pair for its coefficients
 * plus the per-key lists. That is O(n (d + k) + C n), reported exactly by {@link Saved#workingBytes()}.
 */
public final class TopKAttention implements Attention {
    public static final int DEFAULT_CHUNK = 1024;
    /** Rows of a chunk one task scores and selects at a time. */
    private static final int ROW_BLOCK = 32;
    /** Keys per tile of K^T in the scoring product (a dp x 256 tile stays in L2). */
    private static final int KEY_BLOCK = 256;
    /** Stream id that separates this dropout from others drawn with the same pass seed. */
    private static final long DROPOUT_STREAM = 0x746f706bL;

    private final int k;
    private final int chunk;
    private final float dropout;

    public TopKAttention(int k, int chunk, float dropout) {
        if (k < 1) throw new IllegalArgumentException("topk attention: k must be >= 1, got k=" + k);
        if (chunk < 1) throw new IllegalArgumentException("topk attention: chunk must be >= 1 query rows, got chunk=" + chunk);
        if (!(dropout >= 0f && dropout < 1f)) throw new IllegalArgumentException("topk attention: dropout must be in [0, 1), got dropout=" + dropout);
        this.k = k;
        this.chunk = chunk;
        this.dropout = dropout;
    }

    public static final AttentionFamily FAMILY = new AttentionFamily("per query, softmax over the k largest scores only (Gupta et al. 2021)", true,
            new OptionSchema("topk", List.of(
                    OptionSchema.required("k", "keys kept per query"),
                    OptionSchema.optional("chunk", Integer.toString(DEFAULT_CHUNK), "queries selected together"),
                    OptionSchema.optional("dropout", "0", "dropout on the kept probabilities in training"))),
            values -> {
                TopKAttention attention = new TopKAttention(values.integer("k"), values.integer("chunk"), values.number("dropout"));
                return setup -> attention;
            });

    public int k() {
        return k;
    }

    public int chunk() {
        return chunk;
    }

    @Override
    public String spec() {
        return "topk:k=" + k + ",chunk=" + chunk + (dropout > 0 ? ",dropout=" + dropout : "");
    }

    /**
     * Saved state: inputs by reference, and per (pair, query row) min(k, nk) slots of selected key index (ascending, -1 for an
     * unused slot) and raw score q·k.
     */
    record Context(AttentionShape shape, AttentionMask mask, float[] q, float[] k, float[] v, int[] idx, float[] top,
                   boolean dropoutOn, long dropoutSeed, long flops, long backwardFlops, long workingBytes) implements Saved {}

    private static final class Scratch {
        float[] qs = new float[0];
        float[] probs = new float[0];
        float[] grads = new float[0];
        TopKSelect select;

        TopKSelect selector(int k) {
            if (select == null || select.k() != k) select = new TopKSelect(k);
            return select;
        }

        float[] qs(int n) { return qs.length >= n ? qs : (qs = new float[n]); }
        float[] probs(int n) { return probs.length >= n ? probs : (probs = new float[n]); }
        float[] grads(int n) { return grads.length >= n ? grads : (grads = new float[n]); }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public Saved forward(AttentionShape s, float[] q, float[] kIn, float[] v, AttentionMask mask, Pass pass, float[] out) {
        s.check(q, kIn, v, out);
        mask.check(s);
        int nq = s.nq(), nk = s.nk(), d = s.d();
        int dp = pad(d), nkP = pad(nk);
        int kk = slotsPerRow(s);
        int chunkRows = Math.min(chunk, nq);
        int group = chunksAtOnce(nq);
        checkSizes(s, (long) group * chunkRows, nkP);
        int[] idx = new int[s.pairs() * nq * kk];
        float[] top = new float[s.pairs() * nq * kk];
        float[] scores = new float[group * chunkRows * nkP];
        float[] kt = new float[keyTileFloats(nk, dp)];
        int[][] padded = paddedKeys(s, mask);
        boolean drop = pass.training() && dropout > 0f;
        long seed = drop ? CounterRng.mix(pass.seed(), DROPOUT_STREAM) : 0L;
        LongAdder selected = new LongAdder();
        int blocksPerChunk = Math.ceilDiv(chunkRows, ROW_BLOCK);
        ForwardCall call = new ForwardCall(s, q, kt, v, mask, padded, drop, seed, out, idx, top, scores);

        for (int pair = 0; pair < s.pairs(); pair++) {
            final int p = pair;
            int keyBlocks = Math.ceilDiv(nk, KEY_BLOCK);
            Parallel.forRanges(keyBlocks, 4, (b0, b1) -> {
                for (int b = b0; b < b1; b++) {
                    int j0 = b * KEY_BLOCK, cols = Math.min(KEY_BLOCK, nk - j0);
                    Tiles.transposePadded(kIn, (p * nk + j0) * d, d, cols, d, kt, b * KEY_BLOCK * dp, pad(cols));
                }
            });
            // A wave of `group` consecutive chunks, each with its own C x nk score buffer, row blocks in parallel.
            for (int w0 = 0; w0 < nq; w0 += group * chunk) {
                final int waveStart = w0;
                Parallel.forEach(group * blocksPerChunk, task -> {
                    int g = task / blocksPerChunk, blk = task % blocksPerChunk;
                    int chunkStart = waveStart + g * chunk;
                    if (chunkStart >= nq) return;
                    int rows = Math.min(chunk, nq - chunkStart);
                    int i0 = chunkStart + blk * ROW_BLOCK;
                    if (i0 >= chunkStart + rows) return;
                    int n = Math.min(ROW_BLOCK, chunkStart + rows - i0);
                    int sBase = (g * chunkRows + blk * ROW_BLOCK) * nkP;
                    selected.add(forwardRows(call, sBase, p, i0, n));
                });
            }
        }
        long visible = ExactAttention.visiblePairs(s, mask);
        long flops = 2L * s.d() * visible + 2L * s.dv() * selected.sum();
        long backwardFlops = 4L * (s.d() + s.dv()) * selected.sum();
        return new Context(s, mask, q, kIn, v, idx, top, drop, seed, flops, backwardFlops, workingBytes(s, mask));
    }

    /**
     * What every row block of one forward shares: the inputs, the current pair's transposed key tiles (kt), the padded
     * keys per batch item, the dropout draw, and the outputs (out, the selected idx and top scores, the score buffer).
     */
    private record ForwardCall(AttentionShape s, float[] q, float[] kt, float[] v, AttentionMask mask, int[][] padded,
                               boolean drop, long seed, float[] out, int[] idx, float[] top, float[] scores) {}

    /** Scores rows [i0, i0 + n) of one pair into scores[sBase ..], selects, and writes their output rows. */
    private long forwardRows(ForwardCall call, int sBase, int pair, int i0, int n) {
        AttentionShape s = call.s();
        float[] q = call.q(), kt = call.kt(), v = call.v(), out = call.out(), top = call.top(), scores = call.scores();
        AttentionMask mask = call.mask();
        int[][] padded = call.padded();
        int[] idx = call.idx();
        boolean drop = call.drop();
        long seed = call.seed();
        int nq = s.nq(), nk = s.nk(), d = s.d(), dv = s.dv();
        int dp = pad(d), nkP = pad(nk);
        int kk = slotsPerRow(s);
        Scratch t = SCRATCH.get();
        float[] qs = t.qs(ROW_BLOCK * dp);
        float[] probs = t.probs(kk);
        TopKSelect select = t.selector(kk);
        Tiles.copyPadded(q, (pair * nq + i0) * d, d, n, d, qs, 0, dp);
        int keyEnd = mask.keyLimit(s, i0 + n - 1);
        for (int j0 = 0; j0 < keyEnd; j0 += KEY_BLOCK) {
            int colsP = pad(Math.min(KEY_BLOCK, nk - j0));
            Tiles.mulBt(qs, 0, n, dp, kt, j0 * dp, colsP, scores, sBase + j0, nkP);
        }
        float alpha = (float) (1.0 / Math.sqrt(d));
        float keepScale = 1f / (1f - dropout);
        int[] pad = padded == null ? null : padded[pair / s.heads()];
        long chosen = 0;
        for (int r = 0; r < n; r++) {
            int i = i0 + r;
            int row = sBase + r * nkP;
            int limit = mask.keyLimit(s, i);
            if (pad != null) {
                for (int j : pad) {
                    if (j >= limit) break;
                    scores[row + j] = Float.NEGATIVE_INFINITY;
                }
            }
            int slot = (pair * nq + i) * kk;
            int count = select.select(scores, row, limit, idx, top, slot);
            Arrays.fill(idx, slot + count, slot + kk, -1);
            Arrays.fill(top, slot + count, slot + kk, 0f);
            chosen += count;
            int o = (pair * nq + i) * dv;
            Arrays.fill(out, o, o + dv, 0f);
            if (count == 0) continue;
            softmax(top, slot, count, alpha, probs);
            long rowKey = (long) (pair * nq + i) * nk;
            for (int x = 0; x < count; x++) {
                int j = idx[slot + x];
                float w = probs[x];
                if (drop) w = CounterRng.keep(seed, rowKey + j, dropout) ? w * keepScale : 0f;
                if (w != 0f) VecOps.axpy(w, v, (pair * nk + j) * dv, out, o, dv);
            }
        }
        return chosen;
    }

    /** probs[x] = softmax(alpha * top[slot + x]) over x < count; shared by forward and backward so both agree exactly. */
    private static void softmax(float[] top, int slot, int count, float alpha, float[] probs) {
        float max = Float.NEGATIVE_INFINITY;
        for (int x = 0; x < count; x++) max = Math.max(max, top[slot + x]);
        double sum = 0;
        for (int x = 0; x < count; x++) {
            float e = (float) Math.exp(alpha * (top[slot + x] - max));
            probs[x] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int x = 0; x < count; x++) probs[x] *= inv;
    }

    @Override
    public void backward(Saved saved, float[] dOut, float[] dq, float[] dk, float[] dv) {
        if (!(saved instanceof Context c)) {
            throw new IllegalArgumentException("topk attention backward got state from " + (saved == null ? "null" : saved.getClass().getSimpleName()));
        }
        AttentionShape s = c.shape();
        s.checkGradients(dOut, dq, dk, dv);
        int nq = s.nq(), nk = s.nk(), kk = slotsPerRow(s);
        // Per slot, interleaved so the key gather reads both with one cache miss: [2 slot] = a, the weight of v_j in
        // out_i after dropout (dV_j += a dO_i); [2 slot + 1] = ds = dLoss/dscore (dK_j += ds q_i).
        float[] coef = new float[2 * nq * kk];
        for (int pair = 0; pair < s.pairs(); pair++) {
            final int p = pair;
            Parallel.forRanges(nq, 8, (a, b) -> {
                Scratch t = SCRATCH.get();
                float[] probs = t.probs(kk), g = t.grads(kk);
                for (int i = a; i < b; i++) backwardRow(c, dOut, dq, coef, p, i, probs, g);
            });
            KeyLists lists = KeyLists.build(c.idx(), pair * nq * kk, nq, kk, nk);
            Parallel.forRanges(nk, 16, (a, b) -> gatherKeys(c, lists, dOut, coef, dk, dv, p, a, b));
        }
    }

    /** Row i of one pair: its probabilities, coefficients for the key gathers, and its dQ row. */
    private void backwardRow(Context c, float[] dOut, float[] dq, float[] coef, int pair, int i, float[] probs, float[] g) {
        AttentionShape s = c.shape();
        int nq = s.nq(), nk = s.nk(), d = s.d(), dv = s.dv(), kk = slotsPerRow(s);
        int slot = (pair * nq + i) * kk;
        int local = i * kk;
        int[] idx = c.idx();
        int count = 0;
        while (count < kk && idx[slot + count] >= 0) count++;
        int qo = (pair * nq + i) * d;
        Arrays.fill(dq, qo, qo + d, 0f);
        if (count == 0) return;
        float alpha = (float) (1.0 / Math.sqrt(d));
        float keepScale = 1f / (1f - dropout);
        softmax(c.top(), slot, count, alpha, probs);
        int o = (pair * nq + i) * dv;
        long rowKey = (long) (pair * nq + i) * nk;
        double rowDot = 0;
        for (int x = 0; x < count; x++) {
            int j = idx[slot + x];
            float f = !c.dropoutOn() ? 1f : CounterRng.keep(c.dropoutSeed(), rowKey + j, dropout) ? keepScale : 0f;
            float gp = f == 0f ? 0f : VecOps.dot(dOut, o, c.v(), (pair * nk + j) * dv, dv) * f;
            coef[2 * (local + x)] = probs[x] * f;
            g[x] = gp;
            rowDot += (double) probs[x] * gp;
        }
        float rd = (float) rowDot;
        for (int x = 0; x < count; x++) {
            float ds = alpha * probs[x] * (g[x] - rd);
            coef[2 * (local + x) + 1] = ds;
            if (ds != 0f) VecOps.axpy(ds, c.k(), (pair * nk + idx[slot + x]) * d, dq, qo, d);
        }
    }

    /** dK and dV rows [j0, j1) of one pair, each summed over the rows that selected that key (in row order). */
    private void gatherKeys(Context c, KeyLists lists, float[] dOut, float[] coef, float[] dk, float[] dvOut,
                            int pair, int j0, int j1) {
        AttentionShape s = c.shape();
        int nq = s.nq(), nk = s.nk(), d = s.d(), dv = s.dv(), kk = slotsPerRow(s);
        float[] q = c.q();
        for (int j = j0; j < j1; j++) {
            int ko = (pair * nk + j) * d, vo = (pair * nk + j) * dv;
            Arrays.fill(dk, ko, ko + d, 0f);
            Arrays.fill(dvOut, vo, vo + dv, 0f);
            for (int e = lists.offsets[j]; e < lists.offsets[j + 1]; e++) {
                int slot = lists.entries[e];
                int i = slot / kk;
                float a = coef[2 * slot], ds = coef[2 * slot + 1];
                if (a != 0f) VecOps.axpy(a, dOut, (pair * nq + i) * dv, dvOut, vo, dv);
                if (ds != 0f) VecOps.axpy(ds, q, (pair * nq + i) * d, dk, ko, d);
            }
        }
    }

    /** Per batch item, the padded key indices in ascending order (null when there is no padding mask). */
    private static int[][] paddedKeys(AttentionShape s, AttentionMask mask) {
        boolean[] pad = mask.keyPadding();
        if (pad == null) return null;
        int[][] lists = new int[s.batch()][];
        for (int b = 0; b < s.batch(); b++) {
            int count = 0;
            for (int j = 0; j < s.nk(); j++) if (pad[b * s.nk() + j]) count++;
            int[] list = new int[count];
            int w = 0;
            for (int j = 0; j < s.nk(); j++) if (pad[b * s.nk() + j]) list[w++] = j;
            lists[b] = list;
        }
        return lists;
    }

    /**
     * How many chunks are scored at the same time: one when a chunk has enough row blocks to keep every thread busy,
     * else enough chunks to do so (small C), each with its own buffer.
     */
    private int chunksAtOnce(int nq) {
        int blocksPerChunk = Math.ceilDiv(Math.min(chunk, nq), ROW_BLOCK);
        return Math.max(1, Math.min(Math.ceilDiv(nq, chunk), Math.ceilDiv(Parallel.threads(), blocksPerChunk)));
    }

    private void checkSizes(AttentionShape s, long bufferRows, int nkP) {
        long slots = (long) s.pairs() * s.nq() * slotsPerRow(s);
        if (slots > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("topk attention: batch*heads*nq*k = " + slots + " selected slots exceed 2^31 for " + s + ", k=" + k + "; use a smaller k or batch");
        }
        if (bufferRows * nkP > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("topk attention: chunk=" + chunk + " rows x nk=" + s.nk() + " keys exceed 2^31 floats; use a smaller chunk");
        }
    }

    /** Selected slots kept per query row: k, but never more than there are keys. */
    private int slotsPerRow(AttentionShape s) {
        return Math.min(k, s.nk());
    }

    private static int keyTileFloats(int nk, int dp) {
        return Math.ceilDiv(nk, KEY_BLOCK) * KEY_BLOCK * dp;
    }

    /**
     * Bytes this attention allocates for a call at shape s beyond inputs, outputs and gradients: the larger of the
     * forward's peak and the backward's peak (the saved selection is counted in both, as it lives from one to the other).
     */
    public long workingBytes(AttentionShape s, AttentionMask mask) {
        int nq = s.nq(), nk = s.nk(), dp = pad(s.d()), nkP = pad(nk), kk = slotsPerRow(s);
        long slots = (long) s.pairs() * nq * kk;
        long saved = 8L * slots;
        int chunkRows = Math.min(chunk, nq);
        int group = chunksAtOnce(nq);
        int threads = Math.min(Parallel.threads(), group * Math.ceilDiv(chunkRows, ROW_BLOCK));
        long perThreadForward = 4L * ROW_BLOCK * dp + 4L * kk + TopKSelect.scratchBytes(kk);
        long padLists = 0;
        if (mask.keyPadding() != null) for (boolean p : mask.keyPadding()) if (p) padLists += 4;
        long forward = saved + 4L * group * chunkRows * nkP + 4L * keyTileFloats(nk, dp) + padLists + threads * perThreadForward;
        long pairSlots = (long) nq * kk;
        long perThreadBackward = 8L * kk;
        long backward = saved + 8L * pairSlots + KeyLists.bytes(pairSlots, nk) + (long) Parallel.threads() * perThreadBackward;
        return Math.max(forward, backward);
    }
}
