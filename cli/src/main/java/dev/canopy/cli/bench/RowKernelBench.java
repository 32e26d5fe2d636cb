package dev.canopy.cli.bench;

import dev.canopy.io.JsonLine;
import dev.canopy.kernels.Activations;
import dev.canopy.kernels.LayerNormRows;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import dev.canopy.nn.Dropout;
import dev.canopy.nn.Pass;
import java.util.Random;

/**
 * Times the memory-bound row kernels (softmax, layernorm, GELU, dropout) over a [rows x cols] block on all threads.
 * These are reported in GB/s, not GFLOP/s: {@code gbytes_per_s} counts the minimum traffic, i.e. each input tensor
 * read once and each output written once (4 bytes per float; per-row statistics and gamma/beta ignored), divided by the
 * median time. Kernels that read a row twice (softmax's max pass) are therefore under-credited, never over-credited.
 */
public final class RowKernelBench {
    private RowKernelBench() {}

    /** Rejects sizes before any timing starts: positive, and at most 2^26 elements per tensor (five tensors live). */
    static void validate(int rows, int cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("--rows and --cols must be positive, got " + rows + " x " + cols);
        if ((long) rows * cols > 1L << 26) throw new IllegalArgumentException("--rows x --cols is too large: " + rows + " x " + cols + " (limit 2^26 elements)");
    }

    static void run(int rows, int cols) {
        validate(rows, cols);
        int n = rows * cols;
        Random rng = new Random(2);
        float[] x = KernelBench.random(rng, n), y = new float[n], dy = KernelBench.random(rng, n), dx = new float[n];
        float[] gamma = KernelBench.random(rng, cols), beta = KernelBench.random(rng, cols);
        float[] dGamma = new float[cols], dBeta = new float[cols], mean = new float[rows], rstd = new float[rows];
        int grain = Math.max(1, (1 << 14) / cols);

        report("softmax", "forward", rows, cols, 2, () -> RowOps.softmaxRows(rows, cols, x, 0, y, 0));
        report("layernorm", "forward", rows, cols, 2,
                () -> LayerNormRows.forward(rows, cols, x, 0, gamma, beta, 1e-5f, y, 0, mean, rstd));
        report("layernorm", "backward", rows, cols, 3,
                () -> LayerNormRows.backward(rows, cols, x, 0, mean, rstd, gamma, dy, 0, dx, 0, dGamma, dBeta));
        report("gelu", "erf_forward", rows, cols, 2, () -> Parallel.forRanges(rows, grain, (a, b) ->
                Activations.geluErf(x, a * cols, y, a * cols, (b - a) * cols)));
        report("gelu", "tanh_forward", rows, cols, 2, () -> Parallel.forRanges(rows, grain, (a, b) ->
                Activations.geluTanh(x, a * cols, y, a * cols, (b - a) * cols)));
        report("gelu", "erf_backward", rows, cols, 3, () -> Parallel.forRanges(rows, grain, (a, b) ->
                Activations.geluErfBackward(x, a * cols, dy, a * cols, dx, a * cols, (b - a) * cols)));
        Dropout dropout = new Dropout(0.1f, 1);
        Pass pass = Pass.training(3);
        report("dropout", "forward", rows, cols, 2, () -> dropout.forward(pass, n, x, y));
    }

    /** tensors = how many [rows x cols] float tensors the kernel must move at least once (inputs + outputs). */
    private static void report(String bench, String kind, int rows, int cols, int tensors, Runnable op) {
        Timer.Result t = Timer.measure(op, 3, 5, 200, 0.5);
        double bytes = 4.0 * rows * cols * tensors;
        System.out.println(new JsonLine().put("bench", bench).put("kind", kind).put("rows", rows).put("cols", cols)
                .put("threads", Parallel.threads()).put("seconds", t.median()).put("gbytes_per_s", bytes / t.median() / 1e9)
                .put("runs", t.runs()));
    }
}
