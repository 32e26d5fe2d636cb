package dev.canopy.attention.tree;

import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionShape;
import dev.canopy.kernels.Parallel;
import dev.canopy.nn.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One {@link DecisionTree} per head of one attention layer, plus the routing of whole [batch, heads, n, d] tensors.
 *
 * <p>A bank created with {@code init=data} (the default) is fitted lazily: the first forward that finds a tree never
 * initialised runs the balanced initialisation on that call's (unpadded) keys of the head, at most
 * {@link #MAX_INIT_KEYS} of them taken at an even stride. {@code init=random} draws random hyperplanes at construction.
 * A two-level schedule fits the trees explicitly from a dense model's keys instead ({@link TreeformerSchedule}). Trees
 * whose parameters were loaded (any non-zero weight) are never refitted.
 */
public final class TreeBank {
    /** Keys per head used by the lazy balanced initialisation (an even-stride sample above this). */
    public static final int MAX_INIT_KEYS = 16384;

    private final DecisionTree[] trees;
    private final long seed;

    public TreeBank(int heads, int height, int dim, boolean randomInit, long seed) {
        this.trees = new DecisionTree[heads];
        this.seed = seed;
        for (int h = 0; h < heads; h++) {
            trees[h] = new DecisionTree("tree.head" + h, height, dim);
            if (randomInit) trees[h].initRandom(seed * 1_000_003L + h);
        }
    }

    TreeBank(DecisionTree[] trees, long seed) {
        this.trees = trees.clone();
        this.seed = seed;
    }

    public int heads() { return trees.length; }
    public int height() { return trees[0].height(); }
    public int dim() { return trees[0].dim(); }
    public DecisionTree tree(int head) { return trees[head]; }

    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>();
        for (DecisionTree t : trees) all.addAll(t.parameters());
        return List.copyOf(all);
    }

    /** A bank with copies of these trees (same weights, fresh gradients). */
    public TreeBank copy() {
        DecisionTree[] next = new DecisionTree[trees.length];
        for (int h = 0; h < trees.length; h++) next[h] = trees[h].copy("tree.head" + h);
        return new TreeBank(next, seed);
    }

    /** A bank one level deeper: kept hyperplanes plus a balanced new level fitted on sample keys [heads, rows, d]. */
    public TreeBank grow(float[] keys, int rows) {
        checkSample(keys, rows);
        DecisionTree[] next = new DecisionTree[trees.length];
        int d = dim();
        for (int h = 0; h < trees.length; h++) {
            float[] headKeys = Arrays.copyOfRange(keys, h * rows * d, (h + 1) * rows * d);
            next[h] = trees[h].grow("tree.head" + h, headKeys, rows, seed * 1_000_003L + h);
        }
        return new TreeBank(next, seed);
    }

    /** Balanced initialisation of every head's tree from sample keys laid out [heads, rows, d]. */
    public void initBalanced(float[] keys, int rows) {
        checkSample(keys, rows);
        int d = dim();
        for (int h = 0; h < trees.length; h++) {
            trees[h].initBalanced(Arrays.copyOfRange(keys, h * rows * d, (h + 1) * rows * d), rows, seed * 1_000_003L + h);
        }
    }

    /**
     * Refits every head's tree, balanced, on at most {@link #MAX_INIT_KEYS} of the sample's keys [heads, rows, d], taken
     * at an even stride as the lazy fit takes them (a fit's cost grows with its keys, and a step at 16,384 tokens
     * holds four times that many).
     */
    public void refitBalanced(float[] keys, int rows) {
        checkSample(keys, rows);
        int d = dim(), take = Math.min(rows, MAX_INIT_KEYS), stride = rows / take;
        float[] sample = new float[trees.length * take * d];
        for (int h = 0; h < trees.length; h++) {
            for (int i = 0; i < take; i++) System.arraycopy(keys, (h * rows + i * stride) * d, sample, (h * take + i) * d, d);
        }
        initBalanced(sample, take);
    }

    private void checkSample(float[] keys, int rows) {
        if (rows <= 0 || keys == null || keys.length != (long) trees.length * rows * dim()) {
            throw new IllegalArgumentException("tree init sample must be [heads=" + trees.length + ", rows, d=" + dim() + "] with rows > 0, got "
                    + (keys == null ? "null" : keys.length + " floats") + " for rows=" + rows);
        }
    }

    public void checkShape(AttentionShape s, String family) {
        if (s.heads() != trees.length || s.d() != dim()) {
            throw new IllegalArgumentException(family + " attention was built for heads=" + trees.length + " d=" + dim() + " but got " + s);
        }
    }

    /** Whether every tree holds hyperplanes (fitted, loaded or set), so no call will fit one. */
    boolean initialised() {
        for (DecisionTree t : trees) if (!t.initialised()) return false;
        return true;
    }

    /** Fits every tree that was never initialised from this call's unpadded keys (see class comment). */
    void ensureInitialised(AttentionShape s, float[] k, AttentionMask mask) {
        if (initialised()) return;
        synchronized (this) {
            int d = s.d(), nk = s.nk();
            for (int h = 0; h < trees.length; h++) {
                if (trees[h].initialised()) continue;
                int valid = 0;
                for (int b = 0; b < s.batch(); b++) for (int j = 0; j < nk; j++) if (!padded(mask, b * nk + j)) valid++;
                int take = Math.min(valid, MAX_INIT_KEYS), stride = Math.max(1, valid / Math.max(1, take));
                float[] sample = new float[take * d];
                int seen = 0, rows = 0;
                for (int b = 0; b < s.batch() && rows < take; b++) {
                    for (int j = 0; j < nk && rows < take; j++) {
                        if (padded(mask, b * nk + j)) continue;
                        if (seen++ % stride != 0) continue;
                        System.arraycopy(k, ((b * s.heads() + h) * nk + j) * d, sample, rows * d, d);
                        rows++;
                    }
                }
                trees[h].initBalanced(sample, rows, seed * 1_000_003L + h);
            }
        }
    }

    private static boolean padded(AttentionMask mask, int index) {
        return mask.keyPadding() != null && mask.keyPadding()[index];
    }

    /**
     * {leaves of q, leaves of k}: leaf[pair * n + i] = leaf of row i of x [pairs, n, d] in its head's tree. One parallel
     * job over the rows of both, so the threads meet once rather than once per tensor.
     */
    int[][] route(AttentionShape s, float[] q, int nq, float[] k, int nk) {
        int[] lq = new int[s.pairs() * nq], lk = new int[s.pairs() * nk];
        if (height() > 0) {
            int split = lq.length;
            Parallel.forRanges(split + lk.length, 512, (a, b) -> { // rows below split are q's, the rest k's
                if (a < split) routeRows(s, q, nq, a, Math.min(b, split), lq);
                if (b > split) routeRows(s, k, nk, Math.max(a, split) - split, b - split, lk);
            });
        }
        return new int[][] {lq, lk};
    }

    /** Leaves of k alone (leaf[pair * nk + j]), for queries that are routed otherwise. */
    int[] routeKeys(AttentionShape s, float[] k, int nk) {
        return route(s, null, 0, k, nk)[1];
    }

    /** leaf[r] for the rows r in [a, b) of x [pairs, n, d] (r counts rows across pairs), on the calling thread. */
    void routeRows(AttentionShape s, float[] x, int n, int a, int b, int[] leaf) {
        int d = s.d(), heads = s.heads();
        for (int r = a; r < b; ) { // split the range where it crosses into the next (batch, head) pair
            int end = Math.min(b, (r / n + 1) * n);
            trees[(r / n) % heads].route(x, r * d, d, end - r, leaf, r);
            r = end;
        }
    }
}
