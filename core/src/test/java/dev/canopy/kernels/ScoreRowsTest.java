package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

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
}
