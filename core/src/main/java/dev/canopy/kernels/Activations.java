package dev.canopy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise activations and their derivatives over n contiguous elements at offsets, on the calling thread.
 *
 * <ul>
 *   <li>{@code geluErf}: x·Φ(x), the exact GELU (BERT, MiniLM, PyTorch's default), Φ from
 *       {@link SpecialFunctions#normalCdf}.
 *   <li>{@code geluTanh}: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), the approximation GPT-2 uses.
 *   <li>{@code relu}: max(x, 0).
 * </ul>
 * Forward outputs may alias the input. Backward methods write dx = dy · f'(x) (overwrite) and need the forward input x;
 * dx may alias dy.
 *
 * <p>Each kernel runs full vectors unmasked and only the tail under a mask: masking every iteration of these long
 * bodies measured about 2x slower.
 */
public final class Activations {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final float INV_SQRT_2PI = 0.3989422804014327f;
    private static final float TANH_SCALE = 0.7978845608028654f; // sqrt(2 / pi)
    private static final float TANH_CUBIC = 0.044715f;

    private Activations() {}

    /** y = x · Φ(x). */
    public static void geluErf(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) geluErf(FloatVector.fromArray(S, x, xOff + i)).intoArray(y, yOff + i);
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            geluErf(FloatVector.fromArray(S, x, xOff + i, m)).intoArray(y, yOff + i, m);
        }
    }

    /** dx = dy · (Φ(x) + x·φ(x)), φ the standard normal density. */
    public static void geluErfBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        backwardInBlocks(true, x, xOff, dy, dyOff, dx, dxOff, n);
    }

    /** y = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 x³))). */
    public static void geluTanh(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) geluTanh(FloatVector.fromArray(S, x, xOff + i)).intoArray(y, yOff + i);
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            geluTanh(FloatVector.fromArray(S, x, xOff + i, m)).intoArray(y, yOff + i, m);
        }
    }

    /** dx = dy · (0.5·(1 + t) + 0.5·x·(1 - t²)·√(2/π)·(1 + 3·0.044715·x²)), t = tanh(...) as in the forward. */
    public static void geluTanhBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        backwardInBlocks(false, x, xOff, dy, dyOff, dx, dxOff, n);
    }

    private static final int BLOCK = 512;

    /**
     * f'(x) into a small block buffer, then dx = dy · f'(x). Two passes over an L1-resident block are faster than one
     * fused loop: with three independently offset arrays in the long GELU body, C2's loop measured ~2.4x slower.
     */
    private static void backwardInBlocks(boolean erf, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        float[] grad = new float[Math.min(n, BLOCK)];
        for (int b = 0; b < n; b += BLOCK) {
            int len = Math.min(BLOCK, n - b), i = 0;
            for (int bound = S.loopBound(len); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xOff + b + i);
                (erf ? geluErfGrad(v) : geluTanhGrad(v)).intoArray(grad, i);
            }
            if (i < len) {
                VectorMask<Float> m = S.indexInRange(i, len);
                FloatVector v = FloatVector.fromArray(S, x, xOff + b + i, m);
                (erf ? geluErfGrad(v) : geluTanhGrad(v)).intoArray(grad, i, m);
            }
            RowOps.multiply(dy, dyOff + b, grad, 0, dx, dxOff + b, len);
        }
    }

    /** y = max(x, 0). */
    public static void relu(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) FloatVector.fromArray(S, x, xOff + i).max(0f).intoArray(y, yOff + i);
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xOff + i, m).max(0f).intoArray(y, yOff + i, m);
        }
    }

    /**
     * dx = dy where the forward input is > 0, else 0. Passing the forward output instead works too (it is > 0 exactly
     * where the input is), which lets relu run in place.
     */
    public static void reluBackward(float[] xOrY, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMask<Float> positive = FloatVector.fromArray(S, xOrY, xOff + i, m).compare(VectorOperators.GT, 0f);
            FloatVector.fromArray(S, dy, dyOff + i, m).blend(0f, positive.not()).intoArray(dx, dxOff + i, m);
        }
    }

    // ---------------------------------------------------------------- per-vector formulas

    private static FloatVector geluErf(FloatVector v) {
        return v.mul(SpecialFunctions.normalCdf(v));
    }

    private static FloatVector geluErfGrad(FloatVector v) {
        // One exp(-x²/2) serves both the density and the erfc inside Φ.
        FloatVector gaussian = SpecialFunctions.exp(v.mul(v).mul(-0.5f));
        return v.mul(gaussian.mul(INV_SQRT_2PI)).add(SpecialFunctions.normalCdf(v, gaussian));
    }

    private static FloatVector tanhArgument(FloatVector v) {
        return v.mul(v).mul(TANH_CUBIC).add(1f).mul(v).mul(TANH_SCALE);
    }

    private static FloatVector geluTanh(FloatVector v) {
        return v.mul(0.5f).mul(SpecialFunctions.tanh(tanhArgument(v)).add(1f));
    }

    private static FloatVector geluTanhGrad(FloatVector v) {
        FloatVector th = SpecialFunctions.tanh(tanhArgument(v));
        FloatVector sech2 = th.mul(th).neg().add(1f);
        FloatVector inner = v.mul(v).mul(3f * TANH_CUBIC).add(1f).mul(TANH_SCALE);
        return th.add(1f).mul(0.5f).add(v.mul(0.5f).mul(sech2).mul(inner));
    }
}
