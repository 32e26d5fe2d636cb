package dev.canopy.nn;

import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;

/**
 * Residual connection out = a + b over n values. Backward hands dOut to both branches; {@link #backwardAccumulate}
 * is the common case in a transformer block, where the skip path's gradient is added to what the branch produced.
 */
public final class Residual implements Layer {
    /** A residual connection (it has no parameters). */
    public Residual() {}


    /**
     * out[n] = a[n] + b[n]; out may alias a or b.
     *
     * @param n   elements
     * @param a   first input
     * @param b   second input
     * @param out written: the sum
     */
    public void forward(int n, float[] a, float[] b, float[] out) {
        Checks.rows(n, "Residual");
        Checks.size("Residual", "a", a, n);
        Checks.size("Residual", "b", b, n);
        Checks.size("Residual", "out", out, n);
        Parallel.forRanges(n, Elementwise.GRAIN, (s, e) -> RowOps.add(a, s, b, s, out, s, e - s));
    }

    /**
     * da = dOut and db = dOut (each overwritten; either may be null to skip, or alias dOut).
     *
     * @param n    elements
     * @param dOut gradient of the sum
     * @param da   written: gradient of a, or null
     * @param db   written: gradient of b, or null
     */
    public void backward(int n, float[] dOut, float[] da, float[] db) {
        Checks.size("Residual", "dOut", dOut, n);
        Checks.sizeIfPresent("Residual", "da", da, n);
        Checks.sizeIfPresent("Residual", "db", db, n);
        if (da != null && da != dOut) System.arraycopy(dOut, 0, da, 0, n);
        if (db != null && db != dOut) System.arraycopy(dOut, 0, db, 0, n);
    }

    /**
     * dAcc += dOut: adds the skip path's gradient into a branch input gradient that was already written.
     *
     * @param n    elements
     * @param dOut gradient of the sum
     * @param dAcc gradient of a branch input, added to
     */
    public void backwardAccumulate(int n, float[] dOut, float[] dAcc) {
        Checks.size("Residual", "dOut", dOut, n);
        Checks.size("Residual", "dAcc", dAcc, n);
        Parallel.forRanges(n, Elementwise.GRAIN, (s, e) -> RowOps.axpy(1f, dOut, s, dAcc, s, e - s));
    }
}
