package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TopKSelectTest {

    /** Brute force: sort visible indices by (value desc, index asc), keep k, return them ascending. */
    private static int[] bruteForce(float[] row, int len, int k) {
        List<Integer> visible = new ArrayList<>();
        for (int j = 0; j < len; j++) if (row[j] > Float.NEGATIVE_INFINITY) visible.add(j);
        visible.sort(Comparator.<Integer>comparingDouble(j -> -row[j]).thenComparingInt(j -> j));
        return visible.subList(0, Math.min(k, visible.size())).stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    @Test
    void matchesBruteForceOnRowsWithTiesMaskedEntriesAndOddLengths() {
        Random rng = new Random(1);
        for (int trial = 0; trial < 2000; trial++) {
            int len = 1 + rng.nextInt(trial % 10 == 0 ? 2000 : 120);
            int k = 1 + rng.nextInt(Math.min(len + 3, 70));
            int distinct = 1 + rng.nextInt(trial % 3 == 0 ? 4 : 1000);   // few distinct values: many ties
            float[] row = new float[len + 5];
            int order = rng.nextInt(3);   // random, ascending or descending runs stress the compaction
            for (int j = 0; j < len; j++) {
                row[j] = switch (order) {
                    case 0 -> rng.nextInt(distinct);
                    case 1 -> j / Math.max(1, len / distinct);
                    default -> -(j / Math.max(1, len / distinct));
                };
                if (rng.nextInt(10) == 0) row[j] = Float.NEGATIVE_INFINITY;
            }
            int off = 2;
            float[] shifted = new float[len + off + 3];
            System.arraycopy(row, 0, shifted, off, len);
            TopKSelect select = new TopKSelect(k);
            int[] idx = new int[k + 2];
            float[] val = new float[k + 2];
            int count = select.select(shifted, off, len, idx, val, 1);
            int[] expected = bruteForce(row, len, k);
            assertEquals(expected.length, count, "trial " + trial);
            int[] got = java.util.Arrays.copyOfRange(idx, 1, 1 + count);
            assertArrayEquals(expected, got, "trial " + trial + " len " + len + " k " + k);
            for (int x = 0; x < count; x++) assertEquals(row[got[x]], val[1 + x]);
        }
    }

    @Test
    void kthLargestHandlesDuplicates() {
        float[] a = {3, 1, 3, 2, 3, 0};
        assertEquals(3f, TopKSelect.kthLargest(java.util.Arrays.copyOf(a, 64), new float[64], 6, 3));
        assertEquals(2f, TopKSelect.kthLargest(java.util.Arrays.copyOf(a, 64), new float[64], 6, 4));
        assertEquals(0f, TopKSelect.kthLargest(java.util.Arrays.copyOf(a, 64), new float[64], 6, 6));
    }

    @Test
    void kthLargestMatchesSortingOnLargerArrays() {
        Random rng = new Random(5);
        for (int trial = 0; trial < 500; trial++) {
            int m = 1 + rng.nextInt(600);
            int k = 1 + rng.nextInt(m);
            int distinct = 1 + rng.nextInt(trial % 2 == 0 ? 5 : 100000);
            float[] a = new float[m + 64];
            for (int i = 0; i < m; i++) a[i] = rng.nextInt(distinct) - distinct / 2;
            float[] sorted = java.util.Arrays.copyOf(a, m);
            java.util.Arrays.sort(sorted);
            assertEquals(sorted[m - k], TopKSelect.kthLargest(a, new float[m + 64], m, k), "m=" + m + " k=" + k);
        }
    }
}
