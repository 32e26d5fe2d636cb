package dev.canopy.peers;

import java.util.List;

/**
 * Writes the ONNX models the ONNX Runtime peer runs, as a user without an exporter would: a graph of standard
 * operators (opset 13). Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, ...).
 * Dimensions given as strings are symbolic, so one model serves every sequence length.
 */
public final class OnnxModels {
    private static final int OPSET = 13;
    private static final long IR_VERSION = 8;
    private static final int FLOAT = 1;  // TensorProto.DataType.FLOAT
    private static final int ATTRIBUTE_INT = 2;  // AttributeProto.AttributeType.INT
    private static final int ATTRIBUTE_INTS = 7;  // AttributeProto.AttributeType.INTS
    private static final String CONTRIB = "com.microsoft";  // ONNX Runtime's contrib operators

    private OnnxModels() {}

    /** Y[m, n] = A[m, k] · B[k, n]. */
    public static byte[] matmul() {
        ProtoWriter graph = new ProtoWriter()
                .message(1, node("MatMul", List.of("A", "B"), "Y", null))
                .string(2, "sgemm")
                .message(11, tensorInput("A", "M", "K"))
                .message(11, tensorInput("B", "K", "N"))
                .message(12, tensorInput("Y", "M", "N"));
        return model(graph);
    }

    /**
     * Exact attention from MatMul, Mul, Softmax and MatMul, materialising the scores:
     * O[h, m, d] = softmax(Q[h, m, d] · K[h, n, d]ᵀ · scale) · V[h, n, d].
     */
    public static byte[] attention(float scale) {
        ProtoWriter transpose = node("Transpose", List.of("K"), "Kt", new ProtoWriter()
                .string(1, "perm").packedLongs(8, new long[] {0, 2, 1}).varint(20, ATTRIBUTE_INTS));
        ProtoWriter scaleTensor = new ProtoWriter().varint(2, FLOAT).packedFloats(4, new float[] {scale}).string(8, "scale");
        ProtoWriter graph = new ProtoWriter()
                .message(1, transpose)
                .message(1, node("MatMul", List.of("Q", "Kt"), "S", null))
                .message(1, node("Mul", List.of("S", "scale"), "Z", null))
                .message(1, node("Softmax", List.of("Z"), "P", null))  // opset 13: over the last axis
                .message(1, node("MatMul", List.of("P", "V"), "O", null))
                .string(2, "attention")
                .message(5, scaleTensor)
                .message(11, tensorInput("Q", "H", "M", "D"))
                .message(11, tensorInput("K", "H", "N", "D"))
                .message(11, tensorInput("V", "H", "N", "D"))
                .message(12, tensorInput("O", "H", "M", "D"));
        return model(graph);
    }

    /**
     * ONNX Runtime's fused attention as one node: O[b, s, heads * d] = MultiHeadAttention(Q, K, V) with inputs of
     * the same layout, scale 1/sqrt(d) (the operator's default). With float inputs and no mask, bias or past state, the
     * CPU kernel takes its tiled flash-attention path.
     */
    public static byte[] multiHeadAttention(int heads) {
        ProtoWriter numHeads = new ProtoWriter().string(1, "num_heads").varint(3, heads).varint(20, ATTRIBUTE_INT);
        ProtoWriter node = node("MultiHeadAttention", List.of("Q", "K", "V"), "O", numHeads).string(7, CONTRIB);
        ProtoWriter graph = new ProtoWriter()
                .message(1, node)
                .string(2, "fused_attention")
                .message(11, tensorInput("Q", "B", "M", "W"))
                .message(11, tensorInput("K", "B", "N", "W"))
                .message(11, tensorInput("V", "B", "N", "W"))
                .message(12, tensorInput("O", "B", "M", "W"));
        return model(graph, new ProtoWriter().string(1, CONTRIB).varint(2, 1));
    }

    private static byte[] model(ProtoWriter graph, ProtoWriter... extraOpsets) {
        ProtoWriter model = new ProtoWriter()
                .varint(1, IR_VERSION)
                .string(2, "canopy")
                .message(7, graph)
                .message(8, new ProtoWriter().string(1, "").varint(2, OPSET));
        for (ProtoWriter opset : extraOpsets) model.message(8, opset);
        return model.toByteArray();
    }

    private static ProtoWriter node(String op, List<String> inputs, String output, ProtoWriter attribute) {
        ProtoWriter node = new ProtoWriter();
        for (String input : inputs) node.string(1, input);
        node.string(2, output).string(3, op + "_" + output).string(4, op);
        if (attribute != null) node.message(5, attribute);
        return node;
    }

    /** ValueInfoProto of a float tensor whose dimensions are all symbolic. */
    private static ProtoWriter tensorInput(String name, String... dims) {
        ProtoWriter shape = new ProtoWriter();
        for (String dim : dims) shape.message(1, new ProtoWriter().string(2, dim));
        ProtoWriter tensorType = new ProtoWriter().varint(1, FLOAT).message(2, shape);
        return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
    }
}
