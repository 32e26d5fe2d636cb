package dev.canopy.attention.tree;

import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionShape;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.Sgemm;
import dev.canopy.kernels.SpecialFunctions;
import dev.canopy.kernels.VecOps;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Tree-parameter gradients of TC-Attention through the Dense Gradient Trees (DGT) surrogate.
 *
 * <p>Forward routing is hard. For the backward every token x (an unpadded key, or a query) is given a one-hot leaf
 * vector e(x) and the attention is written as a function of those vectors:
 * <ul>
 *   <li>key j belongs to node n with weight M_jn = sum_{leaves L under n} e_L(k_j); c_n = sum_j M_jn,
 *       Kbar_n = sum_j M_jn k_j / c_n, Vbar_n likewise;</li>
 *   <li>query i uses group node n with weight m_in (the sum of e_L(q_i) over the leaves L whose group list contains n),
 *       out_i = sum_n m_in exp(e_in) Vbar_n / sum_n m_in exp(e_in) over non-empty nodes.</li>
 * </ul>
 * So g_L = dL/de_L(x) for all 2^h leaves is: for a key, sum over the nodes n on L's root path of
 * dL/dM_jn = k_j . dL/dSumK_n + v_j . dL/dSumV_n + dL/dc_n (with dL/dc_n = (-(dKbar_n . Kbar_n + dVbar_n . Vbar_n)
 * + B * sum_i de_in) / c_n); for a query, the sum over L's group nodes of dL/dm_in = exp(e_in - lse_i)
 * (dO_i . Vbar_n - dO_i . out_i). Empty nodes (c_n = 0) contribute 0. Both need every node, hence "dense".
 *
 * <p>The DGT chain then maps g to the hyperplanes of every internal node: s_n = sign(z_n) (+1 iff z_n >= 0, left),
 * leaf scores u = A s with the fixed AND matrix (A[L][n] = +1 / -1 if L is under n's left / right child, else 0),
 * p = softmax(u) with the forward using argmax (= the traversal leaf) and the backward passing g straight through to
 * p: du = p * (g - p . g); ds = A^T du; dz = ds where |z| <= 1, else 0 (unscaled signs, i.e. DGT's Binarizer1 without
 * the mean|z| factor); dW_n += dz_n x, db_n += dz_n. With {@code routegrad=on} the same chain also reaches the routed
 * vectors themselves: dx += sum_n dz_n w_n is added to dq (queries) and dk (keys).
 */
final class TreeSurrogate {
    private TreeSurrogate() {}

    static final int CHUNK = 256;

    /**
     * Adds the surrogate gradient into every head's tree. acc holds, per pair at offset pair * pieces * stride,
     * dKbar [nodes, d], dVbar [nodes, dv] and dLogit [nodes] (sum over queries of de for the count bias). dq and dk,
     * when not null, receive the surrogate's input gradient (routegrad=on).
     */
    static void accumulate(TreeBank trees, TcAttention.Groups groups, float beta, AttentionShape s, AttentionMask mask, float[] q, float[] k,
                           float[] v, float[] out, float[] dOut, int[] leafQ, float[] count, float[] kbar, float[] vbar, float[] lse,
                           float[] acc, int pieces, int stride, float[] dq, float[] dk) {
        int h = trees.height(), leaves = 1 << h, nodes = (2 << h) - 1, internal = leaves - 1;
        int pairs = s.pairs(), nq = s.nq(), nk = s.nk(), d = s.d(), w = s.dv(), heads = s.heads();
        // Per pair: dSumK = dKbar / c, dSumV = dVbar / c, dCount.
        float[] dSumK = new float[pairs * nodes * d], dSumV = new float[pairs * nodes * w], dCount = new float[pairs * nodes];
        Parallel.forEach(pairs, pair -> {
            int a0 = pair * pieces * stride, base = pair * nodes;
            for (int n = 0; n < nodes; n++) {
                float c = count[base + n];
                if (c == 0) continue;
                float dot = 0f;
                for (int x = 0; x < d; x++) {
                    float g = acc[a0 + n * d + x];
                    dSumK[(base + n) * d + x] = g / c;
                    dot += g * kbar[(base + n) * d + x];
                }
                for (int x = 0; x < w; x++) {
                    float g = acc[a0 + nodes * d + n * w + x];
                    dSumV[(base + n) * w + x] = g / c;
                    dot += g * vbar[(base + n) * w + x];
                }
                dCount[base + n] = (-dot + beta * acc[a0 + nodes * (d + w) + n]) / c;
            }
        });
        // beta * log(c_n) for the query scores, -inf for empty nodes (so they drop out of exp).
        float[] logCount = new float[pairs * nodes];
        for (int i = 0; i < logCount.length; i++) {
            logCount[i] = count[i] == 0 ? Float.NEGATIVE_INFINITY : beta == 0f ? 0f : beta * (float) Math.log(count[i]);
        }
        int keyChunks = TfAttention.ceilDiv(nk, CHUNK), queryChunks = TfAttention.ceilDiv(nq, CHUNK);
        int items = pairs * (keyChunks + queryChunks);
        int workers = Math.max(1, Math.min(items, 2 * Parallel.threads()));
        float scale = (float) (1.0 / Math.sqrt(d));
        Object lock = new Object();
        Parallel.forEach(workers, worker -> {
            float[] dW = new float[heads * internal * d], dB = new float[heads * internal];
            float[] m = new float[CHUNK * nodes], m2 = new float[CHUNK * nodes], g = new float[CHUNK * leaves];
            float[] z = new float[CHUNK * internal], node = new float[nodes];
            for (int item = worker; item < items; item += workers) {
                int pair = item / (keyChunks + queryChunks), part = item % (keyChunks + queryChunks), head = pair % heads;
                boolean isKey = part < keyChunks;
                int r0 = (isKey ? part : part - keyChunks) * CHUNK, rows = Math.min(CHUNK, (isKey ? nk : nq) - r0);
                float[] x = isKey ? k : q;
                int xOff = (pair * (isKey ? nk : nq) + r0) * d;
                int base = pair * nodes;
                if (isKey) {
                    keyLeafGradients(pair, r0, rows, nk, d, w, nodes, leaves, k, v, dSumK, dSumV, dCount, base, mask, heads, m, node, g);
                } else {
                    queryLeafGradients(groups, h, pair, r0, rows, nq, d, w, nodes, leaves, q, out, dOut, leafQ, logCount, kbar, vbar, lse, beta,
                            scale, base, m, m2, node, g);
                }
                DecisionTree tree = trees.tree(head);
                chain(tree, x, xOff, rows, d, g, z, node, dW, head * internal * d, dB, head * internal, isKey ? dk : dq);
            }
            synchronized (lock) {
                for (int hd = 0; hd < heads; hd++) {
                    float[] gw = trees.tree(hd).wGrad(), gb = trees.tree(hd).bGrad();
                    for (int i = 0; i < internal * d; i++) gw[i] += dW[hd * internal * d + i];
                    for (int i = 0; i < internal; i++) gb[i] += dB[hd * internal + i];
                }
            }
        });
    }

    /** g[r, L] for keys r0..r0+rows of pair: sums of dL/dM over the nodes on leaf L's path (0 for padded keys). */
    private static void keyLeafGradients(int pair, int r0, int rows, int nk, int d, int w, int nodes, int leaves, float[] k, float[] v,
                                         float[] dSumK, float[] dSumV, float[] dCount, int base, AttentionMask mask, int heads,
                                         float[] m, float[] node, float[] g) {
        Sgemm.matmulTransB(rows, nodes, d, k, (pair * nk + r0) * d, d, dSumK, base * d, d, m, 0, nodes, false);
        Sgemm.matmulTransB(rows, nodes, w, v, (pair * nk + r0) * w, w, dSumV, base * w, w, m, 0, nodes, true);
        boolean[] pad = mask.keyPadding();
        for (int r = 0; r < rows; r++) {
            if (pad != null && pad[(pair / heads) * nk + r0 + r]) {
                Arrays.fill(g, r * leaves, (r + 1) * leaves, 0f);
                continue;
            }
            node[0] = m[r * nodes] + dCount[base];
            for (int n = 1; n < nodes; n++) node[n] = node[(n - 1) >> 1] + m[r * nodes + n] + dCount[base + n];
            System.arraycopy(node, leaves - 1, g, r * leaves, leaves);
        }
    }

    /** g[r, L] for queries r0..r0+rows of pair: sums of dL/dm over the group nodes that leaf L would give the query. */
    private static void queryLeafGradients(TcAttention.Groups groups, int h, int pair, int r0, int rows, int nq, int d, int w, int nodes, int leaves,
                                           float[] q, float[] out, float[] dOut, int[] leafQ, float[] logCount, float[] kbar, float[] vbar,
                                           float[] lse, float beta, float scale, int base, float[] e, float[] dv, float[] node, float[] g) {
        int row0 = pair * nq + r0;
        Sgemm.matmulTransB(rows, nodes, d, q, row0 * d, d, kbar, base * d, d, e, 0, nodes, false);
        Sgemm.matmulTransB(rows, nodes, w, dOut, row0 * w, w, vbar, base * w, w, dv, 0, nodes, false);
        for (int r = 0; r < rows; r++) {
            int row = row0 + r;
            if (lse[row] == Float.POSITIVE_INFINITY) {
                Arrays.fill(g, r * leaves, (r + 1) * leaves, 0f);
                continue;
            }
            float dotOut = DecisionTree.dot(dOut, row * w, out, row * w, w);
            // dm[n] = exp(e_in - lse_i) (dO_i . Vbar_n - dO_i . out_i) over every non-empty node, written over e.
            expScores(e, r * nodes, dv, logCount, base, nodes, scale, -lse[row], dotOut);
            if (groups == TcAttention.Groups.PATH) {
                node[0] = e[r * nodes];
                for (int n = 1; n < nodes; n++) node[n] = node[(n - 1) >> 1] + e[r * nodes + n];
                System.arraycopy(node, leaves - 1, g, r * leaves, leaves);
            } else {
                node[0] = 0f;
                for (int n = 1; n < nodes; n++) node[n] = node[(n - 1) >> 1] + e[r * nodes + TcAttention.sibling(n)];
                for (int l = 0; l < leaves; l++) g[r * leaves + l] = node[leaves - 1 + l] + e[r * nodes + leaves - 1 + l];
            }
        }
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * e[off + n] = exp(e[off + n] * scale + logCount[base + n] + shift) * (dv[off + n] - dotOut), vectorised; nodes with
     * no key have logCount = -inf and come out as 0.
     */
    private static void expScores(float[] e, int off, float[] dv, float[] logCount, int base, int nodes, float scale, float shift, float dotOut) {
        int n = 0, L = S.length();
        FloatVector sv = FloatVector.broadcast(S, scale), sh = FloatVector.broadcast(S, shift);
        FloatVector dov = FloatVector.broadcast(S, dotOut);
        for (; n + L <= nodes; n += L) {
            FloatVector x = FloatVector.fromArray(S, e, off + n).fma(sv, FloatVector.fromArray(S, logCount, base + n)).add(sh);
            SpecialFunctions.exp(x).mul(FloatVector.fromArray(S, dv, off + n).sub(dov)).intoArray(e, off + n);
        }
        for (; n < nodes; n++) e[off + n] = (float) Math.exp(e[off + n] * scale + logCount[base + n] + shift) * (dv[off + n] - dotOut);
    }

    /** a[off + i] = exp(a[off + i] + shift) for i < len; returns their sum. */
    private static float expShiftedSum(float[] a, int off, int len, float shift) {
        int i = 0, L = S.length();
        float sum = 0f;
        if (len >= L) {
            FloatVector sh = FloatVector.broadcast(S, shift), acc = FloatVector.zero(S);
            for (; i + L <= len; i += L) {
                FloatVector x = SpecialFunctions.exp(FloatVector.fromArray(S, a, off + i).add(sh));
                x.intoArray(a, off + i);
                acc = acc.add(x);
            }
            sum = VecOps.sum(acc);
        }
        for (; i < len; i++) sum += a[off + i] = (float) Math.exp(a[off + i] + shift);
        return sum;
    }

    /** The DGT chain for rows tokens x[xOff + r * d]: g (dL/d one-hot leaf) -> dW, dB of their tree. */
    private static void chain(DecisionTree tree, float[] x, int xOff, int rows, int d, float[] g, float[] z, float[] node,
                              float[] dW, int dWOff, float[] dB, int dBOff, float[] dx) {
        int h = tree.height(), leaves = 1 << h, internal = leaves - 1;
        float[] b = tree.b();
        Sgemm.matmulTransB(rows, internal, d, x, xOff, d, tree.w(), 0, d, z, 0, internal, false);
        for (int r = 0; r < rows; r++) {
            int zr = r * internal;
            for (int n = 0; n < internal; n++) z[zr + n] += b[n];
            // Leaf scores u = A s, top-down: a child adds +s (left) or -s (right) of its parent.
            node[0] = 0f;
            for (int n = 0; n < internal; n++) {
                float sgn = z[zr + n] >= 0f ? 1f : -1f;
                node[2 * n + 1] = node[n] + sgn;
                node[2 * n + 2] = node[n] - sgn;
            }
            // p = softmax(u); the path leaf has the maximum u = h.
            float sum = expShiftedSum(node, internal, leaves, -h);
            float inv = 1f / sum, pg = 0f;
            for (int l = 0; l < leaves; l++) {
                node[internal + l] *= inv;
                pg += node[internal + l] * g[r * leaves + l];
            }
            // du = p (g - p.g) at the leaves, then subtree sums bottom-up; ds_n = left subtree sum - right subtree sum.
            for (int l = 0; l < leaves; l++) node[internal + l] *= g[r * leaves + l] - pg;
            for (int n = internal - 1; n >= 0; n--) {
                float ds = node[2 * n + 1] - node[2 * n + 2];
                node[n] = node[2 * n + 1] + node[2 * n + 2];
                z[zr + n] = Math.abs(z[zr + n]) <= 1f ? ds : 0f;
                dB[dBOff + n] += z[zr + n];
            }
        }
        Sgemm.matmulTransA(internal, d, rows, z, 0, internal, x, xOff, d, dW, dWOff, d, true);
        if (dx != null) Sgemm.matmul(rows, d, internal, z, 0, internal, tree.w(), 0, d, dx, xOff, d, true); // dx += dz W
    }

    static long workingBytes(AttentionShape s, int h) {
        int leaves = 1 << h, nodes = (2 << h) - 1, internal = leaves - 1;
        long perPair = (long) nodes * (s.d() + s.dv() + 1);
        long perWorker = (long) s.heads() * internal * (s.d() + 1) + 2L * CHUNK * nodes + (long) CHUNK * leaves + (long) CHUNK * internal + nodes;
        int workers = Math.max(1, 2 * Parallel.threads());
        return 4L * (s.pairs() * perPair + workers * perWorker);
    }
}
