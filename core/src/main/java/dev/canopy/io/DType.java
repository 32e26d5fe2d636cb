package dev.canopy.io;

import java.nio.ByteBuffer;

/** Element types a safetensors file may declare, with their width; only the float ones can be read as floats. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public boolean isFloat() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** Looks a dtype up by its safetensors name, or returns null. */
    public static DType byName(String name) {
        for (DType t : values()) if (t.name().equals(name)) return t;
        return null;
    }

    /** Decodes {@code count} little-endian values from {@code src} into {@code out[off..]}, widening to float. */
    void decode(ByteBuffer src, float[] out, int off, int count) {
        switch (this) {
            case F32 -> src.asFloatBuffer().get(out, off, count);
            case F64 -> {
                for (int i = 0; i < count; i++) out[off + i] = (float) src.getDouble(i * 8);
            }
            case F16 -> {
                for (int i = 0; i < count; i++) out[off + i] = Float.float16ToFloat(src.getShort(i * 2));
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) out[off + i] = Float.intBitsToFloat((src.getShort(i * 2) & 0xffff) << 16);
            }
            default -> throw new IllegalStateException(this + " is not a float type");
        }
    }
}
