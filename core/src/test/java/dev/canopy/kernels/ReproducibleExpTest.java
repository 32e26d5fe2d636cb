package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class ReproducibleExpTest {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static float[] apply(float[] x, boolean tanh) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            (tanh ? SpecialFunctions.tanh(v) : SpecialFunctions.exp(v)).intoArray(out, i);
        }
        return out;
    }

    @Test
    void expIsWithinTwoUlpOfDoubleExpAndHandlesTheEdges() {
        int n = 1 << 16;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -87f + 175f * i / n;
        float[] e = apply(x, false);
        for (int i = 0; i < n; i++) {
            double ref = Math.exp(x[i]);
            double ulp = Math.ulp((float) ref);
            assertTrue(Math.abs(e[i] - ref) <= 2 * ulp, "exp(" + x[i] + ") = " + e[i] + " vs " + ref);
        }
        float[] edges = new float[S.length()];
        float[] values = {Float.NEGATIVE_INFINITY, -100f, 0f, Float.NaN, 100f, Float.POSITIVE_INFINITY, -87.3f, 1f};
        System.arraycopy(values, 0, edges, 0, Math.min(values.length, edges.length));
        float[] r = apply(edges, false);
        assertEquals(0f, r[0]);
        assertEquals(0f, r[1]);
        assertEquals(1f, r[2]);
        if (edges.length > 3) assertTrue(Float.isNaN(r[3]));
        if (edges.length > 5) {
            assertEquals(Float.POSITIVE_INFINITY, r[4]);
            assertEquals(Float.POSITIVE_INFINITY, r[5]);
        }
    }

    @Test
    void tanhIsAccurate() {
        int n = 4096;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -12f + 24f * i / n;
        float[] t = apply(x, true);
        for (int i = 0; i < n; i++) assertEquals(Math.tanh(x[i]), t[i], 2.5e-7, "tanh(" + x[i] + ")");
    }

    /** The point of this exp: the same bits before and after the JIT compiles the caller. */
    @Test
    void interpretedAndCompiledResultsAgreeBitForBit() {
        float[] x = new float[1024];
        for (int i = 0; i < x.length; i++) x[i] = -30f + 60f * i / x.length;
        float[] first = apply(x, false);   // early calls run interpreted
        for (int rep = 0; rep < 3_000; rep++) apply(x, false);
        float[] later = apply(x, false);   // by now compiled by C2
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToIntBits(first[i]), Float.floatToIntBits(later[i]), "at " + x[i]);
        for (int i = 0; i < x.length; i++) assertEquals(Math.exp(x[i]), first[i], 2 * Math.ulp(first[i]));
    }

    @Test
    void laneSumIsTheSameInEveryTierAndCloseToTheExactSum() {
        float[] x = new float[S.length() * 64];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.37) * (1 + i % 7) * 1e3f;
        float[] first = sums(x);
        for (int rep = 0; rep < 3_000; rep++) sums(x);
        float[] later = sums(x);
        for (int i = 0; i < first.length; i++) {
            assertEquals(Float.floatToIntBits(first[i]), Float.floatToIntBits(later[i]), "vector " + i);
            double exact = 0;
            for (int j = 0; j < S.length(); j++) exact += x[i * S.length() + j];
            assertEquals(exact, first[i], 1e-3);
        }
    }

    static float[] sums(float[] x) {
        float[] out = new float[x.length / S.length()];
        for (int i = 0; i < out.length; i++) out[i] = VecOps.sum(FloatVector.fromArray(S, x, i * S.length()));
        return out;
    }
}
