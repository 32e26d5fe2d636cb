package dev.canopy.nn;

import java.util.Arrays;

/**
 * Deterministic parameter initialisation from a seed (counter-based, so the result does not depend on threading or on
 * the order parameters are initialised in).
 */
public final class Init {
    private Init() {}

    /**
     * data ~ N(0, std²).
     *
     * @param p    the parameter, overwritten
     * @param std  standard deviation
     * @param seed seed of the draw
     */
    public static void normal(Parameter p, float std, long seed) {
        for (int i = 0; i < p.data.length; i++) p.data[i] = std * CounterRng.gaussian(seed, i);
    }

    /**
     * Xavier/Glorot uniform for a [out, in] weight: U(-a, a) with a = sqrt(6 / (in + out)). Needs a 2-D shape.
     *
     * @param p    a [out, in] weight, overwritten
     * @param seed seed of the draw
     */
    public static void xavierUniform(Parameter p, long seed) {
        if (p.shape.length != 2) {
            throw new IllegalArgumentException("xavierUniform needs a 2-D parameter, " + p + " is " + p.shape.length + "-D");
        }
        float a = (float) Math.sqrt(6.0 / (p.shape[0] + p.shape[1]));
        for (int i = 0; i < p.data.length; i++) p.data[i] = a * (2f * CounterRng.uniform(seed, i) - 1f);
    }

    /**
     * Sets every value.
     *
     * @param p     the parameter, overwritten
     * @param value the value
     */
    public static void constant(Parameter p, float value) {
        Arrays.fill(p.data, value);
    }

    /**
     * Sets every value to 0.
     *
     * @param p the parameter, overwritten
     */
    public static void zeros(Parameter p) {
        constant(p, 0f);
    }
}
