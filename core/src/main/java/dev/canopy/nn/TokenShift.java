package dev.canopy.nn;

import java.util.List;

/**
 * Token shift: every position gets a learned linear map of the previous position's vector added,
 * y[t] = x[t] + W · x[t-1] (nothing is added at t = 0), within each sequence of a [batch * n, dim] tensor. It looks only
 * left, so it keeps a causal model causal; it is a width-2 causal convolution with a full [dim, dim] kernel for the
 * previous position (the short convolutions of H3, Hyena and Based, at their shortest). Position t then knows its left
 * neighbour's token before any attention runs, so recall tasks need no attention layer to bind neighbours.
 */
public final class TokenShift implements Layer {
    /** The layer's name; its map is saved as {@code name.weight}. */
    public final String name;
    /** Width of the vectors. */
    public final int dim;
    private final Linear map;

    /**
     * What backward needs.
     *
     * @param batch sequences
     * @param n     positions per sequence
     * @param map   what the map's forward saved
     */
    public record Saved(int batch, int n, Linear.Saved map) {}

    /**
     * The map's weight is {@code name.weight} [dim, dim] (starts at zero: initialise it with {@link Init}).
     *
     * @param name the layer's name
     * @param dim  width of the vectors
     */
    public TokenShift(String name, int dim) {
        this.name = name;
        this.dim = dim;
        this.map = new Linear(name, dim, dim, false);
    }

    /** {@return the map's weight [dim, dim]} */
    public Parameter weight() {
        return map.weight;
    }

    @Override
    public List<Parameter> parameters() {
        return map.parameters();
    }

    /**
     * y [batch * n, dim] = x + W · shift(x) (y overwritten; must not alias x).
     *
     * @param batch sequences
     * @param n     positions per sequence
     * @param x     input [batch * n, dim]
     * @param y     written: output [batch * n, dim]
     * @return what backward needs
     */
    public Saved forward(int batch, int n, float[] x, float[] y) {
        int rows = batch * n;
        Checks.size("TokenShift " + name, "x [" + rows + ", " + dim + "]", x, (long) rows * dim);
        Checks.size("TokenShift " + name, "y [" + rows + ", " + dim + "]", y, (long) rows * dim);
        float[] previous = new float[rows * dim];
        for (int b = 0; b < batch; b++) System.arraycopy(x, b * n * dim, previous, (b * n + 1) * dim, (n - 1) * dim);
        Linear.Saved s = map.forward(rows, previous, y);
        for (int i = 0; i < rows * dim; i++) y[i] += x[i];
        return new Saved(batch, n, s);
    }

    /**
     * dx [batch * n, dim] = dy + (the map's input gradient shifted back one position); dx may alias dy. Adds into dW.
     *
     * @param s  what the forward returned
     * @param dy gradient of the output
     * @param dx written: gradient of the input
     */
    public void backward(Saved s, float[] dy, float[] dx) {
        int batch = s.batch(), n = s.n(), rows = batch * n;
        float[] dPrevious = new float[rows * dim];
        map.backward(s.map(), dy, dPrevious);
        if (dx != dy) System.arraycopy(dy, 0, dx, 0, rows * dim);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t + 1 < n; t++) {
                int to = (b * n + t) * dim, from = (b * n + t + 1) * dim;
                for (int c = 0; c < dim; c++) dx[to + c] += dPrevious[from + c];
            }
        }
    }
}
