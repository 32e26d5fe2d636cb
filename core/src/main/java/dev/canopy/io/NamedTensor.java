package dev.canopy.io;

import java.util.Arrays;

/** A float tensor to write: its name, shape and row-major data. */
public record NamedTensor(String name, int[] shape, float[] data) {
    public NamedTensor {
        shape = shape.clone();
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("tensor " + name + " has a negative dimension: " + Arrays.toString(shape));
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(shape) + " (" + n
                    + " elements) but " + data.length + " values");
        }
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }
}
