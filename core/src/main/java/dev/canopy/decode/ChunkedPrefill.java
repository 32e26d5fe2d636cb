package dev.canopy.decode;

import dev.canopy.kernels.Activations;
import dev.canopy.kernels.LayerNormRows;
import dev.canopy.kernels.RowOps;
import dev.canopy.kernels.Sgemm;
import dev.canopy.nn.Rope;

/**
 * A prompt through a {@link CausalDecoder} in chunks of rows: each layer runs as matrix products over a chunk, and each
 * head's attention over the cache as two matrix products (scores, then values) with the causal mask inside the chunk,
 * so a long prompt costs compute-bound blocks instead of one streaming pass over the cache per token. Always exact;
 * a fitted tree indexes every key appended. The caller has checked that the tokens fit the cache without wrapping.
 */
final class ChunkedPrefill {
    /** Rows of a chunk: its scores are [ROWS, cache length] per head. */
    static final int ROWS = 128;

    private final CausalDecoder decoder;
    private final KvCache cache;
    private final CacheAttention attention;
    private final Rope rope;
    private final int dim, heads, headDim, ffn;
    private final Chunk chunk;

    ChunkedPrefill(CausalDecoder decoder, int tokens) {
        this.decoder = decoder;
        this.cache = decoder.cache();
        this.attention = decoder.attention();
        this.rope = decoder.rope();
        dim = decoder.config().dim();
        heads = decoder.config().heads();
        headDim = decoder.config().headDim();
        ffn = decoder.config().ffnDim();
        chunk = new Chunk(Math.min(ROWS, Math.max(1, tokens)), (int) Math.min(cache.capacity(), decoder.position() + tokens));
    }

    void run(int[] tokens, int from, int to) {
        for (int at = from; at < to; at += chunk.rows) chunk(tokens, at, Math.min(chunk.rows, to - at), chunk);
    }

    /** Buffers of one prefill: rows of activations and one head's scores. */
    private final class Chunk {
        final int rows;
        final float[] x, prev, h, qkv, att, a, u, mean, rstd, scores;

        Chunk(int rows, int keys) {
            this.rows = rows;
            x = new float[rows * dim];
            prev = new float[rows * dim];
            h = new float[rows * dim];
            qkv = new float[rows * 3 * dim];
            att = new float[rows * dim];
            a = new float[rows * dim];
            u = new float[rows * ffn];
            mean = new float[rows];
            rstd = new float[rows];
            scores = new float[rows * keys];
        }
    }

    private void chunk(int[] tokens, int from, int n, Chunk c) {
        long first = decoder.position();
        for (int r = 0; r < n; r++) decoder.embed(tokens[from + r], first + r, c.x, r * dim);
        float[] previous = decoder.previousEmbedding(), shiftMap = decoder.shiftMap();
        if (shiftMap != null) {
            // Each row adds W times the row before it (the decoder's last embedding before the first row).
            System.arraycopy(previous, 0, c.prev, 0, dim);
            if (first == 0) java.util.Arrays.fill(c.prev, 0, dim, 0f);
            System.arraycopy(c.x, 0, c.prev, dim, (n - 1) * dim);
            System.arraycopy(c.x, (n - 1) * dim, previous, 0, dim);
            Sgemm.matmulTransB(n, dim, dim, c.prev, 0, dim, shiftMap, 0, dim, c.x, 0, dim, true);
        }
        int[] slots = new int[n];
        float[] cs = new float[headDim / 2], sn = new float[headDim / 2];
        for (int r = 0; r < n; r++) slots[r] = cache.begin();
        CausalDecoder.Block[] blocks = decoder.blocks();
        for (int l = 0; l < blocks.length; l++) {
            CausalDecoder.Block b = blocks[l];
            LayerNormRows.forward(n, dim, c.x, 0, b.ln1g(), b.ln1b(), CausalDecoder.LN_EPS, c.h, 0, c.mean, c.rstd);
            Sgemm.matmulTransB(n, 3 * dim, dim, c.h, 0, dim, b.qkvW(), 0, dim, c.qkv, 0, 3 * dim, false);
            for (int r = 0; r < n; r++) {
                int row = r * 3 * dim;
                for (int o = 0; o < 3 * dim; o++) c.qkv[row + o] += b.qkvB()[o];
                if (rope != null) rope.angles(first + r, cs, sn);
                for (int hh = 0; hh < heads; hh++) {
                    int q = row + hh * headDim, k = row + dim + hh * headDim, v = row + 2 * dim + hh * headDim;
                    if (rope != null) {
                        rope.rotate(c.qkv, q, cs, 0, sn, 0, false);
                        rope.rotate(c.qkv, k, cs, 0, sn, 0, false);
                    }
                    System.arraycopy(c.qkv, k, cache.keys(l), cache.offset(hh, slots[r]), headDim);
                    System.arraycopy(c.qkv, v, cache.values(l), cache.offset(hh, slots[r]), headDim);
                }
            }
            for (int r = 0; r < n; r++) for (int hh = 0; hh < heads; hh++) attention.added(l, hh, slots[r]);
            int keys = (int) (first + n); // no wrap: slots 0 .. keys-1 hold positions 0 .. keys-1
            float scale = (float) (1 / Math.sqrt(headDim));
            for (int hh = 0; hh < heads; hh++) {
                int base = cache.offset(hh, 0);
                Sgemm.matmulTransB(n, keys, headDim, c.qkv, hh * headDim, 3 * dim, cache.keys(l), base, headDim, c.scores, 0, keys, false);
                for (int r = 0; r < n; r++) {
                    int visible = (int) (first + r + 1), row = r * keys;
                    for (int j = 0; j < visible; j++) c.scores[row + j] *= scale;
                    RowOps.softmax(c.scores, row, c.scores, row, visible);
                    java.util.Arrays.fill(c.scores, row + visible, row + keys, 0f);
                }
                Sgemm.matmul(n, headDim, keys, c.scores, 0, keys, cache.values(l), base, headDim, c.att, hh * headDim, dim, false);
            }
            Sgemm.matmulTransB(n, dim, dim, c.att, 0, dim, b.projW(), 0, dim, c.a, 0, dim, false);
            for (int r = 0; r < n; r++) for (int o = 0; o < dim; o++) c.x[r * dim + o] += c.a[r * dim + o] + b.projB()[o];
            LayerNormRows.forward(n, dim, c.x, 0, b.ln2g(), b.ln2b(), CausalDecoder.LN_EPS, c.h, 0, c.mean, c.rstd);
            Sgemm.matmulTransB(n, ffn, dim, c.h, 0, dim, b.fc1W(), 0, dim, c.u, 0, ffn, false);
            for (int r = 0; r < n; r++) for (int o = 0; o < ffn; o++) c.u[r * ffn + o] += b.fc1B()[o];
            Activations.geluErf(c.u, 0, c.u, 0, n * ffn);
            Sgemm.matmulTransB(n, dim, ffn, c.u, 0, ffn, b.fc2W(), 0, ffn, c.a, 0, dim, false);
            for (int r = 0; r < n; r++) for (int o = 0; o < dim; o++) c.x[r * dim + o] += c.a[r * dim + o] + b.fc2B()[o];
        }
        decoder.advancePositions(n);
    }
}
