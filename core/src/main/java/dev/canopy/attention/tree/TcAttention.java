package dev.canopy.attention.tree;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.Pass;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.VecOps;
import dev.canopy.nn.Parameter;
import java.util.Arrays;
import java.util.List;

/**
 * Treeformer TC-Attention (coarse, dense gradients). Spec
 * {@code tc:h=H[,countbias=B][,groups=path|siblings][,treegrad=on|off][,routegrad=off|on][,init=data|random]}.
 *
 * <p>Per (batch, head) pair, every tree node n gets the count c_n of unpadded keys whose root-to-leaf path contains n
 * and the centroids Kbar_n, Vbar_n of those keys and values (leaf sums from a counting sort by leaf, then children
 * summed bottom-up: the same result as scattering each key into its h+1 path nodes, with fewer adds). A query with
 * groups G_i = its h+1 path nodes ({@code groups=path}, default) or the off-path sibling at each level 1..h plus its
 * own leaf ({@code groups=siblings}, a partition of all keys) computes, over the groups with c > 0:
 * <pre>
 *   e_il = q_i . Kbar_l / sqrt(d) + B * log(c_l),   alpha_il = softmax_l(e_il),   out_i = sum_l alpha_il Vbar_l
 * </pre>
 * (B = countbias, default 0). Causal masks are not supported (spec section 9.13 leaves them optional).
 *
 * <p>Backward, routing held fixed: dq, dk, dv are the exact gradients of the formula above (every key reaches the
 * root centroid, so every key and value gets gradient). Trees (unless {@code treegrad=off}) get the Dense Gradient
 * Trees surrogate of {@link TreeSurrogate}: the hard memberships (key j in node n; node n in query i's groups) are
 * written as functions of one-hot leaf vectors, dL/d(one-hot) is formed for all 2^h leaves, and it is passed through
 * softmax-straight-through leaf selection, the fixed AND matrix and the straight-through sign (zero where |z| > 1).
 * By default the surrogate does not flow back into q and k (dq, dk stay the routing-fixed gradients);
 * {@code routegrad=on} adds its input term dz . W to dq and dk as well (DGT's chain continued into the routed vectors).
 */
public final class TcAttention implements Attention {
    public enum Groups { PATH, SIBLINGS }

    private final TreeBank trees;
    private final float countBias;
    private final Groups groups;
    private final boolean treeGrad;
    private final boolean routeGrad;
    private final String spec;

    public TcAttention(TreeBank trees, float countBias, Groups groups, boolean treeGrad) {
        this(trees, countBias, groups, treeGrad, false);
    }

    public TcAttention(TreeBank trees, float countBias, Groups groups, boolean treeGrad, boolean routeGrad) {
        if (!Float.isFinite(countBias)) throw new IllegalArgumentException("tc: countbias must be finite, got " + countBias);
        this.trees = trees;
        this.countBias = countBias;
        this.groups = groups;
        this.treeGrad = treeGrad;
        this.routeGrad = routeGrad && treeGrad;
        this.spec = specOf(trees.height(), countBias, groups, treeGrad, this.routeGrad);
    }

    /** The spec string of a TC attention with these options. */
    public static String specOf(int height, float countBias, Groups groups, boolean treeGrad, boolean routeGrad) {
        return "tc:h=" + height + (countBias != 0f ? ",countbias=" + countBias : "")
                + (groups == Groups.SIBLINGS ? ",groups=siblings" : "") + (treeGrad ? "" : ",treegrad=off") + (routeGrad ? ",routegrad=on" : "");
    }

    public static TcAttention fromSpec(AttentionSpec spec, AttentionSetup setup) {
        spec.allowOnly("h", "countbias", "groups", "treegrad", "routegrad", "init");
        int h = TreeSpecs.height(spec);
        Groups groups = switch (spec.stringOption("groups", "path")) {
            case "path" -> Groups.PATH;
            case "siblings" -> Groups.SIBLINGS;
            default -> throw new IllegalArgumentException("tc: option groups=" + spec.stringOption("groups", "") + " is not one of path, siblings");
        };
        return new TcAttention(new TreeBank(setup.heads(), h, setup.headDim(), TreeSpecs.randomInit(spec), setup.seed()),
                spec.floatOption("countbias", 0f), groups, spec.boolOption("treegrad", true), spec.boolOption("routegrad", false));
    }

    @Override public String spec() { return spec; }
    @Override public List<Parameter> parameters() { return trees.parameters(); }
    public TreeBank trees() { return trees; }
    public float countBias() { return countBias; }
    public Groups groups() { return groups; }

    /**
     * Saved state. count [pairs, nodes], kbar [pairs, nodes, d], vbar [pairs, nodes, dv], alpha [pairs, nq, h+1] (0 for
     * empty groups), lse [pairs, nq] = log sum_l exp(e_il) over non-empty groups.
     */
    record Context(AttentionShape shape, AttentionMask mask, float[] q, float[] k, float[] v, float[] out, int[] leafQ, int[] leafK,
                   float[] count, float[] kbar, float[] vbar, float[] alpha, float[] lse,
                   long flops, long backwardFlops, long workingBytes) implements Saved {}

    /**
     * Node ids of a query's groups for a query in leaf node x of a tree of height h. PATH: out[l] = its ancestor at level
     * l (root first, leaf last). SIBLINGS: out[0] = its leaf, out[l] = the sibling of its level-l ancestor (l = 1..h).
     */
    static void groupNodes(Groups groups, int h, int leafNode, int[] out) {
        for (int l = 0; l <= h; l++) out[l] = ((leafNode + 1) >> (h - l)) - 1;
        if (groups == Groups.SIBLINGS) {
            for (int l = 1; l <= h; l++) out[l] = sibling(out[l]);
            out[0] = leafNode;
        }
    }

    static int sibling(int node) {
        return (node & 1) == 1 ? node + 1 : node - 1;
    }

    @Override
    public Saved forward(AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask, Pass pass, float[] out) {
        s.check(q, k, v, out);
        mask.check(s);
        trees.checkShape(s, "tc");
        if (mask.causal()) throw new IllegalArgumentException("tc attention does not support causal masks (node statistics would need per-position prefixes); use tf or exact");
        trees.ensureInitialised(s, k, mask);
        int h = trees.height(), leaves = 1 << h, nodes = (2 << h) - 1, groupsPerQuery = h + 1;
        int pairs = s.pairs(), nq = s.nq(), nk = s.nk(), d = s.d(), dv = s.dv();
        int[] leafQ = trees.route(s, q, nq), leafK = trees.route(s, k, nk);
        LeafBuckets kb = LeafBuckets.of(leafK, pairs, s.heads(), nk, leaves, mask.keyPadding());
        float[] count = new float[pairs * nodes], kbar = new float[pairs * nodes * d], vbar = new float[pairs * nodes * dv];
        // Leaf sums: one task per (pair, leaf) owns its slots.
        Parallel.forEach(pairs * leaves, task -> {
            int pair = task / leaves, leaf = task % leaves, node = leaves - 1 + leaf, slot = pair * nodes + node;
            for (int r = kb.begin(pair, leaf); r < kb.end(pair, leaf); r++) {
                int key = kb.token(pair, r);
                axpy(1f, k, (pair * nk + key) * d, kbar, slot * d, d);
                axpy(1f, v, (pair * nk + key) * dv, vbar, slot * dv, dv);
            }
            count[slot] = kb.count(pair, leaf);
        });
        // Internal nodes bottom-up, then sums -> centroids.
        Parallel.forEach(pairs, pair -> {
            int base = pair * nodes;
            for (int n = leaves - 2; n >= 0; n--) {
                int slot = base + n, left = base + 2 * n + 1, right = base + 2 * n + 2;
                count[slot] = count[left] + count[right];
                for (int c = 0; c < d; c++) kbar[slot * d + c] = kbar[left * d + c] + kbar[right * d + c];
                for (int c = 0; c < dv; c++) vbar[slot * dv + c] = vbar[left * dv + c] + vbar[right * dv + c];
            }
            for (int n = 0; n < nodes; n++) {
                int slot = base + n;
                if (count[slot] == 0) continue;
                float inv = 1f / count[slot];
                for (int c = 0; c < d; c++) kbar[slot * d + c] *= inv;
                for (int c = 0; c < dv; c++) vbar[slot * dv + c] *= inv;
            }
        });
        float[] alpha = new float[pairs * nq * groupsPerQuery], lse = new float[pairs * nq];
        float scale = (float) (1.0 / Math.sqrt(d));
        Parallel.forRanges(pairs * nq, 256, (a, b) -> {
            int[] g = new int[groupsPerQuery];
            float[] e = new float[groupsPerQuery];
            for (int row = a; row < b; row++) {
                int pair = row / nq, base = pair * nodes;
                groupNodes(groups, h, leaves - 1 + leafQ[row], g);
                float max = Float.NEGATIVE_INFINITY;
                for (int l = 0; l < groupsPerQuery; l++) {
                    float c = count[base + g[l]];
                    e[l] = c == 0 ? Float.NEGATIVE_INFINITY
                            : DecisionTree.dot(q, row * d, kbar, (base + g[l]) * d, d) * scale + (countBias == 0f ? 0f : countBias * (float) Math.log(c));
                    max = Math.max(max, e[l]);
                }
                Arrays.fill(out, row * dv, (row + 1) * dv, 0f);
                if (max == Float.NEGATIVE_INFINITY) { // every key padded
                    lse[row] = Float.POSITIVE_INFINITY;
                    continue;
                }
                float sum = 0f;
                for (int l = 0; l < groupsPerQuery; l++) sum += e[l] = (float) Math.exp(e[l] - max);
                for (int l = 0; l < groupsPerQuery; l++) {
                    float w = e[l] / sum;
                    alpha[row * groupsPerQuery + l] = w;
                    if (w != 0f) axpy(w, vbar, (base + g[l]) * dv, out, row * dv, dv);
                }
                lse[row] = max + (float) Math.log(sum);
            }
        });
        long routing = 2L * pairs * (nq + nk) * d * h;
        long aggregation = (long) pairs * ((long) nk + nodes + nodes) * (d + dv);
        long scoring = 2L * pairs * nq * groupsPerQuery * (d + dv);
        long backward = 4L * pairs * nq * groupsPerQuery * (d + dv) + 3L * pairs * nodes * (d + dv) + (long) pairs * nk * (d + dv);
        if (treeGrad && h > 0) {
            int internal = leaves - 1;
            backward += 2L * pairs * (nq + nk) * nodes * (d + dv) + 4L * pairs * (nq + nk) * internal * d + 8L * pairs * (nq + nk) * nodes;
        }
        long bytes = workingBytes(s, kb, nodes, groupsPerQuery);
        return new Context(s, mask, q, k, v, out, leafQ, leafK, count, kbar, vbar, alpha, lse, routing + aggregation + scoring, backward, bytes);
    }

    private int piecesPerPair(AttentionShape s) {
        return Math.max(1, Math.min(Math.max(1, s.nq() / 256), TfAttention.ceilDiv(2 * Parallel.threads(), s.pairs())));
    }

    @Override
    public void backward(Saved saved, float[] dOut, float[] dq, float[] dk, float[] dv) {
        if (!(saved instanceof Context c)) throw new IllegalArgumentException("tc attention backward got state from " + saved.getClass().getSimpleName());
        AttentionShape s = c.shape();
        s.checkGradients(dOut, dq, dk, dv);
        int h = trees.height(), leaves = 1 << h, nodes = (2 << h) - 1, gq = h + 1;
        int pairs = s.pairs(), nq = s.nq(), nk = s.nk(), d = s.d(), w = s.dv();
        float scale = (float) (1.0 / Math.sqrt(d));
        int pieces = piecesPerPair(s);
        int stride = nodes * (d + w + 1);
        // Per (pair, piece): dKbar [nodes, d], dVbar [nodes, dv], dLogit [nodes] (sum of de for the count bias).
        float[] acc = new float[pairs * pieces * stride];
        Parallel.forEach(pairs * pieces, task -> {
            int pair = task / pieces, piece = task % pieces;
            int i0 = (int) ((long) nq * piece / pieces), i1 = (int) ((long) nq * (piece + 1) / pieces);
            int base = pair * nodes, a0 = task * stride, aV = a0 + nodes * d, aL = aV + nodes * w;
            int[] g = new int[gq];
            float[] da = new float[gq];
            for (int i = i0; i < i1; i++) {
                int row = pair * nq + i;
                Arrays.fill(dq, row * d, (row + 1) * d, 0f);
                if (c.lse()[row] == Float.POSITIVE_INFINITY) continue;
                groupNodes(groups, h, leaves - 1 + c.leafQ()[row], g);
                float dot = 0f;
                for (int l = 0; l < gq; l++) {
                    float al = c.alpha()[row * gq + l];
                    da[l] = al == 0f ? 0f : DecisionTree.dot(dOut, row * w, c.vbar(), (base + g[l]) * w, w);
                    dot += al * da[l];
                }
                for (int l = 0; l < gq; l++) {
                    float al = c.alpha()[row * gq + l];
                    if (al == 0f) continue;
                    float de = al * (da[l] - dot);
                    axpy(de * scale, c.kbar(), (base + g[l]) * d, dq, row * d, d);
                    axpy(de * scale, c.q(), row * d, acc, a0 + g[l] * d, d);
                    axpy(al, dOut, row * w, acc, aV + g[l] * w, w);
                    acc[aL + g[l]] += de;
                }
            }
        });
        // Reduce pieces, then dSum_n = dCentroid_n / c_n summed top-down along each path: a key's gradient is its leaf's total.
        float[] down = new float[pairs * nodes * (d + w)];
        Parallel.forEach(pairs, pair -> {
            int a0 = pair * pieces * stride;
            for (int p = 1; p < pieces; p++) for (int x = 0; x < stride; x++) acc[a0 + x] += acc[a0 + p * stride + x];
            int base = pair * nodes;
            for (int n = 0; n < nodes; n++) {
                float cnt = c.count()[base + n];
                int o = (base + n) * (d + w), parent = n == 0 ? -1 : (base + (n - 1) / 2) * (d + w);
                for (int x = 0; x < d; x++) down[o + x] = (parent < 0 ? 0f : down[parent + x]) + (cnt == 0 ? 0f : acc[a0 + n * d + x] / cnt);
                for (int x = 0; x < w; x++) down[o + d + x] = (parent < 0 ? 0f : down[parent + d + x]) + (cnt == 0 ? 0f : acc[a0 + nodes * d + n * w + x] / cnt);
            }
        });
        boolean[] pad = c.mask().keyPadding();
        Parallel.forRanges(pairs * nk, 512, (a, b) -> {
            for (int row = a; row < b; row++) {
                int pair = row / nk;
                if (pad != null && pad[(pair / s.heads()) * nk + row % nk]) {
                    Arrays.fill(dk, row * d, (row + 1) * d, 0f);
                    Arrays.fill(dv, row * w, (row + 1) * w, 0f);
                    continue;
                }
                int o = (pair * nodes + leaves - 1 + c.leafK()[row]) * (d + w);
                System.arraycopy(down, o, dk, row * d, d);
                System.arraycopy(down, o + d, dv, row * w, w);
            }
        });
        if (treeGrad && h > 0) {
            TreeSurrogate.accumulate(trees, groups, countBias, c.shape(), c.mask(), c.q(), c.k(), c.v(), c.out(), dOut, c.leafQ(),
                    c.count(), c.kbar(), c.vbar(), c.lse(), acc, pieces, stride, routeGrad ? dq : null, routeGrad ? dk : null);
        }
    }

    private long workingBytes(AttentionShape s, LeafBuckets kb, int nodes, int gq) {
        int pairs = s.pairs(), d = s.d(), w = s.dv();
        long forward = kb.bytes() + 4L * pairs * (s.nq() + s.nk()) + 4L * pairs * nodes * (1 + d + w) + 4L * pairs * s.nq() * (gq + 1);
        long backward = 4L * pairs * piecesPerPair(s) * nodes * (d + w + 1) + 4L * pairs * nodes * (d + w);
        if (treeGrad && trees.height() > 0) backward += TreeSurrogate.workingBytes(s, trees.height());
        return forward + backward;
    }

    /** y[yOff..] += a * x[xOff..] over n floats. */
    static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        VecOps.axpy(a, x, xOff, y, yOff, n);
    }
}
