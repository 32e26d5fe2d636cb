package dev.canopy.decode;

import dev.canopy.attention.tree.DecisionTree;
import dev.canopy.attention.tree.MassBeam;
import dev.canopy.kernels.RowOps;
import dev.canopy.kernels.VecOps;
import dev.canopy.nn.CounterRng;
import java.util.Arrays;

/**
 * Tree retrieval over the cache: one oblique decision tree per layer and head, fitted (balanced splits, as the
 * Treeformer trees are initialised) on the keys the cache holds when {@link #fit} is called, typically the prompt's.
 * From then on every key is routed into its leaf as it is appended (and dropped from it when a sliding window
 * overwrites its slot), and a new query, routed by the same tree, attends:
 *
 * <ul>
 *   <li>{@code tf}: to the keys of its own leaf only (TF attention; an empty leaf gives zeros);</li>
 *   <li>{@code tc}: to its leaf's keys plus, for each of the h subtrees its path turns away from, one centroid: the
 *       mean key and mean value of that subtree's keys, scored with log(count) added so that it stands for all of
 *       them (our decode-time reading of TC's path centroids: every cached key is still represented).</li>
 * </ul>
 *
 * With {@code local=W} the query also attends exactly to the W most recent positions (whatever leaves they are in;
 * a recent key is counted once), as decode-time retrieval usually keeps a local window: a language model leans on the
 * last few bytes most, and a tree fitted to keys alone need not route a query to them. The centroids still count the
 * recent keys of their subtrees (a small double count, kept for O(1) updates).
 *
 * <p>With {@code route=mass} a query does not follow the hyperplanes (fitted to keys, they say nothing about queries)
 * but, at every node, the child whose keys promise more attention: the larger log(count) + q · mean key / sqrt(d), the
 * log of the child's softmax mass were all its keys at their mean (our choice; the partition itself stays the fitted
 * tree's). It costs two centroid dot products per level. With {@code beam=B} (tf only, routing by mass) the descent
 * keeps the B most promising nodes of each level and the query attends to the keys of all B leaves it ends in: B times
 * the keys of one leaf, and 2B centroid dot products per level.
 *
 * <p>A decode step then reads one leaf (about n / 2^h keys and values) plus h tree nodes (and h centroids), not the whole
 * cache. Leaves are doubly linked lists over slots, and the centroids running sums, so appending and overwriting cost
 * O(h d) and nothing is allocated per token. Height 0 (one leaf) is exact attention. Until fitted it attends exactly.
 */
public final class TreeCacheAttention implements CacheAttention {
    private static final int NONE = -1;
    private final KvCache cache;
    private final int height, local, beam;
    private final boolean centroids, byMass;
    private final long seed;
    private final float scale;
    private final DecisionTree[][] trees; // [layer][head], null until fitted
    private final int[][][] leafOf, next, prev; // [layer][head][slot]
    private final int[][][] first;            // [layer][head][leaf]: head of the leaf's list
    private final int[][][] count;            // [layer][head][node]: keys under the node
    private final float[][][] keySum, valueSum; // [layer][head][node * d] (centroids only)
    private final float[][][] logCount, perKey; // [layer][head][node]: a node's mass factors (by mass only; MassBeam.weigh)
    private final float[][] scores, weights;  // per head [capacity + height]
    private final int[][] gathered;           // per head [capacity + height]: leaf slots, then centroid nodes
    private final MassBeam.Frontier[] frontier; // per head: a beam descent's working memory and leaves

    /**
     * Tree retrieval over a cache, choosing how queries are routed.
     *
     * @param cache     the cache it reads
     * @param height    the trees' height (2^height leaves)
     * @param centroids whether the query also attends to the centroids of the subtrees off its path (tc)
     * @param local     recent positions every query also attends to (0 for none)
     * @param byMass    route queries to the child with the larger estimated attention mass, not by the hyperplanes
     * @param beam      leaves a query attends to (more than 1: tf routed by mass only)
     * @param seed      seed of the tree fitting
     */
    public TreeCacheAttention(KvCache cache, int height, boolean centroids, int local, boolean byMass, int beam, long seed) {
        String name = centroids ? "tc" : "tf";
        if (height < 0 || height > 16) throw new IllegalArgumentException(name + ": h must be in [0, 16], got " + height);
        if (local < 0) throw new IllegalArgumentException(name + ": local must be >= 0, got " + local);
        if (beam < 1) throw new IllegalArgumentException(name + ": beam must be at least 1, got " + beam);
        if (beam > 1 && (centroids || !byMass)) throw new IllegalArgumentException(name + ": beam > 1 needs tf with route=mass (tc's centroids follow one path)");
        this.cache = cache;
        this.height = height;
        this.local = local;
        this.byMass = byMass;
        this.beam = beam;
        this.centroids = centroids;
        this.seed = seed;
        this.scale = (float) (1 / Math.sqrt(cache.headDim()));
        int layers = cache.layers(), heads = cache.heads(), cap = cache.capacity(), d = cache.headDim();
        int leaves = 1 << height, nodes = (2 << height) - 1;
        trees = new DecisionTree[layers][heads];
        leafOf = new int[layers][heads][cap];
        next = new int[layers][heads][cap];
        prev = new int[layers][heads][cap];
        first = new int[layers][heads][leaves];
        count = new int[layers][heads][nodes];
        keySum = new float[layers][heads][centroids || byMass ? nodes * d : 0];
        valueSum = new float[layers][heads][centroids ? nodes * d : 0];
        logCount = new float[layers][heads][byMass ? nodes : 0];
        perKey = new float[layers][heads][byMass ? nodes : 0];
        scores = new float[heads][cap + height];
        weights = new float[heads][cap + height];
        gathered = new int[heads][cap + height];
        frontier = new MassBeam.Frontier[heads];
        for (int h = 0; h < heads; h++) frontier[h] = new MassBeam.Frontier(beam);
        clear();
    }

    @Override
    public String spec() {
        return (centroids ? "tc" : "tf") + ":h=" + height + (local > 0 ? ",local=" + local : "") + (beam > 1 ? ",beam=" + beam : byMass ? ",route=mass" : "");
    }

    @Override
    public boolean needsFit() {
        return trees[0][0] == null;
    }

    @Override
    public void clear() {
        for (int l = 0; l < cache.layers(); l++) {
            for (int h = 0; h < cache.heads(); h++) {
                Arrays.fill(first[l][h], NONE);
                Arrays.fill(count[l][h], 0);
                Arrays.fill(keySum[l][h], 0f);
                Arrays.fill(valueSum[l][h], 0f);
                Arrays.fill(logCount[l][h], Float.NEGATIVE_INFINITY);
                Arrays.fill(perKey[l][h], 0f);
            }
        }
    }

    @Override
    public void fit() {
        int n = cache.length(), d = cache.headDim();
        clear();
        for (int l = 0; l < cache.layers(); l++) {
            for (int h = 0; h < cache.heads(); h++) {
                DecisionTree tree = new DecisionTree("decode." + l + "." + h, height, d);
                if (n > 0) tree.initBalanced(Arrays.copyOfRange(cache.keys(l), cache.offset(h, 0), cache.offset(h, n)), n, CounterRng.mix(seed, l * 1000L + h));
                else tree.initRandom(CounterRng.mix(seed, l * 1000L + h));
                trees[l][h] = tree;
                for (int slot = 0; slot < n; slot++) added(l, h, slot);
            }
        }
    }

    @Override
    public void added(int layer, int head, int slot) {
        DecisionTree tree = trees[layer][head];
        if (tree == null) return;
        int d = cache.headDim(), at = cache.offset(head, slot);
        int leaf = tree.leaf(cache.keys(layer), at);
        leafOf[layer][head][slot] = leaf;
        int[] f = first[layer][head], nx = next[layer][head], pv = prev[layer][head];
        nx[slot] = f[leaf];
        pv[slot] = NONE;
        if (f[leaf] != NONE) pv[f[leaf]] = slot;
        f[leaf] = slot;
        for (int node = tree.leafNode(leaf); ; node = (node - 1) / 2) {
            count[layer][head][node]++;
            if (byMass) MassBeam.weigh(count[layer][head][node], scale, logCount[layer][head], perKey[layer][head], node);
            if (centroids || byMass) VecOps.axpy(1f, cache.keys(layer), at, keySum[layer][head], node * d, d);
            if (centroids) VecOps.axpy(1f, cache.values(layer), at, valueSum[layer][head], node * d, d);
            if (node == 0) break;
        }
    }

    @Override
    public void removing(int layer, int head, int slot) {
        DecisionTree tree = trees[layer][head];
        if (tree == null) return;
        int d = cache.headDim(), at = cache.offset(head, slot), leaf = leafOf[layer][head][slot];
        int[] f = first[layer][head], nx = next[layer][head], pv = prev[layer][head];
        if (pv[slot] != NONE) nx[pv[slot]] = nx[slot];
        else f[leaf] = nx[slot];
        if (nx[slot] != NONE) pv[nx[slot]] = pv[slot];
        for (int node = tree.leafNode(leaf); ; node = (node - 1) / 2) {
            count[layer][head][node]--;
            if (byMass) MassBeam.weigh(count[layer][head][node], scale, logCount[layer][head], perKey[layer][head], node);
            if (centroids || byMass) VecOps.axpy(-1f, cache.keys(layer), at, keySum[layer][head], node * d, d);
            if (centroids) VecOps.axpy(-1f, cache.values(layer), at, valueSum[layer][head], node * d, d);
            if (node == 0) break;
        }
    }

    @Override
    public long attend(int layer, int head, float[] q, int qOff, float[] out, int outOff) {
        DecisionTree tree = trees[layer][head];
        if (tree == null) return ExactCacheAttention.attendAll(cache, layer, head, q, qOff, out, outOff, scores[head], scale);
        int d = cache.headDim(), base = cache.offset(head, 0);
        float[] keys = cache.keys(layer), values = cache.values(layer), s = scores[head];
        int[] slots = gathered[head], nx = next[layer][head];
        int cap = cache.capacity(), recent = Math.min(local, cache.length()), current = (int) ((cache.positions() - 1) % cap), m = 0;
        for (int i = 0; i < recent; i++) slots[m++] = Math.floorMod(current - i, cap);
        int leaf, probed = 1;
        if (byMass) {
            probed = MassBeam.descend(height, frontier[head], logCount[layer][head], perKey[layer][head], 0, keySum[layer][head], 0, q, qOff, cache.headDim());
            leaf = probed > 0 ? frontier[head].leaf(0) : 0; // an empty tree: no leaf holds a key
        } else {
            leaf = tree.leaf(q, qOff);
        }
        for (int i = 0; i < probed; i++) {
            int from = byMass ? frontier[head].leaf(i) : leaf;
            for (int slot = first[layer][head][from]; slot != NONE; slot = nx[slot]) {
                if (Math.floorMod(current - slot, cap) < recent) continue; // already in the local window
                slots[m++] = slot;
            }
        }
        // Slots first, then one pass over their keys: the loads do not wait on the walk along the leaf's list.
        CacheKernels.scoresAt(q, qOff, keys, base, slots, m, d, scale, s);
        // The centroids of the subtrees the query's path turns away from, one per level.
        int c = 0;
        int[] under = count[layer][head];
        if (centroids) {
            for (int node = tree.leafNode(leaf); node > 0; node = (node - 1) / 2) {
                int sibling = node % 2 == 1 ? node + 1 : node - 1;
                int keysThere = under[sibling];
                if (keysThere == 0) continue;
                float dot = VecOps.dot(q, qOff, keySum[layer][head], sibling * d, d) / keysThere;
                s[m + c] = dot * scale + (float) Math.log(keysThere);
                slots[m + c] = sibling; // a node id here, not a slot
                c++;
            }
        }
        long nodesRead = byMass ? 2L * beam * height : height;
        long read = nodesRead * d * Float.BYTES + 2L * (m + 2 * c) * d * Float.BYTES;
        if (m + c == 0) {
            Arrays.fill(out, outOff, outOff + d, 0f);
            return read;
        }
        float[] p = weights[head];
        RowOps.softmax(s, 0, p, 0, m + c);
        CacheKernels.weightedSumAt(p, values, base, slots, m, d, out, outOff);
        for (int i = m; i < m + c; i++) VecOps.axpy(p[i] / under[slots[i]], valueSum[layer][head], slots[i] * d, out, outOff, d);
        return read;
    }
}
