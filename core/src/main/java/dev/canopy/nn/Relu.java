package dev.canopy.nn;

import dev.canopy.kernels.Activations;
import dev.canopy.kernels.Parallel;

/** ReLU, element-wise over n values: y = max(x, 0). May run in place (y == x). */
public final class Relu implements Layer {
    /** A stateless ReLU. */
    public Relu() {}


    /**
     * What backward needs: the output (by reference); y > 0 exactly where x > 0, so in-place use is fine.
     *
     * @param n elements
     * @param y the output, by reference
     */
    public record Saved(int n, float[] y) {}

    /**
     * y[n] = max(x[n], 0); y may alias x.
     *
     * @param n elements
     * @param x input
     * @param y written: output
     * @return what backward needs
     */
    public Saved forward(int n, float[] x, float[] y) {
        Checks.rows(n, "Relu");
        Checks.size("Relu", "x", x, n);
        Checks.size("Relu", "y", y, n);
        Parallel.forRanges(n, Elementwise.GRAIN, (a, b) -> Activations.relu(x, a, y, a, b - a));
        return new Saved(n, y);
    }

    /**
     * dx[n] = dy where the output is positive, else 0 (overwritten; may alias dy).
     *
     * @param saved what the forward returned
     * @param dy    gradient of the output
     * @param dx    written: gradient of the input
     */
    public void backward(Saved saved, float[] dy, float[] dx) {
        int n = saved.n();
        Checks.size("Relu", "dy", dy, n);
        Checks.size("Relu", "dx", dx, n);
        float[] y = saved.y();
        Parallel.forRanges(n, Elementwise.GRAIN, (a, b) -> Activations.reluBackward(y, a, dy, a, dx, a, b - a));
    }
}
