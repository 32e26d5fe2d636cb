package dev.canopy.attention.tree;

import static dev.canopy.kernels.Tiles.pad;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.AttentionFamily;
import dev.canopy.config.OptionSchema;
import dev.canopy.nn.Pass;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import dev.canopy.kernels.ScoreRows;
import dev.canopy.kernels.ThreadBuffer;
import dev.canopy.kernels.Tiles;
import dev.canopy.kernels.VecOps;
import dev.canopy.nn.Parameter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Treeformer TF-Attention (fine): every query attends, with an ordinary softmax, to the keys that reach the same leaf
 * of its head's tree. Spec {@code tf:h=H[,empty=zero|self|rootmean][,route=tree|mass][,beam=B][,init=data|random]}.
 *
 * <p>Per (batch, head) pair the queries and the unpadded keys are bucketed by leaf with a stable counting sort. One task
 * per (pair, leaf) gathers the leaf's keys (transposed) and values into per-thread tiles once, then its queries in
 * blocks of up to 64, each block streaming the keys in blocks of 128 with an online softmax (as in exact attention).
 * A leaf of more than {@link #CACHED_KEYS} keys is gathered one key block at a time instead, so any leaf size needs
 * bounded scratch. The causal mask (when given)
 * additionally requires key index <= query index + (nk - nq). A query whose leaf holds no visible key follows the
 * empty-leaf policy: {@code zero} output (default; the residual carries the token), {@code self} = attend to its own
 * position's key alone (out = v_i, when that key exists and is not padded, else zero), {@code rootmean} = the mean of
 * all values it may see.
 *
 * <p>Backward: ordinary softmax-attention gradients inside each leaf (tasks per (pair, leaf), so writes to dq/dk/dv are
 * disjoint), routing held fixed. The trees get no gradient in TF mode (hard leaf membership has none; trees are learned in TC
 * mode and frozen here).
 *
 * <p>With {@code route=mass} (our choice, not the paper's) the keys are bucketed by the tree as always, but a query
 * descends it by estimated attention mass ({@link MassRouting}), and with {@code beam=B} (which implies it) attends,
 * with one softmax, to the visible keys of the B leaves its descent ends in. A query then has one slot per leaf of its
 * beam: the leaf tasks take slots as they take queries, each ending with a partial softmax state (running max, sum and
 * unnormalised output) that {@link BeamMerge} combines per query in ascending leaf order. When the tasks run in order
 * on one thread (one kernel thread, or inside a parallel section such as a batch part) each state is folded into its
 * query's row as the task finishes; in parallel it waits in a slot row and is folded after all tasks, the same
 * arithmetic in the same order. The backward's dq goes the same two ways (added into the query's row, or written to the
 * slot's and summed afterwards), so tasks running in parallel still write disjoint memory; the choice of leaves gets no
 * gradient.
 */
public final class TfAttention implements Attention {
    static final int QUERY_BLOCK = 64;
    static final int KEY_BLOCK = 128;

    public enum EmptyLeaf { ZERO, SELF, ROOTMEAN }

    /** How queries pick their leaves: by the hyperplanes, by mass, or by mass exactly when beam > 1 (auto). */
    public enum Route {
        AUTO, TREE, MASS;

        /** Whether queries routed this way with this beam descend by mass. */
        public boolean byMass(int beam) {
            return this == MASS || (this == AUTO && beam > 1);
        }
    }

    private final TreeBank trees;
    private final EmptyLeaf empty;
    private final boolean byMass;
    private final int beam;
    private final int refitEvery;
    private final String spec;

    public TfAttention(TreeBank trees, EmptyLeaf empty) {
        this(trees, empty, false, 1);
    }

    /** TF attention whose trees are never refitted (see the 5-argument constructor). */
    public TfAttention(TreeBank trees, EmptyLeaf empty, boolean byMass, int beam) {
        this(trees, empty, byMass, beam, 0);
    }

    /**
     * TF attention whose queries may be routed by mass.
     *
     * @param trees  the trees, one per head
     * @param empty  what a query that sees no key gets
     * @param byMass route queries by a descent by estimated attention mass, not by the hyperplanes
     * @param beam   leaves each query attends to (more than 1 needs byMass)
     * @param refitEvery training steps between balanced refits of the trees to the model's current keys (0: never;
     *                   the trainer does them, see {@link #refit})
     */
    public TfAttention(TreeBank trees, EmptyLeaf empty, boolean byMass, int beam, int refitEvery) {
        TreeOptions.checkBeam("tf", trees.height(), byMass, beam);
        if (refitEvery < 0) throw new IllegalArgumentException("tf: option refit=" + refitEvery + " must be at least 0 (0: never)");
        this.trees = trees;
        this.empty = empty;
        this.byMass = byMass;
        this.beam = beam;
        this.refitEvery = refitEvery;
        this.spec = specOf(trees.height(), empty, byMass, beam) + (refitEvery > 0 ? ",refit=" + refitEvery : "");
    }

    /** The spec string of a TF attention with these options, queries routed by the hyperplanes. */
    public static String specOf(int height, EmptyLeaf empty) {
        return specOf(height, empty, false, 1);
    }

    /** The spec string of a TF attention with these options. */
    public static String specOf(int height, EmptyLeaf empty, boolean byMass, int beam) {
        return "tf:h=" + height + (empty == EmptyLeaf.ZERO ? "" : ",empty=" + empty.name().toLowerCase(Locale.ROOT))
                + (beam > 1 ? ",beam=" + beam : byMass ? ",route=mass" : "");
    }

    public static final AttentionFamily FAMILY = new AttentionFamily("Treeformer TF: full attention inside the query's leaf of a learned tree", true,
            TreeOptions.schema("tf", OptionSchema.optional("empty", "zero", "a query whose leaf has no key: zero, self or rootmean"),
                    OptionSchema.optional("route", "auto", "how queries pick a leaf: tree (the hyperplanes) or mass (a descent by estimated attention mass); auto: mass when beam > 1"),
                    OptionSchema.optional("beam", "1", "leaves each query attends to, with one softmax (the best B of a descent by mass)"),
                    OptionSchema.optional("refit", "0", "in training, refit the trees every N steps: a balanced fit on that step's batch's keys, as the first forward's (0: never)")),
            values -> {
                TreeOptions trees = TreeOptions.read(values);
                EmptyLeaf empty = values.choice("empty", EmptyLeaf.class);
                int beam = values.integer("beam");
                boolean byMass = values.choice("route", Route.class).byMass(beam);
                TreeOptions.checkBeam("tf", trees.height(), byMass, beam);
                int refit = values.integer("refit", 0, Integer.MAX_VALUE);
                return setup -> new TfAttention(trees.bank(setup), empty, byMass, beam, refit);
            });

    @Override public String spec() { return spec; }
    @Override public List<Parameter> parameters() { return trees.parameters(); }
    @Override public boolean splitsBatches() { return trees.initialised(); } // until then the first call fits them to its keys
    public TreeBank trees() { return trees; }

    /** Training steps between refits of the trees (0: never). */
    public int refitEvery() { return refitEvery; }

    /**
     * Refits every head's tree, balanced, to sample keys of this layer (the trainer calls it at the start of every
     * refitEvery-th step, with the keys of an inference pass over that step's batch; at most
     * {@link TreeBank#MAX_INIT_KEYS} a head are fitted on, as in the first forward's fit). The trees get no gradient in TF,
     * so as training moves the keys, leaves fitted once fill unevenly and the fullest cost most: a beam's descent
     * favours leaves with many keys. Our option, not the paper's.
     *
     * @param sample the layer's unpadded keys, [heads, rows, d]
     */
    public void refit(KeySample sample) {
        trees.refitBalanced(sample.keys(), sample.rows());
    }

    /**
     * rowMax and rowSum are in bucket order (pair * qb.stride() + bucket position; with a beam, every slot of a query
     * holds the query's merged values), fallback in token order. beams is null for queries routed by the hyperplanes.
     */
    record Context(AttentionShape shape, AttentionMask mask, float[] q, float[] k, float[] v, float[] out, float[] rowMax, float[] rowSum, byte[] fallback,
                   LeafBuckets qb, LeafBuckets kb, MassRouting.Beams beams, long flops, long backwardFlops, long workingBytes) implements Saved {}

    /** fallback's mark for a query that saw no key (0: it did). */
    static final byte EMPTY = 1;

    @Override
    public Saved forward(AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask, Pass pass, float[] out) {
        s.check(q, k, v, out);
        mask.check(s);
        trees.checkShape(s, "tf");
        trees.ensureInitialised(s, k, mask);
        int leaves = 1 << trees.height(), pairs = s.pairs();
        Routing routed = route(s, q, k, mask);
        LeafBuckets qb = routed.qb(), kb = routed.kb();
        MassRouting.Beams beams = routed.beams();
        // One task per (pair, leaf): the leaf's keys are gathered once and serve all its blocks of queries.
        // Each query's running max and sum (the backward's log-sum-exp, left unlogged), kept in bucket order: a task
        // then writes one contiguous range, where token order would have both threads writing the same cache lines.
        // With a beam, each leaf's state of a query is folded into the query's row as the task finishes it when the
        // tasks run in order on this thread; in parallel, each slot's unnormalised output waits in a slot row until
        // the merge.
        float[] rowMax = new float[pairs * qb.stride()], rowSum = new float[pairs * qb.stride()];
        long[] visible = new long[pairs * leaves];
        byte[] fallback;
        if (beams == null) {
            Parallel.forEach(pairs * leaves, t -> visible[t] = forwardLeaf(s, q, k, v, mask, out, null, rowMax, rowSum, qb, kb, t / leaves, t % leaves));
            fallback = emptyQueries(qb, rowSum, pairs);
        } else if (Parallel.runsInline()) {
            float[][] run = BeamMerge.start(s, out);
            BeamStates folded = new BeamStates(null, run[0], run[1]);
            for (int t = 0; t < pairs * leaves; t++) visible[t] = forwardLeaf(s, q, k, v, mask, out, folded, rowMax, rowSum, qb, kb, t / leaves, t % leaves);
            fallback = BeamMerge.finish(s, beams, run[0], run[1], out, rowMax, rowSum);
        } else {
            float[] partial = SLOT_ROWS.get(pairs * qb.stride() * s.dv());
            BeamStates slotRows = new BeamStates(partial, null, null);
            Parallel.forEach(pairs * leaves, t -> visible[t] = forwardLeaf(s, q, k, v, mask, out, slotRows, rowMax, rowSum, qb, kb, t / leaves, t % leaves));
            fallback = BeamMerge.merge(s, beams, partial, rowMax, rowSum, out);
        }
        float[] prefix = applyEmptyPolicy(s, v, mask, out, fallback);
        long pairsSeen = 0;
        for (long c : visible) pairsSeen += c;
        long attention = 2L * pairsSeen * (s.d() + s.dv());
        long backward = attention * 5 / 2 + (beams == null ? 0 : BeamMerge.sumFlops(s, beam));
        long bytes = workingBytes(s, qb, kb, beams, pairs * leaves, prefix == null ? 0 : prefix.length);
        return new Context(s, mask, q, k, v, out, rowMax, rowSum, fallback, qb, kb, beams, routed.flops() + attention, backward, bytes);
    }

    /**
     * Where a beam's leaf tasks leave each query's state of a leaf: in its slot row of partial (with the slot's max and
     * sum), or folded at once into the query's row of out and its running max and sum (runMax, runSum; token order).
     */
    private record BeamStates(float[] partial, float[] runMax, float[] runSum) {}

    /** Queries' and keys' buckets, the beams when queries are routed by mass (else null), and what choosing them cost. */
    private record Routing(LeafBuckets qb, LeafBuckets kb, MassRouting.Beams beams, long flops) {}

    private Routing route(AttentionShape s, float[] q, float[] k, AttentionMask mask) {
        int nq = s.nq(), nk = s.nk(), leaves = 1 << trees.height(), pairs = s.pairs();
        long keyRouting = 2L * pairs * nk * s.d() * trees.height();
        if (byMass) {
            LeafBuckets kb = LeafBuckets.ofKeys(trees.routeKeys(s, k, nk), nk, pairs, s.heads(), leaves, mask.keyPadding());
            MassRouting.Beams beams = MassRouting.route(s, q, k, kb, trees.height(), beam);
            return new Routing(beams.entries(), kb, beams, keyRouting + beams.flops() + BeamMerge.flops(s, beam));
        }
        int[][] routed = trees.route(s, q, nq, k, nk);
        LeafBuckets[] buckets = LeafBuckets.of(routed[0], nq, routed[1], nk, pairs, s.heads(), leaves, mask.keyPadding());
        return new Routing(buckets[0], buckets[1], null, keyRouting + 2L * pairs * nq * s.d() * trees.height());
    }

    /** The queries (in token order) whose leaf showed them no key. */
    private static byte[] emptyQueries(LeafBuckets qb, float[] rowSum, int pairs) {
        int nq = qb.n();
        byte[] fallback = new byte[pairs * nq];
        for (int p = 0; p < pairs; p++) for (int j = 0; j < nq; j++) if (!(rowSum[p * nq + j] > 0)) fallback[p * nq + qb.token(p, j)] = EMPTY;
        return fallback;
    }

    /**
     * A beam's rows per slot: the forward's partial outputs until the merge, the backward's dq rows until they are
     * summed. Each is dead when its pass returns, so one buffer per calling thread serves every layer; allocating
     * them afresh cost a humongous allocation and its zeroing per call (tens of MB at 16,384 tokens). Every row is
     * written before it is read.
     */
    private static final ThreadBuffer SLOT_ROWS = new ThreadBuffer();

    /** Per-thread scratch, grown to the largest leaf seen. */
    private static final class Scratch {
        float[] qs, kt, vs, sc, acc, m, l, ks, ktAll, vtAll, dkAcc, dvAcc, dos, dpb, dqAcc, coef;
        int[] rowAt;

        static float[] ensure(float[] a, int n) { return a != null && a.length >= n ? a : new float[n]; }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Leaves with at most this many keys have them gathered once per forward; larger ones are streamed per query block. */
    static final int CACHED_KEYS = 1024;

    /** Attention of every query of one leaf over that leaf's keys; returns the visible (query, key) pairs. */
    private long forwardLeaf(AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask, float[] out, BeamStates beam, float[] rowMax,
                             float[] rowSum, LeafBuckets qb, LeafBuckets kb, int pair, int leaf) {
        int queries = qb.count(pair, leaf), keys = kb.count(pair, leaf);
        if (queries == 0) return 0;
        int dp = pad(s.d()), wp = pad(s.dv()), bc = KEY_BLOCK;
        boolean cached = keys <= CACHED_KEYS;
        Scratch t = SCRATCH.get();
        int keyBlocks = cached ? Math.max(1, Math.ceilDiv(keys, bc)) : 1;
        t.kt = Scratch.ensure(t.kt, keyBlocks * dp * bc);
        t.vs = Scratch.ensure(t.vs, keyBlocks * bc * wp);
        t.qs = Scratch.ensure(t.qs, QUERY_BLOCK * dp);
        t.ks = Scratch.ensure(t.ks, Math.max(16, bc) * dp);
        if (cached) {
            for (int j0 = 0, blk = 0; j0 < keys; j0 += bc, blk++) {
                gatherKeyBlock(s, k, v, kb, pair, kb.begin(pair, leaf) + j0, Math.min(bc, keys - j0), t, blk * dp * bc, blk * bc * wp);
            }
        }
        // Even blocks of at most QUERY_BLOCK rows (a multiple of 4 where possible, the register tile's height).
        int blocks = Math.ceilDiv(queries, QUERY_BLOCK), per = Math.min(QUERY_BLOCK, (Math.ceilDiv(queries, blocks) + 3) / 4 * 4);
        long visible = 0;
        for (int first = 0; first < queries; first += per) {
            visible += forwardBlock(s, q, k, v, mask, out, beam, rowMax, rowSum, qb, kb, pair, leaf, first, Math.min(per, queries - first), cached);
        }
        return visible;
    }

    /**
     * One block of a leaf's keys, transposed into t.kt at ktOff (pad(d) x pad(cols)), and its values as rows into t.vs at
     * vsOff. On 16-lane vectors (and d a multiple of 16) sixteen key rows at a time go from k straight into the
     * transposed tile through registers, which keeps sixteen rows' cache misses in flight; the last partial group is
     * gathered into t.ks first, zero rows below it, so the tile's padding columns come out zero. Otherwise rows are
     * gathered, then transposed.
     */
    private static void gatherKeyBlock(AttentionShape s, float[] k, float[] v, LeafBuckets kb, int pair, int from, int cols,
                                       Scratch t, int ktOff, int vsOff) {
        int d = s.d(), dp = pad(d), ld = pad(cols);
        if (Tiles.LANES == 16 && d % 16 == 0) {
            int[] at = t.rowAt = t.rowAt == null ? new int[16] : t.rowAt;
            int j = 0;
            for (; j + 16 <= cols; j += 16) {
                for (int i = 0; i < 16; i++) at[i] = kb.rowOffset(pair, from + j + i, d);
                Tiles.transposeRows(k, at, d, t.kt, ktOff + j, ld);
            }
            if (j < cols) {
                kb.gatherRows(pair, from + j, cols - j, k, d, 1f, t.ks, 0, dp);
                Arrays.fill(t.ks, (cols - j) * dp, 16 * dp, 0f);
                for (int i = 0; i < 16; i++) at[i] = i * dp;
                Tiles.transposeRows(t.ks, at, d, t.kt, ktOff + j, ld);
            }
        } else {
            kb.gatherRows(pair, from, cols, k, d, 1f, t.ks, 0, dp);
            Tiles.transposePadded(t.ks, 0, dp, cols, dp, t.kt, ktOff, ld);
        }
        kb.gatherRows(pair, from, cols, v, s.dv(), 1f, t.vs, vsOff, pad(s.dv()));
    }

    /**
     * Online-softmax attention of `rows` queries of one leaf (from its first-th) over the leaf's keys; returns visible
     * pairs. The normalised rows go to out; with a beam the unnormalised ones are folded into their queries' rows of
     * out, or copied to their slot rows (see {@link BeamStates}).
     */
    private long forwardBlock(AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask, float[] out, BeamStates beam, float[] rowMax,
                              float[] rowSum, LeafBuckets qb, LeafBuckets kb, int pair, int leaf, int first, int rows, boolean cached) {
        int d = s.d(), dv = s.dv(), nq = s.nq();
        int dp = pad(d), wp = pad(dv), bc = KEY_BLOCK;
        int q0 = qb.begin(pair, leaf) + first;
        int k0 = kb.begin(pair, leaf), keys = kb.end(pair, leaf) - k0;
        Scratch t = SCRATCH.get();
        float[] sc = t.sc = Scratch.ensure(t.sc, QUERY_BLOCK * bc);
        float[] acc = t.acc = Scratch.ensure(t.acc, QUERY_BLOCK * wp);
        float[] m = t.m = Scratch.ensure(t.m, QUERY_BLOCK);
        float[] l = t.l = Scratch.ensure(t.l, QUERY_BLOCK);
        int qBase = pair * nq, slotBase = pair * qb.stride();
        qb.gatherRows(pair, q0, rows, q, d, (float) (1.0 / Math.sqrt(d)), t.qs, 0, dp);
        Arrays.fill(acc, 0, rows * wp, 0f);
        Arrays.fill(m, 0, rows, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0, rows, 0f);
        long visible = 0;
        for (int j0 = 0, blk = 0; j0 < keys; j0 += bc, blk++) {
            int cols = Math.min(bc, keys - j0), ld = pad(cols); // score rows as wide as this block, to keep the tile small
            int ktOff = cached ? blk * dp * bc : 0, vsOff = cached ? blk * bc * wp : 0;
            if (!cached) gatherKeyBlock(s, k, v, kb, pair, k0 + j0, cols, t, 0, 0);
            Tiles.mulBt(t.qs, 0, rows, dp, t.kt, ktOff, ld, sc, 0, ld);
            visible += maskBlock(s, mask, qb, kb, pair, q0, rows, k0 + j0, cols, ld, sc, ld);
            ScoreRows.onlineStep(sc, ld, rows, ld, m, l, acc, wp);
            Tiles.mulAcc(sc, 0, ld, rows, cols, t.vs, vsOff, wp, acc, 0);
        }
        if (beam != null && beam.partial() == null) { // folded now; the query's slots get its max and sum at the end
            float[] coef = t.coef = Scratch.ensure(t.coef, 2 * QUERY_BLOCK);
            BeamMerge.foldBlock(qb, pair, q0, rows, m, l, acc, wp, beam.runMax(), beam.runSum(), out, dv, coef);
            return visible;
        }
        for (int r = 0; r < rows; r++) {
            int slot = slotBase + q0 + r;
            if (beam != null) {
                System.arraycopy(acc, r * wp, beam.partial(), slot * dv, dv);
            } else {
                float inv = l[r] > 0 ? 1f / l[r] : 0f;
                RowOps.scale(acc, r * wp, inv, out, (qBase + qb.token(pair, q0 + r)) * dv, dv);
            }
            rowMax[slot] = m[r];
            rowSum[slot] = l[r];
        }
        return visible;
    }

    /** Sets padding columns and causally hidden scores to -inf; returns how many (query, key) pairs stay visible. */
    private static long maskBlock(AttentionShape s, AttentionMask mask, LeafBuckets qb, LeafBuckets kb, int pair, int q0, int rows,
                                  int from, int cols, int colsP, float[] sc, int ld) {
        long visible = 0;
        for (int r = 0; r < rows; r++) {
            int row = r * ld;
            for (int j = cols; j < colsP; j++) sc[row + j] = Float.NEGATIVE_INFINITY;
            if (!mask.causal()) {
                visible += cols;
                continue;
            }
            int limit = mask.keyLimit(s, qb.token(pair, q0 + r));
            for (int j = 0; j < cols; j++) {
                if (kb.token(pair, from + j) >= limit) sc[row + j] = Float.NEGATIVE_INFINITY;
                else visible++;
            }
        }
        return visible;
    }

    /** Fills the rows of queries with no visible key according to the policy; returns rootmean's prefix sums (or null). */
    private float[] applyEmptyPolicy(AttentionShape s, float[] v, AttentionMask mask, float[] out, byte[] fallback) {
        int nq = s.nq(), nk = s.nk(), dv = s.dv();
        boolean any = false;
        for (byte f : fallback) if (f == EMPTY) { any = true; break; }
        if (!any || empty == EmptyLeaf.ZERO) return null;
        if (empty == EmptyLeaf.SELF) {
            Parallel.forRanges(s.pairs() * nq, 1024, (a, b) -> {
                for (int r = a; r < b; r++) {
                    if (fallback[r] != EMPTY) continue;
                    int pair = r / nq, key = selfKey(s, mask, pair, r % nq);
                    if (key >= 0) System.arraycopy(v, (pair * nk + key) * dv, out, r * dv, dv);
                }
            });
            return null;
        }
        // rootmean: prefix sums of unpadded values (and counts) per pair, so a causal query takes its prefix mean.
        float[] prefix = new float[s.pairs() * (nk + 1) * (dv + 1)];
        Parallel.forEach(s.pairs(), pair -> {
            int base = pair * (nk + 1) * (dv + 1), batch = pair / s.heads();
            for (int j = 0; j < nk; j++) {
                int from = base + j * (dv + 1), to = from + dv + 1;
                boolean pad = mask.keyPadding() != null && mask.keyPadding()[batch * nk + j];
                for (int c = 0; c < dv; c++) prefix[to + c] = prefix[from + c] + (pad ? 0f : v[(pair * nk + j) * dv + c]);
                prefix[to + dv] = prefix[from + dv] + (pad ? 0f : 1f);
            }
        });
        Parallel.forRanges(s.pairs() * nq, 1024, (a, b) -> {
            for (int r = a; r < b; r++) {
                if (fallback[r] != EMPTY) continue;
                int pair = r / nq, limit = mask.keyLimit(s, r % nq), at = pair * (nk + 1) * (dv + 1) + limit * (dv + 1);
                float count = prefix[at + dv];
                for (int c = 0; c < dv; c++) out[r * dv + c] = count > 0 ? prefix[at + c] / count : 0f;
            }
        });
        return prefix;
    }

    /** The key at query i's own (end-aligned) position if visible, else -1. */
    private static int selfKey(AttentionShape s, AttentionMask mask, int pair, int i) {
        int key = i + (s.nk() - s.nq());
        if (key < 0 || key >= s.nk()) return -1;
        if (mask.keyPadding() != null && mask.keyPadding()[(pair / s.heads()) * s.nk() + key]) return -1;
        return key;
    }

    @Override
    public void backward(Saved saved, float[] dOut, float[] dq, float[] dk, float[] dv) {
        if (!(saved instanceof Context c)) throw new IllegalArgumentException("tf attention backward got state from " + saved.getClass().getSimpleName());
        AttentionShape s = c.shape();
        s.checkGradients(dOut, dq, dk, dv);
        Arrays.fill(dq, 0f);
        Arrays.fill(dk, 0f);
        Arrays.fill(dv, 0f);
        int leaves = c.qb().leaves();
        float[] lse = ScoreRows.logSumExp(c.rowMax(), c.rowSum()); // each query's log-sum-exp of its visible scores, +inf where it saw none
        float[] rowDots = ScoreRows.rowDots(dOut, c.out(), s.pairs() * s.nq(), s.dv()); // token order, once per query (not per slot)
        // With a beam a query's slots are in several leaves' tasks. Run in order on this thread, each adds its dq rows
        // into the query's; in parallel, each slot gets its own dq row, summed afterwards in the same (leaf) order.
        if (c.beams() != null && Parallel.runsInline()) {
            for (int task = 0; task < s.pairs() * leaves; task++) backwardLeaf(c, lse, rowDots, dOut, dq, true, dk, dv, task / leaves, task % leaves);
        } else {
            float[] dqRows = c.beams() == null ? dq : SLOT_ROWS.get(s.pairs() * c.qb().stride() * s.d());
            Parallel.forEach(s.pairs() * leaves, task -> backwardLeaf(c, lse, rowDots, dOut, dqRows, false, dk, dv, task / leaves, task % leaves));
            if (c.beams() != null) BeamMerge.sumSlots(s, c.beams(), dqRows, (float) (1.0 / Math.sqrt(s.d())), dq);
        }
        backwardEmptyPolicy(c, dOut, dv);
    }

    /** addDq: add this leaf's dq into each query's row (tasks in order on one thread) instead of writing it to the slot's. */
    private void backwardLeaf(Context c, float[] lse, float[] rowDots, float[] dOut, float[] dq, boolean addDq, float[] dkOut, float[] dvOut, int pair, int leaf) {
        AttentionShape s = c.shape();
        LeafBuckets qb = c.qb(), kb = c.kb();
        int queries = qb.count(pair, leaf), keys = kb.count(pair, leaf);
        if (queries == 0) return;
        if (keys == 0) { // no gradient (a beam's descent never picks an empty leaf; kept so slot rows never hold stale values)
            if (c.beams() != null && !addDq) Arrays.fill(dq, (pair * qb.stride() + qb.begin(pair, leaf)) * s.d(), (pair * qb.stride() + qb.end(pair, leaf)) * s.d(), 0f);
            return;
        }
        int d = s.d(), dv = s.dv(), nq = s.nq(), nk = s.nk();
        int dp = pad(d), wp = pad(dv), bc = KEY_BLOCK, br = QUERY_BLOCK;
        int blocks = Math.ceilDiv(keys, bc);
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] q = c.q(), k = c.k(), v = c.v();
        Scratch t = SCRATCH.get();
        float[] ktAll = t.ktAll = Scratch.ensure(t.ktAll, blocks * bc * dp);
        float[] vtAll = t.vtAll = Scratch.ensure(t.vtAll, blocks * bc * wp);
        float[] vRows = t.vs = Scratch.ensure(t.vs, bc * wp);
        float[] ks = t.ks = Scratch.ensure(t.ks, blocks * bc * dp);
        float[] dkAcc = t.dkAcc = Scratch.ensure(t.dkAcc, keys * dp);
        float[] dvAcc = t.dvAcc = Scratch.ensure(t.dvAcc, keys * wp);
        float[] qs = t.qs = Scratch.ensure(t.qs, br * dp);
        float[] dos = t.dos = Scratch.ensure(t.dos, br * wp);
        float[] sc = t.sc = Scratch.ensure(t.sc, br * bc);
        float[] dpb = t.dpb = Scratch.ensure(t.dpb, br * bc);
        float[] dqAcc = t.dqAcc = Scratch.ensure(t.dqAcc, br * dp);
        float[] blockDots = t.m = Scratch.ensure(t.m, br);
        int k0 = kb.begin(pair, leaf), q0 = qb.begin(pair, leaf), kBase = pair * nk, qBase = pair * nq, slotBase = pair * qb.stride();
        boolean bySlot = c.beams() != null && !addDq; // dq goes to the slot's row, not the query's
        // Keys of the leaf, once: K rows (for dQ), K^T per block (for S = Q K^T) and V^T per block (for dP = dO V^T).
        for (int blk = 0; blk < blocks; blk++) {
            int j0 = blk * bc, cols = Math.min(bc, keys - j0), colsP = pad(cols);
            kb.gatherRows(pair, k0 + j0, cols, k, d, 1f, ks, j0 * dp, dp);
            Tiles.transposePadded(ks, j0 * dp, dp, cols, dp, ktAll, blk * bc * dp, colsP);
            kb.gatherRows(pair, k0 + j0, cols, v, dv, 1f, vRows, 0, wp);
            Tiles.transposePadded(vRows, 0, wp, cols, wp, vtAll, blk * bc * wp, colsP);
        }
        Arrays.fill(dkAcc, 0, keys * dp, 0f);
        Arrays.fill(dvAcc, 0, keys * wp, 0f);
        for (int i0 = 0; i0 < queries; i0 += br) {
            int rows = Math.min(br, queries - i0);
            qb.gatherRows(pair, q0 + i0, rows, q, d, scale, qs, 0, dp);
            qb.gatherRows(pair, q0 + i0, rows, dOut, dv, 1f, dos, 0, wp);
            Arrays.fill(dqAcc, 0, rows * dp, 0f);
            for (int r = 0; r < rows; r++) blockDots[r] = rowDots[qBase + qb.token(pair, q0 + i0 + r)];
            for (int blk = 0; blk < blocks; blk++) {
                int j0 = blk * bc, cols = Math.min(bc, keys - j0), colsP = pad(cols), ld = colsP; // tiles as wide as the block: a leaf's is often 16-64
                Tiles.mulBt(qs, 0, rows, dp, ktAll, blk * bc * dp, colsP, sc, 0, ld);
                maskBlock(s, c.mask(), qb, kb, pair, q0 + i0, rows, k0 + j0, cols, colsP, sc, ld);
                for (int r = 0; r < rows; r++) ScoreRows.probabilities(sc, r * ld, colsP, 1f, lse[slotBase + q0 + i0 + r]);
                Tiles.mulTransAcc(sc, 0, ld, rows, cols, dos, 0, wp, dvAcc, j0 * wp);
                Tiles.mulBt(dos, 0, rows, wp, vtAll, blk * bc * wp, colsP, dpb, 0, ld);
                for (int r = 0; r < rows; r++) ScoreRows.softmaxGrad(sc, dpb, r * ld, colsP, blockDots[r], 1f);
                Tiles.mulTransAcc(dpb, 0, ld, rows, cols, qs, 0, dp, dkAcc, j0 * dp);
                Tiles.mulAcc(dpb, 0, ld, rows, cols, ks, j0 * dp, dp, dqAcc, 0);
            }
            if (addDq) qb.addRows(pair, q0 + i0, rows, dqAcc, 0, dp, scale, dq, d); // as sumSlots adds a slot row
            else for (int r = 0; r < rows; r++) {
                int row = bySlot ? slotBase + q0 + i0 + r : qBase + qb.token(pair, q0 + i0 + r);
                if (bySlot) System.arraycopy(dqAcc, r * dp, dq, row * d, d); // scaled when summed
                else for (int x = 0; x < d; x++) dq[row * d + x] = dqAcc[r * dp + x] * scale;
            }
        }
        for (int j = 0; j < keys; j++) {
            int key = kb.token(pair, k0 + j);
            System.arraycopy(dkAcc, j * dp, dkOut, (kBase + key) * d, d);
            System.arraycopy(dvAcc, j * wp, dvOut, (kBase + key) * dv, dv);
        }
    }

    private void backwardEmptyPolicy(Context c, float[] dOut, float[] dv) {
        if (empty == EmptyLeaf.ZERO) return;
        AttentionShape s = c.shape();
        int nq = s.nq(), nk = s.nk(), w = s.dv();
        byte[] fallback = c.fallback();
        AttentionMask mask = c.mask();
        Parallel.forEach(s.pairs(), pair -> {
            if (empty == EmptyLeaf.SELF) {
                for (int i = 0; i < nq; i++) {
                    if (fallback[pair * nq + i] != EMPTY) continue;
                    int key = selfKey(s, mask, pair, i);
                    if (key >= 0) for (int x = 0; x < w; x++) dv[(pair * nk + key) * w + x] += dOut[(pair * nq + i) * w + x];
                }
                return;
            }
            // rootmean: query i spreads dO_i / count_i over the unpadded keys below its limit; a suffix sum delivers it.
            float[] atLimit = new float[(nk + 1) * w];
            int batch = pair / s.heads();
            for (int i = 0; i < nq; i++) {
                if (fallback[pair * nq + i] != EMPTY) continue;
                int limit = mask.keyLimit(s, i);
                int count = 0;
                for (int j = 0; j < limit; j++) if (mask.keyPadding() == null || !mask.keyPadding()[batch * nk + j]) count++;
                if (count == 0) continue;
                for (int x = 0; x < w; x++) atLimit[limit * w + x] += dOut[(pair * nq + i) * w + x] / count;
            }
            float[] running = new float[w];
            for (int j = nk - 1; j >= 0; j--) {
                for (int x = 0; x < w; x++) running[x] += atLimit[(j + 1) * w + x];
                if (mask.keyPadding() != null && mask.keyPadding()[batch * nk + j]) continue;
                for (int x = 0; x < w; x++) dv[(pair * nk + j) * w + x] += running[x];
            }
        });
    }

    private long workingBytes(AttentionShape s, LeafBuckets qb, LeafBuckets kb, MassRouting.Beams beams, int tasks, int prefixFloats) {
        int dp = pad(s.d()), wp = pad(s.dv()), bc = KEY_BLOCK, br = QUERY_BLOCK;
        int maxKeys = kb.maxCount(), keysP = Math.ceilDiv(Math.max(1, maxKeys), bc) * bc;
        int threads = Math.max(1, Math.min(Parallel.threads(), tasks));
        long slots = (long) s.pairs() * qb.stride();
        long shared = qb.bytes() + kb.bytes() + 4L * 2 * (qb.order().length + kb.order().length) /* routed leaf ids */
                + 8L * slots + s.pairs() * s.nq() /* row max and sum, fallback */ + 8L * tasks /* visible pairs per leaf */
                + 4L * prefixFloats
                + (beams == null ? 0 : beams.bytes() + 4L * slots * Math.max(s.dv(), s.d()) /* partial outputs, then dq rows */);
        long keysKept = maxKeys <= CACHED_KEYS ? keysP : bc; // one leaf's keys, or one streamed block
        long forwardThread = 4L * (keysKept * (dp + wp) /* transposed keys, value rows */ + (long) bc * dp /* key rows */ + br * dp /* queries */ + br * bc + br * wp + 2L * br);
        long backwardThread = 4L * ((long) keysP * dp * 2 + (long) keysP * wp + (long) bc * wp + (long) maxKeys * (dp + wp) + br * dp + br * wp + 2L * br * bc + br * dp);
        return shared + threads * Math.max(forwardThread, backwardThread);
    }


}
