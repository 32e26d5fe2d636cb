package dev.canopy.nn;

import dev.canopy.kernels.Activations;
import dev.canopy.kernels.Parallel;
import java.util.Objects;

/**
 * GELU activation, element-wise over n values. {@link Kind#ERF} is the exact x·Φ(x) (BERT / MiniLM, PyTorch's default);
 * {@link Kind#TANH} is the tanh approximation (GPT-2).
 */
public final class Gelu implements Layer {
    /** The two forms: exact with the error function, or the tanh approximation. */
    public enum Kind {
        /** x·Φ(x) with the exact normal CDF. */
        ERF,
        /** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
        TANH
    }

    /** The form this layer computes. */
    public final Kind kind;

    /**
     * What backward needs: the input (by reference).
     *
     * @param n elements
     * @param x the input, by reference
     */
    public record Saved(int n, float[] x) {}

    /**
     * GELU of the given form: ERF for BERT-family checkpoints, TANH for GPT-2-family ones.
     *
     * @param kind the form
     */
    public Gelu(Kind kind) {
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /**
     * y[n] = gelu(x[n]) (y must not alias x, which backward reads).
     *
     * @param n elements
     * @param x input
     * @param y written: output
     * @return what backward needs
     */
    public Saved forward(int n, float[] x, float[] y) {
        Checks.rows(n, "Gelu");
        Checks.size("Gelu", "x", x, n);
        Checks.size("Gelu", "y", y, n);
        Parallel.forRanges(n, Elementwise.GRAIN, (a, b) -> {
            if (kind == Kind.ERF) Activations.geluErf(x, a, y, a, b - a);
            else Activations.geluTanh(x, a, y, a, b - a);
        });
        return new Saved(n, x);
    }

    /**
     * dx[n] = dy · gelu'(x) (overwritten; may alias dy).
     *
     * @param saved what the forward returned
     * @param dy    gradient of the output
     * @param dx    written: gradient of the input
     */
    public void backward(Saved saved, float[] dy, float[] dx) {
        int n = saved.n();
        Checks.size("Gelu", "dy", dy, n);
        Checks.size("Gelu", "dx", dx, n);
        float[] x = saved.x();
        Parallel.forRanges(n, Elementwise.GRAIN, (a, b) -> {
            if (kind == Kind.ERF) Activations.geluErfBackward(x, a, dy, a, dx, a, b - a);
            else Activations.geluTanhBackward(x, a, dy, a, dx, a, b - a);
        });
    }
}
