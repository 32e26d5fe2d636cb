package dev.canopy.nn;

import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;

/** acc[c] += Σ_r a[r, c]: bias gradients. Parallel over column ranges, so no two tasks write the same element. */
final class ColumnSums {
    private ColumnSums() {}

    static void addInto(int rows, int cols, float[] a, float[] acc) {
        Parallel.forRanges(cols, Math.max(16, (1 << 14) / Math.max(1, rows)), (c0, c1) -> {
            for (int r = 0; r < rows; r++) RowOps.axpy(1f, a, r * cols + c0, acc, c0, c1 - c0);
        });
    }
}
