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
import dev.canopy.nn.Pass;
import dev.canopy.testing.GradCheck;
import java.util.Arrays;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/** TC attention with queries placed by a descent by mass ({@code route=mass}, {@code beam=B}). */
class TcAttentionBeamTest {

    private static float[] rnd(Random r, int n) {
        return GradCheck.random(r, n, 1f);
    }

    private static AttentionMask someKeysPadded(int batch, int nk, Random r) {
        boolean[] pad = new boolean[batch * nk];
        for (int i = 0; i < pad.length; i++) pad[i] = r.nextInt(5) == 0;
        pad[0] = false;
        return AttentionMask.padding(pad);
    }

    private static TcAttention create(String spec, AttentionShape s, long seed) {
        return (TcAttention) Attentions.create(spec, new AttentionSetup(s.heads(), s.d(), 4096, seed));
    }

    /**
     * The groups a query with these leaves attends to, from the subtree S of their root paths: every node of S (path),
     * or S's leaves and each child of an inner node of S outside S (siblings). Written from the definition, by sets.
     */
    static int[] expectedGroups(CentroidGroups kind, int h, int[] leaves) {
        int internal = (1 << h) - 1;
        TreeSet<Integer> subtree = new TreeSet<>();
        for (int leaf : leaves) for (int node = internal + leaf; ; node = (node - 1) / 2) {
            subtree.add(node);
            if (node == 0) break;
        }
        if (kind == CentroidGroups.PATH) return subtree.stream().mapToInt(Integer::intValue).toArray();
        TreeSet<Integer> groups = new TreeSet<>();
        for (int node : subtree) {
            if (node >= internal) groups.add(node);
            else for (int child = 2 * node + 1; child <= 2 * node + 2; child++) if (!subtree.contains(child)) groups.add(child);
        }
        return groups.stream().mapToInt(Integer::intValue).toArray();
    }

    /** TC over the given groups per query, in double: softmax of q . mean / sqrt(d) + beta log(count) over non-empty ones. */
    private static double[] reference(TreeBank bank, double beta, AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask, int[][] groupsOf) {
        int leaves = 1 << bank.height(), nq = s.nq(), d = s.d(), dv = s.dv();
        int[] lk = TreeTestSupport.leaves(bank, s, k, s.nk());
        double[] out = new double[s.outSize()];
        for (int pair = 0; pair < s.pairs(); pair++) {
            double[][] kb = TreeTestSupport.nodeSums(s, mask, lk, pair, leaves, k, d), vb = TreeTestSupport.nodeSums(s, mask, lk, pair, leaves, v, dv);
            for (int i = 0; i < nq; i++) {
                int[] g = groupsOf[pair * nq + i];
                double[] e = new double[g.length];
                double max = Double.NEGATIVE_INFINITY;
                for (int l = 0; l < g.length; l++) {
                    double count = kb[g[l]][d];
                    e[l] = Double.NEGATIVE_INFINITY;
                    if (count == 0) continue;
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += q[(pair * nq + i) * d + c] * kb[g[l]][c] / count;
                    e[l] = dot / Math.sqrt(d) + beta * Math.log(count);
                    max = Math.max(max, e[l]);
                }
                if (max == Double.NEGATIVE_INFINITY) continue;
                double sum = 0;
                for (int l = 0; l < g.length; l++) sum += e[l] = Math.exp(e[l] - max);
                for (int l = 0; l < g.length; l++) {
                    if (e[l] == 0) continue;
                    for (int c = 0; c < dv; c++) out[(pair * nq + i) * dv + c] += e[l] / sum * vb[g[l]][c] / kb[g[l]][d];
                }
            }
        }
        return out;
    }

    /** Each query's groups as the forward saved them, as nodes within the pair. */
    private static int[][] savedGroups(Attention.Saved saved, int nodes) {
        TcAttention.Context c = (TcAttention.Context) saved;
        int none = c.shape().pairs() * nodes, rows = c.groupOf().length / c.gq();
        int[][] out = new int[rows][];
        for (int r = 0; r < rows; r++) {
            out[r] = Arrays.stream(c.groupOf(), r * c.gq(), (r + 1) * c.gq()).filter(x -> x != none).map(x -> x % nodes).toArray();
        }
        return out;
    }

    @Test
    void aBeamAttendsToTheGroupsOfTheLeavesItsDescentChose() {
        Random r = new Random(51);
        // d = 16 and 40 queries per pair: sixteen queries at a time, then one at a time.
        AttentionShape s = new AttentionShape(2, 2, 40, 60, 16, 8);
        float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize());
        AttentionMask padded = someKeysPadded(2, 60, r);
        int h = 3, nodes = (2 << h) - 1;
        for (int beam : new int[] {1, 2, 3, 8}) {
            for (CentroidGroups kind : CentroidGroups.values()) {
                String spec = "tc:h=" + h + (beam == 1 ? ",route=mass" : ",beam=" + beam) + ",countbias=0.5,groups=" + kind.name().toLowerCase();
                for (AttentionMask mask : new AttentionMask[] {AttentionMask.NONE, padded}) {
                    TcAttention tc = create(spec, s, 9);
                    float[] out = new float[s.outSize()];
                    Attention.Saved saved = tc.forward(s, q, k, v, mask, Pass.INFERENCE, out);
                    int[][] leaves = TreeTestSupport.beamChoice(tc.trees(), s, q, k, mask, beam).leaves();
                    int[][] expected = new int[leaves.length][];
                    for (int row = 0; row < leaves.length; row++) expected[row] = expectedGroups(kind, h, leaves[row]);
                    String what = spec + " " + mask;
                    assertTrue(Arrays.deepEquals(expected, savedGroups(saved, nodes)), what + ": the groups");
                    assertClose(what, reference(tc.trees(), 0.5, s, q, k, v, mask, expected), out, 2e-5);
                }
            }
        }
    }

    @Test
    void siblingGroupsOfABeamPartitionTheLeavesAndFitTheirSlots() {
        Random r = new Random(52);
        int h = 5, leaves = 1 << h;
        for (int beam : new int[] {1, 2, 3, 7, 32}) {
            for (int trial = 0; trial < 50; trial++) {
                int[] chosen = r.ints(0, leaves).distinct().limit(beam).toArray();
                int[] siblings = expectedGroups(CentroidGroups.SIBLINGS, h, chosen), path = expectedGroups(CentroidGroups.PATH, h, chosen);
                TreeTestSupport.assertEachLeafOnce(siblings, leaves, "beam " + Arrays.toString(chosen) + " groups " + Arrays.toString(siblings));
                assertTrue(siblings.length <= TcAttention.groupsPerQuery(CentroidGroups.SIBLINGS, h, beam), "siblings fit their slots");
                assertTrue(path.length <= TcAttention.groupsPerQuery(CentroidGroups.PATH, h, beam), "path fits its slots");
            }
        }
        assertEquals(h + 1, TcAttention.groupsPerQuery(CentroidGroups.PATH, h, 1));
        assertEquals(h + 1, TcAttention.groupsPerQuery(CentroidGroups.SIBLINGS, h, 1));
    }

    @Test
    void beamGradientsMatchFiniteDifferences() {
        Random r = new Random(53);
        AttentionShape s = new AttentionShape(2, 2, 13, 17, 6, 5);
        for (String spec : new String[] {"tc:h=2,beam=2", "tc:h=2,beam=2,groups=siblings,countbias=0.7", "tc:h=3,beam=3,groups=siblings"}) {
            gradCheckFixedRouting(spec, s, AttentionMask.NONE, r.nextLong());
            gradCheckFixedRouting(spec, s, someKeysPadded(2, 17, r), r.nextLong());
        }
    }

    /**
     * Finite differences on q, k, v with the routing held fixed: keys moved away from the splits on their paths,
     * queries near a tie in their descent redrawn, and the check fails if a nudge changes a key's leaf or a query's groups.
     */
    private static void gradCheckFixedRouting(String spec, AttentionShape s, AttentionMask mask, long seed) {
        Random r = new Random(seed);
        float[] q = rnd(r, s.qSize()), k = rnd(r, s.kSize()), v = rnd(r, s.vSize()), w = rnd(r, s.outSize());
        float[] out = new float[s.outSize()];
        TcAttention a = create(spec, s, seed);
        a.forward(s, q, k, v, mask, Pass.INFERENCE, out); // fits the trees on these keys
        TreeTestSupport.pushAwayFromSplits(a.trees(), s, k, s.nk(), 0.05f);
        int h = a.trees().height(), nodes = (2 << h) - 1;
        TreeTestSupport.redrawNearTies(a.trees(), s, q, k, mask, Integer.parseInt(spec.replaceAll(".*beam=(\\d+).*", "$1")), r);
        Attention.Saved saved = a.forward(s, q, k, v, mask, Pass.INFERENCE, out);
        int[] lk = TreeTestSupport.leaves(a.trees(), s, k, s.nk());
        int[][] groups = savedGroups(saved, nodes);
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        a.backward(saved, w, dq, dk, dv);
        DoubleSupplier loss = () -> {
            assertArrayEquals(lk, TreeTestSupport.leaves(a.trees(), s, k, s.nk()), "a nudge moved a key across a split");
            float[] o = new float[s.outSize()];
            Attention.Saved nudged = a.forward(s, q, k, v, mask, Pass.INFERENCE, o);
            assertTrue(Arrays.deepEquals(groups, savedGroups(nudged, nodes)), "a nudge changed a query's groups");
            return GradCheck.dot(o, w);
        };
        TreeTestSupport.assertInputGradients(spec + " " + mask, loss, q, k, v, dq, dk, dv);
    }

    @Test
    void beamSpecsRoundTripAndBadOnesAreRejectedInOneLine() {
        AttentionSetup setup = new AttentionSetup(2, 8, 64, 1);
        assertEquals("tc:h=3,beam=2", Attentions.create("tc:h=3,beam=2", setup).spec());
        assertEquals("tc:h=3,beam=2", Attentions.create("tc:h=3,beam=2,treegrad=off", setup).spec());
        assertEquals("tc:h=3,groups=siblings,beam=4", Attentions.create("tc:h=3,route=mass,beam=4,groups=siblings", setup).spec());
        assertEquals("tc:h=3,route=mass", Attentions.create("tc:h=3,route=mass", setup).spec());
        assertEquals("tc:h=3", Attentions.create("tc:h=3,treegrad=auto", setup).spec());
        assertEquals("tc:h=3,treegrad=off", Attentions.create("tc:h=3,route=tree,treegrad=off", setup).spec());
        for (String[] bad : new String[][] {{"tc:h=2,beam=0", "beam"}, {"tc:h=2,beam=5", "beam"}, {"tc:h=2,beam=2,route=tree", "beam"},
                {"tc:h=2,beam=2,treegrad=on", "treegrad"}, {"tc:h=2,route=mass,treegrad=on", "treegrad"}, {"tc:h=2,treegrad=maybe", "treegrad"}}) {
            String message = assertThrows(IllegalArgumentException.class, () -> Attentions.create(bad[0], setup), bad[0]).getMessage();
            assertTrue(message.contains(bad[1]), bad[0] + ": " + message);
            assertFalse(message.contains("\n"), bad[0] + ": one line, got " + message);
        }
    }

    private static void assertClose(String what, double[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol, what + " element " + i + ": expected " + expected[i] + " got " + actual[i]);
        }
    }
}
