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
 * exp and tanh come from {@link SpecialFunctions} (not {@code lanewise(EXP/TANH)}) so results are bit-identical whether
 * or not the JIT has compiled the caller. Forward outputs may alias the input. Backward methods write dx = dy · f'(x) (overwrite) and need the forward input x;
 * dx may alias dy.
 *
 * <p>How the GELU kernels are laid out, and why (measured on JDK 25, Zen 4): each formula is evaluated by its own
 * unmasked loop over full vectors into a small block buffer at offset 0, then copied (forward) or multiplied by dy
 * (backward) into place. Masking every iteration, reading and writing at two or three independent offsets in the same
 * long loop, or sharing one loop between formulas behind a flag each made C2's code 2-2.4x slower. The tail goes
 * through the same loop on a zero-padded copy, so each formula exists exactly once.
 */
public final class Activations {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int BLOCK = 512;
    private static final float INV_SQRT_2PI = 0.3989422804014327f;
    private static final float TANH_SCALE = 0.7978845608028654f; // sqrt(2 / pi)
    private static final float TANH_CUBIC = 0.044715f;

    private enum Formula { GELU_ERF, GELU_ERF_GRAD, GELU_TANH, GELU_TANH_GRAD }

    private Activations() {}

    /** y = x · Φ(x). */
    public static void geluErf(float[] x, int xOff, float[] y, int yOff, int n) {
        inBlocks(Formula.GELU_ERF, x, xOff, null, 0, y, yOff, n);
    }

    /** dx = dy · (Φ(x) + x·φ(x)), φ the standard normal density. */
    public static void geluErfBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        inBlocks(Formula.GELU_ERF_GRAD, x, xOff, dy, dyOff, dx, dxOff, n);
    }

    /** y = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 x³))). */
    public static void geluTanh(float[] x, int xOff, float[] y, int yOff, int n) {
        inBlocks(Formula.GELU_TANH, x, xOff, null, 0, y, yOff, n);
    }

    /** dx = dy · (0.5·(1 + t) + 0.5·x·(1 - t²)·√(2/π)·(1 + 3·0.044715·x²)), t = tanh(...) as in the forward. */
    public static void geluTanhBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        inBlocks(Formula.GELU_TANH_GRAD, x, xOff, dy, dyOff, dx, dxOff, n);
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
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            VectorMask<Float> on = FloatVector.fromArray(S, xOrY, xOff + i).compare(VectorOperators.GT, 0f);
            FloatVector.zero(S).blend(FloatVector.fromArray(S, dy, dyOff + i), on).intoArray(dx, dxOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMask<Float> on = FloatVector.fromArray(S, xOrY, xOff + i, m).compare(VectorOperators.GT, 0f);
            FloatVector.zero(S).blend(FloatVector.fromArray(S, dy, dyOff + i, m), on).intoArray(dx, dxOff + i, m);
        }
    }

    // ---------------------------------------------------------------- GELU machinery

    /** out = f(x), or out = dy · f(x) when dy is non-null, block by block through an L1-sized buffer. */
    private static void inBlocks(Formula f, float[] x, int xOff, float[] dy, int dyOff, float[] out, int outOff, int n) {
        if (n <= 0) return;
        float[] buffer = new float[Math.min(n, BLOCK)];
        for (int b = 0; b < n; b += BLOCK) {
            int len = Math.min(BLOCK, n - b);
            evaluate(f, x, xOff + b, buffer, len);
            if (dy == null) System.arraycopy(buffer, 0, out, outOff + b, len);
            else RowOps.multiply(dy, dyOff + b, buffer, 0, out, outOff + b, len);
        }
    }

    /** out[0, n) = f(x[xOff, xOff + n)): full vectors directly, the tail through a zero-padded copy. */
    private static void evaluate(Formula f, float[] x, int xOff, float[] out, int n) {
        int full = S.loopBound(n);
        vectors(f, x, xOff, out, full);
        if (full < n) {
            float[] padded = new float[L], result = new float[L];
            System.arraycopy(x, xOff + full, padded, 0, n - full);
            vectors(f, padded, 0, result, L);
            System.arraycopy(result, 0, out, full, n - full);
        }
    }

    /** n must be a multiple of the vector length. */
    private static void vectors(Formula f, float[] x, int xOff, float[] out, int n) {
        switch (f) {
            case GELU_ERF -> geluErfVectors(x, xOff, out, n);
            case GELU_ERF_GRAD -> geluErfGradVectors(x, xOff, out, n);
            case GELU_TANH -> geluTanhVectors(x, xOff, out, n);
            case GELU_TANH_GRAD -> geluTanhGradVectors(x, xOff, out, n);
        }
    }

    private static void geluErfVectors(float[] x, int xOff, float[] out, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            v.mul(SpecialFunctions.normalCdf(v)).intoArray(out, i);
        }
    }

    private static void geluErfGradVectors(float[] x, int xOff, float[] out, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            // One exp(-x²/2) serves both the density φ and the erfc inside Φ.
            FloatVector gaussian = SpecialFunctions.exp(v.mul(v).mul(-0.5f));
            v.mul(gaussian).mul(INV_SQRT_2PI).add(SpecialFunctions.normalCdf(v, gaussian)).intoArray(out, i);
        }
    }

    private static void geluTanhVectors(float[] x, int xOff, float[] out, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            FloatVector th = SpecialFunctions.tanh(v.mul(v).mul(TANH_CUBIC).add(1f).mul(v).mul(TANH_SCALE));
            v.mul(0.5f).mul(th.add(1f)).intoArray(out, i);
        }
    }

    private static void geluTanhGradVectors(float[] x, int xOff, float[] out, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            FloatVector x2 = v.mul(v);
            FloatVector th = SpecialFunctions.tanh(x2.mul(TANH_CUBIC).add(1f).mul(v).mul(TANH_SCALE));
            FloatVector sech2 = th.mul(th).neg().add(1f);
            FloatVector inner = x2.mul(3f * TANH_CUBIC).add(1f).mul(TANH_SCALE);
            th.add(1f).mul(0.5f).add(v.mul(0.5f).mul(sech2).mul(inner)).intoArray(out, i);
        }
    }
}
