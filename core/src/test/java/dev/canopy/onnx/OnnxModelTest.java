package dev.canopy.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.bert.OnnxBertImporter;
import dev.canopy.io.NamedTensor;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Builds small ONNX models byte by byte (protobuf wire format) and reads them back. */
class OnnxModelTest {

    @Test
    void readsInitializersNodesAndConstants() {
        byte[] model = model(
                tensor("w", new long[] {2, 3}, 1, floats(1, 2, 3, 4, 5, 6)),
                node("/encoder/layer.0/attention/self/query/MatMul", "MatMul", List.of("x", "w"), List.of("y"), null),
                node("c", "Constant", List.of(), List.of("c_out"), tensor("", new long[] {}, 7, longs(12))));
        OnnxModel m = OnnxModel.parse(model);
        assertEquals(List.of("w"), List.copyOf(m.initializers().keySet()));
        assertArrayEquals(new int[] {2, 3}, m.initializers().get("w").shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, m.initializers().get("w").floats());
        assertEquals(List.of("x", "w"), m.nodes().get(0).inputs());
        assertEquals("MatMul", m.nodes().get(0).opType());
        assertArrayEquals(new long[] {12}, m.nodes().get(1).tensorAttributes().get("value").longs());
    }

    @Test
    void truncatedOrCorruptBytesGiveClearErrors() {
        byte[] model = model(tensor("w", new long[] {2}, 1, floats(1, 2)));
        for (int cut = 1; cut < model.length; cut += 3) {
            byte[] part = java.util.Arrays.copyOf(model, cut);
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> {
                OnnxModel m = OnnxModel.parse(part);
                m.initializers().get("w").floats(); // a cut inside raw_data leaves a too-short tensor
            });
            assertTrue(ex.getMessage() != null && !ex.getMessage().isEmpty());
        }
        assertThrows(IllegalArgumentException.class, () -> OnnxModel.parse(new byte[] {8, 1})); // no graph
        // A length prefix that claims 2^31 bytes.
        assertThrows(IllegalArgumentException.class, () -> OnnxModel.parse(new byte[] {0x3a, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08}));
    }

    @Test
    void bertImportMapsAnonymousMatMulWeightsByNodeNameAndTransposesThem() {
        int h = 4, ff = 6, heads = 2;
        List<byte[]> parts = new java.util.ArrayList<>();
        parts.add(tensor("embeddings.word_embeddings.weight", new long[] {5, h}, 1, floats(new float[5 * h])));
        parts.add(tensor("embeddings.position_embeddings.weight", new long[] {8, h}, 1, floats(new float[8 * h])));
        parts.add(tensor("embeddings.token_type_embeddings.weight", new long[] {2, h}, 1, floats(new float[2 * h])));
        parts.add(tensor("embeddings.position_ids", new long[] {1, 8}, 7, longs(0, 1, 2, 3, 4, 5, 6, 7)));
        parts.add(node("/embeddings/LayerNorm/Add", "Add", List.of("var", "eps"), List.of("o"), null));
        parts.add(node("ce", "Constant", List.of(), List.of("eps"), tensor("", new long[] {}, 1, floats(1e-12f))));
        parts.add(node("/encoder/layer.0/attention/self/Concat", "Concat", List.of("b", "n", "heads", "dim"), List.of("shape"), null));
        parts.add(node("ch", "Constant", List.of(), List.of("heads"), tensor("", new long[] {}, 7, longs(heads))));
        String[] linears = {"attention/self/query", "attention/self/key", "attention/self/value", "attention/output/dense", "intermediate/dense", "output/dense"};
        int[][] shapes = {{h, h}, {h, h}, {h, h}, {h, h}, {h, ff}, {ff, h}}; // ONNX stores [in, out]
        for (int i = 0; i < linears.length; i++) {
            int in = shapes[i][0], out = shapes[i][1];
            float[] w = new float[in * out];
            for (int j = 0; j < w.length; j++) w[j] = 100 * i + j;
            parts.add(tensor("onnx::MatMul_" + (800 + i), new long[] {in, out}, 1, floats(w)));
            parts.add(node("/encoder/layer.0/" + linears[i] + "/MatMul", "MatMul", List.of("x" + i, "onnx::MatMul_" + (800 + i)), List.of("y" + i), null));
        }
        parts.add(node("/encoder/layer.0/attention/self/MatMul", "MatMul", List.of("q", "kT"), List.of("s"), null)); // no weight
        OnnxBertImporter.Imported imported = OnnxBertImporter.importModel(OnnxModel.parse(model(parts.toArray(byte[][]::new))));
        Map<String, NamedTensor> byName = imported.tensors().stream().collect(Collectors.toMap(NamedTensor::name, t -> t));
        assertTrue(!byName.containsKey("embeddings.position_ids"), "integer buffers are not weights");
        NamedTensor inter = byName.get("encoder.layer.0.intermediate.dense.weight");
        assertArrayEquals(new int[] {ff, h}, inter.shape()); // nn.Linear's [out, in]
        // [in=4, out=6] value at (r=1, c=2) is 400 + 1*6 + 2; transposed it sits at (2, 1).
        assertEquals(408f, inter.data()[2 * h + 1]);
        assertEquals(1, imported.config().layers());
        assertEquals(heads, imported.config().heads());
        assertEquals(ff, imported.config().intermediate());
        assertEquals(1e-12, imported.config().layerNormEps());
    }

    // ---- a tiny protobuf writer ------------------------------------------------------------------------------

    static byte[] model(byte[]... graphParts) {
        ByteArrayOutputStream graph = new ByteArrayOutputStream();
        for (byte[] p : graphParts) graph.writeBytes(p);
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        varintField(m, 1, 8); // ir_version, skipped by the reader
        bytesField(m, 7, graph.toByteArray());
        return m.toByteArray();
    }

    /** A GraphProto initializer (field 5) when name is non-empty at top level; callers nest it as needed. */
    static byte[] tensor(String name, long[] dims, int type, byte[] raw) {
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        for (long d : dims) varint(packed, d);
        if (dims.length > 0) bytesField(t, 1, packed.toByteArray());
        varintField(t, 2, type);
        if (!name.isEmpty()) bytesField(t, 8, name.getBytes(StandardCharsets.UTF_8));
        bytesField(t, 9, raw);
        ByteArrayOutputStream wrapped = new ByteArrayOutputStream();
        bytesField(wrapped, 5, t.toByteArray());
        return wrapped.toByteArray();
    }

    static byte[] node(String name, String op, List<String> inputs, List<String> outputs, byte[] valueTensor) {
        ByteArrayOutputStream n = new ByteArrayOutputStream();
        for (String in : inputs) bytesField(n, 1, in.getBytes(StandardCharsets.UTF_8));
        for (String out : outputs) bytesField(n, 2, out.getBytes(StandardCharsets.UTF_8));
        bytesField(n, 3, name.getBytes(StandardCharsets.UTF_8));
        bytesField(n, 4, op.getBytes(StandardCharsets.UTF_8));
        if (valueTensor != null) {
            ByteArrayOutputStream attr = new ByteArrayOutputStream();
            bytesField(attr, 1, "value".getBytes(StandardCharsets.UTF_8));
            attr.writeBytes(valueTensor); // already framed as field 5, which is AttributeProto.t
            bytesField(n, 5, attr.toByteArray());
        }
        ByteArrayOutputStream wrapped = new ByteArrayOutputStream();
        bytesField(wrapped, 1, n.toByteArray());
        return wrapped.toByteArray();
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    static byte[] longs(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) b.putLong(x);
        return b.array();
    }

    private static void varintField(ByteArrayOutputStream out, int field, long value) {
        varint(out, (long) field << 3);
        varint(out, value);
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] bytes) {
        varint(out, ((long) field << 3) | 2);
        varint(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
