package dev.canopy.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripKeepsNamesShapesValuesAndMetadata() throws IOException {
        float[] a = {1f, -2.5f, Float.MIN_VALUE, Float.MAX_VALUE, 0f, -0f};
        float[] b = new float[300_000]; // more than one 1 MB chunk
        for (int i = 0; i < b.length; i++) b[i] = (float) Math.sin(i);
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, List.of(new NamedTensor("a.weight", new int[] {2, 3}, a),
                new NamedTensor("b", new int[] {300_000}, b), new NamedTensor("empty", new int[] {0, 4}, new float[0])),
                Map.of("format", "pt"));
        long size = Files.size(file);
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLen) % 8, "data section is 8-byte aligned");
        assertEquals(8 + headerLen + 4L * (a.length + b.length), size);

        SafetensorsFile f = Safetensors.open(file);
        assertEquals(Map.of("format", "pt"), f.metadata());
        assertEquals(java.util.Set.of("a.weight", "b", "empty"), f.names());
        assertArrayEquals(new int[] {2, 3}, f.info("a.weight").shape());
        assertArrayEquals(a, f.floats("a.weight", 2, 3));
        assertArrayEquals(b, f.floats("b"));
        assertEquals(0, f.floats("empty", 0, 4).length);
        assertTrue(Files.list(dir).allMatch(p -> p.equals(file)), "no temporary file is left behind");
    }

    @Test
    void readsHalfPrecisionByUpCasting() throws IOException {
        // 1.0, -2.0, 0.5 in F16 and BF16.
        Path f16 = raw("{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]}}", shorts(0x3c00, 0xc000, 0x3800));
        assertArrayEquals(new float[] {1f, -2f, 0.5f}, Safetensors.open(f16).floats("h"));
        Path bf16 = raw("{\"h\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,6]}}", shorts(0x3f80, 0xc000, 0x3f00));
        assertArrayEquals(new float[] {1f, -2f, 0.5f}, Safetensors.open(bf16).floats("h"));
    }

    @Test
    void integerTensorsAreIndexedButNotReadAsFloats() throws IOException {
        Path p = raw("{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        SafetensorsFile f = Safetensors.open(p);
        assertTrue(f.contains("ids"));
        assertMessage(assertThrows(IOException.class, () -> f.floats("ids")), "not a float type");
    }

    @Test
    void missingTensorNamesTheTensorAndTheFile() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, List.of(new NamedTensor("x", new int[] {1}, new float[] {1})), Map.of());
        IOException ex = assertThrows(IOException.class, () -> Safetensors.open(file).floats("y"));
        assertMessage(ex, "no tensor named y");
        assertMessage(ex, file.toString());
        assertMessage(assertThrows(IOException.class, () -> Safetensors.open(file).floats("x", 2)), "expected [2]");
    }

    @Test
    void rejectsShortAndHugeHeaders() throws IOException {
        Path tiny = dir.resolve("tiny");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertMessage(assertThrows(IOException.class, () -> Safetensors.open(tiny)), "too short");

        Path huge = dir.resolve("huge");
        Files.write(huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE).array());
        assertMessage(assertThrows(IOException.class, () -> Safetensors.open(huge)), "header claims");

        Path negative = dir.resolve("neg");
        Files.write(negative, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1).array());
        assertMessage(assertThrows(IOException.class, () -> Safetensors.open(negative)), "header claims");

        Path beyondFile = dir.resolve("beyond");
        Files.write(beyondFile, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 50L << 20).array());
        assertMessage(assertThrows(IOException.class, () -> Safetensors.open(beyondFile)), "truncated");
    }

    @Test
    void rejectsMalformedHeaders() throws IOException {
        expectBad("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]", new byte[8], "not valid JSON");
        expectBad("[1,2]", new byte[0], "not valid JSON");
        expectBad("{\"x\":5}", new byte[0], "not an object");
        expectBad("{\"x\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8], "unsupported dtype Q4");
        expectBad("{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", new byte[8], "bad dimension");
        expectBad("{\"x\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", new byte[8], "bad dimension");
        expectBad("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", new byte[8], "data_offsets");
        expectBad("{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", new byte[8], "data_offsets");
        expectBad("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}", new byte[8], "unknown field");
        expectBad("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8], "needs 12");
        expectBad("{\"__metadata__\":{\"a\":1}}", new byte[0], "not a string");
        byte[] invalidUtf8 = {'{', '"', (byte) 0xff, '"', ':', '1', '}'};
        Path p = dir.resolve("utf8");
        Files.write(p, concat(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, invalidUtf8.length).array(), invalidUtf8));
        assertMessage(assertThrows(IOException.class, () -> Safetensors.open(p)), "UTF-8");
    }

    @Test
    void rejectsGapsOverlapsTruncationAndTrailingBytes() throws IOException {
        String two = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[%d,%d]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[%d,%d]}}";
        expectBad(String.format(two, 0, 4, 8, 12), new byte[12], "(gap)");
        expectBad(String.format(two, 0, 4, 0, 4), new byte[4], "(overlap)");
        expectBad(String.format(two, 4, 8, 8, 12), new byte[12], "(gap)");
        expectBad(String.format(two, 0, 4, 4, 8), new byte[6], "truncated");
        expectBad(String.format(two, 0, 4, 4, 8), new byte[10], "trailing bytes");
    }

    @Test
    void absurdTensorSizesFailBeforeAllocation() throws IOException {
        // 2^20 * 2^20 floats: would overflow an int and an array; must be refused from the header alone.
        expectBad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1048576,1048576],\"data_offsets\":[0,4398046511104]}}", new byte[4],
                "more than");
        expectBad("{\"x\":{\"dtype\":\"F32\",\"shape\":[99999999999],\"data_offsets\":[0,4]}}", new byte[4], "bad dimension");
        // A plausible header over a file that is too short: refused at open, not while reading.
        expectBad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1000000],\"data_offsets\":[0,4000000]}}", new byte[16], "truncated");
    }

    @Test
    void deeplyNestedJsonIsAnErrorNotAStackOverflow() throws IOException {
        expectBad("{\"x\":" + "[".repeat(100_000) + "}", new byte[0], "nesting");
    }

    private void expectBad(String header, byte[] data, String expected) throws IOException {
        Path p = raw(header, data);
        assertMessage(assertThrows(IOException.class, () -> Safetensors.open(p)), expected);
    }

    private Path raw(String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path p = Files.createTempFile(dir, "t", ".safetensors");
        Files.write(p, concat(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length).array(), h, data));
        return p;
    }

    private static byte[] shorts(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) b.putShort((short) v);
        return b.array();
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) b.put(p);
        return b.array();
    }

    private static void assertMessage(Exception ex, String fragment) {
        assertTrue(ex.getMessage().contains(fragment), "message '" + ex.getMessage() + "' should contain '" + fragment + "'");
    }

    @Test
    void metadataIsWrittenInAFixedOrderWhateverTheMapsOrder() throws IOException {
        // Checkpoint metadata came from Map.of, whose order changes from one JVM to the next: same tensors, other bytes.
        var ab = new java.util.LinkedHashMap<String, String>();
        ab.put("step", "4");
        ab.put("attention", "exact");
        var ba = new java.util.LinkedHashMap<String, String>();
        ba.put("attention", "exact");
        ba.put("step", "4");
        List<NamedTensor> t = List.of(new NamedTensor("w", new int[] {2}, new float[] {1, 2}));
        Safetensors.write(dir.resolve("ab.safetensors"), t, ab);
        Safetensors.write(dir.resolve("ba.safetensors"), t, ba);
        assertArrayEquals(Files.readAllBytes(dir.resolve("ab.safetensors")), Files.readAllBytes(dir.resolve("ba.safetensors")));
    }
}
