package dev.canopy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane-wise special functions the Vector API does not provide (its EXP and TANH are not reproducible across JIT tiers,
 * and it has no erf).
 *
 * <p>erfc uses the Chebyshev-fitted form erfc(z) = t·exp(-z² + P(t)), t = 1/(1 + z/2) (Numerical Recipes' erfcc):
 * fractional error below 1.2e-7 for all z >= 0 in exact arithmetic. Evaluated in float, the exponent -z² is rounded to
 * float, so the relative error grows like ulp(z²): tested bounds are erfc <= 4e-7 + 1.5e-7·z² relative (z in [0, 9]),
 * erf <= 1.5e-7 absolute everywhere (measured 1.45e-7) and <= 1.8e-7 relative for |x| < 0.5, Φ(x) <= 4e-7 + 1.5e-7·x²
 * relative (x in [-12, 8]); see SpecialFunctionsTest. Because the result is relative-accurate, the normal
 * CDF Φ(x) = erfc(-x/√2)/2 keeps full relative accuracy for negative x, where 1 + erf(x) would cancel. erf itself uses
 * its Taylor series for |x| < 0.5 so tiny arguments stay relative-accurate too.
 */
public final class SpecialFunctions {
    private SpecialFunctions() {}

    private static final float SQRT_HALF = 0.70710678118654752f;
    private static final float TWO_OVER_SQRT_PI = 1.1283791670955126f;

    // erfc(z) = t * exp(-z*z + C0 + t*(C1 + t*(C2 + ... + t*C9))), t = 1 / (1 + 0.5 z), z >= 0.
    private static final float C0 = -1.26551223f, C1 = 1.00002368f, C2 = 0.37409196f, C3 = 0.09678418f,
            C4 = -0.18628806f, C5 = 0.27886807f, C6 = -1.13520398f, C7 = 1.48851587f, C8 = -0.82215223f,
            C9 = 0.17087277f;

    // erf(x) = 2/sqrt(pi) * x * sum_n (-1)^n x^(2n) / (n! (2n+1)), n = 0..6; the first omitted term is < 1e-9 relative
    // for |x| < 0.5.
    private static final float T1 = -1f / 3, T2 = 1f / 10, T3 = -1f / 42, T4 = 1f / 216, T5 = -1f / 1320,
            T6 = 1f / 9360;

    // exp(x) = 2^n * e^r with n = round(x / ln 2) and |r| <= ln(2)/2; e^r by its Taylor series to r^7 (truncation
    // below 6e-9 relative), ln 2 split in two so x - n ln 2 is exact to float precision.
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693145752f, LN2_LO = 1.42860677e-6f;
    private static final float ROUNDER = 12582912f;  // 1.5 * 2^23: adding it rounds to an integer in the low bits
    private static final float EXP_MIN = -87.33654f, EXP_MAX = 88.72283f;

    /**
     * e^x to about 2 ulp, built only from correctly rounded operations (add, mul, fma, bit moves). Unlike
     * {@code lanewise(EXP)}, whose compiled (SVML) and interpreted paths differ in the last bit, this gives the same bits
     * whether the JIT has compiled the caller or not, so a seeded run reproduces exactly. Below -87.34 (including -inf)
     * it returns 0, above 88.72 +inf; NaN stays NaN.
     */
    public static FloatVector exp(FloatVector x) {
        FloatVector c = x.blend(EXP_MAX, x.compare(VectorOperators.GT, EXP_MAX));
        return expBelowOverflow(c).blend(x, x.test(VectorOperators.IS_NAN));
    }

    /**
     * {@link #exp} for the arguments of a softmax, x - max <= 0 (or -inf): the same bits as exp for every x up to 88.72,
     * without the upper clamp and the NaN pass-through (a NaN still comes out NaN), which are a fifth of exp's
     * instructions and never needed below the overflow point. Attention spends most of its non-product time here.
     */
    public static FloatVector expBelowOverflow(FloatVector x) {
        VectorSpecies<Float> s = x.species();
        // Lanes below EXP_MIN (-inf among them) compute garbage, possibly NaN, that the last blend replaces by 0: no clamp.
        VectorMask<Float> under = x.lt(EXP_MIN);
        FloatVector t = x.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(s, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(s, -LN2_LO), r);
        FloatVector p = r.fma(1f / 5040, 1f / 720).fma(r, FloatVector.broadcast(s, 1f / 120)).fma(r, FloatVector.broadcast(s, 1f / 24)).fma(r, FloatVector.broadcast(s, 1f / 6)).fma(r, FloatVector.broadcast(s, 0.5f))
                .fma(r, FloatVector.broadcast(s, 1f)).fma(r, FloatVector.broadcast(s, 1f));
        IntVector bits = t.reinterpretAsInts().sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats()).blend(0f, under);
    }

    // e^r on |r| <= ln(2)/2 by a degree-5 polynomial fitted for least maximum relative error (9.1e-8 in exact
    // arithmetic): two FMAs fewer than the Taylor series above.
    private static final float P1 = 0.99999970719f, P2 = 0.49999149523f, P3 = 0.16667636202f, P4 = 0.04189793026f,
            P5 = 0.00829031464f;

    /**
     * e^x for the exponentials of a softmax (x <= 88.72, -inf giving 0, NaN staying NaN), as {@link #expBelowOverflow}
     * but with a degree-5 polynomial: within 2 ulp of e^x (1.6e-7 relative, measured over [-87, 8]) instead of about
     * 1, and two FMAs fewer of the dozen this costs a vector, which is what a softmax over long rows spends most of
     * its non-product time on. Still built from correctly rounded operations only, so the bits do not depend on the
     * JIT tier.
     */
    public static FloatVector softmaxExp(FloatVector x) {
        VectorSpecies<Float> s = x.species();
        VectorMask<Float> under = x.lt(EXP_MIN);
        FloatVector t = x.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(s, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(s, -LN2_LO), r);
        FloatVector p = r.fma(P5, P4).fma(r, FloatVector.broadcast(s, P3)).fma(r, FloatVector.broadcast(s, P2))
                .fma(r, FloatVector.broadcast(s, P1)).fma(r, FloatVector.broadcast(s, 1f));
        IntVector bits = t.reinterpretAsInts().sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats()).blend(0f, under);
    }

    /** tanh(x) = 1 - 2 / (e^{2x} + 1), through the reproducible {@link #exp}; absolute error about 1e-7. */
    public static FloatVector tanh(FloatVector x) {
        FloatVector e = exp(x.mul(2f));
        return FloatVector.broadcast(x.species(), 1f).sub(FloatVector.broadcast(x.species(), 2f).div(e.add(1f)));
    }

    // Inlining budget: C2 stops inlining past a fixed depth (MaxInlineLevel 15), and every Vector API call is itself
    // several levels deep. A vector op that fails to inline is not intrinsified and allocates a box per vector (measured:
    // GELU went from 0 to 54 bytes and ~6x the time per element), so these helpers stay flat: at most one helper level
    // (exp, erfcPolynomial) below a public function, and no broadcast helper.

    /** erfc(z) for z >= 0 (no sign handling: callers fold the sign). */
    static FloatVector erfcNonNegative(FloatVector z) {
        FloatVector t = FloatVector.broadcast(z.species(), 1f).div(z.mul(0.5f).add(1f));
        return t.mul(exp(z.mul(z).neg().add(erfcPolynomial(t))));
    }

    /** C0 + t·(C1 + t·(... + t·C9)): the exponent correction of the erfc fit. */
    static FloatVector erfcPolynomial(FloatVector t) {
        return t.mul(C9).add(C8).mul(t).add(C7).mul(t).add(C6).mul(t).add(C5).mul(t).add(C4).mul(t).add(C3)
                .mul(t).add(C2).mul(t).add(C1).mul(t).add(C0);
    }

    /** erfc(x) for any x: relative-accurate for x >= 0; erfc(-z) = 2 - erfc(z). */
    public static FloatVector erfc(FloatVector x) {
        FloatVector r = erfcNonNegative(x.abs());
        return r.blend(r.neg().add(2f), x.lt(0f));
    }

    /** erf(x): Taylor series for |x| < 0.5 (relative-accurate), 1 - erfc(|x|) with the sign of x beyond. */
    public static FloatVector erf(FloatVector x) {
        FloatVector far = erfcNonNegative(x.abs()).neg().add(1f);
        far = far.blend(far.neg(), x.lt(0f));
        FloatVector x2 = x.mul(x);
        FloatVector series = x2.mul(T6).add(T5).mul(x2).add(T4).mul(x2).add(T3).mul(x2).add(T2).mul(x2).add(T1)
                .mul(x2).add(1f).mul(x).mul(TWO_OVER_SQRT_PI);
        return far.blend(series, x.abs().lt(0.5f));
    }

    /** The standard normal CDF Φ(x) = erfc(-x/√2) / 2, relative-accurate in both tails' small side. */
    public static FloatVector normalCdf(FloatVector x) {
        // erfcNonNegative written out: this sits inside GELU loops, where each helper level counts against inlining.
        FloatVector z = x.mul(SQRT_HALF).abs();
        FloatVector t = FloatVector.broadcast(z.species(), 1f).div(z.mul(0.5f).add(1f));
        FloatVector half = t.mul(exp(z.mul(z).neg().add(erfcPolynomial(t)))).mul(0.5f);
        return half.blend(half.neg().add(1f), x.compare(VectorOperators.GT, 0f));
    }

    /** Scalar erf with the same approximation as {@link #erf(FloatVector)} (one lane), for occasional scalar use. */
    public static float erf(float x) {
        return erf(FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x)).lane(0);
    }
}
