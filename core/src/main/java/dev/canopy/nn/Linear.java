package dev.canopy.nn;

import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import dev.canopy.kernels.Sgemm;
import java.util.List;

/**
 * Fully connected layer y = x · Wᵀ + b.
 *
 * <p>Layout (PyTorch / Hugging Face convention, so checkpoints load without transposing): weight is [out, in] row-major,
 * bias is [out]; x is [rows, in], y is [rows, out]. Parameters start at zero: initialise them with {@link Init} or load
 * them.
 */
public final class Linear implements Layer {
    /** The layer's name, the prefix of its parameters' names. */
    public final String name;
    /** Input features. */
    public final int in;
    /** Output features. */
    public final int out;
    /** [out, in]. */
    public final Parameter weight;
    /** [out], or null for a layer without bias. */
    public final Parameter bias;

    /**
     * What backward needs: the input (kept by reference).
     *
     * @param rows rows of the input
     * @param x    the input, by reference
     */
    public record Saved(int rows, float[] x) {}

    /**
     * A layer mapping in features to out; parameters are named {@code name.weight} and {@code name.bias}.
     *
     * @param name     the layer's name
     * @param in       input features
     * @param out      output features
     * @param withBias whether the layer adds a bias
     */
    public Linear(String name, int in, int out, boolean withBias) {
        Checks.positive("Linear " + name, "in", in);
        Checks.positive("Linear " + name, "out", out);
        this.name = name;
        this.in = in;
        this.out = out;
        this.weight = new Parameter(name + ".weight", true, out, in);
        this.bias = withBias ? new Parameter(name + ".bias", false, out) : null;
    }

    @Override
    public List<Parameter> parameters() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }

    /**
     * y[rows, out] = x[rows, in] · Wᵀ + b (y overwritten; y must not alias x).
     *
     * @param rows rows of x
     * @param x    input [rows, in]
     * @param y    written: output [rows, out]
     * @return what backward needs
     */
    public Saved forward(int rows, float[] x, float[] y) {
        String layer = "Linear " + name;
        Checks.rows(rows, layer);
        Checks.size(layer, "x [" + rows + ", " + in + "]", x, (long) rows * in);
        Checks.size(layer, "y [" + rows + ", " + out + "]", y, (long) rows * out);
        if (rows == 0) return new Saved(0, x);
        Sgemm.matmulTransB(rows, out, in, x, 0, in, weight.data, 0, in, y, 0, out, false);
        if (bias != null) {
            float[] b = bias.data;
            Parallel.forRanges(rows, Math.max(1, (1 << 14) / out), (r0, r1) -> {
                for (int r = r0; r < r1; r++) RowOps.add(y, r * out, b, 0, y, r * out, out);
            });
        }
        return new Saved(rows, x);
    }

    /**
     * Given dy [rows, out]: overwrites dx [rows, in] = dy · W (skipped when dx is null), and adds dW += dyᵀ · x and
     * db += Σ_rows dy.
     *
     * @param saved what the forward returned
     * @param dy    gradient of the output [rows, out]
     * @param dx    written: gradient of the input [rows, in], or null
     */
    public void backward(Saved saved, float[] dy, float[] dx) {
        int rows = saved.rows();
        String layer = "Linear " + name;
        Checks.size(layer, "dy [" + rows + ", " + out + "]", dy, (long) rows * out);
        Checks.sizeIfPresent(layer, "dx [" + rows + ", " + in + "]", dx, (long) rows * in);
        if (rows == 0) return;
        if (dx != null) Sgemm.matmul(rows, in, out, dy, 0, out, weight.data, 0, in, dx, 0, in, false);
        Sgemm.matmulTransA(out, in, rows, dy, 0, out, saved.x(), 0, in, weight.gradTarget(), 0, in, true);
        if (bias != null) ColumnSums.addInto(rows, out, dy, bias.gradTarget());
    }
}
