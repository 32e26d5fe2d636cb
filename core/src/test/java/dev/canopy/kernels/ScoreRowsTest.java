package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** The grouped online-softmax step against the row-by-row one it replaced: the same bits in every output. */
class ScoreRowsTest {
    static final int L = Tiles.LANES;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** The largest of a row's len scores (len a multiple of the lanes). */
    static float max(float[] a, int off, int len) {
        FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < len; j += L) mx = mx.max(FloatVector.fromArray(S, a, off + j));
        return mx.reduceLanes(VectorOperators.MAX);
    }

    /** a = exp(a - shift) in place; returns the row's sum. */
    static float expShifted(float[] a, int off, int len, float shift) {
        FloatVector sh = FloatVector.broadcast(S, shift), sum = FloatVector.zero(S);
        for (int j = 0; j < len; j += L) {
            FloatVector e = SpecialFunctions.exp(FloatVector.fromArray(S, a, off + j).sub(sh));
            e.intoArray(a, off + j);
            sum = sum.add(e);
        }
        return VecOps.sum(sum);
    }

    /** The row-at-a-time step: max, shift, exponentiate, rescale the running mass and the accumulator. */
    static void rowByRow(float[] sc, int ld, int rows, int len, float[] m, float[] l, float[] acc, int wp) {
        for (int r = 0; r < rows; r++) {
            int row = r * ld;
            float mNew = Math.max(m[r], max(sc, row, len));
            if (mNew == Float.NEGATIVE_INFINITY) {
                Arrays.fill(sc, row, row + len, 0f);
                continue;
            }
            if (m[r] == Float.NEGATIVE_INFINITY) {
                l[r] = expShifted(sc, row, len, mNew);
            } else {
                float alpha = (float) Math.exp(m[r] - mNew);
                l[r] = l[r] * alpha + expShifted(sc, row, len, mNew);
                if (alpha != 1f) ScoreRows.scale(acc, r * wp, wp, alpha);
            }
            m[r] = mNew;
        }
    }

    @Test
    void onlineStepMatchesRowByRowBitForBit() {
        Random rng = new Random(5);
        for (int trial = 0; trial < 1_500; trial++) {
            int rows = 1 + rng.nextInt(4 * L + 3), len = L * (1 + rng.nextInt(8)), ld = len + L * rng.nextInt(2), wp = L * (1 + rng.nextInt(4));
            float[] sc = new float[rows * ld], m = new float[rows], l = new float[rows], acc = new float[rows * wp];
            for (int i = 0; i < sc.length; i++) sc[i] = rng.nextInt(8) == 0 ? Float.NEGATIVE_INFINITY : (float) (rng.nextGaussian() * 6);
            for (int r = 0; r < rows; r++) {
                if (rng.nextInt(6) == 0) Arrays.fill(sc, r * ld, r * ld + len, Float.NEGATIVE_INFINITY); // nothing visible
                boolean first = rng.nextInt(3) == 0;
                m[r] = first ? Float.NEGATIVE_INFINITY : (float) rng.nextGaussian() * 6;
                l[r] = first ? 0f : rng.nextFloat() * 10;
            }
            for (int i = 0; i < acc.length; i++) acc[i] = (float) rng.nextGaussian();
            float[] sc2 = sc.clone(), m2 = m.clone(), l2 = l.clone(), acc2 = acc.clone();
            rowByRow(sc, ld, rows, len, m, l, acc, wp);
            ScoreRows.onlineStep(sc2, ld, rows, len, m2, l2, acc2, wp);
            String at = "trial " + trial + " rows=" + rows + " len=" + len;
            assertArrayEquals(sc, sc2, "probabilities, " + at);
            assertArrayEquals(m, m2, "running max, " + at);
            assertArrayEquals(l, l2, "running mass, " + at);
            assertArrayEquals(acc, acc2, "accumulators, " + at);
        }
    }

    /** acc[r] += Σ_j p[r][j] · x[j] over one block of probabilities (x: len rows of wp). */
    private static void accumulate(float[] p, int ld, int rows, int len, float[] x, float[] acc, int wp) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < len; j++) {
                for (int c = 0; c < wp; c++) acc[r * wp + c] += p[r * ld + j] * x[j * wp + c];
            }
        }
    }

    @Test
    void lazyLaneStepGivesTheSameSoftmaxAsTheExactStep() {
        Random rng = new Random(11);
        for (int trial = 0; trial < 300; trial++) {
            int rows = 1 + rng.nextInt(3 * L + 5), len = L * (1 + rng.nextInt(8)), ld = len + L * rng.nextInt(2), wp = L;
            int blocks = 1 + rng.nextInt(6);
            float[] m = new float[rows], l = new float[rows], acc = new float[rows * wp];
            float[] m2 = new float[rows], lanes = new float[rows * L], acc2 = new float[rows * wp], l2 = new float[rows];
            Arrays.fill(m, Float.NEGATIVE_INFINITY);
            Arrays.fill(m2, Float.NEGATIVE_INFINITY);
            for (int b = 0; b < blocks; b++) {
                float[] sc = new float[rows * ld], x = new float[len * wp];
                float lift = rng.nextInt(3) == 0 ? 30f * rng.nextFloat() : 0f; // now and then a block far above the last (a rescale)
                for (int i = 0; i < sc.length; i++) sc[i] = rng.nextInt(8) == 0 ? Float.NEGATIVE_INFINITY : (float) (rng.nextGaussian() * 6) + lift;
                for (int r = 0; r < rows; r++) {
                    if (rng.nextInt(5) == 0) Arrays.fill(sc, r * ld, r * ld + len, Float.NEGATIVE_INFINITY); // nothing visible
                }
                for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
                float[] sc2 = sc.clone();
                ScoreRows.onlineStep(sc, ld, rows, len, m, l, acc, wp);
                accumulate(sc, ld, rows, len, x, acc, wp);
                ScoreRows.onlineStepLanes(sc2, ld, rows, len, m2, lanes, acc2, wp);
                accumulate(sc2, ld, rows, len, x, acc2, wp);
            }
            ScoreRows.laneTotals(lanes, rows, l2);
            for (int r = 0; r < rows; r++) {
                String at = "trial " + trial + " row " + r;
                if (l[r] == 0f) {
                    assertEquals(0f, l2[r], at + ": a row that saw nothing has no mass");
                    continue;
                }
                assertEquals(m[r] + Math.log(l[r]), m2[r] + Math.log(l2[r]), 1e-5 * (1 + Math.abs(m[r])), at + ": log-sum-exp");
                for (int c = 0; c < wp; c++) {
                    assertEquals(acc[r * wp + c] / l[r], acc2[r * wp + c] / l2[r], 2e-5, at + ": output " + c);
                }
            }
        }
    }
}
