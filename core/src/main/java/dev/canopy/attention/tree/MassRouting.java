package dev.canopy.attention.tree;

import dev.canopy.attention.AttentionShape;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import dev.canopy.kernels.VecOps;

/**
 * Queries routed through the key tree by a beam descent by mass ({@link MassBeam}) instead of by the hyperplanes. Per
 * (batch, head) pair, every node's key count and key sum come from this call's unpadded keys as the tree partitions
 * them, and each query keeps the B leaves its descent ends in. The estimate ignores the causal mask (a query's
 * centroids include keys it may not see); the attention over the chosen leaves applies it exactly.
 */
final class MassRouting {
    private MassRouting() {}

    /**
     * The queries' slots: leafOf[pair * nq * B + i * B + b] is query i's b-th leaf (best first; -1 past the leaves
     * found), entries holds each query once in each leaf of its beam and position gives each slot's bucket position.
     *
     * @param flops what the routing cost: key sums, then the descents' centroid dot products
     * @param bytes working memory: node statistics, slot leaves and positions, the buckets
     */
    record Beams(int[] leafOf, LeafBuckets entries, int[] position, int beam, long flops, long bytes) {}

    static Beams route(AttentionShape s, float[] q, float[] k, LeafBuckets kb, int height, int beam) {
        int pairs = s.pairs(), nq = s.nq(), d = s.d(), leaves = 1 << height, nodes = 2 * leaves - 1;
        int[] count = new int[pairs * nodes];
        float[] sums = new float[pairs * nodes * d], logCount = new float[pairs * nodes], perKey = new float[pairs * nodes];
        float scale = (float) (1.0 / Math.sqrt(d));
        Parallel.forEach(pairs, p -> {
            nodeStatistics(kb, k, d, height, p, count, sums);
            MassBeam.prepare(count, p * nodes, nodes, scale, logCount, perKey);
        });
        int[] leafOf = new int[pairs * nq * beam];
        Parallel.forRanges(pairs * nq, 256, (a, b) -> {
            MassBeam.Frontier frontier = new MassBeam.Frontier(beam);
            for (int r = a; r < b; r++) { // row r of q [pairs, nq, d] is query r % nq of pair r / nq
                int p = r / nq, found = MassBeam.descend(height, frontier, logCount, perKey, p * nodes, sums, p * nodes * d, q, r * d, d);
                for (int slot = 0; slot < beam; slot++) leafOf[r * beam + slot] = slot < found ? frontier.leaf(slot) : -1;
            }
        });
        int[] position = new int[leafOf.length];
        LeafBuckets entries = LeafBuckets.ofSlots(leafOf, nq, beam, pairs, leaves, position);
        long keys = 0;
        for (int p = 0; p < pairs; p++) keys += kb.end(p, leaves - 1);
        long flops = keys * d + (long) pairs * (leaves - 1) * d + 2L * pairs * nq * MassBeam.dots(height, beam) * d;
        long bytes = 4L * (count.length + logCount.length + perKey.length + sums.length + leafOf.length + position.length) + entries.bytes();
        return new Beams(leafOf, entries, position, beam, flops, bytes);
    }

    /** Pair p's key count and key sum per node: leaves from their buckets, then each parent from its children. */
    private static void nodeStatistics(LeafBuckets kb, float[] k, int d, int height, int p, int[] count, float[] sums) {
        int leaves = 1 << height, internal = leaves - 1, nodes = 2 * leaves - 1, c0 = p * nodes, s0 = c0 * d;
        for (int leaf = 0; leaf < leaves; leaf++) {
            int node = internal + leaf;
            count[c0 + node] = kb.count(p, leaf);
            for (int r = kb.begin(p, leaf); r < kb.end(p, leaf); r++) VecOps.axpy(1f, k, kb.rowOffset(p, r, d), sums, s0 + node * d, d);
        }
        for (int node = internal - 1; node >= 0; node--) {
            count[c0 + node] = count[c0 + 2 * node + 1] + count[c0 + 2 * node + 2];
            RowOps.add(sums, s0 + (2 * node + 1) * d, sums, s0 + (2 * node + 2) * d, sums, s0 + node * d, d);
        }
    }
}
