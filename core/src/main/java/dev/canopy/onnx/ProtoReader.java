package dev.canopy.onnx;

import java.nio.charset.StandardCharsets;
import java.util.function.LongConsumer;

/**
 * Reads the protobuf wire format field by field over a byte range, without generated classes: each call to
 * {@link #next()} positions on one field; the caller reads it with the method that matches its wire type or skips it.
 * Every length is checked against the enclosing range, so a corrupt file ends in an IllegalArgumentException.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LENGTH = 2, FIXED32 = 5;

    private final byte[] buf;
    private int pos;
    private final int end;
    private int field, wireType;

    ProtoReader(byte[] buf, int start, int end) {
        if (start < 0 || end > buf.length || start > end) throw new IllegalArgumentException("bad protobuf range " + start + ".." + end);
        this.buf = buf;
        this.pos = start;
        this.end = end;
    }

    /** Advances to the next field; false at the end of the range. */
    boolean next() {
        if (pos >= end) return false;
        long tag = varint();
        field = (int) (tag >>> 3);
        wireType = (int) (tag & 7);
        if (field <= 0) throw new IllegalArgumentException("protobuf field number " + field + " at byte " + pos);
        return true;
    }

    int field() {
        return field;
    }

    int wireType() {
        return wireType;
    }

    long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw new IllegalArgumentException("protobuf varint runs past the end at byte " + pos);
            byte b = buf[pos++];
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) return result;
        }
        throw new IllegalArgumentException("protobuf varint longer than 10 bytes at byte " + pos);
    }

    /** For a length-delimited field: the start of its bytes; {@link #lengthEnd()} gives the end. Advances past it. */
    int[] lengthDelimited() {
        expect(LENGTH);
        long len = varint();
        if (len < 0 || len > end - pos) throw new IllegalArgumentException("protobuf field " + field + " claims " + len
                + " bytes but only " + (end - pos) + " remain (truncated?)");
        int start = pos;
        pos += (int) len;
        return new int[] {start, pos};
    }

    ProtoReader message() {
        int[] r = lengthDelimited();
        return new ProtoReader(buf, r[0], r[1]);
    }

    String string() {
        int[] r = lengthDelimited();
        return new String(buf, r[0], r[1] - r[0], StandardCharsets.UTF_8);
    }

    /** Reads a repeated int64 field that may come packed (one length-delimited run) or as single varints. */
    void int64s(LongConsumer sink) {
        if (wireType == VARINT) {
            sink.accept(varint());
            return;
        }
        int[] r = lengthDelimited();
        ProtoReader inner = new ProtoReader(buf, r[0], r[1]);
        while (inner.pos < inner.end) sink.accept(inner.varint());
    }

    void skip() {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> advance(8);
            case LENGTH -> lengthDelimited();
            case FIXED32 -> advance(4);
            default -> throw new IllegalArgumentException("unsupported protobuf wire type " + wireType + " for field " + field);
        }
    }

    private void advance(int n) {
        if (end - pos < n) throw new IllegalArgumentException("protobuf field " + field + " runs past the end (truncated?)");
        pos += n;
    }

    private void expect(int type) {
        if (wireType != type) {
            throw new IllegalArgumentException("protobuf field " + field + " has wire type " + wireType + ", expected " + type);
        }
    }
}
