package dev.canopy.attention.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.kernels.Parallel;
import dev.canopy.nn.Pass;
import dev.canopy.testing.GradCheck;
import dev.canopy.testing.ReferenceAttention;
import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** TF attention with queries routed by a beam descent by mass ({@code route=mass}, {@code beam=B}). */
class TfAttentionBeamTest {

    private static float[] rnd(Random r, int n) {
        return GradCheck.random(r, n, 1f);
    }

    private static boolean[] someKeysPadded(int batch, int nk, Random r) {
        boolean[] pad = new boolean[batch * nk];
        for (int i = 0; i < pad.length; i++) pad[i] = r.nextInt(5) == 0;
        pad[0] = false;
        return pad;
    }

    private static void assertClose(String what, double[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol, what + " element " + i + ": expected " + expected[i] + " got " + actual[i]);
        }
    }

    private static TfAttention create(String spec, AttentionShape s, long seed) {
        return (TfAttention) Attentions.create(spec, new AttentionSetup(s.heads(), s.d(), 4096, seed));
    }

    /** Each query's leaves as the forward chose them, sorted (the order inside a beam does not change the output). */
    private static int[][] chosenLeaves(Attention.Saved saved) {
        MassRouting.Beams beams = ((TfAttention.Context) saved).beams();
        int[][] sets = new int[beams.leafOf().length / beams.beam()][];
        for (int r = 0; r < sets.length; r++) {
            sets[r] = Arrays.stream(beams.leafOf(), r * beams.beam(), (r + 1) * beams.beam()).filter(l -> l >= 0).sorted().toArray();
        }
        return sets;
    }

    private static int[][] sorted(int[][] sets) {
        int[][] out = new int[sets.length][];
        for (int r = 0; r < sets.length; r++) out[r] = Arrays.stream(sets[r]).sorted().toArray();
        return out;
    }

    /**
     * Finite differences on q, k, v with the routing held fixed: keys are moved away from the splits on their paths,
     * and the check fails if a nudge moves a key to another leaf or changes a query's set of leaves.
     */
    private static void gradCheckFixedRouting(String spec, AttentionShape s, AttentionMask mask, long seed) {
        Random r = new Random(seed);
        float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize()), w = rnd(r, s.outSize());
        float[] out = new float[s.outSize()];
        TfAttention a = create(spec, s, seed);
        a.forward(s, q, k, v, mask, Pass.INFERENCE, out); // fits the trees on these keys
        TreeTestSupport.pushAwayFromSplits(a.trees(), s, k, s.nk(), 0.05f);
        assertTrue(TreeTestSupport.routingMargin(a.trees(), s, k, s.nk()) >= 0.05, "keys still sit on a split");
        TreeTestSupport.redrawNearTies(a.trees(), s, q, k, mask, 2, r);
        Attention.Saved saved = a.forward(s, q, k, v, mask, Pass.INFERENCE, out);
        int[] lk = TreeTestSupport.leaves(a.trees(), s, k, s.nk());
        int[][] chosen = chosenLeaves(saved);
        assertTrue(Arrays.stream(chosen).anyMatch(set -> set.length == 2), "some query attends to two leaves");
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        a.backward(saved, w, dq, dk, dv);
        DoubleSupplier loss = () -> {
            assertArrayEquals(lk, TreeTestSupport.leaves(a.trees(), s, k, s.nk()), "a nudge moved a key across a split");
            float[] o = new float[s.outSize()];
            Attention.Saved nudged = a.forward(s, q, k, v, mask, Pass.INFERENCE, o);
            assertTrue(Arrays.deepEquals(chosen, chosenLeaves(nudged)), "a nudge changed a query's beam");
            return GradCheck.dot(o, w);
        };
        TreeTestSupport.assertInputGradients(spec + " " + mask, loss, q, k, v, dq, dk, dv);
    }

    @Test
    void beamOfTwoGradientsMatchFiniteDifferences() {
        Random r = new Random(40);
        AttentionShape s = new AttentionShape(2, 2, 13, 17, 6, 5);
        boolean[] pad = someKeysPadded(2, 17, r);
        gradCheckFixedRouting("tf:h=2,beam=2", s, AttentionMask.NONE, 41);
        gradCheckFixedRouting("tf:h=2,beam=2,empty=self", s, AttentionMask.CAUSAL, 42);
        gradCheckFixedRouting("tf:h=2,beam=2", s, AttentionMask.padding(pad), 43);
        gradCheckFixedRouting("tf:h=2,beam=2,empty=rootmean", s, new AttentionMask(pad, true), 44);
    }

    @Test
    void beamOverEveryLeafIsExactAttention() {
        Random r = new Random(45);
        // 2300 keys in two leaves: more than TfAttention.CACHED_KEYS each, so they are streamed per query block.
        for (Object[] c : new Object[][] {{"tf:h=3,beam=8", new AttentionShape(2, 2, 45, 70, 16, 12)}, {"tf:h=1,beam=2", new AttentionShape(1, 1, 30, 2300, 8, 8)}}) {
            String spec = (String) c[0];
            AttentionShape s = (AttentionShape) c[1];
            float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize()), dOut = rnd(r, s.outSize());
            boolean[] pad = someKeysPadded(s.batch(), s.nk(), r);
            for (AttentionMask mask : new AttentionMask[] {AttentionMask.NONE, AttentionMask.CAUSAL, AttentionMask.padding(pad), new AttentionMask(pad, true)}) {
                TfAttention tf = create(spec, s, 7);
                float[] out = new float[s.outSize()];
                Attention.Saved saved = tf.forward(s, q, k, v, mask, Pass.INFERENCE, out);
                String what = spec + " " + s + " " + mask;
                assertClose(what + " forward", ReferenceAttention.forward(s, q, k, v, mask), out, 1e-5);
                float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
                tf.backward(saved, dOut, dq, dk, dv);
                double[][] ref = ReferenceAttention.backward(s, q, k, v, mask, dOut);
                assertClose(what + " dq", ref[0], dq, 2e-5);
                assertClose(what + " dk", ref[1], dk, 2e-5);
                assertClose(what + " dv", ref[2], dv, 2e-5);
            }
        }
    }

    /**
     * Inside a parallel section the leaf tasks run in order and fold each leaf into the query's row as they go; at the
     * top level they run in parallel through slot rows merged afterwards. Both must give the same bits.
     */
    @Test
    void foldingInOrderAndMergingSlotRowsGiveTheSameBits() {
        Assumptions.assumeTrue(Parallel.threads() > 1, "one kernel thread: every call folds in order");
        Random r = new Random(47);
        AttentionShape s = new AttentionShape(2, 2, 50, 64, 16, 8);
        float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize()), dOut = rnd(r, s.outSize());
        AttentionMask padded = new AttentionMask(someKeysPadded(2, 64, r), true);
        for (String spec : new String[] {"tf:h=3,beam=3", "tf:h=4,beam=5,empty=rootmean"}) {
            for (AttentionMask mask : new AttentionMask[] {AttentionMask.NONE, AttentionMask.CAUSAL, padded}) {
                float[][] parallel = forwardBackward(create(spec, s, 11), s, q, k, v, mask, dOut);
                float[][][] inOrder = new float[1][][];
                Parallel.forEach(2, i -> {
                    if (i == 0) inOrder[0] = forwardBackward(create(spec, s, 11), s, q, k, v, mask, dOut);
                });
                String[] names = {"out", "dq", "dk", "dv"};
                for (int x = 0; x < names.length; x++) assertArrayEquals(parallel[x], inOrder[0][x], spec + " " + mask + " " + names[x]);
            }
        }
    }

    private static float[][] forwardBackward(TfAttention tf, AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask, float[] dOut) {
        float[] out = new float[s.outSize()], dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        tf.backward(tf.forward(s, q, k, v, mask, Pass.training(3), out), dOut, dq, dk, dv);
        return new float[][] {out, dq, dk, dv};
    }

    @Test
    void aBeamAttendsToTheKeysOfTheLeavesItsDescentChose() {
        Random r = new Random(46);
        AttentionShape s = new AttentionShape(2, 2, 40, 60, 16, 8);
        float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize());
        AttentionMask padded = new AttentionMask(someKeysPadded(2, 60, r), true);
        for (int beam : new int[] {1, 2, 3}) {
            String spec = beam == 1 ? "tf:h=3,route=mass" : "tf:h=3,beam=" + beam;
            for (AttentionMask mask : new AttentionMask[] {AttentionMask.NONE, padded}) {
                TfAttention tf = create(spec, s, 9);
                float[] out = new float[s.outSize()];
                Attention.Saved saved = tf.forward(s, q, k, v, mask, Pass.INFERENCE, out);
                int[][] expected = TreeTestSupport.beamChoice(tf.trees(), s, q, k, mask, beam).leaves();
                assertTrue(Arrays.deepEquals(sorted(expected), chosenLeaves(saved)), spec + " " + mask + ": the leaves chosen");
                int[] lk = TreeTestSupport.leaves(tf.trees(), s, k, s.nk());
                for (int[] set : expected) assertEquals(beam, set.length, "every leaf holds keys, so each beam is full");
                assertClose(spec + " " + mask, TreeTestSupport.attendLeaves(s, q, k, v, mask, lk, expected), out, 2e-5);
                assertEquals(expectedFlops(s, mask, tf.trees().height(), beam, lk, expected), saved.flops(), spec + " " + mask + " flops");
            }
        }
    }

    /** Key routing, key sums, the descents' dot products and the merge, plus 2 (d + dv) per visible pair in the chosen leaves. */
    private static long expectedFlops(AttentionShape s, AttentionMask mask, int h, int beam, int[] lk, int[][] chosen) {
        int d = s.d(), nq = s.nq(), nk = s.nk(), leaves = 1 << h;
        long unpadded = 0, visible = 0;
        for (int pair = 0; pair < s.pairs(); pair++) {
            int b = pair / s.heads();
            for (int j = 0; j < nk; j++) if (mask.keyPadding() == null || !mask.keyPadding()[b * nk + j]) unpadded++;
            for (int i = 0; i < nq; i++) {
                for (int j = 0; j < nk; j++) {
                    int leaf = lk[pair * nk + j];
                    if (mask.allowed(s, b, i, j) && Arrays.stream(chosen[pair * nq + i]).anyMatch(l -> l == leaf)) visible++;
                }
            }
        }
        long dots = 1; // the root, then each held node's left child (the right one's is the parent's minus it)
        for (int level = 0; level < h; level++) dots += Math.min(beam, 1 << level);
        long routing = 2L * s.pairs() * nk * d * h + unpadded * d + (long) s.pairs() * (leaves - 1) * d + 2L * s.pairs() * nq * dots * d
                + (long) s.pairs() * nq * (2L * beam + 1) * s.dv();
        return routing + 2L * visible * (d + s.dv());
    }

    @Test
    void aRefitBalancesEveryHeadsLeavesOnTheNewKeys() {
        int heads = 2, d = 8, rows = 64, height = 3;
        TfAttention tf = (TfAttention) Attentions.create("tf:h=3,beam=2,refit=5", new AttentionSetup(heads, d, rows, 1));
        assertEquals(5, tf.refitEvery());
        Random r = new Random(3);
        float[] first = rnd(r, heads * rows * d), shifted = rnd(r, heads * rows * d);
        for (int i = 0; i < shifted.length; i += d) shifted[i] += 3f; // the keys drift along one axis
        tf.refit(new KeySample(first, rows));
        float[] before = tf.trees().tree(0).parameters().get(0).data.clone();
        tf.refit(new KeySample(shifted, rows));
        assertFalse(Arrays.equals(before, tf.trees().tree(0).parameters().get(0).data), "the refit moved the hyperplanes");
        for (int h = 0; h < heads; h++) {
            int[] count = new int[1 << height];
            for (int i = 0; i < rows; i++) count[tf.trees().tree(h).leaf(shifted, (h * rows + i) * d)]++;
            for (int c : count) assertEquals(rows >> height, c, "head " + h + " leaves " + Arrays.toString(count));
        }
    }

    @Test
    void beamSpecsRoundTripAndBadOnesAreRejectedInOneLine() {
        AttentionSetup setup = new AttentionSetup(2, 8, 64, 1);
        assertEquals("tf:h=3,beam=2", Attentions.create("tf:h=3,beam=2", setup).spec());
        assertEquals("tf:h=3,beam=2", Attentions.create("tf:h=3,route=mass,beam=2", setup).spec());
        assertEquals("tf:h=3,route=mass", Attentions.create("tf:h=3,route=mass", setup).spec());
        assertEquals("tf:h=3", Attentions.create("tf:h=3,beam=1,route=tree", setup).spec());
        assertEquals("tf:h=3,empty=self,beam=8", Attentions.create("tf:h=3,beam=8,empty=self", setup).spec());
        assertEquals("tf:h=3,beam=2,refit=10", Attentions.create("tf:h=3,refit=10,beam=2", setup).spec());
        assertEquals("tf:h=3,beam=2", Attentions.create("tf:h=3,refit=0,beam=2", setup).spec());
        String refit = assertThrows(IllegalArgumentException.class, () -> Attentions.create("tf:h=3,refit=-1", setup)).getMessage();
        assertTrue(refit.contains("refit") && !refit.contains("\n"), refit);
        for (String bad : new String[] {"tf:h=2,beam=0", "tf:h=2,beam=5", "tf:h=2,beam=x", "tf:h=2,beam=2,route=tree"}) {
            String message = assertThrows(IllegalArgumentException.class, () -> Attentions.create(bad, setup), bad).getMessage();
            assertTrue(message.contains("beam"), bad + ": " + message);
            assertFalse(message.contains("\n"), bad + ": one line, got " + message);
        }
        String route = assertThrows(IllegalArgumentException.class, () -> Attentions.create("tf:h=2,route=sideways", setup)).getMessage();
        assertTrue(route.contains("route"), route);
    }
}
