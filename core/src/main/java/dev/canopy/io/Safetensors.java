package dev.canopy.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Hugging Face safetensors format: an 8-byte little-endian header length N, N bytes of JSON mapping each tensor name
 * to {dtype, shape, data_offsets:[begin,end]} (plus an optional string map "__metadata__"), then the raw little-endian
 * data, with offsets relative to the end of the header.
 *
 * <p>{@link #open} checks the whole header against the file size before it allocates anything for tensor data, so a
 * truncated or hostile file fails with one IOException naming the file and the problem.
 */
public final class Safetensors {
    /** Headers are a few kB per hundred tensors; anything beyond this is not a real checkpoint. */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    /** Largest tensor that fits a Java float[]. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 16;
    static final String METADATA = "__metadata__";

    private Safetensors() {}

    /** Reads and validates the header of {@code path}; tensor data is read on demand by {@link SafetensorsFile#floats}. */
    public static SafetensorsFile open(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw bad(path, "the file is " + size + " bytes, too short to hold the 8-byte header length");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, path);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES) {
                throw bad(path, "the header claims " + Long.toUnsignedString(headerLen) + " bytes; expected 1.." + MAX_HEADER_BYTES);
            }
            if (headerLen > size - 8) {
                throw bad(path, "the header claims " + headerLen + " bytes but only " + (size - 8) + " follow the length (truncated?)");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8, path);
            String header;
            try {
                header = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headerBuf.flip()).toString();
            } catch (CharacterCodingException ex) {
                throw bad(path, "the header is not valid UTF-8");
            }
            long dataStart = 8 + headerLen;
            return parseHeader(path, header, dataStart, size - dataStart);
        } catch (NoSuchFileException ex) {
            throw new NoSuchFileException(path.toString(), null, "safetensors file not found");
        }
    }

    /** Writes the tensors (as F32) and string metadata to {@code path} atomically. Names must be unique. */
    public static void write(Path path, List<NamedTensor> tensors, Map<String, String> metadata) throws IOException {
        StringBuilder json = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            json.append(Json.quote(METADATA)).append(":{");
            boolean first = true;
            // Sorted keys: the caller's map order (Map.of's changes from one JVM to the next) must not change the bytes.
            for (Map.Entry<String, String> e : new java.util.TreeMap<>(metadata).entrySet()) {
                if (!first) json.append(',');
                first = false;
                json.append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
            }
            json.append('}');
        }
        Set<String> seen = new HashSet<>();
        long offset = 0;
        for (NamedTensor t : tensors) {
            if (t.name().equals(METADATA)) throw new IllegalArgumentException("a tensor cannot be named " + METADATA);
            if (!seen.add(t.name())) throw new IllegalArgumentException("tensor name " + t.name() + " appears twice");
            if (json.length() > 1) json.append(',');
            long end = offset + 4L * t.data().length;
            json.append(Json.quote(t.name())).append(":{\"dtype\":\"F32\",\"shape\":[");
            int[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) json.append(i == 0 ? "" : ",").append(shape[i]);
            json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        int unpadded = json.toString().getBytes(StandardCharsets.UTF_8).length;
        json.append(" ".repeat((8 - unpadded % 8) % 8));
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(path, ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(header));
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (NamedTensor t : tensors) {
                float[] data = t.data();
                for (int i = 0; i < data.length; ) {
                    int n = Math.min(data.length - i, chunk.capacity() / 4);
                    chunk.clear();
                    chunk.asFloatBuffer().put(data, i, n);
                    chunk.limit(n * 4);
                    writeFully(ch, chunk);
                    i += n;
                }
            }
        });
    }

    private static SafetensorsFile parseHeader(Path path, String header, long dataStart, long dataBytes) throws IOException {
        Map<String, Object> root;
        try {
            root = Json.parseObject(header);
        } catch (IllegalArgumentException ex) {
            throw bad(path, "the header is not valid JSON: " + ex.getMessage());
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> infos = new ArrayList<>();
        for (Map.Entry<String, Object> e : root.entrySet()) {
            String name = e.getKey();
            if (name.equals(METADATA)) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw bad(path, METADATA + " must be an object of strings");
                for (Map.Entry<?, ?> me : m.entrySet()) {
                    if (!(me.getValue() instanceof String s)) throw bad(path, METADATA + " value for " + me.getKey() + " is not a string");
                    metadata.put((String) me.getKey(), s);
                }
                continue;
            }
            infos.add(tensorInfo(path, name, e.getValue()));
        }
        // The spans must tile the data section exactly: no gaps, no overlaps, no trailing bytes.
        List<TensorInfo> byOffset = new ArrayList<>(infos);
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        for (TensorInfo t : byOffset) {
            if (t.begin() != expected) {
                throw bad(path, "tensor " + t.name() + " starts at data offset " + t.begin() + " but the previous tensor ends at "
                        + expected + (t.begin() < expected ? " (overlap)" : " (gap)"));
            }
            expected = t.end();
        }
        if (expected != dataBytes) {
            throw bad(path, "the tensors cover " + expected + " data bytes but the file holds " + dataBytes
                    + (expected > dataBytes ? " (truncated?)" : " (trailing bytes)"));
        }
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : infos) byName.put(t.name(), t);
        return new SafetensorsFile(path, byName, metadata, dataStart);
    }

    private static TensorInfo tensorInfo(Path path, String name, Object value) throws IOException {
        if (!(value instanceof Map<?, ?> m)) throw bad(path, "entry for tensor " + name + " is not an object");
        for (Object key : m.keySet()) {
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw bad(path, "tensor " + name + " has an unknown field " + key);
            }
        }
        if (!(m.get("dtype") instanceof String dtypeName)) throw bad(path, "tensor " + name + " has no dtype string");
        DType dtype = DType.byName(dtypeName);
        if (dtype == null) throw bad(path, "tensor " + name + " has unsupported dtype " + dtypeName);
        if (!(m.get("shape") instanceof List<?> shapeList)) throw bad(path, "tensor " + name + " has no shape array");
        if (shapeList.size() > 16) throw bad(path, "tensor " + name + " claims " + shapeList.size() + " dimensions");
        int[] shape = new int[shapeList.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0 || d > MAX_ELEMENTS) {
                throw bad(path, "tensor " + name + " has a bad dimension " + shapeList.get(i));
            }
            shape[i] = (int) (long) d;
            elements *= d; // each factor <= 2^31 and the running product is checked below, so this cannot overflow
            if (elements > MAX_ELEMENTS) {
                throw bad(path, "tensor " + name + " claims more than " + MAX_ELEMENTS + " elements, more than one array can hold");
            }
        }
        if (!(m.get("data_offsets") instanceof List<?> off) || off.size() != 2
                || !(off.get(0) instanceof Long begin) || !(off.get(1) instanceof Long end) || begin < 0 || end < begin) {
            throw bad(path, "tensor " + name + " needs data_offsets [begin, end] with 0 <= begin <= end, got " + m.get("data_offsets"));
        }
        if (end - begin != elements * dtype.bytes) {
            throw bad(path, "tensor " + name + " spans " + (end - begin) + " bytes but shape " + java.util.Arrays.toString(shape)
                    + " of " + dtype + " needs " + elements * dtype.bytes);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    static IOException bad(Path path, String problem) {
        return new IOException(path + ": not a valid safetensors file: " + problem);
    }

    static void readFully(FileChannel ch, ByteBuffer buf, long position, Path path) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) throw bad(path, "unexpected end of file at byte " + pos + " (truncated)");
            pos += n;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }
}
