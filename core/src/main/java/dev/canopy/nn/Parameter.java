package dev.canopy.nn;

import java.util.Arrays;

/**
 * A trainable tensor: its values, the gradient accumulated by backward passes, and its shape.
 * Backward passes add into {@code grad}; the optimiser reads it and {@link #zeroGrad()} clears it.
 */
public final class Parameter {
    public final String name;
    public final int[] shape;
    public final float[] data;
    public final float[] grad;
    /** Whether weight decay applies (false for biases, norms and embeddings by convention). */
    public final boolean decay;

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

    public int size() {
        return data.length;
    }

    public void zeroGrad() {
        Arrays.fill(grad, 0f);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
