package dev.canopy.attention.tree;

import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionShape;
import dev.canopy.testing.GradCheck;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleSupplier;

/** Double-precision oracles for tree attention tests (materialised; tests only). */
final class TreeTestSupport {
    private TreeTestSupport() {}

    /** Leaf of every row of x [pairs, n, d] by explicit traversal in its head's tree. */
    static int[] leaves(TreeBank bank, AttentionShape s, float[] x, int n) {
        int[] leaf = new int[s.pairs() * n];
        for (int r = 0; r < leaf.length; r++) leaf[r] = bank.tree((r / n) % s.heads()).leaf(x, r * s.d());
        return leaf;
    }

    /** TF oracle: softmax attention restricted to keys in the query's leaf; rows with no visible key are zero. */
    static double[] tfReference(TreeBank bank, AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask) {
        int[] lq = leaves(bank, s, q, s.nq());
        int[][] own = new int[lq.length][];
        for (int r = 0; r < lq.length; r++) own[r] = new int[] {lq[r]};
        return attendLeaves(s, q, k, v, mask, leaves(bank, s, k, s.nk()), own);
    }

    /**
     * Softmax attention of each query over the visible keys in its leaves: lk [pairs * nk] the keys' leaves,
     * leavesOf[pair * nq + i] query i's leaves. Rows with no visible key are zero.
     */
    static double[] attendLeaves(AttentionShape s, float[] q, float[] k, float[] v, AttentionMask mask, int[] lk, int[][] leavesOf) {
        int nq = s.nq(), nk = s.nk(), d = s.d(), dv = s.dv();
        double[] out = new double[s.outSize()];
        for (int pair = 0; pair < s.pairs(); pair++) {
            int b = pair / s.heads();
            for (int i = 0; i < nq; i++) {
                double[] sc = new double[nk];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < nk; j++) {
                    sc[j] = Double.NEGATIVE_INFINITY;
                    if (!mask.allowed(s, b, i, j) || !contains(leavesOf[pair * nq + i], lk[pair * nk + j])) continue;
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += (double) q[(pair * nq + i) * d + c] * k[(pair * nk + j) * d + c];
                    sc[j] = dot / Math.sqrt(d);
                    max = Math.max(max, sc[j]);
                }
                if (max == Double.NEGATIVE_INFINITY) continue;
                double sum = 0;
                for (int j = 0; j < nk; j++) sum += sc[j] = Math.exp(sc[j] - max);
                for (int j = 0; j < nk; j++) {
                    if (sc[j] == 0) continue;
                    for (int c = 0; c < dv; c++) out[(pair * nq + i) * dv + c] += sc[j] / sum * v[(pair * nk + j) * dv + c];
                }
            }
        }
        return out;
    }

    private static boolean contains(int[] set, int x) {
        for (int y : set) if (y == x) return true;
        return false;
    }

    /**
     * Each query's leaves by the descent by mass in double, best first ([pairs * nq][at most beam]), and the margin of
     * each query's choice: the smallest gap, over the levels, between the last child kept and the best one dropped
     * (+inf where none was dropped). Node counts and key sums come from the unpadded keys by their traversal leaves;
     * each level keeps the beam best children by log(count) + q . mean / sqrt(d), empty children dropped.
     */
    record BeamChoice(int[][] leaves, double[] margins) {}

    static BeamChoice beamChoice(TreeBank bank, AttentionShape s, float[] q, float[] k, AttentionMask mask, int beam) {
        int h = bank.height(), leaves = 1 << h, nq = s.nq(), nk = s.nk(), d = s.d();
        int[] lk = leaves(bank, s, k, nk);
        int[][] chosen = new int[s.pairs() * nq][];
        double[] margins = new double[s.pairs() * nq];
        for (int pair = 0; pair < s.pairs(); pair++) {
            double[][] sum = nodeSums(s, mask, lk, pair, leaves, k, d);
            for (int i = 0; i < nq; i++) {
                int row = (pair * nq + i) * d;
                double margin = Double.POSITIVE_INFINITY;
                List<Integer> held = List.of(0);
                for (int level = 0; level < h; level++) {
                    List<Integer> children = new ArrayList<>();
                    Map<Integer, Double> mass = new HashMap<>();
                    for (int node : held) {
                        for (int child = 2 * node + 1; child <= 2 * node + 2; child++) {
                            double count = sum[child][d];
                            if (count == 0) continue;
                            double dot = 0;
                            for (int c = 0; c < d; c++) dot += q[row + c] * sum[child][c];
                            mass.put(child, Math.log(count) + dot / count / Math.sqrt(d));
                            children.add(child);
                        }
                    }
                    children.sort((x, y) -> Double.compare(mass.get(y), mass.get(x))); // a stable sort, as the descent's
                    if (children.size() > beam) margin = Math.min(margin, mass.get(children.get(beam - 1)) - mass.get(children.get(beam)));
                    held = children.subList(0, Math.min(beam, children.size()));
                }
                chosen[pair * nq + i] = held.stream().mapToInt(node -> node - (leaves - 1)).toArray();
                margins[pair * nq + i] = margin;
            }
        }
        return new BeamChoice(chosen, margins);
    }

    /** dq, dk, dv against central differences of loss (eps 2e-3) in each of q, k, v. */
    static void assertInputGradients(String what, DoubleSupplier loss, float[] q, float[] k, float[] v, float[] dq, float[] dk, float[] dv) {
        float eps = 2e-3f;
        GradCheck.assertClose(what + " dq", GradCheck.numerical(q, loss, eps), dq, 2e-2, 2e-3);
        GradCheck.assertClose(what + " dk", GradCheck.numerical(k, loss, eps), dk, 2e-2, 2e-3);
        GradCheck.assertClose(what + " dv", GradCheck.numerical(v, loss, eps), dv, 2e-2, 2e-3);
    }

    /** Redraws the queries whose descent with this beam is a near tie (a gap under 0.02), so no nudge can change a choice. */
    static void redrawNearTies(TreeBank bank, AttentionShape s, float[] q, float[] k, AttentionMask mask, int beam, Random r) {
        int d = s.d();
        for (int round = 0; round < 100; round++) {
            double[] margins = beamChoice(bank, s, q, k, mask, beam).margins();
            boolean tied = false;
            for (int row = 0; row < margins.length; row++) {
                if (margins[row] >= 0.02) continue;
                tied = true;
                for (int c = 0; c < d; c++) q[row * d + c] = (float) r.nextGaussian();
            }
            if (!tied) return;
        }
        throw new AssertionError("queries near a tie after 100 redraws");
    }

    /**
     * TC oracle: node centroids of the unpadded keys and values, then each query's softmax over its non-empty groups of
     * q . Kbar / sqrt(d) + beta log c; a query whose groups are all empty outputs zero.
     */
    static double[] tcReference(TreeBank bank, CentroidGroups groups, double beta, AttentionShape s, float[] q, float[] k, float[] v,
                                AttentionMask mask) {
        int h = bank.height(), leaves = 1 << h, nodes = 2 * leaves - 1, nq = s.nq(), nk = s.nk(), d = s.d(), dv = s.dv();
        int[] lq = leaves(bank, s, q, nq), lk = leaves(bank, s, k, nk);
        double[] out = new double[s.outSize()];
        int[] g = new int[h + 1];
        for (int pair = 0; pair < s.pairs(); pair++) {
            double[][] kb = nodeSums(s, mask, lk, pair, leaves, k, d), vb = nodeSums(s, mask, lk, pair, leaves, v, dv);
            double[] count = new double[nodes];
            for (int n = 0; n < nodes; n++) count[n] = kb[n][d];
            for (int i = 0; i < nq; i++) {
                TcAttention.groupNodes(groups, h, leaves - 1 + lq[pair * nq + i], g);
                double[] e = new double[h + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int l = 0; l <= h; l++) {
                    e[l] = Double.NEGATIVE_INFINITY;
                    if (count[g[l]] == 0) continue;
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += q[(pair * nq + i) * d + c] * kb[g[l]][c] / count[g[l]];
                    e[l] = dot / Math.sqrt(d) + beta * Math.log(count[g[l]]);
                    max = Math.max(max, e[l]);
                }
                if (max == Double.NEGATIVE_INFINITY) continue;
                double sum = 0;
                for (int l = 0; l <= h; l++) sum += e[l] = Math.exp(e[l] - max);
                for (int l = 0; l <= h; l++) {
                    if (e[l] == 0) continue;
                    for (int c = 0; c < dv; c++) out[(pair * nq + i) * dv + c] += e[l] / sum * vb[g[l]][c] / count[g[l]];
                }
            }
        }
        return out;
    }

    /**
     * Per node of pair's tree: the sum of the rows of x [pairs, nk, width] of the unpadded keys below it (lk: the keys'
     * leaves), and in an extra last column their count.
     */
    static double[][] nodeSums(AttentionShape s, AttentionMask mask, int[] lk, int pair, int leaves, float[] x, int width) {
        int nk = s.nk();
        double[][] sum = new double[2 * leaves - 1][width + 1];
        for (int j = 0; j < nk; j++) {
            if (mask.keyPadding() != null && mask.keyPadding()[(pair / s.heads()) * nk + j]) continue;
            for (int n = 0; n < sum.length; n++) {
                if (!isAncestorOrSelf(n, leaves - 1 + lk[pair * nk + j])) continue;
                sum[n][width]++;
                for (int c = 0; c < width; c++) sum[n][c] += x[(pair * nk + j) * width + c];
            }
        }
        return sum;
    }

    /** Asserts that the nodes partition the leaves: every leaf lies under exactly one of them. */
    static void assertEachLeafOnce(int[] nodes, int leaves, String what) {
        int[] covered = new int[leaves];
        for (int node : nodes) for (int l = 0; l < leaves; l++) if (isAncestorOrSelf(node, leaves - 1 + l)) covered[l]++;
        for (int c : covered) org.junit.jupiter.api.Assertions.assertEquals(1, c, what);
    }

    static boolean isAncestorOrSelf(int node, int descendant) {
        while (descendant > node) descendant = (descendant - 1) >> 1;
        return descendant == node;
    }

    /**
     * Soft TC forward of one pair as a function of leaf weights: pk [nk, leaves] (keys), pq [nq, leaves] (queries).
     * At one-hot rows (the traversal leaves) it is TC-Attention; its derivatives there are what the DGT surrogate
     * calls dL/d(one-hot). Returns sum(out * wOut). Padded keys have all-zero rows in pk.
     */
    static double softTcLoss(CentroidGroups groups, double beta, int h, int nq, int nk, int d, int dv, float[] q, int qOff, float[] k,
                             int kOff, float[] v, int vOff, double[][] pk, double[][] pq, float[] wOut, int wOff) {
        int leaves = 1 << h, nodes = (2 << h) - 1;
        double[] c = new double[nodes];
        double[][] kb = new double[nodes][d], vb = new double[nodes][dv];
        for (int n = 0; n < nodes; n++) {
            for (int j = 0; j < nk; j++) {
                double m = 0;
                for (int l = 0; l < leaves; l++) if (isAncestorOrSelf(n, leaves - 1 + l)) m += pk[j][l];
                c[n] += m;
                for (int x = 0; x < d; x++) kb[n][x] += m * k[kOff + j * d + x];
                for (int x = 0; x < dv; x++) vb[n][x] += m * v[vOff + j * dv + x];
            }
            for (int x = 0; x < d; x++) kb[n][x] /= c[n];
            for (int x = 0; x < dv; x++) vb[n][x] /= c[n];
        }
        double loss = 0;
        int[] g = new int[h + 1];
        for (int i = 0; i < nq; i++) {
            double[] member = new double[nodes];
            for (int l = 0; l < leaves; l++) {
                TcAttention.groupNodes(groups, h, leaves - 1 + l, g);
                for (int n : g) member[n] += pq[i][l];
            }
            double z = 0;
            double[] num = new double[dv];
            for (int n = 0; n < nodes; n++) {
                if (member[n] == 0 || c[n] <= 0) continue;
                double e = 0;
                for (int x = 0; x < d; x++) e += q[qOff + i * d + x] * kb[n][x];
                double wgt = member[n] * Math.exp(e / Math.sqrt(d) + beta * Math.log(c[n]));
                z += wgt;
                for (int x = 0; x < dv; x++) num[x] += wgt * vb[n][x];
            }
            for (int x = 0; x < dv; x++) loss += num[x] / z * wOut[wOff + i * dv + x];
        }
        return loss;
    }

    /**
     * The DGT chain in double: adds dz x into dW [internal, d], dz into dB and dz . W into dx[off..off + d] (the input
     * gradient routegrad=on adds) for one token x[off..] with leaf gradient g.
     */
    static void dgtChain(DecisionTree tree, float[] x, int off, double[] g, double[] dW, double[] dB, double[] dx) {
        int h = tree.height(), leaves = 1 << h, internal = leaves - 1, d = tree.dim();
        double[] z = new double[internal];
        for (int n = 0; n < internal; n++) {
            double t = tree.b()[n];
            for (int c = 0; c < d; c++) t += (double) tree.w()[n * d + c] * x[off + c];
            z[n] = t;
        }
        double[] u = new double[leaves];
        for (int l = 0; l < leaves; l++) for (int n = 0; n < internal; n++) u[l] += tree.andEntry(l, n) * (z[n] >= 0 ? 1 : -1);
        double max = Double.NEGATIVE_INFINITY, sum = 0, pg = 0;
        for (double x2 : u) max = Math.max(max, x2);
        double[] p = new double[leaves];
        for (int l = 0; l < leaves; l++) sum += p[l] = Math.exp(u[l] - max);
        for (int l = 0; l < leaves; l++) pg += (p[l] /= sum) * g[l];
        for (int n = 0; n < internal; n++) {
            double ds = 0;
            for (int l = 0; l < leaves; l++) ds += tree.andEntry(l, n) * p[l] * (g[l] - pg);
            double dz = Math.abs(z[n]) <= 1 ? ds : 0;
            dB[n] += dz;
            for (int c = 0; c < d; c++) dW[n * d + c] += dz * x[off + c];
            for (int c = 0; c < d; c++) dx[off + c] += dz * tree.w()[n * d + c];
        }
    }

    /** Smallest |z| over the path nodes of all rows of x [pairs, n, d]. */
    static double routingMargin(TreeBank bank, AttentionShape s, float[] x, int n) {
        double margin = Double.POSITIVE_INFINITY;
        for (int r = 0; r < s.pairs() * n; r++) {
            DecisionTree t = bank.tree((r / n) % s.heads());
            int node = 0;
            while (node < t.internalNodes()) {
                float z = t.z(node, x, r * s.d());
                margin = Math.min(margin, Math.abs(z));
                node = z >= 0 ? 2 * node + 1 : 2 * node + 2;
            }
        }
        return margin;
    }

    /** Moves every row of x at least `margin` away from each split on its path, keeping the side it was on. */
    static void pushAwayFromSplits(TreeBank bank, AttentionShape s, float[] x, int n, float margin) {
        int d = s.d();
        for (int r = 0; r < s.pairs() * n; r++) {
            DecisionTree t = bank.tree((r / n) % s.heads());
            for (int pass = 0; pass < 20; pass++) {
                boolean moved = false;
                int node = 0;
                while (node < t.internalNodes()) {
                    float z = t.z(node, x, r * d);
                    if (Math.abs(z) < margin) {
                        double norm = 0;
                        for (int c = 0; c < d; c++) norm += (double) t.w()[node * d + c] * t.w()[node * d + c];
                        double step = ((z >= 0 ? 1.5 : -1.5) * margin - z) / norm;
                        for (int c = 0; c < d; c++) x[r * d + c] += (float) (step * t.w()[node * d + c]);
                        moved = true;
                        break;
                    }
                    node = z >= 0 ? 2 * node + 1 : 2 * node + 2;
                }
                if (!moved) break;
            }
        }
    }
}
