package dev.canopy.attention.tree;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.AttentionFamily;
import dev.canopy.config.OptionSchema;
import dev.canopy.kernels.ScoreRows;
import dev.canopy.nn.Pass;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.SixteenDots;
import dev.canopy.kernels.SpecialFunctions;
import dev.canopy.kernels.VecOps;
import dev.canopy.nn.Parameter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Treeformer TC-Attention (coarse, dense gradients). Spec
 * {@code tc:h=H[,countbias=B][,groups=path|siblings][,route=auto|tree|mass][,beam=B][,treegrad=auto|on|off][,routegrad=off|on][,init=data|random]}.
 *
 * <p>Per (batch, head) pair, every tree node n gets the count c_n of unpadded keys whose root-to-leaf path contains n
 * and the centroids Kbar_n, Vbar_n of those keys and values (leaf sums from a counting sort by leaf, then children
 * summed bottom-up: the same result as scattering each key into its h+1 path nodes, with fewer adds). A query with
 * groups G_i = its h+1 path nodes ({@code groups=path}, default) or the off-path sibling at each level 1..h plus its
 * own leaf ({@code groups=siblings}, a partition of all keys) computes, over the groups with c > 0:
 * <pre>
 *   e_il = q_i . Kbar_l / sqrt(d) + B * log(c_l),   alpha_il = softmax_l(e_il),   out_i = sum_l alpha_il Vbar_l
 * </pre>
 * (B = countbias, default 0). Causal masks are not supported (a centroid mixes keys from both sides of a query; the
 * paper defines TC for bidirectional models).
 *
 * <p>Backward, routing held fixed: dq, dk, dv are the exact gradients of the formula above (every key reaches the
 * root centroid, so every key and value gets gradient). Trees (unless {@code treegrad=off}) get the Dense Gradient
 * Trees surrogate of {@link TreeSurrogate}: the hard memberships (key j in node n; node n in query i's groups) are
 * written as functions of one-hot leaf vectors, dL/d(one-hot) is formed for all 2^h leaves, and it is passed through
 * softmax-straight-through leaf selection, the fixed AND matrix and the straight-through sign (zero where |z| > 1).
 * By default the surrogate does not flow back into q and k (dq, dk stay the routing-fixed gradients);
 * {@code routegrad=on} adds its input term dz . W to dq and dk as well (DGT's chain continued into the routed vectors).
 *
 * <p>With {@code route=mass} (ours; implied by {@code beam=B > 1}) a query does not take the hyperplanes' leaf: it
 * descends the key tree by estimated attention mass as TF's beam does ({@link MassBeam}) and keeps the B leaves it ends
 * in. Its groups generalise the two kinds above to the subtree S of those leaves' paths: {@code groups=path} attends to
 * every node of S, {@code groups=siblings} to the B leaves and every child of an inner node of S that is not in S (again
 * a partition of all keys). With B = 1 both are the groups above for the leaf the descent chose. The descent, not the
 * hyperplanes, places the query, so the trees get no surrogate gradient ({@code treegrad=auto} means off here); the
 * backward is exact for the chosen groups, routing held fixed.
 */
public final class TcAttention implements Attention {
    private final TreeBank trees;
    private final float countBias;
    private final CentroidGroups groups;
    private final boolean treeGrad;
    private final boolean routeGrad;
    private final boolean byMass;
    private final int beam;
    private final String spec;

    public TcAttention(TreeBank trees, float countBias, CentroidGroups groups, boolean treeGrad) {
        this(trees, countBias, groups, treeGrad, false);
    }

    public TcAttention(TreeBank trees, float countBias, CentroidGroups groups, boolean treeGrad, boolean routeGrad) {
        this(trees, countBias, groups, treeGrad, routeGrad, false, 1);
    }

    /**
     * TC attention whose queries may be placed by a descent by mass.
     *
     * @param byMass queries keep the leaves of a descent by mass (then treeGrad must be false)
     * @param beam   leaves each query keeps (more than 1 needs byMass)
     */
    public TcAttention(TreeBank trees, float countBias, CentroidGroups groups, boolean treeGrad, boolean routeGrad, boolean byMass, int beam) {
        if (!Float.isFinite(countBias)) throw new IllegalArgumentException("tc: countbias must be finite, got " + countBias);
        checkRouting(trees.height(), byMass, beam, treeGrad);
        this.trees = trees;
        this.countBias = countBias;
        this.groups = groups;
        this.treeGrad = treeGrad;
        this.routeGrad = routeGrad && treeGrad;
        this.byMass = byMass;
        this.beam = beam;
        this.spec = specOf(trees.height(), countBias, groups, treeGrad, this.routeGrad, byMass, beam);
    }

    private static void checkRouting(int height, boolean byMass, int beam, boolean treeGrad) {
        TreeOptions.checkBeam("tc", height, byMass, beam);
        if (byMass && treeGrad) {
            throw new IllegalArgumentException("tc: option treegrad=on trains the hyperplanes through the queries' routing, which route=mass does not use; "
                    + "use treegrad=auto or off");
        }
    }

    /** The spec string of a TC attention with these options. */
    public static String specOf(int height, float countBias, CentroidGroups groups, boolean treeGrad, boolean routeGrad) {
        return specOf(height, countBias, groups, treeGrad, routeGrad, false, 1);
    }

    /** The spec string of a TC attention with these options, queries possibly routed by mass. */
    public static String specOf(int height, float countBias, CentroidGroups groups, boolean treeGrad, boolean routeGrad, boolean byMass, int beam) {
        return "tc:h=" + height + (countBias != 0f ? ",countbias=" + countBias : "")
                + (groups == CentroidGroups.SIBLINGS ? ",groups=siblings" : "")
                + (beam > 1 ? ",beam=" + beam : byMass ? ",route=mass" : treeGrad ? "" : ",treegrad=off") + (routeGrad ? ",routegrad=on" : "");
    }

    public static final AttentionFamily FAMILY = new AttentionFamily("Treeformer TC: attention over the key/value centroids of the query's tree path", false,
            TreeOptions.schema("tc",
                    OptionSchema.optional("countbias", "0", "B: each group's score gets B log(its key count)"),
                    OptionSchema.optional("groups", "path", "path (the h+1 nodes on the query's path) or siblings (off-path siblings + leaf)"),
                    OptionSchema.optional("route", "auto", "how queries pick their leaf: tree (the hyperplanes) or mass (a descent by estimated attention mass); auto: mass when beam > 1"),
                    OptionSchema.optional("beam", "1", "leaves each query keeps (the best B of a descent by mass); its groups come from their paths"),
                    OptionSchema.optional("treegrad", "auto", "trees learn through the dense-gradient surrogate: on, off, or auto (on unless routed by mass)"),
                    OptionSchema.optional("routegrad", "off", "the surrogate's gradient also flows into q and k")),
            values -> {
                TreeOptions trees = TreeOptions.read(values);
                float countBias = values.number("countbias");
                CentroidGroups groups = values.choice("groups", CentroidGroups.class);
                int beam = values.integer("beam");
                boolean byMass = values.choice("route", TfAttention.Route.class).byMass(beam);
                boolean treeGrad = values.text("treegrad").equalsIgnoreCase("auto") ? !byMass : values.flag("treegrad"), routeGrad = values.flag("routegrad");
                checkRouting(trees.height(), byMass, beam, treeGrad);
                return setup -> new TcAttention(trees.bank(setup), countBias, groups, treeGrad, routeGrad, byMass, beam);
            });

    @Override public String spec() { return spec; }
    @Override public List<Parameter> parameters() { return trees.parameters(); }
    @Override public boolean splitsBatches() { return trees.initialised(); } // until then the first call fits them to its keys
    public TreeBank trees() { return trees; }
    public float countBias() { return countBias; }
    public CentroidGroups groups() { return groups; }

    /**
     * Saved state. count [pairs, nodes], kbar [pairs, nodes, d], vbar [pairs, nodes, dv], each with one extra node at
     * the end that holds no key (index pairs * nodes: a group slot a query leaves unfilled points there). groupOf
     * [pairs, nq, gq]: each query's group nodes as indices into those arrays. alpha [pairs, nq, gq] (0 for empty
     * groups), rowMax and rowSum [pairs, nq]: each query's largest score and sum_l exp(e_il - max) over non-empty
     * groups (sum 0 when every key is padded); the backward takes their log-sum-exp. bias [pairs, nodes]: each node's
     * additive score term, B * log(c_n), or -inf for an empty node. leafQ: the queries' hyperplane leaves (null when
     * routed by mass).
     */
    record Context(AttentionShape shape, AttentionMask mask, float[] q, float[] k, float[] v, float[] out, int[] leafQ, int[] leafK,
                   float[] count, float[] kbar, float[] vbar, float[] bias, int[] groupOf, int gq, float[] alpha, float[] rowMax, float[] rowSum,
                   long flops, long backwardFlops, long workingBytes) implements Saved {}

    /**
     * Group slots per query: h + 1 for one leaf; with a beam of B leaves, the most nodes their paths' subtree S can
     * give: every node of S (path), or one more than S's inner nodes (siblings).
     */
    static int groupsPerQuery(CentroidGroups groups, int h, int beam) {
        int slots = 1;
        for (int level = 0; level < h; level++) slots += Math.min(beam, 1 << (groups == CentroidGroups.PATH ? level + 1 : level));
        return slots;
    }

    /**
     * Node ids of a query's groups for a query in leaf node x of a tree of height h. PATH: out[l] = its ancestor at level
     * l (root first, leaf last). SIBLINGS: out[0] = its leaf, out[l] = the sibling of its level-l ancestor (l = 1..h).
     */
    static void groupNodes(CentroidGroups groups, int h, int leafNode, int[] out) {
        for (int l = 0; l <= h; l++) out[l] = ((leafNode + 1) >> (h - l)) - 1;
        if (groups == CentroidGroups.SIBLINGS) {
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
        int h = trees.height(), leaves = 1 << h, nodes = (2 << h) - 1, gq = groupsPerQuery(groups, h, beam);
        int pairs = s.pairs(), nq = s.nq(), nk = s.nk(), d = s.d(), dv = s.dv(), none = pairs * nodes;
        int[] leafK = new int[pairs * nk], leafQ = byMass ? null : new int[pairs * nq], groupOf = new int[pairs * nq * gq];
        float[] count = new float[none + 1], kbar = new float[(none + 1) * d], vbar = new float[(none + 1) * dv];
        leafSums(s, k, v, mask.keyPadding(), leafK, count, kbar, vbar);
        subtreeSums(pairs, leaves, d, dv, count, kbar, vbar);
        long groupsUsed = byMass ? beamGroups(s, q, count, kbar, groupOf, gq, none) : (long) pairs * nq * gq;
        divideByCounts(pairs, nodes, d, dv, count, kbar, vbar);
        // Per node, the score's additive term: B * log(c_n), or -inf for an empty node (it drops out of the softmax).
        float[] bias = new float[none + 1];
        for (int i = 0; i < bias.length; i++) {
            bias[i] = count[i] == 0 ? Float.NEGATIVE_INFINITY : countBias == 0f ? 0f : countBias * (float) Math.log(count[i]);
        }
        float[] alpha = new float[pairs * nq * gq], rowMax = new float[pairs * nq], rowSum = new float[pairs * nq];
        // Queries are routed range by range just before they are scored, while their rows are still in cache.
        Parallel.forRanges(pairs * nq, 256, (a, b) -> {
            QueryScratch t = QUERY_SCRATCH.get().fit(gq);
            if (!byMass) pathGroups(s, q, a, b, leafQ, groupOf, t.node);
            for (int row = a; row < b; ) {
                int pair = row / nq, blockEnd = Math.min(b, (pair + 1) * nq);
                if (SixteenDots.AVAILABLE && d % 16 == 0 && row + 16 <= blockEnd) {
                    scoreSixteen(s, q, groupOf, gq, kbar, vbar, bias, row, t, alpha, rowMax, rowSum, out);
                    row += 16;
                } else {
                    scoreOne(s, q, groupOf, gq, kbar, vbar, bias, row, t, alpha, rowMax, rowSum, out);
                    row++;
                }
            }
        });
        long routing = 2L * pairs * nk * d * h + (byMass ? 2L * pairs * nq * MassBeam.dots(h, beam) * d : 2L * pairs * nq * d * h);
        long aggregation = (long) pairs * ((long) nk + nodes + nodes) * (d + dv);
        long scoring = 2L * groupsUsed * (d + dv);
        long backward = 4L * groupsUsed * (d + dv) + 3L * pairs * nodes * (d + dv) + (long) pairs * nk * (d + dv);
        if (treeGrad && h > 0) {
            int internal = leaves - 1;
            backward += 2L * pairs * (nq + nk) * nodes * (d + dv) + 4L * pairs * (nq + nk) * internal * d + 8L * pairs * (nq + nk) * nodes;
        }
        long bytes = workingBytes(s, nodes, gq);
        return new Context(s, mask, q, k, v, out, leafQ, leafK, count, kbar, vbar, bias, groupOf, gq, alpha, rowMax, rowSum, routing + aggregation + scoring, backward, bytes);
    }

    /** Rows a .. b's hyperplane leaves into leafQ and their groups into groupOf (h + 1 per query). */
    private void pathGroups(AttentionShape s, float[] q, int a, int b, int[] leafQ, int[] groupOf, int[] one) {
        int h = trees.height(), leaves = 1 << h, nodes = 2 * leaves - 1, gq = h + 1;
        trees.routeRows(s, q, s.nq(), a, b, leafQ);
        for (int row = a; row < b; row++) {
            groupNodes(groups, h, leaves - 1 + leafQ[row], one);
            int base = (row / s.nq()) * nodes;
            for (int l = 0; l < gq; l++) groupOf[row * gq + l] = base + one[l];
        }
    }

    /**
     * Each query's groups from the leaves of its descent by mass (node key sums in sums, counts in count, before the
     * division into centroids); slots past a query's groups point at none. Returns how many slots hold a node.
     */
    private long beamGroups(AttentionShape s, float[] q, float[] count, float[] sums, int[] groupOf, int gq, int none) {
        int h = trees.height(), nodes = (2 << h) - 1, nq = s.nq(), d = s.d();
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] logCount = new float[none], perKey = new float[none];
        for (int node = 0; node < none; node++) MassBeam.weigh((int) count[node], scale, logCount, perKey, node);
        LongAdder used = new LongAdder();
        Parallel.forRanges(s.pairs() * nq, 256, (a, b) -> {
            MassBeam.Frontier frontier = new MassBeam.Frontier(beam);
            BeamSubtree subtree = new BeamSubtree(h);
            long filled = 0;
            for (int row = a; row < b; row++) { // row of q [pairs, nq, d] is query row % nq of pair row / nq
                int base = (row / nq) * nodes;
                int found = MassBeam.descend(h, frontier, logCount, perKey, base, sums, base * d, q, row * d, d);
                int n = subtree.groups(groups, frontier, found, groupOf, row * gq);
                for (int l = 0; l < n; l++) groupOf[row * gq + l] += base;
                Arrays.fill(groupOf, row * gq + n, (row + 1) * gq, none);
                filled += n;
            }
            used.add(filled);
        });
        return used.sum();
    }

    /**
     * Keys per piece of the key pass: 4096, or 2048 for a pair of at most 4096 keys, so that two threads share its pass
     * (smaller pieces at every length cost more in piece sums than they gain: n=16384 measured 1.056x). A function of
     * the length only, so the leaf sums' order of additions never depends on the threads.
     */
    static int pieceKeys(int nk) {
        return nk <= 4096 ? 2048 : 4096;
    }

    /**
     * Routes the keys (leafK) and sums the unpadded keys and values, and counts them, per leaf. Each piece of
     * {@link #pieceKeys} keys of a pair routes its keys a block at a time and adds each block, still in cache, into
     * its own leaf sums in token order; the pieces' sums are then added in piece order. (A pair of at most one piece:
     * the sums of a per-leaf pass over the keys bucketed by a stable sort, the same bits.)
     */
    private void leafSums(AttentionShape s, float[] k, float[] v, boolean[] pad, int[] leafK, float[] count, float[] kbar, float[] vbar) {
        int leaves = 1 << trees.height(), nodes = 2 * leaves - 1, nk = s.nk(), d = s.d(), dv = s.dv(), width = d + dv + 1;
        int pieceKeys = pieceKeys(nk), pieces = Math.ceilDiv(nk, pieceKeys);
        float[] partial = new float[s.pairs() * pieces * leaves * width]; // per piece and leaf: key sum, value sum, count
        Parallel.forEach(s.pairs() * pieces, task -> {
            int pair = task / pieces, piece = task % pieces, batch = pair / s.heads(), at = task * leaves * width;
            DecisionTree tree = trees.tree(pair % s.heads());
            for (int j0 = piece * pieceKeys, end = Math.min(nk, j0 + pieceKeys); j0 < end; j0 += KEY_BLOCK) {
                int rows = Math.min(KEY_BLOCK, end - j0), first = pair * nk + j0;
                tree.route(k, first * d, d, rows, leafK, first);
                for (int j = 0; j < rows; j++) {
                    if (pad != null && pad[batch * nk + j0 + j]) continue;
                    int slot = at + leafK[first + j] * width;
                    VecOps.axpy(1f, k, (first + j) * d, partial, slot, d);
                    VecOps.axpy(1f, v, (first + j) * dv, partial, slot + d, dv);
                    partial[slot + d + dv]++;
                }
            }
        });
        Parallel.forRanges(s.pairs() * leaves, 32, (a, b) -> { // leaf by leaf, pieces in order whatever the threads
            for (int t = a; t < b; t++) {
                int pair = t / leaves, leaf = t % leaves, slot = pair * nodes + leaves - 1 + leaf;
                for (int piece = 0; piece < pieces; piece++) {
                    int from = ((pair * pieces + piece) * leaves + leaf) * width;
                    if (piece == 0) {
                        System.arraycopy(partial, from, kbar, slot * d, d);
                        System.arraycopy(partial, from + d, vbar, slot * dv, dv);
                        count[slot] = partial[from + d + dv];
                    } else {
                        VecOps.axpy(1f, partial, from, kbar, slot * d, d);
                        VecOps.axpy(1f, partial, from + d, vbar, slot * dv, dv);
                        count[slot] += partial[from + d + dv];
                    }
                }
            }
        });
    }

    /** Keys routed at a time in the key pass, then added while their rows are in cache. */
    private static final int KEY_BLOCK = 64;

    /** Internal nodes' sums and counts bottom-up from the leaves'. */
    private static void subtreeSums(int pairs, int leaves, int d, int dv, float[] count, float[] kbar, float[] vbar) {
        int nodes = 2 * leaves - 1;
        Parallel.forEach(pairs, pair -> {
            int base = pair * nodes;
            for (int n = leaves - 2; n >= 0; n--) {
                int slot = base + n, left = base + 2 * n + 1, right = base + 2 * n + 2;
                count[slot] = count[left] + count[right];
                for (int c = 0; c < d; c++) kbar[slot * d + c] = kbar[left * d + c] + kbar[right * d + c];
                for (int c = 0; c < dv; c++) vbar[slot * dv + c] = vbar[left * dv + c] + vbar[right * dv + c];
            }
        });
    }

    /** Every node's sums divided by its count: the centroids. */
    private static void divideByCounts(int pairs, int nodes, int d, int dv, float[] count, float[] kbar, float[] vbar) {
        Parallel.forEach(pairs, pair -> {
            int base = pair * nodes;
            for (int n = 0; n < nodes; n++) {
                int slot = base + n;
                if (count[slot] == 0) continue;
                float inv = 1f / count[slot];
                for (int c = 0; c < d; c++) kbar[slot * d + c] *= inv;
                for (int c = 0; c < dv; c++) vbar[slot * dv + c] *= inv;
            }
        });
    }

    /** Per-thread scratch for scoring: group nodes, offsets and scores of up to sixteen queries. */
    private static final class QueryScratch {
        int[] group = new int[0], kAt = new int[16], qAt = new int[16], node = new int[16];
        float[] e = new float[0], park = new float[64];

        QueryScratch fit(int groupsPerQuery) {
            if (group.length < 16 * groupsPerQuery) {
                group = new int[16 * groupsPerQuery];
                e = new float[16 * groupsPerQuery];
                node = new int[Math.max(16, groupsPerQuery)];
            }
            return this;
        }
    }

    private static final ThreadLocal<QueryScratch> QUERY_SCRATCH = ThreadLocal.withInitial(QueryScratch::new);

    /**
     * Sixteen queries (rows row0 .. row0 + 15 of one pair) on 16-lane vectors: per group level, their sixteen scores come
     * out of one {@link SixteenDots} call, lane i being query i, so the softmax over levels is lane-wise; then each
     * query's output is the weighted sum of its groups' value centroids. The same bits as {@link #scoreOne}.
     */
    private static void scoreSixteen(AttentionShape s, float[] q, int[] groupOf, int gq, float[] kbar, float[] vbar, float[] bias, int row0,
                                     QueryScratch t, float[] alpha, float[] rowMax, float[] rowSum, float[] out) {
        int d = s.d(), dv = s.dv();
        float scale = (float) (1.0 / Math.sqrt(d));
        int[] g = t.group;
        for (int i = 0; i < 16; i++) {
            for (int l = 0; l < gq; l++) g[l * 16 + i] = groupOf[(row0 + i) * gq + l];
            t.qAt[i] = (row0 + i) * d;
        }
        FloatVector max = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        for (int l = 0; l < gq; l++) {
            for (int i = 0; i < 16; i++) t.kAt[i] = g[l * 16 + i] * d;
            SixteenDots.into(kbar, t.kAt, q, t.qAt, d, t.e, l * 16, t.park);
            FloatVector b = FloatVector.fromArray(SPECIES, bias, 0, g, l * 16);
            FloatVector e = FloatVector.fromArray(SPECIES, t.e, l * 16).mul(scale).add(b)
                    .blend(Float.NEGATIVE_INFINITY, b.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
            e.intoArray(t.e, l * 16);
            max = max.max(e);
        }
        // A query whose groups are all empty (every key padded) keeps weight 0 everywhere instead of exp(-inf - -inf).
        VectorMask<Float> none = max.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY);
        FloatVector shift = max.blend(0f, none), sum = FloatVector.zero(SPECIES);
        for (int l = 0; l < gq; l++) {
            FloatVector p = SpecialFunctions.exp(FloatVector.fromArray(SPECIES, t.e, l * 16).sub(shift));
            p.intoArray(t.e, l * 16);
            sum = sum.add(p);
        }
        FloatVector divisor = sum.blend(1f, none);
        for (int l = 0; l < gq; l++) FloatVector.fromArray(SPECIES, t.e, l * 16).div(divisor).intoArray(t.e, l * 16);
        max.intoArray(rowMax, row0);
        sum.intoArray(rowSum, row0);
        for (int i = 0; i < 16; i++) {
            int row = row0 + i;
            for (int l = 0; l < gq; l++) {
                alpha[row * gq + l] = t.e[l * 16 + i];
                t.node[l] = g[l * 16 + i] * dv;
            }
            combine(vbar, t.node, alpha, row * gq, gq, out, row * dv, dv);
        }
    }

    /**
     * out[o ..] = sum_l w[wOff + l] * vbar[at[l] ..] over dv floats, in order of l, skipping zero weights: the bits of
     * zeroing the row and adding each group with an axpy, kept in registers per 16-float column block.
     */
    private static void combine(float[] vbar, int[] at, float[] w, int wOff, int gq, float[] out, int o, int dv) {
        int c = 0, lanes = SPECIES.length();
        for (; c + 4 * lanes <= dv; c += 4 * lanes) { // four column vectors at a time, each group's weight broadcast once
            FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
            for (int l = 0; l < gq; l++) {
                float wl = w[wOff + l];
                if (wl == 0f) continue;
                FloatVector b = FloatVector.broadcast(SPECIES, wl);
                int x = at[l] + c;
                a0 = b.fma(FloatVector.fromArray(SPECIES, vbar, x), a0);
                a1 = b.fma(FloatVector.fromArray(SPECIES, vbar, x + lanes), a1);
                a2 = b.fma(FloatVector.fromArray(SPECIES, vbar, x + 2 * lanes), a2);
                a3 = b.fma(FloatVector.fromArray(SPECIES, vbar, x + 3 * lanes), a3);
            }
            a0.intoArray(out, o + c);
            a1.intoArray(out, o + c + lanes);
            a2.intoArray(out, o + c + 2 * lanes);
            a3.intoArray(out, o + c + 3 * lanes);
        }
        for (; c + lanes <= dv; c += lanes) {
            FloatVector acc = FloatVector.zero(SPECIES);
            for (int l = 0; l < gq; l++) {
                float wl = w[wOff + l];
                if (wl != 0f) acc = FloatVector.broadcast(SPECIES, wl).fma(FloatVector.fromArray(SPECIES, vbar, at[l] + c), acc);
            }
            acc.intoArray(out, o + c);
        }
        for (; c < dv; c++) {
            float acc = 0f;
            for (int l = 0; l < gq; l++) if (w[wOff + l] != 0f) acc = Math.fma(w[wOff + l], vbar[at[l] + c], acc);
            out[o + c] = acc;
        }
    }

    /** One query, lane by lane what {@link #scoreSixteen} does for sixteen (same operations, same bits). */
    private static void scoreOne(AttentionShape s, float[] q, int[] groupOf, int gq, float[] kbar, float[] vbar, float[] bias, int row,
                                 QueryScratch t, float[] alpha, float[] rowMax, float[] rowSum, float[] out) {
        int d = s.d(), dv = s.dv();
        float scale = (float) (1.0 / Math.sqrt(d));
        int[] g = t.node;
        float[] e = t.e;
        System.arraycopy(groupOf, row * gq, g, 0, gq);
        float max = Float.NEGATIVE_INFINITY;
        for (int l = 0; l < gq; l++) {
            float b = bias[g[l]];
            e[l] = b == Float.NEGATIVE_INFINITY ? b : VecOps.dot(kbar, g[l] * d, q, row * d, d) * scale + b;
            max = Math.max(max, e[l]);
        }
        float shift = max == Float.NEGATIVE_INFINITY ? 0f : max, sum = 0f;
        for (int l = 0; l < gq; l++) sum += e[l] = SpecialFunctions.exp(FloatVector.broadcast(SPECIES, e[l] - shift)).lane(0);
        rowMax[row] = max;
        rowSum[row] = sum;
        for (int l = 0; l < gq; l++) {
            alpha[row * gq + l] = e[l] / (max == Float.NEGATIVE_INFINITY ? 1f : sum);
            g[l] = g[l] * dv;
        }
        combine(vbar, g, alpha, row * gq, gq, out, row * dv, dv);
    }

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private int piecesPerPair(AttentionShape s) {
        return Math.max(1, Math.min(Math.max(1, s.nq() / 256), Math.ceilDiv(2 * Parallel.threads(), s.pairs())));
    }

    @Override
    public void backward(Saved saved, float[] dOut, float[] dq, float[] dk, float[] dv) {
        if (!(saved instanceof Context c)) throw new IllegalArgumentException("tc attention backward got state from " + saved.getClass().getSimpleName());
        AttentionShape s = c.shape();
        s.checkGradients(dOut, dq, dk, dv);
        int h = trees.height(), leaves = 1 << h, nodes = (2 << h) - 1, gq = c.gq();
        int pairs = s.pairs(), nq = s.nq(), nk = s.nk(), d = s.d(), w = s.dv();
        float scale = (float) (1.0 / Math.sqrt(d));
        int pieces = piecesPerPair(s);
        int stride = nodes * (d + w + 1);
        float[] lse = ScoreRows.logSumExp(c.rowMax(), c.rowSum()); // +inf where every key was padded
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
                if (lse[row] == Float.POSITIVE_INFINITY) continue;
                for (int l = 0; l < gq; l++) g[l] = c.groupOf()[row * gq + l] - base; // the node within the pair
                float dot = 0f;
                for (int l = 0; l < gq; l++) {
                    float al = c.alpha()[row * gq + l];
                    da[l] = al == 0f ? 0f : VecOps.dot(dOut, row * w, c.vbar(), (base + g[l]) * w, w);
                    dot += al * da[l];
                }
                for (int l = 0; l < gq; l++) {
                    float al = c.alpha()[row * gq + l];
                    if (al == 0f) continue;
                    float de = al * (da[l] - dot);
                    VecOps.axpy(de * scale, c.kbar(), (base + g[l]) * d, dq, row * d, d);
                    VecOps.axpy(de * scale, c.q(), row * d, acc, a0 + g[l] * d, d);
                    VecOps.axpy(al, dOut, row * w, acc, aV + g[l] * w, w);
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
            TreeSurrogate.accumulate(trees, groups, countBias, c, dOut, lse, acc, pieces, stride, routeGrad ? dq : null, routeGrad ? dk : null);
        }
    }

    private long workingBytes(AttentionShape s, int nodes, int gq) {
        int pairs = s.pairs(), d = s.d(), w = s.dv();
        int leaves = (nodes + 1) / 2, pieces = Math.ceilDiv(s.nk(), pieceKeys(s.nk()));
        long forward = 4L * pairs * (s.nq() + s.nk()) /* leaf ids */ + 4L * pairs * nodes * (2 + d + w) /* counts, bias, centroids */
                + 4L * pairs * pieces * leaves * (d + w + 1) /* the key pass's piece sums */ + 4L * pairs * s.nq() * (gq + 2) /* alpha, max, sum */
                + Parallel.threads() * 4L * (2 * 16 * gq + 48 + 64) /* per-thread scoring scratch */
                + 4L * pairs * s.nq() * gq /* group nodes */ + (byMass ? 8L * pairs * nodes /* the descent's log counts and per-key scales */ : 0);
        long backward = 4L * pairs * piecesPerPair(s) * nodes * (d + w + 1) + 4L * pairs * nodes * (d + w);
        if (treeGrad && trees.height() > 0) backward += TreeSurrogate.workingBytes(s, trees.height());
        return forward + backward;
    }

    /** The subtree of one query's beam paths, and the groups it gives; reused query after query (stamped, not cleared). */
    private static final class BeamSubtree {
        private final int internal;
        private final int[] stamp, queue;
        private int generation;

        BeamSubtree(int height) {
            this.internal = (1 << height) - 1;
            this.stamp = new int[(2 << height) - 1];
            this.queue = new int[(2 << height) - 1];
        }

        /** Writes the groups of the leaves f.leaf(0 .. found - 1) to out from at, in node order; returns how many. */
        int groups(CentroidGroups kind, MassBeam.Frontier f, int found, int[] out, int at) {
            if (found == 0) return 0;
            int gen = ++generation;
            for (int i = 0; i < found; i++) { // each leaf's path, up to the first node already in S
                for (int node = internal + f.leaf(i); stamp[node] != gen; node = (node - 1) / 2) {
                    stamp[node] = gen;
                    if (node == 0) break;
                }
            }
            // S breadth first from the root: S holds every parent of its nodes and a level's ids are consecutive, so
            // nodes come off the queue, and their children out, in increasing order (no sort).
            int head = 0, tail = 0, n = 0;
            queue[tail++] = 0;
            if (kind == CentroidGroups.PATH) out[at + n++] = 0;
            while (head < tail) {
                int node = queue[head++];
                if (node >= internal) continue;
                for (int child = 2 * node + 1; child <= 2 * node + 2; child++) {
                    boolean inS = stamp[child] == gen;
                    if (inS) queue[tail++] = child;
                    // path: every node of S; siblings: S's leaves and the children S leaves out
                    if (kind == CentroidGroups.PATH ? inS : !inS || child >= internal) out[at + n++] = child;
                }
            }
            return n;
        }
    }
}
