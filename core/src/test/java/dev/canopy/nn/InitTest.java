package dev.canopy.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class InitTest {

    @Test
    void normalHasRequestedMomentsAndIsReproducible() {
        Parameter p = new Parameter("w", true, 200, 250);
        Init.normal(p, 0.02f, 5);
        double mean = 0, sq = 0;
        for (float v : p.data) {
            mean += v;
            sq += (double) v * v;
        }
        int n = p.size();
        mean /= n;
        double std = Math.sqrt(sq / n - mean * mean);
        // n = 50k: standard error of the mean 0.02/sqrt(n) ≈ 9e-5, of the std ≈ 6e-5; 6-sigma bands.
        assertEquals(0.0, mean, 6 * 0.02 / Math.sqrt(n));
        assertEquals(0.02, std, 6 * 0.02 / Math.sqrt(2.0 * n));
        Parameter q = new Parameter("w", true, 200, 250);
        Init.normal(q, 0.02f, 5);
        assertArrayEquals(p.data, q.data);
    }

    @Test
    void xavierUniformBounds() {
        Parameter p = new Parameter("w", true, 30, 70);
        Init.xavierUniform(p, 1);
        float a = (float) Math.sqrt(6.0 / 100);
        float max = 0;
        for (float v : p.data) max = Math.max(max, Math.abs(v));
        assertTrue(max <= a && max > 0.95f * a, "max " + max + " bound " + a);
        assertThrows(IllegalArgumentException.class, () -> Init.xavierUniform(new Parameter("b", false, 5), 1));
    }
}
