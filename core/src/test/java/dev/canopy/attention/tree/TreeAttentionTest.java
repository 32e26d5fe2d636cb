package dev.canopy.attention.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.kernels.VecOps;
import dev.canopy.nn.Pass;
import dev.canopy.testing.GradCheck;
import dev.canopy.testing.ReferenceAttention;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TreeAttentionTest {

    private static float[] rnd(Random r, int n) {
        return GradCheck.random(r, n, 1f);
    }

    private static void assertClose(String what, double[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol, what + " element " + i + ": expected " + expected[i] + " got " + actual[i]);
        }
    }

    private static AttentionMask someKeysPadded(int batch, int nk, Random r) {
        boolean[] pad = new boolean[batch * nk];
        for (int i = 0; i < pad.length; i++) pad[i] = r.nextInt(5) == 0;
        pad[0] = false;
        return AttentionMask.padding(pad);
    }

    @Test
    void heightZeroTfEqualsExactAttentionForwardAndBackward() {
        Random r = new Random(1);
        AttentionShape s = new AttentionShape(1, 2, 100, 130, 20, 12);
        float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize()), dOut = rnd(r, s.outSize());
        for (AttentionMask mask : new AttentionMask[] {AttentionMask.NONE, AttentionMask.CAUSAL, someKeysPadded(1, 130, r)}) {
            Attention tf = Attentions.create("tf:h=0", new AttentionSetup(2, 20, 512, 5));
            float[] out = new float[s.outSize()];
            Attention.Saved saved = tf.forward(s, q, k, v, mask, Pass.INFERENCE, out);
            assertClose("tf h=0 forward " + mask, ReferenceAttention.forward(s, q, k, v, mask), out, 2e-5);
            float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
            tf.backward(saved, dOut, dq, dk, dv);
            double[][] ref = ReferenceAttention.backward(s, q, k, v, mask, dOut);
            assertClose("tf h=0 dq", ref[0], dq, 5e-5);
            assertClose("tf h=0 dk", ref[1], dk, 5e-5);
            assertClose("tf h=0 dv", ref[2], dv, 5e-5);
            long visible = 0;
            double[] p = ReferenceAttention.probabilities(s, q, k, mask);
            for (int pair = 0; pair < s.pairs(); pair++)
                for (int i = 0; i < s.nq(); i++)
                    for (int j = 0; j < s.nk(); j++) if (mask.allowed(s, pair / s.heads(), i, j)) visible++;
            assertEquals(2L * visible * (s.d() + s.dv()), saved.flops(), "h=0 TF flops = exact flops (no routing)");
            assertTrue(p.length > 0);
        }
    }

    @Test
    void heightZeroTcIsTheMeanOfUnpaddedValues() {
        Random r = new Random(2);
        AttentionShape s = new AttentionShape(2, 2, 40, 33, 8, 5);
        float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize());
        AttentionMask mask = someKeysPadded(2, 33, r);
        float[] out = new float[s.outSize()];
        Attentions.create("tc:h=0", new AttentionSetup(2, 8, 64, 1)).forward(s, q, k, v, mask, Pass.INFERENCE, out);
        for (int pair = 0; pair < s.pairs(); pair++) {
            double[] mean = new double[s.dv()];
            int count = 0;
            for (int j = 0; j < s.nk(); j++) {
                if (mask.keyPadding()[(pair / s.heads()) * s.nk() + j]) continue;
                count++;
                for (int c = 0; c < s.dv(); c++) mean[c] += v[(pair * s.nk() + j) * s.dv() + c];
            }
            for (int i = 0; i < s.nq(); i++)
                for (int c = 0; c < s.dv(); c++) assertEquals(mean[c] / count, out[(pair * s.nq() + i) * s.dv() + c], 1e-5);
        }
    }

    @Test
    void everyTokenForcedIntoOneLeafIsExactAttention() {
        Random r = new Random(3);
        // 300 keys: the leaf's keys are gathered once; 1100 (> CACHED_KEYS): they are streamed per query block.
        for (AttentionShape s : new AttentionShape[] {new AttentionShape(1, 2, 300, 300, 16, 16), new AttentionShape(1, 1, 70, 1100, 8, 8)}) {
            float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize());
            TreeBank bank = new TreeBank(s.heads(), 3, s.d(), false, 1);
            for (int h = 0; h < s.heads(); h++) { // w = 0, b = +1: z = 1 >= 0 everywhere, so every token goes left to leaf 0
                Arrays.fill(bank.tree(h).w(), 0f);
                Arrays.fill(bank.tree(h).b(), 1f);
                bank.tree(h).markInitialised();
            }
            for (AttentionMask mask : new AttentionMask[] {AttentionMask.NONE, AttentionMask.CAUSAL}) {
                float[] out = new float[s.outSize()];
                new TfAttention(bank, TfAttention.EmptyLeaf.ZERO).forward(s, q, k, v, mask, Pass.INFERENCE, out);
                assertClose("single leaf " + s + " " + mask, ReferenceAttention.forward(s, q, k, v, mask), out, 2e-5);
            }
        }
    }

    @Test
    void tfMatchesLeafRestrictedOracleWithBalancedLeaves() {
        Random r = new Random(4);
        AttentionShape s = new AttentionShape(2, 2, 512, 512, 16, 8);
        float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize());
        TfAttention tf = (TfAttention) Attentions.create("tf:h=3", new AttentionSetup(2, 16, 512, 9));
        float[] out = new float[s.outSize()];
        Attention.Saved saved = tf.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out);
        assertClose("tf h=3", TreeTestSupport.tfReference(tf.trees(), s, q, k, v, AttentionMask.NONE), out, 2e-5);
        // Balanced init on these keys: every leaf holds exactly 1024 / 8 keys (the init uses both batch items).
        int[] lk = TreeTestSupport.leaves(tf.trees(), s, k, s.nk());
        for (int head = 0; head < 2; head++) {
            int[] perLeaf = new int[8];
            for (int b = 0; b < 2; b++) for (int j = 0; j < 512; j++) perLeaf[lk[(b * 2 + head) * 512 + j]]++;
            for (int c : perLeaf) assertEquals(128, c, "balanced leaves " + Arrays.toString(perLeaf));
        }
        // FLOPs: routing 2 (nq + nk) d h per pair plus 2 c_q c_k (d + dv) per leaf.
        int[] lq = TreeTestSupport.leaves(tf.trees(), s, q, s.nq());
        long expected = 2L * s.pairs() * (512 + 512) * 16 * 3;
        for (int pair = 0; pair < s.pairs(); pair++) {
            long[] cq = new long[8], ck = new long[8];
            for (int i = 0; i < 512; i++) { cq[lq[pair * 512 + i]]++; ck[lk[pair * 512 + i]]++; }
            for (int l = 0; l < 8; l++) expected += 2L * cq[l] * ck[l] * (16 + 8);
        }
        assertEquals(expected, saved.flops());
    }

    @Test
    void lazyInitFitsOnceAndKeepsLoadedWeights() {
        Random r = new Random(8);
        AttentionShape s = AttentionShape.self(1, 1, 64, 4);
        float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize()), out = new float[s.outSize()];
        TfAttention fitted = (TfAttention) Attentions.create("tf:h=2", new AttentionSetup(1, 4, 64, 1));
        fitted.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out);
        float[] w = fitted.trees().tree(0).w().clone();
        fitted.forward(s, rnd(r, s.qSize()), rnd(r, s.kSize()), v, AttentionMask.NONE, Pass.INFERENCE, out);
        assertArrayEquals(w, fitted.trees().tree(0).w(), "fitted once, on the first forward");
        // Weights written into the parameters (as a checkpoint load does) are never refitted.
        TfAttention loaded = (TfAttention) Attentions.create("tf:h=2", new AttentionSetup(1, 4, 64, 1));
        float[] custom = rnd(r, w.length);
        System.arraycopy(custom, 0, loaded.parameters().get(0).data, 0, custom.length);
        loaded.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out);
        assertArrayEquals(custom, loaded.trees().tree(0).w());
    }

    @Test
    void batchRoutingSendsEveryRowToTheLeafOfItsOwnWalk() {
        Random r = new Random(17);
        for (int dim : new int[] {64, 37, 32}) {
            for (int h : new int[] {1, 5, 8}) {
                DecisionTree t = new DecisionTree("t", h, dim);
                t.initRandom(r.nextLong());
                int rows = 101, stride = dim + 3; // rows that end mid-block, with a stride wider than the row
                float[] x = rnd(r, 7 + rows * stride);
                for (int nanRow : new int[] {3, 40, 99}) x[7 + nanRow * stride + r.nextInt(dim)] = Float.NaN; // NaN always goes right
                int[] leaves = new int[rows + 2];
                Arrays.fill(leaves, -1);
                t.route(x, 7, stride, rows, leaves, 1);
                assertEquals(-1, leaves[0], "writes start at outOff");
                assertEquals(-1, leaves[rows + 1], "writes stop after rows");
                for (int i = 0; i < rows; i++) assertEquals(t.leaf(x, 7 + i * stride), leaves[1 + i], "row " + i + " (d=" + dim + ", h=" + h + ")");
            }
        }
    }

    @Test
    void batchRoutingAddsEachDotProductInTheOneRowWalksOrder() {
        // Every row is x and b = -(w . x) as the one-row walk adds it, so z is exactly 0 and every row goes left. Any
        // other order of additions leaves z a few ulps off 0 for much of such data, sending rows right.
        Random r = new Random(23);
        int orderShows = 0;
        for (int dim : new int[] {32, 64, 128}) {
            for (int trial = 0; trial < 40; trial++) {
                DecisionTree t = new DecisionTree("t", 1, dim);
                float[] x = new float[dim];
                for (int c = 0; c < dim; c++) {
                    t.w()[c] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
                    x[c] = (float) r.nextGaussian();
                }
                float walkDot = VecOps.dot(t.w(), 0, x, 0, dim), sequential = 0f;
                for (int c = 0; c < dim; c++) sequential += t.w()[c] * x[c];
                if (sequential != walkDot) orderShows++;
                t.b()[0] = -walkDot;
                t.markInitialised();
                int rows = 25; // a block of sixteen, two groups of four and a single row
                float[] xs = new float[rows * dim];
                for (int i = 0; i < rows; i++) System.arraycopy(x, 0, xs, i * dim, dim);
                int[] leaves = new int[rows];
                t.route(xs, 0, dim, rows, leaves, 0);
                for (int i = 0; i < rows; i++) assertEquals(0, leaves[i], "row " + i + " (d=" + dim + ", trial " + trial + ")");
            }
        }
        assertTrue(orderShows > 30, "the data must make the order of additions show; it did in " + orderShows + " of 120");
    }

    @Test
    void branchFreeDirectionFollowsTheTieAndNanRules() {
        assertEquals(0, DecisionTree.goesRight(0f));
        assertEquals(0, DecisionTree.goesRight(-0f), "-0 >= 0, so it goes left like +0");
        assertEquals(0, DecisionTree.goesRight(Float.MIN_VALUE));
        assertEquals(1, DecisionTree.goesRight(-Float.MIN_VALUE));
        assertEquals(1, DecisionTree.goesRight(Float.NaN), "NaN >= 0 is false: right");
        assertEquals(1, DecisionTree.goesRight(Float.intBitsToFloat(0xffc00000)), "negative NaN: right");
        assertEquals(0, DecisionTree.goesRight(Float.POSITIVE_INFINITY));
        assertEquals(1, DecisionTree.goesRight(Float.NEGATIVE_INFINITY));
    }

    @Test
    void leafRowsAreScaledPaddedCopiesOfTheKeptTokens() {
        int n = 9, width = 5, ld = 8;
        int[] leaf = {2, 0, 1, 0, 2, 1, 1, 0, 3, /* pair 1: six tokens in leaf 3 */ 3, 3, 0, 3, 2, 3, 3, 2, 3};
        boolean[] skip = new boolean[2 * n];
        skip[4] = skip[n + 2] = true;
        LeafBuckets[] both = LeafBuckets.of(leaf, n, leaf, n, 2, 2, 4, skip);
        LeafBuckets queries = both[0], b = both[1];
        float[] x = rnd(new Random(3), 2 * n * width);
        for (int p = 0; p < 2; p++) {
            assertEquals(8, b.end(p, 3), "one skipped key per pair");
            assertEquals(n, queries.end(p, 3), "queries are never skipped");
            for (int r = 1; r < n; r++) {
                int before = queries.token(p, r - 1), after = queries.token(p, r);
                assertTrue(leaf[p * n + before] < leaf[p * n + after] || before < after, "queries grouped by leaf, in token order within one");
            }
            for (int leafId = 0; leafId < 4; leafId++) {
                int from = b.begin(p, leafId), count = b.count(p, leafId), offset = 3;
                float[] rows = new float[offset + count * ld];
                Arrays.fill(rows, Float.NaN); // padding must be written, not left over
                b.gatherRows(p, from, count, x, width, 0.5f, rows, offset, ld);
                for (int r = 0; r < count; r++) {
                    int token = b.token(p, from + r);
                    assertEquals(leafId, leaf[p * n + token], "bucket holds its leaf's tokens");
                    for (int c = 0; c < ld; c++) {
                        float expected = c < width ? 0.5f * x[(p * n + token) * width + c] : 0f;
                        assertEquals(expected, rows[offset + r * ld + c], "pair " + p + " leaf " + leafId + " row " + r + " col " + c);
                    }
                }
            }
        }
    }

    @Test
    void routingInvariants() {
        DecisionTree tree = new DecisionTree("t", 3, 4);
        Arrays.fill(tree.w(), 0f);
        tree.w()[0] = 1f;
        tree.b()[0] = -2f;
        float[] x = {2f, 0f, 0f, 0f};
        assertEquals(0f, tree.z(0, x, 0));
        assertTrue(tree.leaf(x, 0) < 4, "z exactly 0 at the root goes left (leaves 0..3 are under the left child)");
        x[0] = Math.nextDown(2f);
        assertTrue(tree.leaf(x, 0) >= 4, "z just below 0 goes right");

        Random r = new Random(5);
        for (int h = 1; h <= 5; h++) {
            DecisionTree t = new DecisionTree("t", h, 6);
            t.initRandom(r.nextLong());
            int[] path = new int[h + 1];
            for (int trial = 0; trial < 200; trial++) {
                float[] p = rnd(r, 6);
                int leaf = t.leaf(p, 0);
                TcAttention.groupNodes(CentroidGroups.PATH, h, t.leafNode(leaf), path);
                assertEquals(0, path[0]);
                for (int l = 0; l < h; l++) {
                    int expectedChild = t.z(path[l], p, 0) >= 0 ? 2 * path[l] + 1 : 2 * path[l] + 2;
                    assertEquals(expectedChild, path[l + 1], "child id of node " + path[l]);
                }
                // DGT: argmax_L (A sign(z))_L is the traversal leaf and its score is h.
                int best = -1;
                int bestScore = Integer.MIN_VALUE;
                for (int l = 0; l < t.leaves(); l++) {
                    int score = 0;
                    for (int n = 0; n < t.internalNodes(); n++) score += t.andEntry(l, n) * (t.z(n, p, 0) >= 0 ? 1 : -1);
                    if (score > bestScore) { bestScore = score; best = l; }
                }
                assertEquals(leaf, best);
                assertEquals(h, bestScore);
            }
        }
    }

    @Test
    void siblingGroupsPartitionTheKeys() {
        int h = 4, leaves = 1 << h;
        int[] g = new int[h + 1];
        for (int leaf = 0; leaf < leaves; leaf++) {
            TcAttention.groupNodes(CentroidGroups.SIBLINGS, h, leaves - 1 + leaf, g);
            TreeTestSupport.assertEachLeafOnce(g, leaves, "leaf " + leaf + " groups " + Arrays.toString(g));
        }
    }

    @Test
    void tcMatchesItsDoublePrecisionOracle() {
        // d = 32 and 40 queries per pair: sixteen queries at a time where the vectors allow it, one at a time after.
        Random r = new Random(31);
        AttentionShape s = new AttentionShape(2, 2, 40, 90, 32, 24);
        float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize());
        for (CentroidGroups groups : CentroidGroups.values()) {
            for (float beta : new float[] {0f, 0.7f}) {
                AttentionMask mask = someKeysPadded(2, 90, r);
                TcAttention tc = new TcAttention(new TreeBank(2, 4, 32, false, 5), beta, groups, true);
                float[] out = new float[s.outSize()];
                tc.forward(s, q, k, v, mask, Pass.INFERENCE, out);
                assertClose("tc " + groups + " countbias " + beta, TreeTestSupport.tcReference(tc.trees(), groups, beta, s, q, k, v, mask), out, 2e-5);
            }
        }
    }

    @Test
    void tcKeyPassInSeveralPiecesMatchesTheOracle() {
        // 3000 keys: two pieces of 2048 keys' sums; 5000: pieces of 4096. Padded keys in both.
        Random r = new Random(33);
        for (int nk : new int[] {3000, 5000}) {
            AttentionShape s = new AttentionShape(1, 2, 20, nk, 16, 8);
            float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize());
            AttentionMask mask = someKeysPadded(1, nk, r);
            TcAttention tc = new TcAttention(new TreeBank(2, 3, 16, false, 7), 0.4f, CentroidGroups.PATH, true);
            float[] out = new float[s.outSize()];
            tc.forward(s, q, k, v, mask, Pass.INFERENCE, out);
            assertClose("tc with " + nk + " keys", TreeTestSupport.tcReference(tc.trees(), CentroidGroups.PATH, 0.4f, s, q, k, v, mask), out, 2e-5);
        }
    }

    @Test
    void tcGivesEachQueryTheSameBitsAloneAsInABlockOfSixteen() {
        Random r = new Random(32);
        AttentionShape all = new AttentionShape(1, 1, 48, 70, 16, 16), one = new AttentionShape(1, 1, 1, 70, 16, 16);
        float[] q = rnd(r, all.qSize()), k = rnd(r, all.kSize()), v = rnd(r, all.vSize());
        TcAttention tc = new TcAttention(new TreeBank(1, 3, 16, false, 6), 0.3f, CentroidGroups.PATH, true);
        float[] out = new float[all.outSize()];
        tc.forward(all, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out);
        for (int i = 0; i < 48; i++) {
            float[] alone = new float[16];
            tc.forward(one, Arrays.copyOfRange(q, i * 16, (i + 1) * 16), k, v, AttentionMask.NONE, Pass.INFERENCE, alone);
            assertArrayEquals(Arrays.copyOfRange(out, i * 16, (i + 1) * 16), alone, "query " + i);
        }
    }

    @Test
    void paddedKeysNeverChangeOutputs() {
        Random r = new Random(6);
        AttentionShape s = new AttentionShape(2, 2, 200, 200, 8, 8);
        float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize());
        AttentionMask mask = someKeysPadded(2, 200, r);
        for (String spec : new String[] {"tf:h=3", "tf:h=3,empty=rootmean", "tc:h=3", "tc:h=3,groups=siblings,countbias=1"}) {
            Attention a = Attentions.create(spec, new AttentionSetup(2, 8, 256, 3));
            float[] out1 = new float[s.outSize()], out2 = new float[s.outSize()];
            a.forward(s, q, k, v, mask, Pass.INFERENCE, out1);
            float[] k2 = k.clone(), v2 = v.clone();
            for (int pair = 0; pair < s.pairs(); pair++)
                for (int j = 0; j < 200; j++)
                    if (mask.keyPadding()[(pair / 2) * 200 + j]) {
                        for (int c = 0; c < 8; c++) { k2[(pair * 200 + j) * 8 + c] = 50f * (c + 1); v2[(pair * 200 + j) * 8 + c] = -1e3f; }
                    }
            a.forward(s, q, k2, v2, mask, Pass.INFERENCE, out2);
            assertArrayEquals(out1, out2, spec);
        }
    }

    @Test
    void emptyLeafPolicies() {
        // Height 1 with every key forced right and every query left: all queries see an empty leaf.
        AttentionShape s = new AttentionShape(1, 1, 6, 6, 2, 3);
        Random r = new Random(7);
        float[] k = rnd(r, s.kSize()), v = rnd(r, s.vSize()), q = rnd(r, s.qSize());
        for (int i = 0; i < 6; i++) { k[i * 2] = -5f; q[i * 2] = 5f; }
        TreeBank bank = new TreeBank(1, 1, 2, false, 0);
        bank.tree(0).w()[0] = 1f;
        bank.tree(0).w()[1] = 0f;
        bank.tree(0).markInitialised();
        float[] out = new float[s.outSize()];
        new TfAttention(bank, TfAttention.EmptyLeaf.ZERO).forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out);
        for (float o : out) assertEquals(0f, o);
        new TfAttention(bank, TfAttention.EmptyLeaf.SELF).forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out);
        assertArrayEquals(v, out);
        new TfAttention(bank, TfAttention.EmptyLeaf.ROOTMEAN).forward(s, q, k, v, AttentionMask.CAUSAL, Pass.INFERENCE, out);
        for (int i = 0; i < 6; i++)
            for (int c = 0; c < 3; c++) {
                double mean = 0;
                for (int j = 0; j <= i; j++) mean += v[j * 3 + c];
                assertEquals(mean / (i + 1), out[i * 3 + c], 1e-5);
            }
        // Gradient of the rootmean fallback against finite differences.
        TfAttention rootmean = new TfAttention(bank, TfAttention.EmptyLeaf.ROOTMEAN);
        float[] w = rnd(r, s.outSize());
        Attention.Saved saved = rootmean.forward(s, q, k, v, AttentionMask.CAUSAL, Pass.INFERENCE, out);
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        rootmean.backward(saved, w, dq, dk, dv);
        double[] num = GradCheck.numerical(v, () -> {
            float[] o = new float[s.outSize()];
            rootmean.forward(s, q, k, v, AttentionMask.CAUSAL, Pass.INFERENCE, o);
            return GradCheck.dot(o, w);
        }, 1e-2f);
        GradCheck.assertClose("rootmean dv", num, dv, 1e-3, 1e-4);
    }

    /**
     * Finite differences on q, k, v with the routing held fixed: after the trees are fitted, every token is moved at
     * least 0.05 away from each split on its path, and the check fails if any nudge still changes a leaf.
     */
    private static void gradCheckFixedRouting(String spec, AttentionShape s, AttentionMask mask, long seed) {
        Random r = new Random(seed);
        float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize()), w = rnd(r, s.outSize());
        float[] out = new float[s.outSize()];
        Attention a = Attentions.create(spec, new AttentionSetup(s.heads(), s.d(), 256, seed));
        a.forward(s, q, k, v, mask, Pass.INFERENCE, out); // fits the trees on these keys
        TreeBank bank = a instanceof TfAttention tf ? tf.trees() : ((TcAttention) a).trees();
        TreeTestSupport.pushAwayFromSplits(bank, s, q, s.nq(), 0.05f);
        TreeTestSupport.pushAwayFromSplits(bank, s, k, s.nk(), 0.05f);
        assertTrue(TreeTestSupport.routingMargin(bank, s, q, s.nq()) >= 0.05 && TreeTestSupport.routingMargin(bank, s, k, s.nk()) >= 0.05, "inputs still sit on a split");
        Attention.Saved saved = a.forward(s, q, k, v, mask, Pass.INFERENCE, out);
        final float[] fq = q, fk = k, fv = v, fw = w;
        final Attention fa = a;
        final TreeBank fbank = bank;
        int[] lq = TreeTestSupport.leaves(bank, s, q, s.nq()), lk = TreeTestSupport.leaves(bank, s, k, s.nk());
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        a.backward(saved, w, dq, dk, dv);
        java.util.function.DoubleSupplier loss = () -> {
            assertArrayEquals(lq, TreeTestSupport.leaves(fbank, s, fq, s.nq()), "a nudge moved a query across a split");
            assertArrayEquals(lk, TreeTestSupport.leaves(fbank, s, fk, s.nk()), "a nudge moved a key across a split");
            float[] o = new float[s.outSize()];
            fa.forward(s, fq, fk, fv, mask, Pass.INFERENCE, o);
            return GradCheck.dot(o, fw);
        };
        float eps = 2e-3f;
        GradCheck.assertClose(spec + " dq", GradCheck.numerical(q, loss, eps), dq, 2e-2, 2e-3);
        GradCheck.assertClose(spec + " dk", GradCheck.numerical(k, loss, eps), dk, 2e-2, 2e-3);
        GradCheck.assertClose(spec + " dv", GradCheck.numerical(v, loss, eps), dv, 2e-2, 2e-3);
    }

    @Test
    void tfGradientsMatchFiniteDifferencesWithRoutingFixed() {
        gradCheckFixedRouting("tf:h=2", new AttentionShape(1, 2, 40, 40, 6, 5), AttentionMask.NONE, 11);
        gradCheckFixedRouting("tf:h=2,empty=self", new AttentionShape(1, 1, 40, 40, 6, 5), AttentionMask.CAUSAL, 12);
    }

    @Test
    void tcGradientsMatchFiniteDifferencesWithRoutingFixed() {
        Random r = new Random(3);
        gradCheckFixedRouting("tc:h=2", new AttentionShape(1, 2, 30, 40, 6, 5), AttentionMask.NONE, 13);
        gradCheckFixedRouting("tc:h=2,countbias=0.7,groups=siblings", new AttentionShape(2, 1, 30, 40, 6, 5), someKeysPadded(2, 40, r), 14);
    }

    @Test
    void tcTreeSurrogateIsNonZeroAndMatchesItsAnalyticForm() {
        for (CentroidGroups groups : CentroidGroups.values()) {
            for (boolean padded : new boolean[] {false, true}) checkTreeSurrogate(groups, padded);
        }
    }

    /**
     * The tree gradients (and, with routegrad=on, the input gradients they add to dq and dk) against the DGT chain in
     * double fed with finite-difference leaf gradients of the soft TC forward. 20 queries and 24 keys: the vectorised
     * surrogate's last lanes run past the tokens.
     */
    private static void checkTreeSurrogate(CentroidGroups groups, boolean padded) {
        Random r = new Random(21);
        int h = 2, leaves = 4, heads = 2, nq = 20, nk = 24, d = 4, dv = 3;
        AttentionShape s = new AttentionShape(1, heads, nq, nk, d, dv);
        float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize()), w = rnd(r, s.outSize());
        AttentionMask mask = padded ? someKeysPadded(1, nk, r) : AttentionMask.NONE;
        float beta = 0.5f;
        String what = groups + (padded ? " padded" : "");
        TcAttention tc = new TcAttention(new TreeBank(heads, h, d, false, 3), beta, groups, true);
        float[] out = new float[s.outSize()];
        tc.forward(s, q, k, v, mask, Pass.INFERENCE, out);
        // The balanced init puts one key of each node at exactly |z| = 1 (the scale is set by the median |z|);
        // stretch the hyperplanes slightly so no token sits on the edge of the straight-through window, where
        // float and double rounding would disagree about it.
        for (int head = 0; head < heads; head++) {
            for (int i = 0; i < tc.trees().tree(head).w().length; i++) tc.trees().tree(head).w()[i] *= 1.0173f;
            for (int i = 0; i < tc.trees().tree(head).b().length; i++) tc.trees().tree(head).b()[i] *= 1.0173f;
        }
        Attention.Saved saved = tc.forward(s, q, k, v, mask, Pass.INFERENCE, out);
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dvv = new float[s.vSize()];
        tc.backward(saved, w, dq, dk, dvv);
        int[] lq = TreeTestSupport.leaves(tc.trees(), s, q, nq), lk = TreeTestSupport.leaves(tc.trees(), s, k, nk);
        double[] dqRoute = new double[s.qSize()], dkRoute = new double[s.kSize()];
        for (int head = 0; head < heads; head++) {
            DecisionTree tree = tc.trees().tree(head);
            double[][] pk = new double[nk][leaves], pq = new double[nq][leaves];
            for (int j = 0; j < nk; j++) if (!(padded && mask.keyPadding()[j])) pk[j][lk[head * nk + j]] = 1;
            for (int i = 0; i < nq; i++) pq[i][lq[head * nq + i]] = 1;
            int qOff = head * nq * d, kOff = head * nk * d, vOff = head * nk * dv, wOff = head * nq * dv;
            java.util.function.DoubleSupplier loss = () -> TreeTestSupport.softTcLoss(groups, beta, h, nq, nk, d, dv, q, qOff, k, kOff, v, vOff, pk, pq, w, wOff);
            // The soft forward at one-hot leaf weights is the hard forward.
            double check = 0;
            for (int i = 0; i < nq * dv; i++) check += (double) out[wOff + i] * w[wOff + i];
            assertEquals(check, loss.getAsDouble(), 1e-4, what);
            double[] dW = new double[(leaves - 1) * d], dB = new double[leaves - 1];
            for (double[][] weights : new double[][][] {pk, pq}) {
                boolean keys = weights == pk;
                for (int t = 0; t < weights.length; t++) {
                    if (keys && padded && mask.keyPadding()[t]) continue; // a padded key has no leaf weights to move
                    double[] g = new double[leaves];
                    for (int l = 0; l < leaves; l++) {
                        double saved0 = weights[t][l], eps = 1e-5;
                        weights[t][l] = saved0 + eps;
                        double plus = loss.getAsDouble();
                        weights[t][l] = saved0 - eps;
                        double minus = loss.getAsDouble();
                        weights[t][l] = saved0;
                        g[l] = (plus - minus) / (2 * eps);
                    }
                    int off = (keys ? kOff : qOff) + t * d;
                    TreeTestSupport.dgtChain(tree, keys ? k : q, off, g, dW, dB, keys ? dkRoute : dqRoute);
                }
            }
            GradCheck.assertClose(what + " head " + head + " dW", dW, toDouble(tree.wGrad()), 1e-3, 1e-5);
            GradCheck.assertClose(what + " head " + head + " db", dB, toDouble(tree.bGrad()), 1e-3, 1e-5);
            double max = 0;
            for (float x : tree.wGrad()) max = Math.max(max, Math.abs(x));
            assertTrue(max > 1e-3, "tree gradient should be non-zero in TC mode, max |dW| = " + max);
        }
        // routegrad=on: the same chain adds dz . W into dq and dk, on top of the attention gradients.
        TcAttention routed = new TcAttention(tc.trees(), beta, groups, true, true);
        float[] dq2 = new float[s.qSize()], dk2 = new float[s.kSize()];
        routed.backward(routed.forward(s, q, k, v, mask, Pass.INFERENCE, out), w, dq2, dk2, dvv);
        GradCheck.assertClose(what + " routegrad dq", dqRoute, difference(dq2, dq), 1e-3, 1e-5);
        GradCheck.assertClose(what + " routegrad dk", dkRoute, difference(dk2, dk), 1e-3, 1e-5);
        assertTrue(Arrays.stream(dqRoute).anyMatch(x -> Math.abs(x) > 1e-3), "routegrad should move dq");
    }

    private static double[] difference(float[] a, float[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) out[i] = (double) a[i] - b[i];
        return out;
    }

    private static double[] toDouble(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i];
        return out;
    }

    @Test
    void badSpecsAndShapesAreRejectedClearly() {
        AttentionSetup setup = new AttentionSetup(2, 8, 64, 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Attentions.create("tf", setup)).getMessage().contains("h="));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Attentions.create("tf:h=3,empty=maybe", setup)).getMessage().contains("empty"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Attentions.create("tc:h=3,groups=x", setup)).getMessage().contains("groups"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Attentions.create("tc:h=3,k=2", setup)).getMessage().contains("'k'"));
        Attention tc = Attentions.create("tc:h=2", setup);
        AttentionShape s = AttentionShape.self(1, 2, 16, 8);
        float[] x = new float[s.qSize()];
        assertTrue(assertThrows(IllegalArgumentException.class, () -> tc.forward(s, x, x, x, AttentionMask.CAUSAL, Pass.INFERENCE, new float[s.outSize()]))
                .getMessage().contains("causal"));
        AttentionShape wrong = AttentionShape.self(1, 3, 16, 8);
        float[] y = new float[wrong.qSize()];
        assertTrue(assertThrows(IllegalArgumentException.class, () -> tc.forward(wrong, y, y, y, AttentionMask.NONE, Pass.INFERENCE, new float[wrong.outSize()]))
                .getMessage().contains("heads=2"));
        assertEquals(4, tc.parameters().size(), "w and b per head");
    }
}
