package dev.canopy.io;

import java.util.Arrays;

/** Where one tensor lives in a safetensors file: dtype, shape and its byte span relative to the data section. */
public record TensorInfo(String name, DType dtype, int[] shape, long begin, long end) {
    public TensorInfo {
        shape = shape.clone();
    }

    public long elements() {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
