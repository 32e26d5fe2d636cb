package dev.canopy.spark.model;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding of a row's raw bytes. Spark's readers keep undecodable bytes in string columns and would
 * turn them into U+FFFD silently; we read the bytes and name the first bad one instead.
 */
public final class Utf8 {
    private Utf8() {}

    /** The text, or why the row has none (null, empty, not UTF-8). */
    public static Outcome<String> decode(byte[] bytes) {
        if (bytes == null) return Outcome.failed("null text");
        if (bytes.length == 0) return Outcome.failed("empty text");
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never needs more chars than bytes
        CoderResult r = decoder.decode(in, out, true);
        if (r.isUnderflow()) r = decoder.flush(out);
        if (r.isError()) return Outcome.failed("not valid UTF-8 (byte " + in.position() + " of " + bytes.length + ")");
        return Outcome.of(out.flip().toString());
    }
}
