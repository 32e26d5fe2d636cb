package dev.canopy.nn;

import java.util.Arrays;
import java.util.Map;

/**
 * A trainable tensor: its values, the gradient accumulated by backward passes, and its shape.
 * Backward passes add into {@link #gradTarget()}, which is {@code grad} unless a part of a batch is running with
 * gradients of its own ({@link #withGradients}); the optimiser reads {@code grad} and {@link #zeroGrad()} clears it.
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

    /** Gradients of the part of a batch the current thread is running, by parameter (see {@link #withGradients}). */
    private static final ScopedValue<Map<Parameter, float[]>> PART_GRADIENTS = ScopedValue.newInstance();

    /**
     * Where a backward pass adds this parameter's gradient: the running part's own array, or {@link #grad}. Layers call
     * it on the thread that called their backward, before handing the array to any parallel kernel.
     *
     * @return the array to add into, same layout as data
     */
    public float[] gradTarget() {
        if (PART_GRADIENTS.isBound()) {
            float[] own = PART_GRADIENTS.get().get(this);
            if (own != null) return own;
        }
        return grad;
    }

    /**
     * Runs body with the backward passes it makes on this thread adding into the given arrays instead of the
     * parameters' own grad (parameters missing from the map keep theirs), so parts of a batch can run side by side.
     *
     * @param gradients an array per parameter, each as long as its data
     * @param body      the forward and backward passes of one part
     */
    public static void withGradients(Map<Parameter, float[]> gradients, Runnable body) {
        ScopedValue.where(PART_GRADIENTS, gradients).run(body);
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
