package dev.canopy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise activations and their derivatives over n contiguous elements at offsets, on the calling thread.
 *
 * <ul>
 *   <li>{@code geluErf}: x·Φ(x), the exact GELU (BERT, MiniLM, PyTorch's default), Φ from {@link VectorMath#normalCdf}.
 *   <li>{@code geluTanh}: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), the approximation GPT-2 uses.
 *   <li>{@code relu}: max(x, 0).
 * </ul>
 * Forward outputs may alias the input. Backward methods write dx = dy · f'(x) (overwrite) and need the forward input x;
 * dx may alias dy.
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
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, x, xOff + i, m);
            v.mul(VectorMath.normalCdf(v)).intoArray(y, yOff + i, m);
        }
    }

    /** dx = dy · (Φ(x) + x·φ(x)), φ the standard normal density. */
    public static void geluErfBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, x, xOff + i, m);
            FloatVector pdf = v.mul(v).mul(-0.5f).lanewise(VectorOperators.EXP).mul(INV_SQRT_2PI);
            FloatVector grad = v.fma(pdf, VectorMath.normalCdf(v));
            FloatVector.fromArray(S, dy, dyOff + i, m).mul(grad).intoArray(dx, dxOff + i, m);
        }
    }

    /** y = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 x³))). */
    public static void geluTanh(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, x, xOff + i, m);
            FloatVector th = tanhArgument(v).lanewise(VectorOperators.TANH);
            v.mul(0.5f).mul(th.add(1f)).intoArray(y, yOff + i, m);
        }
    }

    /** dx = dy · (0.5·(1 + t) + 0.5·x·(1 - t²)·√(2/π)·(1 + 3·0.044715·x²)), t = tanh(...) as in the forward. */
    public static void geluTanhBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, x, xOff + i, m);
            FloatVector th = tanhArgument(v).lanewise(VectorOperators.TANH);
            FloatVector sech2 = th.mul(th).neg().add(1f);
            FloatVector inner = v.mul(v).mul(3f * TANH_CUBIC).add(1f).mul(TANH_SCALE);
            FloatVector grad = th.add(1f).mul(0.5f).add(v.mul(0.5f).mul(sech2).mul(inner));
            FloatVector.fromArray(S, dy, dyOff + i, m).mul(grad).intoArray(dx, dxOff + i, m);
        }
    }

    private static FloatVector tanhArgument(FloatVector v) {
        return v.mul(v).mul(TANH_CUBIC).add(1f).mul(v).mul(TANH_SCALE);
    }

    /** y = max(x, 0). */
    public static void relu(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xOff + i, m).max(0f).intoArray(y, yOff + i, m);
        }
    }

    /**
     * dx = dy where the forward input (or, equivalently, output) is > 0, else 0. Passing the forward output works too,
     * which lets relu run in place.
     */
    public static void reluBackward(float[] xOrY, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMask<Float> positive = FloatVector.fromArray(S, xOrY, xOff + i, m).compare(VectorOperators.GT, 0f);
            FloatVector.fromArray(S, dy, dyOff + i, m).blend(0f, positive.not()).intoArray(dx, dxOff + i, m);
        }
    }
}
