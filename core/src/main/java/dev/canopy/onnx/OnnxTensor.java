package dev.canopy.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One initializer of an ONNX graph: name, dims and its fp32 values, which live in the model's byte array
 * (raw_data, little-endian) or, for small tensors, in the float_data list.
 */
public record OnnxTensor(String name, long[] dims, int dataType, byte[] source, int rawStart, int rawEnd, float[] floatData) {
    /** TensorProto.DataType.FLOAT. */
    public static final int FLOAT = 1;
    /** TensorProto.DataType.INT64. */
    public static final int INT64 = 7;

    public long elements() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    public int[] shape() {
        int[] s = new int[dims.length];
        for (int i = 0; i < s.length; i++) s[i] = Math.toIntExact(dims[i]);
        return s;
    }

    /** The values as float; only FLOAT tensors are supported. */
    public float[] floats() {
        if (dataType != FLOAT) throw new IllegalArgumentException("ONNX tensor " + name + " has data type " + dataType + ", not float");
        long n = elements();
        if (floatData != null && floatData.length > 0) {
            if (floatData.length != n) throw new IllegalArgumentException("ONNX tensor " + name + " has " + floatData.length
                    + " float_data values for dims " + Arrays.toString(dims));
            return floatData.clone();
        }
        if ((long) (rawEnd - rawStart) != 4 * n) {
            throw new IllegalArgumentException("ONNX tensor " + name + " has " + (rawEnd - rawStart) + " raw bytes for dims "
                    + Arrays.toString(dims) + " (needs " + 4 * n + ")");
        }
        float[] out = new float[(int) n];
        ByteBuffer.wrap(source, rawStart, rawEnd - rawStart).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** The values of an INT64 tensor stored as raw_data (how exporters write Constant shapes). */
    public long[] longs() {
        if (dataType != INT64) throw new IllegalArgumentException("ONNX tensor " + name + " has data type " + dataType + ", not int64");
        long n = elements();
        if ((long) (rawEnd - rawStart) != 8 * n) {
            throw new IllegalArgumentException("ONNX tensor " + name + " has " + (rawEnd - rawStart) + " raw bytes for " + n + " int64 values");
        }
        long[] out = new long[(int) n];
        ByteBuffer.wrap(source, rawStart, rawEnd - rawStart).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(dims);
    }
}
