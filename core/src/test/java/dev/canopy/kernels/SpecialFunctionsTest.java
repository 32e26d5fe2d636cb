package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * erf / erfc / Φ against double-precision series references (ScalarRowOps) on a dense grid.
 * Asserted accuracy (measured maxima are printed): erf absolute error <= 2e-7 everywhere (measured 1.45e-7) and relative error
 * <= 4e-7 for |x| < 0.5; erfc relative error <= 4e-7 + 1.5e-7·z² for z in [0, 9] (erfc(9) ≈ 4e-37, near float's
 * smallest normal); Φ relative error <= 4e-7 + 1.5e-7·x² for x in [-12, 8].
 */
class SpecialFunctionsTest {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Applies a vector function to a grid of float inputs, one vector at a time. */
    interface VectorFunction {
        FloatVector apply(FloatVector v);
    }

    static float[] applyAll(float[] x, VectorFunction f) {
        float[] y = new float[x.length];
        int L = S.length();
        float[] lane = new float[L];
        for (int i = 0; i < x.length; i += L) {
            int n = Math.min(L, x.length - i);
            java.util.Arrays.fill(lane, 0f);
            System.arraycopy(x, i, lane, 0, n);
            float[] r = f.apply(FloatVector.fromArray(S, lane, 0)).toArray();
            System.arraycopy(r, 0, y, i, n);
        }
        return y;
    }

    static float[] grid(double lo, double hi, int count) {
        float[] x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float) (lo + (hi - lo) * i / (count - 1));
        return x;
    }

    @Test
    void expBelowOverflowHasExpsBits() {
        VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
        float[] x = grid(-95f, 88.7f, 64 * sp.length());
        x[0] = Float.NEGATIVE_INFINITY;
        x[1] = -0f;
        x[2] = Float.MIN_VALUE;
        for (int i = 0; i < x.length; i += sp.length()) {
            FloatVector v = FloatVector.fromArray(sp, x, i);
            float[] a = SpecialFunctions.exp(v).toArray(), b = SpecialFunctions.expBelowOverflow(v).toArray();
            for (int j = 0; j < a.length; j++) assertEquals(Float.floatToRawIntBits(a[j]), Float.floatToRawIntBits(b[j]), "exp(" + x[i + j] + ")");
        }
    }

    @Test
    void softmaxExpIsWithinTwoUlp() {
        VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
        float[] x = grid(-87.3f, 8f, 20_000 * sp.length());
        double worst = 0;
        for (int i = 0; i < x.length; i += sp.length()) {
            float[] y = SpecialFunctions.softmaxExp(FloatVector.fromArray(sp, x, i)).toArray();
            for (int j = 0; j < y.length; j++) {
                double ref = Math.exp(x[i + j]);
                worst = Math.max(worst, Math.abs(y[j] - ref) / Math.ulp((float) ref));
            }
        }
        assertTrue(worst <= 2.0, "worst error " + worst + " ulp");
        assertTrue(worst > 0.5, "a degree-5 polynomial cannot be correctly rounded everywhere: " + worst + " ulp means the grid missed it");
        float[] edge = new float[sp.length()];
        edge[0] = Float.NEGATIVE_INFINITY;
        edge[1] = Float.NaN;
        edge[2] = -100f;
        edge[3] = 0f;
        float[] y = SpecialFunctions.softmaxExp(FloatVector.fromArray(sp, edge, 0)).toArray();
        assertEquals(0f, y[0], "exp(-inf)");
        assertTrue(Float.isNaN(y[1]), "exp(NaN)");
        assertEquals(0f, y[2], "exp(-100) underflows to 0");
        assertEquals(1f, y[3], 1.2e-7f, "exp(0)");
    }

    @Test
    void referencesAgreeWhereBothAreAccurate() {
        // The two erfc references (1 - series, continued fraction) overlap on [2, 3]: their agreement validates both.
        for (double x = 2.0; x <= 3.0; x += 0.05) {
            double viaSeries = 1 - ScalarRowOps.erf(x);
            double f = x;
            for (int k = 200; k >= 1; k--) f = x + (k / 2.0) / f;
            double viaFraction = Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
            assertEquals(viaSeries, viaFraction, 1e-10 * viaSeries, "x=" + x);
        }
        assertEquals(0.8427007929497149, ScalarRowOps.erf(1.0), 1e-15); // erf(1), tabulated
        assertEquals(1.5374597944280349e-12, ScalarRowOps.erfc(5.0), 1e-25); // erfc(5), tabulated
    }

    @Test
    void erfAccuracy() {
        float[] x = grid(-7, 7, 70_001);
        float[] y = applyAll(x, SpecialFunctions::erf);
        double maxAbs = 0, maxRelSmall = 0;
        for (int i = 0; i < x.length; i++) {
            double ref = ScalarRowOps.erf(x[i]);
            double err = Math.abs(y[i] - ref);
            maxAbs = Math.max(maxAbs, err);
            if (Math.abs(x[i]) < 0.5 && ref != 0) maxRelSmall = Math.max(maxRelSmall, err / Math.abs(ref));
        }
        System.out.printf("erf: max abs error %.3g, max rel error |x|<0.5 %.3g%n", maxAbs, maxRelSmall);
        assertTrue(maxAbs <= 2e-7, "erf max abs error " + maxAbs);
        assertTrue(maxRelSmall <= 4e-7, "erf max rel error near 0: " + maxRelSmall);
        float tiny = 1e-30f;
        assertEquals(ScalarRowOps.erf(tiny), SpecialFunctions.erf(tiny), 1e-7 * ScalarRowOps.erf(tiny));
        assertEquals(0f, SpecialFunctions.erf(0f));
        assertEquals(1f, SpecialFunctions.erf(30f));
        assertEquals(-1f, SpecialFunctions.erf(-30f));
    }

    @Test
    void erfcAndNormalCdfRelativeAccuracy() {
        // The exponent -z² is rounded to float, so the relative error grows like ulp(z²): the bound is a + b·z².
        float[] z = grid(0, 9, 45_001);
        float[] y = applyAll(z, SpecialFunctions::erfc);
        double worstErfc = 0;
        for (int i = 0; i < z.length; i++) {
            double ref = ScalarRowOps.erfc(z[i]);
            double rel = Math.abs(y[i] - ref) / ref, bound = 4e-7 + 1.5e-7 * z[i] * z[i];
            worstErfc = Math.max(worstErfc, rel / bound);
            assertTrue(rel <= bound, "erfc(" + z[i] + ") rel error " + rel + " > " + bound);
        }
        float[] x = grid(-12, 8, 50_001);
        float[] p = applyAll(x, SpecialFunctions::normalCdf);
        double worstCdf = 0;
        for (int i = 0; i < x.length; i++) {
            double ref = ScalarRowOps.normalCdf(x[i]);
            double rel = Math.abs(p[i] - ref) / ref, bound = 4e-7 + 1.5e-7 * x[i] * x[i];
            worstCdf = Math.max(worstCdf, rel / bound);
            assertTrue(rel <= bound, "normalCdf(" + x[i] + ") rel error " + rel + " > " + bound);
        }
        System.out.printf("erfc: worst error / bound %.3f; normal cdf: worst error / bound %.3f%n", worstErfc, worstCdf);
        float[] neg = applyAll(new float[] {-1f, -3f}, SpecialFunctions::erfc);
        assertEquals(ScalarRowOps.erfc(-1), neg[0], 3e-7);
        assertEquals(ScalarRowOps.erfc(-3), neg[1], 3e-7);
    }
}
