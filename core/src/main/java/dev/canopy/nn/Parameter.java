package dev.canopy.nn;

import java.util.Arrays;

/**
 * A trainable tensor: its values, the gradient accumulated by backward passes, and its shape.
 * Backward passes add into {@code grad}; the optimiser reads it and {@link #zeroGrad()} clears it.
 */
public final class Parameter {
    /** Unique name, as checkpoints store it (e.g. {@code encoder.layer.0.attention.self.query.weight}). */
    public final String name;
    /** Dimensions, outermost first. */
    public final int[] shape;
    /** The values, row-major. */
    public final float[] data;
    /** The accumulated gradient, same layout as data. */
    public final float[] grad;
    /** Whether weight decay applies (false for biases, norms and embeddings by convention). */
    public final boolean decay;

    /**
     * A zero-filled parameter with a zero gradient.
     *
     * @param name  unique name
     * @param decay whether weight decay applies
     * @param shape dimensions, each positive
     */
    public Parameter(String name, boolean decay, int... shape) {
        this.name = name;
        this.shape = shape.clone();
        long size = 1;
        for (int s : shape) {
            if (s <= 0) throw new IllegalArgumentException("parameter " + name + " has a non-positive dimension: " + Arrays.toString(shape));
            size *= s;
        }
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("parameter " + name + " is too large: " + Arrays.toString(shape));
        this.data = new float[(int) size];
        this.grad = new float[(int) size];
        this.decay = decay;
    }

    /** {@return the number of values} */
    public int size() {
        return data.length;
    }

    /** Sets the gradient to zero. */
    public void zeroGrad() {
        Arrays.fill(grad, 0f);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
