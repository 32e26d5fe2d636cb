package dev.canopy.attention.tree;

import dev.canopy.kernels.VecOps;
import dev.canopy.nn.Parameter;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntPredicate;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * A complete oblique binary decision tree of height h over d-dimensional vectors (one per layer and head).
 *
 * <p>Nodes are numbered in BFS order: node (level l, index i) has id 2^l - 1 + i, its children are 2id+1 (left) and
 * 2id+2 (right). The 2^h - 1 internal nodes each hold a hyperplane: z_n = w_n . x + b_n, and x goes LEFT iff
 * z_n >= 0 (the DGT tie rule). Leaves are numbered 0..2^h-1 (leaf L is node 2^h - 1 + L). The same tree routes
 * queries and keys. Weights are {@link Parameter}s so an optimiser can train them; a tree of height 0 (one leaf) has
 * none.
 */
public final class DecisionTree {
    private final int height;
    private final int dim;
    private final Parameter weights; // [(2^h - 1), d]
    private final Parameter bias;    // [2^h - 1]
    private volatile boolean initialised;

    public DecisionTree(String name, int height, int dim) {
        if (height < 0 || height > 20) throw new IllegalArgumentException("tree height must be in [0, 20], got " + height);
        if (dim <= 0) throw new IllegalArgumentException("tree dimension must be positive, got " + dim);
        this.height = height;
        this.dim = dim;
        int internal = (1 << height) - 1;
        this.weights = internal == 0 ? null : new Parameter(name + ".w", true, internal, dim);
        this.bias = internal == 0 ? null : new Parameter(name + ".b", false, internal);
        this.initialised = internal == 0;
    }

    public int height() { return height; }
    public int dim() { return dim; }
    public int internalNodes() { return (1 << height) - 1; }
    public int leaves() { return 1 << height; }
    public int nodes() { return (2 << height) - 1; }
    /** Node id of leaf L. */
    public int leafNode(int leaf) { return (1 << height) - 1 + leaf; }
    /**
     * Whether the tree holds hyperplanes: initialised explicitly, or holding any non-zero weight (weights loaded from a
     * checkpoint into the parameters count; an all-zero tree, which sends everything left, counts as never fitted).
     */
    public boolean initialised() {
        if (initialised) return true;
        for (float x : weights.data) {
            if (x != 0f) {
                initialised = true;
                return true;
            }
        }
        return false;
    }

    public List<Parameter> parameters() {
        return weights == null ? List.of() : List.of(weights, bias);
    }

    /** Hyperplane weights [(2^h - 1) x d] (live array; null for height 0). */
    public float[] w() { return weights == null ? null : weights.data; }
    public float[] b() { return bias == null ? null : bias.data; }
    public float[] wGrad() { return weights == null ? null : weights.gradTarget(); }
    public float[] bGrad() { return bias == null ? null : bias.gradTarget(); }

    /** z_n = w_n . x + b_n for internal node n, with x at x[off .. off + d). */
    public float z(int node, float[] x, int off) {
        return VecOps.dot(weights.data, node * dim, x, off, dim) + bias.data[node];
    }

    /** The leaf (0..2^h-1) that x reaches by root-to-leaf traversal. */
    public int leaf(float[] x, int off) {
        int node = 0, internal = internalNodes();
        while (node < internal) node = z(node, x, off) >= 0f ? 2 * node + 1 : 2 * node + 2;
        return node - internal;
    }

    /** Rows routed together, level by level: few enough that their vectors stay in L1 between levels. */
    private static final int ROUTE_BLOCK = 32;

    /**
     * leafOut[outOff + r] = leaf of row r of x (rows of width d at x[off + r * stride]), the same leaves as
     * {@link #leaf}. A root-to-leaf walk is a chain of h dependent dot products; walking a block of rows one level at a
     * time makes consecutive dot products independent, so the core can overlap them.
     */
    public void route(float[] x, int off, int stride, int rows, int[] leafOut, int outOff) {
        if (internalNodes() == 0) {
            Arrays.fill(leafOut, outOff, outOff + rows, 0);
            return;
        }
        int done = 0;
        if (LANES == 16 && dim % 16 == 0 && rows >= 16) {
            done = rows / 16 * 16;
            walkSixteens(weights.data, bias.data, height, dim, x, off, stride, done, leafOut, outOff);
        }
        if (done < rows) walkFours(x, off + done * stride, stride, rows - done, leafOut, outOff + done);
    }

    private void walkFours(float[] x, int off, int stride, int rows, int[] leafOut, int outOff) {
        // Common head widths get their own copy of the walk with a constant width, so the JIT unrolls each dot product.
        switch (dim) {
            case 32 -> walk(weights.data, bias.data, height, 32, x, off, stride, rows, leafOut, outOff);
            case 64 -> walk(weights.data, bias.data, height, 64, x, off, stride, rows, leafOut, outOff);
            case 128 -> walk(weights.data, bias.data, height, 128, x, off, stride, rows, leafOut, outOff);
            default -> walk(weights.data, bias.data, height, dim, x, off, stride, rows, leafOut, outOff);
        }
    }

    private static void walk(float[] w, float[] b, int height, int dim, float[] x, int off, int stride, int rows, int[] leafOut, int outOff) {
        int internal = (1 << height) - 1;
        boolean fours = dim % LANES == 0 && LANES >= 4;
        float[] sums = new float[LANES];
        for (int r0 = 0; r0 < rows; r0 += ROUTE_BLOCK) {
            int from = outOff + r0, to = outOff + Math.min(rows, r0 + ROUTE_BLOCK);
            Arrays.fill(leafOut, from, to, 0);
            for (int level = 0; level < height; level++) {
                int r = from, xo = off + r0 * stride;
                // Four rows at a time: their dot products' lane sums share vectors (VecOps.sum's pairings, so its bits),
                // a quarter of the lane swaps. All in this method: a vector passed across a call the JIT does not
                // inline becomes an object.
                for (; fours && r + 4 <= to; r += 4, xo += 4 * stride) {
                    int n0 = leafOut[r], n1 = leafOut[r + 1], n2 = leafOut[r + 2], n3 = leafOut[r + 3];
                    FloatVector p0 = FloatVector.zero(SPECIES), p1 = p0, p2 = p0, p3 = p0;
                    for (int c = 0; c < dim; c += LANES) {
                        p0 = FloatVector.fromArray(SPECIES, w, n0 * dim + c).fma(FloatVector.fromArray(SPECIES, x, xo + c), p0);
                        p1 = FloatVector.fromArray(SPECIES, w, n1 * dim + c).fma(FloatVector.fromArray(SPECIES, x, xo + stride + c), p1);
                        p2 = FloatVector.fromArray(SPECIES, w, n2 * dim + c).fma(FloatVector.fromArray(SPECIES, x, xo + 2 * stride + c), p2);
                        p3 = FloatVector.fromArray(SPECIES, w, n3 * dim + c).fma(FloatVector.fromArray(SPECIES, x, xo + 3 * stride + c), p3);
                    }
                    // p0's half-sums into the lower half, p1's into the upper; then the pairs interleave by quarters.
                    FloatVector p01 = p0.blend(p1, UPPER_HALF).add(p1.blend(p0, UPPER_HALF).rearrange(SWAP_HALVES));
                    FloatVector p23 = p2.blend(p3, UPPER_HALF).add(p3.blend(p2, UPPER_HALF).rearrange(SWAP_HALVES));
                    FloatVector v = p01.blend(p23, QUARTER_BIT).add(p23.blend(p01, QUARTER_BIT).rearrange(SWAP_QUARTERS));
                    if (LANES >= 8) v = v.add(v.rearrange(SWAP_EIGHTHS));
                    if (LANES >= 16) v = v.add(v.rearrange(SWAP_SIXTEENTHS));
                    for (int s = 0; s < SWAPS_PAST_512_BITS.length; s++) v = v.add(v.rearrange(SWAPS_PAST_512_BITS[s])); // none on 512 bits
                    v.intoArray(sums, 0); // the four sums sit in lanes 0, L/2, L/4 and 3L/4
                    leafOut[r] = 2 * n0 + 1 + goesRight(sums[0] + b[n0]);
                    leafOut[r + 1] = 2 * n1 + 1 + goesRight(sums[LANES / 2] + b[n1]);
                    leafOut[r + 2] = 2 * n2 + 1 + goesRight(sums[LANES / 4] + b[n2]);
                    leafOut[r + 3] = 2 * n3 + 1 + goesRight(sums[3 * LANES / 4] + b[n3]);
                }
                for (; r < to; r++, xo += stride) {
                    int node = leafOut[r];
                    leafOut[r] = 2 * node + 1 + goesRight(VecOps.dot(w, node * dim, x, xo, dim) + b[node]);
                }
            }
            for (int r = from; r < to; r++) leafOut[r] -= internal;
        }
    }

    /**
     * The walk for 16-lane vectors, sixteen rows at a time (rows a multiple of 16). Per level, each row's dot product
     * with its node's hyperplane ends as a vector of partial sums; rows r and r+8 fold theirs by halves, those pairs
     * fold by quarters (a quad: rows r, r+8, r+4, r+12), the quads by eighths and sixteenths, and lane i of the result
     * is row i's sum, paired in VecOps.sum's order (so the same bits as the one-row walk). The sixteen decisions are
     * then one compare, and the next level's nodes one vector step.
     *
     * <p>The four quads are written out rather than calls to a helper: C2 stops inlining calls in a method once its
     * graph is large, and this many vector operations pass that point, after which every vector crossing a call
     * becomes an object (measured: 13 MB allocated per 16384 rows, twice the time).
     */
    private static void walkSixteens(float[] w, float[] b, int height, int dim, float[] x, int off, int stride, int rows, int[] leafOut, int outOff) {
        int internal = (1 << height) - 1;
        int[] node = new int[16];
        for (int r0 = 0; r0 < rows; r0 += 16) {
            IntVector nodes = IntVector.zero(INTS);
            Arrays.fill(node, 0);
            int x0 = off + r0 * stride;
            for (int level = 0; level < height; level++) {
                FloatVector q0;
                { // rows 0, 8, 4, 12
                    int xa = x0 + 0 * stride, xb = xa + 8 * stride, xc = xa + 4 * stride, xd = xa + 12 * stride;
                    int wa = node[0] * dim, wb = node[8] * dim, wc = node[4] * dim, wd = node[12] * dim;
                    FloatVector pa = FloatVector.zero(SPECIES), pb = pa, pc = pa, pd = pa;
                    for (int c = 0; c < dim; c += 16) {
                        pa = FloatVector.fromArray(SPECIES, w, wa + c).fma(FloatVector.fromArray(SPECIES, x, xa + c), pa);
                        pb = FloatVector.fromArray(SPECIES, w, wb + c).fma(FloatVector.fromArray(SPECIES, x, xb + c), pb);
                        pc = FloatVector.fromArray(SPECIES, w, wc + c).fma(FloatVector.fromArray(SPECIES, x, xc + c), pc);
                        pd = FloatVector.fromArray(SPECIES, w, wd + c).fma(FloatVector.fromArray(SPECIES, x, xd + c), pd);
                    }
                    FloatVector ab = pa.blend(pb, UPPER_HALF).add(pb.blend(pa, UPPER_HALF).rearrange(SWAP_HALVES));
                    FloatVector cd = pc.blend(pd, UPPER_HALF).add(pd.blend(pc, UPPER_HALF).rearrange(SWAP_HALVES));
                    q0 = ab.blend(cd, QUARTER_BIT).add(cd.blend(ab, QUARTER_BIT).rearrange(SWAP_QUARTERS));
                }
                FloatVector q1;
                { // rows 2, 10, 6, 14
                    int xa = x0 + 2 * stride, xb = xa + 8 * stride, xc = xa + 4 * stride, xd = xa + 12 * stride;
                    int wa = node[2] * dim, wb = node[10] * dim, wc = node[6] * dim, wd = node[14] * dim;
                    FloatVector pa = FloatVector.zero(SPECIES), pb = pa, pc = pa, pd = pa;
                    for (int c = 0; c < dim; c += 16) {
                        pa = FloatVector.fromArray(SPECIES, w, wa + c).fma(FloatVector.fromArray(SPECIES, x, xa + c), pa);
                        pb = FloatVector.fromArray(SPECIES, w, wb + c).fma(FloatVector.fromArray(SPECIES, x, xb + c), pb);
                        pc = FloatVector.fromArray(SPECIES, w, wc + c).fma(FloatVector.fromArray(SPECIES, x, xc + c), pc);
                        pd = FloatVector.fromArray(SPECIES, w, wd + c).fma(FloatVector.fromArray(SPECIES, x, xd + c), pd);
                    }
                    FloatVector ab = pa.blend(pb, UPPER_HALF).add(pb.blend(pa, UPPER_HALF).rearrange(SWAP_HALVES));
                    FloatVector cd = pc.blend(pd, UPPER_HALF).add(pd.blend(pc, UPPER_HALF).rearrange(SWAP_HALVES));
                    q1 = ab.blend(cd, QUARTER_BIT).add(cd.blend(ab, QUARTER_BIT).rearrange(SWAP_QUARTERS));
                }
                FloatVector q2;
                { // rows 1, 9, 5, 13
                    int xa = x0 + 1 * stride, xb = xa + 8 * stride, xc = xa + 4 * stride, xd = xa + 12 * stride;
                    int wa = node[1] * dim, wb = node[9] * dim, wc = node[5] * dim, wd = node[13] * dim;
                    FloatVector pa = FloatVector.zero(SPECIES), pb = pa, pc = pa, pd = pa;
                    for (int c = 0; c < dim; c += 16) {
                        pa = FloatVector.fromArray(SPECIES, w, wa + c).fma(FloatVector.fromArray(SPECIES, x, xa + c), pa);
                        pb = FloatVector.fromArray(SPECIES, w, wb + c).fma(FloatVector.fromArray(SPECIES, x, xb + c), pb);
                        pc = FloatVector.fromArray(SPECIES, w, wc + c).fma(FloatVector.fromArray(SPECIES, x, xc + c), pc);
                        pd = FloatVector.fromArray(SPECIES, w, wd + c).fma(FloatVector.fromArray(SPECIES, x, xd + c), pd);
                    }
                    FloatVector ab = pa.blend(pb, UPPER_HALF).add(pb.blend(pa, UPPER_HALF).rearrange(SWAP_HALVES));
                    FloatVector cd = pc.blend(pd, UPPER_HALF).add(pd.blend(pc, UPPER_HALF).rearrange(SWAP_HALVES));
                    q2 = ab.blend(cd, QUARTER_BIT).add(cd.blend(ab, QUARTER_BIT).rearrange(SWAP_QUARTERS));
                }
                FloatVector q3;
                { // rows 3, 11, 7, 15
                    int xa = x0 + 3 * stride, xb = xa + 8 * stride, xc = xa + 4 * stride, xd = xa + 12 * stride;
                    int wa = node[3] * dim, wb = node[11] * dim, wc = node[7] * dim, wd = node[15] * dim;
                    FloatVector pa = FloatVector.zero(SPECIES), pb = pa, pc = pa, pd = pa;
                    for (int c = 0; c < dim; c += 16) {
                        pa = FloatVector.fromArray(SPECIES, w, wa + c).fma(FloatVector.fromArray(SPECIES, x, xa + c), pa);
                        pb = FloatVector.fromArray(SPECIES, w, wb + c).fma(FloatVector.fromArray(SPECIES, x, xb + c), pb);
                        pc = FloatVector.fromArray(SPECIES, w, wc + c).fma(FloatVector.fromArray(SPECIES, x, xc + c), pc);
                        pd = FloatVector.fromArray(SPECIES, w, wd + c).fma(FloatVector.fromArray(SPECIES, x, xd + c), pd);
                    }
                    FloatVector ab = pa.blend(pb, UPPER_HALF).add(pb.blend(pa, UPPER_HALF).rearrange(SWAP_HALVES));
                    FloatVector cd = pc.blend(pd, UPPER_HALF).add(pd.blend(pc, UPPER_HALF).rearrange(SWAP_HALVES));
                    q3 = ab.blend(cd, QUARTER_BIT).add(cd.blend(ab, QUARTER_BIT).rearrange(SWAP_QUARTERS));
                }
                FloatVector e0 = q0.blend(q1, EIGHTH_BIT).add(q1.blend(q0, EIGHTH_BIT).rearrange(SWAP_EIGHTHS));
                FloatVector e1 = q2.blend(q3, EIGHTH_BIT).add(q3.blend(q2, EIGHTH_BIT).rearrange(SWAP_EIGHTHS));
                FloatVector z = e0.blend(e1, SIXTEENTH_BIT).add(e1.blend(e0, SIXTEENTH_BIT).rearrange(SWAP_SIXTEENTHS));
                z = z.add(FloatVector.fromArray(SPECIES, b, 0, node, 0));
                // Right for z < 0 or NaN, as goesRight: -0 < 0 is false, so -0 goes left.
                VectorMask<Float> right = z.compare(VectorOperators.LT, 0f).or(z.test(VectorOperators.IS_NAN));
                nodes = nodes.lanewise(VectorOperators.LSHL, 1).add(1).add(1, right.cast(INTS));
                nodes.intoArray(node, 0);
            }
            nodes.sub(internal).intoArray(leafOut, outOff + r0);
        }
    }

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final VectorMask<Float> UPPER_HALF = VectorMask.fromValues(SPECIES, lanesWith(i -> i >= LANES / 2));
    private static final VectorMask<Float> QUARTER_BIT = VectorMask.fromValues(SPECIES, lanesWith(i -> (i & (LANES / 4)) != 0));
    private static final VectorMask<Float> EIGHTH_BIT = VectorMask.fromValues(SPECIES, lanesWith(i -> (i & (LANES / 8)) != 0));
    private static final VectorMask<Float> SIXTEENTH_BIT = VectorMask.fromValues(SPECIES, lanesWith(i -> (i & (LANES / 16)) != 0));
    private static final VectorShuffle<Float> SWAP_HALVES = swap(LANES / 2), SWAP_QUARTERS = swap(LANES / 4),
            SWAP_EIGHTHS = swap(LANES / 8), SWAP_SIXTEENTHS = swap(LANES / 16);
    /** The butterfly's remaining steps (lane i ^ LANES/32, ..., i ^ 1) on vectors of more than 16 floats, built once; none on 16. */
    private static final VectorShuffle<Float>[] SWAPS_PAST_512_BITS = swapsFrom(LANES / 32);

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] swapsFrom(int half) {
        VectorShuffle<Float>[] swaps = new VectorShuffle[half == 0 ? 0 : Integer.numberOfTrailingZeros(half) + 1]; // half is a power of 2
        for (int s = 0, h = half; h >= 1; s++, h /= 2) swaps[s] = swap(h);
        return swaps;
    }

    private static boolean[] lanesWith(IntPredicate p) {
        boolean[] set = new boolean[LANES];
        for (int i = 0; i < LANES; i++) set[i] = p.test(i);
        return set;
    }

    /** Lane i takes lane i ^ half (the identity for half 0). */
    private static VectorShuffle<Float> swap(int half) {
        return VectorShuffle.fromOp(SPECIES, i -> i ^ half);
    }

    /**
     * 1 if z sends a vector right (z < 0, or NaN), else 0, without a data-dependent branch: routing decisions are coin
     * flips to the branch predictor, and every mispredicted branch would throw away the overlapped dot products. Adding
     * +0 turns -0 into +0 (which goes left, as 0 >= 0); the NaN test is a branch that is never taken.
     */
    static int goesRight(float z) {
        return (Float.floatToRawIntBits(z + 0f) >>> 31) | (Float.isNaN(z) ? 1 : 0);
    }

    /** Marks the tree as initialised with whatever weights it holds (tests and explicit setups). */
    public void markInitialised() {
        initialised = true;
    }

    /** Random hyperplanes: w ~ N(0, 1/d), b = 0. */
    public void initRandom(long seed) {
        if (weights == null) return;
        Random rng = new Random(seed);
        float sd = (float) (1.0 / Math.sqrt(dim));
        for (int i = 0; i < weights.data.length; i++) weights.data[i] = (float) rng.nextGaussian() * sd;
        Arrays.fill(bias.data, 0f);
        initialised = true;
    }

    /**
     * Balanced data-driven initialisation from sample keys (rows of width d, stride d): at every internal node, w is
     * the top principal direction of the keys reaching it (power iteration) and b = -median(w . k), so each split
     * halves its keys. Our addition: w is scaled so that the median |z| at the node is 1, i.e. half of the node's keys
     * fall inside the straight-through window |z| <= 1 where the DGT surrogate passes gradient.
     */
    public void initBalanced(float[] keys, int rows, long seed) {
        initLevels(keys, rows, 0, seed);
    }

    /** Initialises only the nodes of levels >= fromLevel, routing keys through the (kept) levels above. */
    void initLevels(float[] keys, int rows, int fromLevel, long seed) {
        if (weights == null) return;
        if (keys.length < (long) rows * dim) throw new IllegalArgumentException("tree init: " + rows + " keys of width " + dim + " need "
                + ((long) rows * dim) + " floats, got " + keys.length);
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) order[i] = i;
        float[] proj = new float[rows];
        splitNode(0, 0, keys, order, 0, rows, proj, fromLevel, new Random(seed));
        initialised = true;
    }

    /** Initialises node and its subtree from keys order[a..b), partitioning order in place (left part first). */
    private void splitNode(int node, int level, float[] keys, int[] order, int a, int b, float[] proj, int fromLevel, Random rng) {
        if (node >= internalNodes()) return;
        if (level >= fromLevel) fitHyperplane(node, keys, order, a, b, proj, rng);
        // Partition by the (possibly kept) hyperplane: z >= 0 first.
        int lo = a, hi = b - 1;
        while (lo <= hi) {
            if (z(node, keys, order[lo] * dim) >= 0f) lo++;
            else { int t = order[lo]; order[lo] = order[hi]; order[hi] = t; hi--; }
        }
        splitNode(2 * node + 1, level + 1, keys, order, a, lo, proj, fromLevel, rng);
        splitNode(2 * node + 2, level + 1, keys, order, lo, b, proj, fromLevel, rng);
    }

    private void fitHyperplane(int node, float[] keys, int[] order, int a, int b, float[] proj, Random rng) {
        int count = b - a, wOff = node * dim;
        float[] w = weights.data;
        if (count < 2) { // nothing to split: a random direction through the lone key (or the origin)
            for (int c = 0; c < dim; c++) w[wOff + c] = (float) (rng.nextGaussian() / Math.sqrt(dim));
            bias.data[node] = count == 1 ? -VecOps.dot(w, wOff, keys, order[a] * dim, dim) : 0f;
            return;
        }
        float[] mean = new float[dim];
        for (int r = a; r < b; r++) VecOps.axpy(1f, keys, order[r] * dim, mean, 0, dim);
        for (int c = 0; c < dim; c++) mean[c] /= count;
        float[] dir = new float[dim], next = new float[dim];
        for (int c = 0; c < dim; c++) dir[c] = (float) rng.nextGaussian();
        normalise(dir);
        // Power iteration on the covariance, never materialised: next = sum_r ((k_r - mean) . dir) (k_r - mean).
        for (int iter = 0; iter < 16; iter++) {
            Arrays.fill(next, 0f);
            float meanDot = VecOps.dot(mean, 0, dir, 0, dim), total = 0f;
            for (int r = a; r < b; r++) {
                int off = order[r] * dim;
                float t = VecOps.dot(keys, off, dir, 0, dim) - meanDot;
                VecOps.axpy(t, keys, off, next, 0, dim);
                total += t;
            }
            VecOps.axpy(-total, mean, 0, next, 0, dim);
            if (normalise(next) == 0) break; // all keys equal: keep the current direction
            float[] swap = dir; dir = next; next = swap;
        }
        float[] centred = dir;
        for (int r = a; r < b; r++) proj[r - a] = VecOps.dot(centred, 0, keys, order[r] * dim, dim);
        float[] sorted = Arrays.copyOf(proj, count);
        Arrays.sort(sorted);
        float median = count % 2 == 1 ? sorted[count / 2] : 0.5f * (sorted[count / 2 - 1] + sorted[count / 2]);
        for (int i = 0; i < count; i++) sorted[i] = Math.abs(proj[i] - median);
        Arrays.sort(sorted);
        float spread = sorted[count / 2];
        float scale = spread > 1e-12f ? 1f / spread : 1f;
        for (int c = 0; c < dim; c++) w[wOff + c] = centred[c] * scale;
        bias.data[node] = -median * scale;
    }

    private static double normalise(float[] v) {
        double n = 0;
        for (float x : v) n += (double) x * x;
        n = Math.sqrt(n);
        if (n == 0) return 0;
        for (int i = 0; i < v.length; i++) v[i] = (float) (v[i] / n);
        return n;
    }

    /**
     * A tree one level deeper with the same hyperplanes for levels 0..h-1 (BFS ids do not move when a level is added)
     * and the new level fitted with the balanced split of the sample keys that reach each old leaf.
     */
    public DecisionTree grow(String name, float[] keys, int rows, long seed) {
        DecisionTree next = new DecisionTree(name, height + 1, dim);
        if (weights != null) {
            System.arraycopy(weights.data, 0, next.weights.data, 0, weights.data.length);
            System.arraycopy(bias.data, 0, next.bias.data, 0, bias.data.length);
        }
        next.initLevels(keys, rows, height, seed);
        return next;
    }

    /** A tree of the same height with the same weights (fresh gradients), for a new attention of another kind. */
    public DecisionTree copy(String name) {
        DecisionTree next = new DecisionTree(name, height, dim);
        if (weights != null) {
            System.arraycopy(weights.data, 0, next.weights.data, 0, weights.data.length);
            System.arraycopy(bias.data, 0, next.bias.data, 0, bias.data.length);
        }
        next.initialised = initialised;
        return next;
    }

    /**
     * Entry A[leaf][node] of the DGT AND matrix: +1 if the leaf lies in the left subtree of internal node, -1 if in the
     * right subtree, 0 otherwise.
     */
    public int andEntry(int leaf, int node) {
        int id = leafNode(leaf);
        while (id > node) {
            int parent = (id - 1) >> 1;
            if (parent == node) return id == 2 * node + 1 ? 1 : -1;
            id = parent;
        }
        return 0;
    }
}
