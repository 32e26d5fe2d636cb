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

    private Activations() {}

    /** y = x · Φ(x). */
    public static void geluErf(float[] x, int xOff, float[] y, int yOff, int n) {
        float[] buffer = blockBuffer(n);
        for (int b = 0; b < n; b += BLOCK) {
            int len = Math.min(BLOCK, n - b);
            blockInto(Activations::geluErfVectors, x, xOff + b, len, buffer);
            System.arraycopy(buffer, 0, y, yOff + b, len);
        }
    }

    /** dx = dy · (Φ(x) + x·φ(x)), φ the standard normal density. */
    public static void geluErfBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        float[] buffer = blockBuffer(n);
        for (int b = 0; b < n; b += BLOCK) {
            int len = Math.min(BLOCK, n - b);
            blockInto(Activations::normalCdfVectors, x, xOff + b, len, buffer);
            blockInto(Activations::addXDensityVectors, x, xOff + b, len, buffer);
            RowOps.multiply(dy, dyOff + b, buffer, 0, dx, dxOff + b, len);
        }
    }

    /** y = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 x³))). */
    public static void geluTanh(float[] x, int xOff, float[] y, int yOff, int n) {
        float[] buffer = blockBuffer(n);
        for (int b = 0; b < n; b += BLOCK) {
            int len = Math.min(BLOCK, n - b);
            blockInto(Activations::geluTanhVectors, x, xOff + b, len, buffer);
            System.arraycopy(buffer, 0, y, yOff + b, len);
        }
    }

    /** dx = dy · (0.5·(1 + t) + 0.5·x·(1 - t²)·√(2/π)·(1 + 3·0.044715·x²)), t = tanh(...) as in the forward. */
    public static void geluTanhBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        float[] buffer = blockBuffer(n);
        for (int b = 0; b < n; b += BLOCK) {
            int len = Math.min(BLOCK, n - b);
            blockInto(Activations::geluTanhGradVectors, x, xOff + b, len, buffer);
            RowOps.multiply(dy, dyOff + b, buffer, 0, dx, dxOff + b, len);
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

    // ---------------------------------------------------------------- GELU loops

    /** A block buffer with room for whole vectors past the last element (the tail loop writes one full vector). */
    private static float[] blockBuffer(int n) {
        return new float[(Math.min(n, BLOCK) + L - 1) / L * L];
    }

    /** One of the vector loops below. */
    @FunctionalInterface
    private interface VectorLoop {
        void run(float[] x, int xOff, float[] out, int outOff, int n);
    }

    /** Runs loop over x[xOff, xOff + len) into buffer[0, len): whole vectors straight from x, the tail from a padded copy. */
    private static void blockInto(VectorLoop loop, float[] x, int xOff, int len, float[] buffer) {
        int full = S.loopBound(len);
        loop.run(x, xOff, buffer, 0, full);
        if (full < len) loop.run(padTail(x, xOff + full, len - full), 0, buffer, full, len - full);
    }

    /** x[off, off + count) copied into a zero-padded array of one vector, so the tail runs through the unmasked loops. */
    private static float[] padTail(float[] x, int off, int count) {
        float[] padded = new float[L];
        System.arraycopy(x, off, padded, 0, count);
        return padded;
    }

    // Each loop writes out[outOff, outOff + n) from x[xOff, ...); n is rounded up to whole vectors, so callers pass
    // either a multiple of L or a padded one-vector input with an output that has room (the block buffer does).

    private static void geluErfVectors(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            v.mul(SpecialFunctions.normalCdf(v)).intoArray(out, outOff + i);
        }
    }

    private static void normalCdfVectors(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i += L) SpecialFunctions.normalCdf(FloatVector.fromArray(S, x, xOff + i)).intoArray(out, outOff + i);
    }

    /** out += x · φ(x): the second half of the GELU-erf derivative, a separate loop to keep each compiled body small. */
    private static void addXDensityVectors(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            FloatVector density = SpecialFunctions.exp(v.mul(v).mul(-0.5f)).mul(INV_SQRT_2PI);
            v.fma(density, FloatVector.fromArray(S, out, outOff + i)).intoArray(out, outOff + i);
        }
    }

    private static void geluTanhVectors(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            FloatVector th = SpecialFunctions.tanh(v.mul(v).mul(TANH_CUBIC).add(1f).mul(v).mul(TANH_SCALE));
            v.mul(0.5f).mul(th.add(1f)).intoArray(out, outOff + i);
        }
    }

    private static void geluTanhGradVectors(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            FloatVector x2 = v.mul(v);
            FloatVector th = SpecialFunctions.tanh(x2.mul(TANH_CUBIC).add(1f).mul(v).mul(TANH_SCALE));
            FloatVector sech2 = th.mul(th).neg().add(1f);
            FloatVector inner = x2.mul(3f * TANH_CUBIC).add(1f).mul(TANH_SCALE);
            th.add(1f).mul(0.5f).add(v.mul(0.5f).mul(sech2).mul(inner)).intoArray(out, outOff + i);
        }
    }
}
