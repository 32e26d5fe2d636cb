package dev.canopy.nn;

import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import java.util.List;

/**
 * Token embedding lookup: out[r, :] = weight[ids[r], :]. weight is [vocab, dim] (starts at zero: use {@link Init}
 * or load it); ids are the first rows entries of an int[]; out is [rows, dim].
 */
public final class Embedding implements Layer {
    /** The layer's name; its table is saved as {@code name.weight}. */
    public final String name;
    /** Rows of the table: the number of distinct ids. */
    public final int vocab;
    /** Width of each embedding. */
    public final int dim;
    /** [vocab, dim]. */
    public final Parameter weight;

    /**
     * What backward needs: the ids (by reference).
     *
     * @param rows ids looked up
     * @param ids  the ids, by reference
     */
    public record Saved(int rows, int[] ids) {}

    /**
     * A [vocab, dim] table named {@code name.weight}.
     *
     * @param name  the layer's name
     * @param vocab distinct ids
     * @param dim   width of each embedding
     */
    public Embedding(String name, int vocab, int dim) {
        Checks.positive("Embedding " + name, "vocab", vocab);
        Checks.positive("Embedding " + name, "dim", dim);
        this.name = name;
        this.vocab = vocab;
        this.dim = dim;
        this.weight = new Parameter(name + ".weight", false, vocab, dim);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(weight);
    }

    /**
     * out[rows, dim] = weight rows picked by ids[0, rows). An id outside [0, vocab) throws, naming the id and row.
     *
     * @param rows ids to look up
     * @param ids  token ids; the first rows are used
     * @param out  written: [rows, dim]
     * @return what backward needs
     */
    public Saved forward(int rows, int[] ids, float[] out) {
        String layer = "Embedding " + name;
        Checks.rows(rows, layer);
        if (ids == null || ids.length < rows) {
            throw new IllegalArgumentException(layer + ": ids has " + (ids == null ? 0 : ids.length) + " entries, needs " + rows);
        }
        Checks.size(layer, "out [" + rows + ", " + dim + "]", out, (long) rows * dim);
        for (int r = 0; r < rows; r++) {
            int id = ids[r];
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException(layer + ": token id " + id + " at row " + r + " is outside the vocabulary of size " + vocab);
            }
        }
        float[] w = weight.data;
        Parallel.forRanges(rows, Math.max(1, Elementwise.GRAIN / dim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) System.arraycopy(w, ids[r] * dim, out, r * dim, dim);
        });
        return new Saved(rows, ids);
    }

    /**
     * Scatter-adds dOut [rows, dim] into the weight gradient rows named by the saved ids (repeated ids accumulate).
     *
     * @param saved what the forward returned
     * @param dOut  gradient of the output, [rows, dim]
     */
    public void backward(Saved saved, float[] dOut) {
        int rows = saved.rows();
        Checks.size("Embedding " + name, "dOut [" + rows + ", " + dim + "]", dOut, (long) rows * dim);
        int[] ids = saved.ids();
        float[] g = weight.gradTarget();
        // Split over column ranges, not rows: two rows with the same id would otherwise race on one gradient row.
        Parallel.forRanges(dim, Math.max(16, Elementwise.GRAIN / Math.max(1, rows)), (c0, c1) -> {
            for (int r = 0; r < rows; r++) RowOps.axpy(1f, dOut, r * dim + c0, g, ids[r] * dim + c0, c1 - c0);
        });
    }
}
