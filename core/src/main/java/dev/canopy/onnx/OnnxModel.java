package dev.canopy.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX ModelProto a weight importer needs: the graph's initializers (weights) and nodes (which tell
 * what each anonymous weight is for). Field numbers are from onnx.proto: ModelProto.graph = 7; GraphProto.node = 1,
 * initializer = 5; NodeProto input = 1, output = 2, name = 3, op_type = 4; TensorProto dims = 1, data_type = 2,
 * float_data = 4, int64_data = 7, name = 8, raw_data = 9, data_location = 14; NodeProto attribute = 5.
 */
public record OnnxModel(Map<String, OnnxTensor> initializers, List<OnnxNode> nodes) {
    /** Far above any model this reads fully into memory; protects against pointing it at something else. */
    private static final long MAX_BYTES = 1L << 30;

    public static OnnxModel read(Path path) throws IOException {
        long size = Files.size(path);
        if (size > MAX_BYTES) throw new IOException(path + ": " + size + " bytes is more than this ONNX reader loads (" + MAX_BYTES + ")");
        byte[] bytes = Files.readAllBytes(path);
        try {
            return parse(bytes);
        } catch (IllegalArgumentException ex) {
            throw new IOException(path + ": not a readable ONNX model: " + ex.getMessage(), ex);
        }
    }

    public static OnnxModel parse(byte[] bytes) {
        ProtoReader model = new ProtoReader(bytes, 0, bytes.length);
        Map<String, OnnxTensor> inits = new LinkedHashMap<>();
        List<OnnxNode> nodes = new ArrayList<>();
        boolean sawGraph = false;
        while (model.next()) {
            if (model.field() != 7) {
                model.skip();
                continue;
            }
            sawGraph = true;
            ProtoReader graph = model.message();
            while (graph.next()) {
                switch (graph.field()) {
                    case 1 -> nodes.add(node(graph.message(), bytes));
                    case 5 -> {
                        OnnxTensor t = tensor(graph.message(), bytes);
                        inits.put(t.name(), t);
                    }
                    default -> graph.skip();
                }
            }
        }
        if (!sawGraph) throw new IllegalArgumentException("no graph (ModelProto field 7) found");
        return new OnnxModel(inits, nodes);
    }

    private static OnnxNode node(ProtoReader r, byte[] bytes) {
        List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
        String name = "", op = "";
        while (r.next()) {
            switch (r.field()) {
                case 1 -> inputs.add(r.string());
                case 2 -> outputs.add(r.string());
                case 3 -> name = r.string();
                case 4 -> op = r.string();
                case 5 -> attribute(r.message(), bytes, tensors);
                default -> r.skip();
            }
        }
        return new OnnxNode(name, op, List.copyOf(inputs), List.copyOf(outputs), Map.copyOf(tensors));
    }

    /** AttributeProto: name = 1, t = 5 (a TensorProto); other attribute kinds are not needed here. */
    private static void attribute(ProtoReader r, byte[] bytes, Map<String, OnnxTensor> tensors) {
        String name = "";
        OnnxTensor t = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.string();
                case 5 -> t = tensor(r.message(), bytes);
                default -> r.skip();
            }
        }
        if (t != null) tensors.put(name, t);
    }

    private static OnnxTensor tensor(ProtoReader r, byte[] bytes) {
        List<Long> dims = new ArrayList<>();
        int dataType = 0, rawStart = 0, rawEnd = 0;
        String name = "";
        float[] floatData = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> r.int64s(dims::add);
                case 2 -> dataType = (int) r.varint();
                case 4 -> {
                    if (r.wireType() == ProtoReader.LENGTH) {
                        int[] span = r.lengthDelimited();
                        if ((span[1] - span[0]) % 4 != 0) throw new IllegalArgumentException("float_data length not a multiple of 4");
                        floatData = new float[(span[1] - span[0]) / 4];
                        ByteBuffer.wrap(bytes, span[0], span[1] - span[0]).order(ByteOrder.LITTLE_ENDIAN)
                                .asFloatBuffer().get(floatData);
                    } else r.skip();
                }
                case 8 -> name = r.string();
                case 9 -> {
                    int[] span = r.lengthDelimited();
                    rawStart = span[0];
                    rawEnd = span[1];
                }
                case 14 -> {
                    if (r.varint() == 1) throw new IllegalArgumentException("tensor uses external data, which is not supported");
                }
                default -> r.skip();
            }
        }
        long[] d = new long[dims.size()];
        long n = 1;
        for (int i = 0; i < d.length; i++) {
            d[i] = dims.get(i);
            if (d[i] < 0 || d[i] > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor " + name + " has a bad dim " + d[i]);
            n = Math.multiplyExact(n, d[i]);
        }
        if (n > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("tensor " + name + " is too large: " + dims);
        return new OnnxTensor(name, d, dataType, bytes, rawStart, rawEnd, floatData);
    }
}
