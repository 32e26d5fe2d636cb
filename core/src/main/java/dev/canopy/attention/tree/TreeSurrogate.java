package dev.canopy.attention.tree;

import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionShape;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.Sgemm;
import dev.canopy.kernels.SpecialFunctions;
import dev.canopy.kernels.VecOps;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
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
     * dKbar [nodes, d], dVbar [nodes, dv] and dLogit [nodes] (sum over queries of de for the count bias). The forward's
     * context fwd gives the inputs, the centroids and each node's score term (bias: beta * log(c_n), -inf for an empty
     * node, so it drops out of exp). dq and dk, when not null, receive the surrogate's input gradient (routegrad=on).
     */
    static void accumulate(TreeBank trees, CentroidGroups groups, float beta, TcAttention.Context fwd, float[] dOut, float[] lse,
                           float[] acc, int pieces, int stride, float[] dq, float[] dk) {
        AttentionShape s = fwd.shape();
        AttentionMask mask = fwd.mask();
        float[] q = fwd.q(), k = fwd.k(), v = fwd.v(), out = fwd.out(), count = fwd.count(), kbar = fwd.kbar(), vbar = fwd.vbar(), bias = fwd.bias();
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
        int keyChunks = Math.ceilDiv(nk, CHUNK), queryChunks = Math.ceilDiv(nq, CHUNK);
        int items = pairs * (keyChunks + queryChunks);
        int workers = Math.max(1, Math.min(items, 2 * Parallel.threads()));
        float scale = (float) (1.0 / Math.sqrt(d));
        // Each worker sums its own items' tree gradients; the partials are then added in worker order, so the result
        // does not depend on which worker finished first.
        float[][] dW = new float[workers][], dB = new float[workers][];
        Parallel.forEach(workers, worker -> {
            float[] wPart = dW[worker] = new float[heads * internal * d], bPart = dB[worker] = new float[heads * internal];
            Scratch t = new Scratch(nodes);
            for (int item = worker; item < items; item += workers) {
                int pair = item / (keyChunks + queryChunks), part = item % (keyChunks + queryChunks), head = pair % heads;
                boolean isKey = part < keyChunks;
                int r0 = (isKey ? part : part - keyChunks) * CHUNK, rows = Math.min(CHUNK, (isKey ? nk : nq) - r0);
                float[] x = isKey ? k : q;
                int xOff = (pair * (isKey ? nk : nq) + r0) * d;
                int base = pair * nodes;
                if (isKey) keyLeafGradients(pair, r0, rows, nk, d, w, nodes, leaves, k, v, dSumK, dSumV, dCount, base, mask, heads, t);
                else queryLeafGradients(groups, h, pair, r0, rows, nq, d, w, nodes, leaves, q, out, dOut, bias, kbar, vbar, lse, scale, base, t);
                DecisionTree tree = trees.tree(head);
                chain(tree, x, xOff, rows, d, t, wPart, head * internal * d, bPart, head * internal, isKey ? dk : dq);
            }
        });
        for (int worker = 0; worker < workers; worker++) {
            for (int hd = 0; hd < heads; hd++) {
                float[] gw = trees.tree(hd).wGrad(), gb = trees.tree(hd).bGrad();
                for (int i = 0; i < internal * d; i++) gw[i] += dW[worker][hd * internal * d + i];
                for (int i = 0; i < internal; i++) gb[i] += dB[worker][hd * internal + i];
            }
        }
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /**
     * Per worker. Everything per token is laid out node-major, [node][token in chunk] with stride CHUNK, so the walks
     * over the tree's nodes run on {@link #L} tokens at once, one token per lane, with no branch on any token's value.
     * Lanes past a chunk's last token are computed on stale values and never used: their leaf gradients are set to 0,
     * which makes their dz exactly 0, and the products over tokens stop at the chunk's rows.
     */
    private static final class Scratch {
        final float[] a, b, g, z, tree, dB;
        final float[] shift = new float[CHUNK], dotOut = new float[CHUNK];
        /** Where the chunk's leaf gradients g[L][r] are: leafGrad[leafGradAt + L * CHUNK + r] (in a, or in g). */
        float[] leafGrad;
        int leafGradAt;

        Scratch(int nodes) {
            int leaves = (nodes + 1) / 2, internal = leaves - 1;
            a = new float[nodes * CHUNK];
            b = new float[nodes * CHUNK];
            g = new float[leaves * CHUNK];
            z = new float[internal * CHUNK];
            tree = new float[nodes * L];
            dB = new float[internal * L];
        }

        static long floats(int nodes) {
            int leaves = (nodes + 1) / 2;
            return (long) (2 * nodes + 2 * leaves - 1) * CHUNK + (long) (nodes + leaves - 1) * L + 2L * CHUNK;
        }
    }

    /**
     * g[L][r] for keys r0..r0+rows of pair, the sums of dL/dM over the nodes on leaf L's path (0 for padded keys), into
     * t's leaf gradients: t.a[n][r] first holds dL/dM_rn, then (top-down, in place) its sum down to n.
     */
    private static void keyLeafGradients(int pair, int r0, int rows, int nk, int d, int w, int nodes, int leaves, float[] k, float[] v,
                                        float[] dSumK, float[] dSumV, float[] dCount, int base, AttentionMask mask, int heads, Scratch t) {
        float[] m = t.a;
        Sgemm.matmulTransB(nodes, rows, d, dSumK, base * d, d, k, (pair * nk + r0) * d, d, m, 0, CHUNK, false);
        Sgemm.matmulTransB(nodes, rows, w, dSumV, base * w, w, v, (pair * nk + r0) * w, w, m, 0, CHUNK, true);
        for (int c0 = 0; c0 < rows; c0 += L) {
            FloatVector.fromArray(S, m, c0).add(dCount[base]).intoArray(m, c0);
            for (int n = 1; n < nodes; n++) {
                int at = n * CHUNK + c0;
                FloatVector.fromArray(S, m, ((n - 1) >> 1) * CHUNK + c0).add(FloatVector.fromArray(S, m, at)).add(dCount[base + n]).intoArray(m, at);
            }
        }
        int gOff = (leaves - 1) * CHUNK;
        boolean[] pad = mask.keyPadding();
        for (int r = 0; r < roundUp(rows); r++) {
            if (r >= rows || pad != null && pad[(pair / heads) * nk + r0 + r]) clearToken(m, gOff, leaves, r);
        }
        t.leafGrad = m;
        t.leafGradAt = gOff;
    }

    /**
     * g[L][r] for queries r0..r0+rows of pair, the sums of dL/dm over the group nodes leaf L would give the query (0 for
     * a query that saw nothing), into t's leaf gradients (in t.a for path groups, t.g for sibling groups).
     */
    private static void queryLeafGradients(CentroidGroups groups, int h, int pair, int r0, int rows, int nq, int d, int w, int nodes, int leaves,
                                          float[] q, float[] out, float[] dOut, float[] bias, float[] kbar, float[] vbar, float[] lse,
                                          float scale, int base, Scratch t) {
        int row0 = pair * nq + r0;
        float[] e = t.a, dv = t.b;
        Sgemm.matmulTransB(nodes, rows, d, kbar, base * d, d, q, row0 * d, d, e, 0, CHUNK, false);
        Sgemm.matmulTransB(nodes, rows, w, vbar, base * w, w, dOut, row0 * w, w, dv, 0, CHUNK, false);
        for (int r = 0; r < rows; r++) {
            int row = row0 + r;
            t.shift[r] = -lse[row];
            t.dotOut[r] = VecOps.dot(dOut, row * w, out, row * w, w);
        }
        // dm[n] = exp(e_n - lse) (dO . Vbar_n - dO . out) for every non-empty node (bias = -inf gives 0), over e.
        FloatVector sv = FloatVector.broadcast(S, scale);
        for (int c0 = 0; c0 < rows; c0 += L) {
            FloatVector shift = FloatVector.fromArray(S, t.shift, c0), dotOut = FloatVector.fromArray(S, t.dotOut, c0);
            for (int n = 0; n < nodes; n++) {
                int at = n * CHUNK + c0;
                FloatVector x = FloatVector.fromArray(S, e, at).fma(sv, FloatVector.broadcast(S, bias[base + n])).add(shift);
                SpecialFunctions.exp(x).mul(FloatVector.fromArray(S, dv, at).sub(dotOut)).intoArray(e, at);
            }
        }
        float[] g;
        int gOff;
        if (groups == CentroidGroups.PATH) { // a leaf's group is its path: top-down sums, in place
            g = e;
            gOff = (leaves - 1) * CHUNK;
            for (int c0 = 0; c0 < rows; c0 += L) {
                for (int n = 1; n < nodes; n++) {
                    int at = n * CHUNK + c0;
                    FloatVector.fromArray(S, e, ((n - 1) >> 1) * CHUNK + c0).add(FloatVector.fromArray(S, e, at)).intoArray(e, at);
                }
            }
        } else { // the siblings of the path's nodes below the root, then the leaf itself; sums in dv (its products are used)
            g = t.g;
            gOff = 0;
            for (int c0 = 0; c0 < rows; c0 += L) {
                FloatVector.zero(S).intoArray(dv, c0);
                for (int n = 1; n < nodes; n++) {
                    int at = n * CHUNK + c0;
                    FloatVector.fromArray(S, dv, ((n - 1) >> 1) * CHUNK + c0).add(FloatVector.fromArray(S, e, TcAttention.sibling(n) * CHUNK + c0)).intoArray(dv, at);
                }
                for (int l = 0; l < leaves; l++) {
                    int at = (leaves - 1 + l) * CHUNK + c0;
                    FloatVector.fromArray(S, dv, at).add(FloatVector.fromArray(S, e, at)).intoArray(g, l * CHUNK + c0);
                }
            }
        }
        for (int r = 0; r < roundUp(rows); r++) {
            if (r >= rows || lse[row0 + r] == Float.POSITIVE_INFINITY) clearToken(g, gOff, leaves, r);
        }
        t.leafGrad = g;
        t.leafGradAt = gOff;
    }

    /** The DGT chain for rows tokens x[xOff + r * d] with t's leaf gradients: g -> dW, dB of their tree (and dx). */
    private static void chain(DecisionTree tree, float[] x, int xOff, int rows, int d, Scratch t, float[] dW, int dWOff, float[] dB,
                              int dBOff, float[] dx) {
        int h = tree.height(), internal = (1 << h) - 1;
        float[] z = t.z;
        Sgemm.matmulTransB(internal, rows, d, tree.w(), 0, d, x, xOff, d, z, 0, CHUNK, false);
        Arrays.fill(t.dB, 0, internal * L, 0f);
        for (int c0 = 0; c0 < rows; c0 += L) chainLanes(tree, h, z, t.tree, t.leafGrad, t.leafGradAt, c0, t.dB);
        for (int n = 0; n < internal; n++) dB[dBOff + n] += VecOps.sum(FloatVector.fromArray(S, t.dB, n * L)); // fixed order in every JIT tier
        Sgemm.matmul(internal, d, rows, z, 0, CHUNK, x, xOff, d, dW, dWOff, d, true); // dW += dz^T x
        if (dx != null) Sgemm.matmulTransA(rows, d, internal, z, 0, CHUNK, tree.w(), 0, d, dx, xOff, d, true); // dx += dz W
    }

    /**
     * The chain for the L tokens of lanes c0..c0+L-1: z gets its bias; leaf scores u = A s top-down (a child adds +s
     * (left) or -s (right) of its parent); p = softmax(u) (the path leaf has the maximum, h); du = p (g - p . g) at the
     * leaves, then subtree sums bottom-up, ds_n = left subtree sum - right subtree sum; dz = ds where |z| <= 1, written
     * over z and added into the per-lane bias gradients dB.
     */
    private static void chainLanes(DecisionTree tree, int h, float[] z, float[] u, float[] g, int gOff, int c0, float[] dB) {
        int leaves = 1 << h, internal = leaves - 1;
        float[] b = tree.b();
        FloatVector one = FloatVector.broadcast(S, 1f), minusOne = FloatVector.broadcast(S, -1f);
        FloatVector.zero(S).intoArray(u, 0);
        for (int n = 0; n < internal; n++) {
            int at = n * CHUNK + c0;
            FloatVector zn = FloatVector.fromArray(S, z, at).add(b[n]);
            zn.intoArray(z, at);
            FloatVector sign = minusOne.blend(one, zn.compare(VectorOperators.GE, 0f)), parent = FloatVector.fromArray(S, u, n * L);
            parent.add(sign).intoArray(u, (2 * n + 1) * L);
            parent.sub(sign).intoArray(u, (2 * n + 2) * L);
        }
        FloatVector sum = FloatVector.zero(S), shift = FloatVector.broadcast(S, (float) -h);
        for (int l = 0; l < leaves; l++) {
            int at = (internal + l) * L;
            FloatVector p = SpecialFunctions.exp(FloatVector.fromArray(S, u, at).add(shift));
            p.intoArray(u, at);
            sum = sum.add(p);
        }
        FloatVector inv = one.div(sum), pg = FloatVector.zero(S);
        for (int l = 0; l < leaves; l++) {
            int at = (internal + l) * L;
            FloatVector p = FloatVector.fromArray(S, u, at).mul(inv);
            p.intoArray(u, at);
            pg = pg.add(p.mul(FloatVector.fromArray(S, g, gOff + l * CHUNK + c0)));
        }
        for (int l = 0; l < leaves; l++) {
            int at = (internal + l) * L;
            FloatVector gl = FloatVector.fromArray(S, g, gOff + l * CHUNK + c0);
            FloatVector.fromArray(S, u, at).mul(gl.sub(pg)).intoArray(u, at);
        }
        for (int n = internal - 1; n >= 0; n--) {
            FloatVector left = FloatVector.fromArray(S, u, (2 * n + 1) * L), right = FloatVector.fromArray(S, u, (2 * n + 2) * L);
            left.add(right).intoArray(u, n * L);
            int at = n * CHUNK + c0;
            FloatVector zn = FloatVector.fromArray(S, z, at);
            FloatVector dz = FloatVector.zero(S).blend(left.sub(right), zn.abs().compare(VectorOperators.LE, 1f));
            dz.intoArray(z, at);
            FloatVector.fromArray(S, dB, n * L).add(dz).intoArray(dB, n * L);
        }
    }

    /** Zeroes token r's leaf gradients (a padded key, a query that saw nothing, or a lane past the chunk's rows). */
    private static void clearToken(float[] g, int gOff, int leaves, int r) {
        for (int l = 0; l < leaves; l++) g[gOff + l * CHUNK + r] = 0f;
    }

    private static int roundUp(int rows) {
        return (rows + L - 1) / L * L;
    }

    static long workingBytes(AttentionShape s, int h) {
        int leaves = 1 << h, nodes = (2 << h) - 1, internal = leaves - 1;
        long perPair = (long) nodes * (s.d() + s.dv() + 1);
        long perWorker = (long) s.heads() * internal * (s.d() + 1) + Scratch.floats(nodes);
        int workers = Math.max(1, 2 * Parallel.threads());
        return 4L * (s.pairs() * perPair + workers * perWorker);
    }
}
