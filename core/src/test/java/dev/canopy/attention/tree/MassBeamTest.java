package dev.canopy.attention.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.canopy.kernels.VecOps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The descent by mass against a plain one: a level's children stably sorted by mass where the beam drops some, empty ones dropped. */
class MassBeamTest {
    private static final int D = 16;

    @ParameterizedTest
    @CsvSource({"3, 1", "3, 3", "3, 8", "4, 20", "5, 4", "6, 20", "8, 9", "8, 40"})
    void keepsTheSameLeavesInTheSameOrderAsAStableSort(int height, int beam) {
        Random r = new Random(height * 100L + beam);
        int leaves = 1 << height, nodes = 2 * leaves - 1;
        int[] count = new int[nodes];
        float[] sums = new float[nodes * D];
        // Small integers: many nodes get the same count and the same dot product, so ties are common; a fifth of the
        // leaves are empty.
        for (int leaf = 0; leaf < leaves; leaf++) {
            if (r.nextInt(5) == 0) continue;
            int node = leaves - 1 + leaf;
            count[node] = 1 + r.nextInt(2);
            for (int c = 0; c < D; c++) sums[node * D + c] = r.nextInt(3) - 1;
        }
        for (int node = leaves - 2; node >= 0; node--) {
            count[node] = count[2 * node + 1] + count[2 * node + 2];
            for (int c = 0; c < D; c++) sums[node * D + c] = sums[(2 * node + 1) * D + c] + sums[(2 * node + 2) * D + c];
        }
        float[] logCount = new float[nodes], perKey = new float[nodes];
        MassBeam.prepare(count, 0, nodes, 0.25f, logCount, perKey);
        MassBeam.Frontier frontier = new MassBeam.Frontier(beam);
        for (int t = 0; t < 200; t++) {
            float[] q = new float[D];
            for (int c = 0; c < D; c++) q[c] = r.nextInt(3) - 1;
            if (t == 0) Arrays.fill(q, Float.NaN); // every mass NaN: the lowest finite, so the first children are kept
            int found = MassBeam.descend(height, frontier, logCount, perKey, 0, sums, 0, q, 0, D);
            int[] expected = reference(height, beam, count, sums, q, 0.25f);
            assertEquals(expected.length, found, "query " + t);
            assertArrayEquals(expected, IntStream.range(0, found).map(frontier::leaf).toArray(), "query " + t);
        }
    }

    /**
     * Every level lists the non-empty children of the nodes held, in order; when they all fit in the beam (and it is
     * not the last level) they are kept as listed, otherwise stably sorted by mass and cut to the beam. A node's q · s
     * is a dot product for the root and every left child, and the parent's minus the left child's for a right child.
     */
    private static int[] reference(int height, int beam, int[] count, float[] sums, float[] q, float scale) {
        if (count[0] == 0) return new int[0];
        float[] dot = new float[count.length];
        dot[0] = VecOps.dot(q, 0, sums, 0, D);
        for (int node = 0; 2 * node + 2 < count.length; node++) {
            int left = 2 * node + 1;
            dot[left] = count[left] == 0 ? 0f : VecOps.dot(q, 0, sums, left * D, D);
            dot[left + 1] = dot[node] - dot[left];
        }
        List<Integer> held = List.of(0);
        for (int level = 0; level < height; level++) {
            List<float[]> children = new ArrayList<>(); // {node, mass}
            for (int node : held) {
                for (int child = 2 * node + 1; child <= 2 * node + 2; child++) {
                    int keys = count[child];
                    if (keys == 0) continue;
                    float m = (float) Math.log(keys) + dot[child] * (scale / keys);
                    children.add(new float[] {child, Float.isNaN(m) ? -Float.MAX_VALUE : m});
                }
            }
            if (children.size() > beam || level == height - 1) {
                children.sort(Comparator.comparingDouble((float[] c) -> -c[1])); // stable: ties keep their order
            }
            held = children.stream().limit(beam).map(c -> (int) c[0]).toList();
        }
        return held.stream().mapToInt(node -> node - ((1 << height) - 1)).toArray();
    }
}
