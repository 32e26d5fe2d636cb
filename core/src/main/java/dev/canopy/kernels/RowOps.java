package dev.canopy.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised kernels over rows of plain row-major float[] with explicit offsets: reductions, element-wise
 * add/scale/axpy, and the row softmax. The single-row methods run on the calling thread (layers call them from inside
 * {@link Parallel}); the {@code ...Rows} methods spread independent rows over the shared pool.
 *
 * <p>Reductions accumulate in float across vector lanes (several partial sums, then a lane reduction), so they differ
 * from a sequential double sum by rounding only: the tests bound the error by 1e-6 · n · Σ|x|-scale.
 *
 * <p>RowOps or {@link VecOps}? Both have dot and axpy. RowOps' are for whole contiguous rows (dot keeps two
 * accumulators, axpy ends on a masked vector); VecOps' are for the short gathered rows of the attention kernels (one
 * accumulator, scalar tail). Their last bits differ, and seeded results depend on which a layer calls: do not swap
 * one for the other in existing code without accepting new bits.
 */
public final class RowOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private RowOps() {}

    // ---------------------------------------------------------------- reductions

    /** Σ x[off .. off+n). */
    public static float sum(float[] x, int off, int n) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            acc0 = acc0.add(FloatVector.fromArray(S, x, off + i));
            acc1 = acc1.add(FloatVector.fromArray(S, x, off + i + L));
        }
        for (; i + L <= n; i += L) acc0 = acc0.add(FloatVector.fromArray(S, x, off + i));
        float s = VecOps.sum(acc0.add(acc1));
        for (; i < n; i++) s += x[off + i];
        return s;
    }

    /** max x[off .. off+n); -infinity when n == 0. NaN inputs give an unspecified (possibly NaN) result. */
    public static float max(float[] x, int off, int n) {
        int body = n / L * L;
        float m = Float.NEGATIVE_INFINITY;
        if (body > 0) {
            float[] lanes = LANES.get();
            laneMaxima(x, off, body, lanes, 0);
            for (float lane : lanes) m = Math.max(m, lane);
        }
        for (int i = body; i < n; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[L]);

    /**
     * The lane-wise maximum of x[off .. off + len), len a multiple of L, in four independent chains of compare-and-blend.
     * FloatVector.max keeps Math.max's NaN and signed-zero rules, which on x86 costs a sequence of instructions per
     * call, so one chain of it was the slowest step of attention's softmax (measured: 3.0 ns a vector against 0.5 here).
     * A maximum does not depend on the order it is taken in, so the bits are unchanged, except that a NaN is
     * skipped here (its exponential is NaN all the same) and a maximum of 0 may come out as -0 for +0 (exp(x - m) and
     * a log-sum-exp are the same for either). Stored at into[at ..], not returned: a vector returned from a call
     * the JIT does not inline is boxed.
     */
    static void laneMaxima(float[] x, int off, int len, float[] into, int at) {
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), m1 = m0, m2 = m0, m3 = m0;
        int j = 0;
        for (; j + 4 * L <= len; j += 4 * L) {
            FloatVector x0 = FloatVector.fromArray(S, x, off + j), x1 = FloatVector.fromArray(S, x, off + j + L);
            FloatVector x2 = FloatVector.fromArray(S, x, off + j + 2 * L), x3 = FloatVector.fromArray(S, x, off + j + 3 * L);
            m0 = m0.blend(x0, x0.compare(VectorOperators.GT, m0));
            m1 = m1.blend(x1, x1.compare(VectorOperators.GT, m1));
            m2 = m2.blend(x2, x2.compare(VectorOperators.GT, m2));
            m3 = m3.blend(x3, x3.compare(VectorOperators.GT, m3));
        }
        for (; j < len; j += L) {
            FloatVector xj = FloatVector.fromArray(S, x, off + j);
            m0 = m0.blend(xj, xj.compare(VectorOperators.GT, m0));
        }
        m0 = m0.blend(m1, m1.compare(VectorOperators.GT, m0));
        m2 = m2.blend(m3, m3.compare(VectorOperators.GT, m2));
        m0.blend(m2, m2.compare(VectorOperators.GT, m0)).intoArray(into, at);
    }

    /** Σ a[aOff+i] · b[bOff+i] for i in [0, n). */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(S, a, aOff + i + L).fma(FloatVector.fromArray(S, b, bOff + i + L), acc1);
        }
        for (; i + L <= n; i += L) acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
        float s = VecOps.sum(acc0.add(acc1));
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** Σ x² over x[off .. off+n). */
    public static float sumSquares(float[] x, int off, int n) {
        return dot(x, off, x, off, n);
    }

    /** Σ (x - shift)² over x[off .. off+n): the centred second moment used by layernorm (two-pass, no cancellation). */
    public static float sumSquaredDeviations(float[] x, int off, int n, float shift) {
        FloatVector acc = FloatVector.zero(S);
        FloatVector mu = FloatVector.broadcast(S, shift);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector d = FloatVector.fromArray(S, x, off + i).sub(mu);
            acc = d.fma(d, acc);
        }
        float s = VecOps.sum(acc);
        for (; i < n; i++) {
            float d = x[off + i] - shift;
            s += d * d;
        }
        return s;
    }

    // ---------------------------------------------------------------- element-wise (out may alias an input)
    // Full vectors run unmasked and only the tail under a mask (a mask on every iteration costs up to 2x).

    /** out = a + b over n elements. */
    public static void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, aOff + i, m).add(FloatVector.fromArray(S, b, bOff + i, m)).intoArray(out, outOff + i, m);
        }
    }

    /** out = a ⊙ b over n elements. */
    public static void multiply(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, a, aOff + i).mul(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, aOff + i, m).mul(FloatVector.fromArray(S, b, bOff + i, m)).intoArray(out, outOff + i, m);
        }
    }

    /** out = s · x over n elements. */
    public static void scale(float[] x, int xOff, float s, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) FloatVector.fromArray(S, x, xOff + i).mul(s).intoArray(out, outOff + i);
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xOff + i, m).mul(s).intoArray(out, outOff + i, m);
        }
    }

    /** y += alpha · x over n elements. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, x, xOff + i).fma(va, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xOff + i, m).fma(va, FloatVector.fromArray(S, y, yOff + i, m)).intoArray(y, yOff + i, m);
        }
    }

    // ---------------------------------------------------------------- softmax

    /**
     * out = softmax(x) over one row of n elements, computed as exp(x - max) / Σ so large logits cannot overflow.
     * out may alias x. A row whose entries are all -infinity (fully masked) becomes all zeros.
     */
    public static void softmax(float[] x, int xOff, float[] out, int outOff, int n) {
        float max = max(x, xOff, n);
        if (max == Float.NEGATIVE_INFINITY) {
            Arrays.fill(out, outOff, outOff + n, 0f);
            return;
        }
        float total = expShifted(x, xOff, out, outOff, n, max);
        scale(out, outOff, 1f / total, out, outOff, n);
    }

    /** log Σ exp(x) over one row, computed stably; -infinity for an empty or all -infinity row. */
    public static float logSumExp(float[] x, int off, int n) {
        float max = max(x, off, n);
        if (max == Float.NEGATIVE_INFINITY) return max;
        return max + (float) Math.log(expShifted(x, off, null, 0, n, max));
    }

    /** out = exp(x - shift) over n elements (out may be null to only sum); returns Σ exp(x - shift). */
    public static float expShifted(float[] x, int xOff, float[] out, int outOff, int n, float shift) {
        FloatVector vshift = FloatVector.broadcast(S, shift);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector e = SpecialFunctions.exp(FloatVector.fromArray(S, x, xOff + i).sub(vshift));
            if (out != null) e.intoArray(out, outOff + i);
            acc = acc.add(e);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector e = SpecialFunctions.exp(FloatVector.fromArray(S, x, xOff + i, m).sub(vshift));
            if (out != null) e.intoArray(out, outOff + i, m);
            acc = acc.add(e, m);
        }
        return VecOps.sum(acc);
    }

    /**
     * Softmax backward over one row: dx = y ⊙ (dy - Σ y·dy), where y is the forward output. dx may alias dy.
     */
    public static void softmaxBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        FloatVector c = FloatVector.broadcast(S, dot(y, yOff, dy, dyOff, n));
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector vy = FloatVector.fromArray(S, y, yOff + i);
            FloatVector.fromArray(S, dy, dyOff + i).sub(c).mul(vy).intoArray(dx, dxOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector vy = FloatVector.fromArray(S, y, yOff + i, m);
            FloatVector.fromArray(S, dy, dyOff + i, m).sub(c).mul(vy).intoArray(dx, dxOff + i, m);
        }
    }

    /** Row softmax of a [rows x cols] block stored contiguously (row stride = cols), parallel over rows. */
    public static void softmaxRows(int rows, int cols, float[] x, int xOff, float[] out, int outOff) {
        Parallel.forRanges(rows, rowGrain(cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) softmax(x, xOff + r * cols, out, outOff + r * cols, cols);
        });
    }

    /** Rows per parallel task so that each task touches at least ~16K elements. */
    static int rowGrain(int cols) {
        return Math.max(1, (1 << 14) / Math.max(1, cols));
    }
}
