package dev.canopy.attention.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.canopy.kernels.VecOps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The descent by mass against a plain one: every level's children stably sorted by mass, empty ones dropped. */
class MassBeamTest {
    private static final int D = 16;

    @ParameterizedTest
    @CsvSource({"3, 1", "3, 3", "5, 4", "6, 20", "8, 9", "8, 40"})
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
        int[] held = new int[MassBeam.heldLength(beam)];
        float[] mass = new float[MassBeam.massLength(beam)];
        for (int t = 0; t < 200; t++) {
            float[] q = new float[D];
            for (int c = 0; c < D; c++) q[c] = r.nextInt(3) - 1;
            if (t == 0) Arrays.fill(q, Float.NaN); // every mass NaN: the lowest finite, so the first children are kept
            int found = MassBeam.descend(height, beam, count, 0, sums, 0, q, 0, D, 0.25f, held, mass);
            int[] expected = reference(height, beam, count, sums, q, 0.25f);
            assertEquals(expected.length, found, "query " + t);
            assertArrayEquals(expected, Arrays.copyOf(held, found), "query " + t);
        }
    }

    private static int[] reference(int height, int beam, int[] count, float[] sums, float[] q, float scale) {
        List<Integer> held = List.of(0);
        for (int level = 0; level < height; level++) {
            List<float[]> children = new ArrayList<>(); // {node, mass}
            for (int node : held) {
                for (int child = 2 * node + 1; child <= 2 * node + 2; child++) {
                    int keys = count[child];
                    if (keys == 0) continue;
                    float m = (float) Math.log(keys) + VecOps.dot(q, 0, sums, child * D, D) / keys * scale;
                    children.add(new float[] {child, Float.isNaN(m) ? -Float.MAX_VALUE : m});
                }
            }
            children.sort(Comparator.comparingDouble((float[] c) -> -c[1])); // stable: ties keep their order
            held = children.stream().limit(beam).map(c -> (int) c[0]).toList();
        }
        if (count[0] == 0) return new int[0];
        return held.stream().mapToInt(node -> node - ((1 << height) - 1)).toArray();
    }
}
