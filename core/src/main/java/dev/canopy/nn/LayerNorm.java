package dev.canopy.nn;

import dev.canopy.kernels.LayerNormRows;
import java.util.Arrays;
import java.util.List;

/**
 * Layer normalisation over the last dimension: y = (x - mean) / sqrt(var + eps) · gamma + beta, with the biased
 * variance. x and y are [rows, dim]; gamma and beta are [dim], initialised to 1 and 0.
 */
public final class LayerNorm implements Layer {
    /** The layer's name, the prefix of its parameters' names. */
    public final String name;
    /** Width of the rows normalised. */
    public final int dim;
    /** Added to the variance before the square root. */
    public final float eps;
    /** Scale, [dim], starts at 1 (saved as {@code name.weight}). */
    public final Parameter gamma;
    /** Shift, [dim], starts at 0 (saved as {@code name.bias}). */
    public final Parameter beta;

    /**
     * What backward needs: the input (by reference) and the per-row mean and 1/std ([rows] each).
     *
     * @param rows rows normalised
     * @param x    the input, by reference
     * @param mean per-row mean
     * @param rstd per-row 1 / sqrt(var + eps)
     */
    public record Saved(int rows, float[] x, float[] mean, float[] rstd) {}

    /**
     * Normalises rows of width dim; eps is added to the variance (1e-5 in PyTorch, 1e-12 in BERT).
     *
     * @param name the layer's name
     * @param dim  width of the rows
     * @param eps  added to the variance
     */
    public LayerNorm(String name, int dim, float eps) {
        Checks.positive("LayerNorm " + name, "dim", dim);
        if (!(eps > 0)) throw new IllegalArgumentException("LayerNorm " + name + ": eps must be > 0, got " + eps);
        this.name = name;
        this.dim = dim;
        this.eps = eps;
        this.gamma = new Parameter(name + ".weight", false, dim);
        this.beta = new Parameter(name + ".bias", false, dim);
        Arrays.fill(gamma.data, 1f);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(gamma, beta);
    }

    /**
     * y[rows, dim] = layernorm(x[rows, dim]) (y overwritten; y must not alias x, which backward reads).
     *
     * @param rows rows to normalise
     * @param x    input [rows, dim]
     * @param y    written: output [rows, dim]
     * @return what backward needs
     */
    public Saved forward(int rows, float[] x, float[] y) {
        String layer = "LayerNorm " + name;
        Checks.rows(rows, layer);
        Checks.size(layer, "x [" + rows + ", " + dim + "]", x, (long) rows * dim);
        Checks.size(layer, "y [" + rows + ", " + dim + "]", y, (long) rows * dim);
        float[] mean = new float[rows], rstd = new float[rows];
        LayerNormRows.forward(rows, dim, x, 0, gamma.data, beta.data, eps, y, 0, mean, rstd);
        return new Saved(rows, x, mean, rstd);
    }

    /**
     * Overwrites dx [rows, dim] (may alias dy; null skips it) and adds into the gamma and beta gradients.
     *
     * @param saved what the forward returned
     * @param dy    gradient of the output
     * @param dx    written: gradient of the input, or null
     */
    public void backward(Saved saved, float[] dy, float[] dx) {
        int rows = saved.rows();
        String layer = "LayerNorm " + name;
        Checks.size(layer, "dy [" + rows + ", " + dim + "]", dy, (long) rows * dim);
        Checks.sizeIfPresent(layer, "dx [" + rows + ", " + dim + "]", dx, (long) rows * dim);
        LayerNormRows.backward(rows, dim, saved.x(), 0, saved.mean(), saved.rstd(), gamma.data, dy, 0, dx, 0,
                gamma.gradTarget(), beta.gradTarget());
    }
}
