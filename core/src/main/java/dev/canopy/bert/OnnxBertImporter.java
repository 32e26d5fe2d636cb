package dev.canopy.bert;

import dev.canopy.io.NamedTensor;
import dev.canopy.onnx.OnnxModel;
import dev.canopy.onnx.OnnxNode;
import dev.canopy.onnx.OnnxTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a BERT exported to ONNX by torch.onnx (as in all-MiniLM-L6-v2) into Hugging Face named tensors.
 *
 * <p>Biases, embeddings and LayerNorms keep their PyTorch names as initializers. The linear weights do not: the exporter
 * stores them transposed ([in, out]) under anonymous names like {@code onnx::MatMul_837}, so each is found through the
 * MatMul node that consumes it ({@code /encoder/layer.5/attention/self/query/MatMul} ->
 * {@code encoder.layer.5.attention.self.query.weight}) and transposed back to nn.Linear's [out, in].
 */
public final class OnnxBertImporter {
    private static final Pattern MATMUL = Pattern.compile("/(encoder/layer\\.\\d+/(?:attention/self/(?:query|key|value)|attention/output/dense|intermediate/dense|output/dense))/MatMul");

    private OnnxBertImporter() {}

    /**
     * What an ONNX BERT becomes.
     *
     * @param config  the shape
     * @param tensors the weights under Hugging Face names
     */
    public record Imported(BertConfig config, List<NamedTensor> tensors) {}

    /**
     * Reads the weights and the shape out of an ONNX BERT graph.
     *
     * @param onnx the parsed model
     * @return the shape and the weights
     * @throws IllegalArgumentException if the graph is not a BERT encoder this reader knows
     */
    public static Imported importModel(OnnxModel onnx) {
        Map<String, OnnxTensor> inits = onnx.initializers();
        Map<String, NamedTensor> out = new TreeMap<>();
        for (OnnxTensor t : inits.values()) {
            // Integer buffers such as embeddings.position_ids are not weights.
            if (t.dataType() == OnnxTensor.FLOAT && (t.name().startsWith("embeddings.") || t.name().startsWith("encoder."))) {
                out.put(t.name(), new NamedTensor(t.name(), t.shape(), t.floats()));
            }
        }
        for (OnnxNode node : onnx.nodes()) {
            if (!node.opType().equals("MatMul")) continue;
            Matcher m = MATMUL.matcher(node.name());
            if (!m.matches()) continue;
            OnnxTensor w = null;
            for (String in : node.inputs()) if (inits.containsKey(in)) w = inits.get(in);
            if (w == null) throw new IllegalArgumentException("MatMul node " + node.name() + " has no weight initializer among " + node.inputs());
            int[] s = w.shape();
            if (s.length != 2) throw new IllegalArgumentException("weight of " + node.name() + " has shape " + Arrays.toString(s));
            String name = m.group(1).replace('/', '.') + ".weight";
            out.put(name, new NamedTensor(name, new int[] {s[1], s[0]}, transpose(w.floats(), s[0], s[1])));
        }
        BertConfig config = inferConfig(out, headCount(onnx), layerNormEps(onnx));
        return new Imported(config, new ArrayList<>(out.values()));
    }

    /**
     * The head count is in no weight: the exporter bakes it into the shape that splits Q/K/V into heads, a Concat of
     * [batch, n, heads, headDim] whose last two inputs are Constants. Read it from layer 0's key reshape.
     */
    static int headCount(OnnxModel onnx) {
        Map<String, OnnxTensor> constants = constants(onnx);
        OnnxNode concat = null;
        for (OnnxNode node : onnx.nodes()) {
            if (concat == null && node.opType().equals("Concat") && node.name().equals("/encoder/layer.0/attention/self/Concat")) concat = node;
        }
        if (concat == null || concat.inputs().size() != 4 || !constants.containsKey(concat.inputs().get(2))) {
            throw new IllegalArgumentException("cannot find the head count: no Concat /encoder/layer.0/attention/self/Concat with a constant"
                    + " head dimension");
        }
        long[] heads = constants.get(concat.inputs().get(2)).longs();
        if (heads.length != 1 || heads[0] < 1 || heads[0] > 4096) throw new IllegalArgumentException("implausible head count " + Arrays.toString(heads));
        return (int) heads[0];
    }

    /** The epsilon the decomposed embedding LayerNorm adds to the variance before its Sqrt. */
    static double layerNormEps(OnnxModel onnx) {
        Map<String, OnnxTensor> constants = constants(onnx);
        for (OnnxNode node : onnx.nodes()) {
            if (node.name().equals("/embeddings/LayerNorm/Add") && node.inputs().size() == 2 && constants.containsKey(node.inputs().get(1))) {
                float[] eps = constants.get(node.inputs().get(1)).floats();
                // Stored as float32; report the decimal it was written as (1e-12), not its binary widening.
                if (eps.length == 1 && eps[0] > 0 && eps[0] < 1e-2) return Double.parseDouble(Float.toString(eps[0]));
            }
        }
        throw new IllegalArgumentException("cannot find the LayerNorm epsilon (a constant added in /embeddings/LayerNorm/Add)");
    }

    private static Map<String, OnnxTensor> constants(OnnxModel onnx) {
        Map<String, OnnxTensor> constants = new HashMap<>();
        for (OnnxNode node : onnx.nodes()) {
            if (node.opType().equals("Constant") && node.tensorAttributes().containsKey("value") && node.outputs().size() == 1) {
                constants.put(node.outputs().get(0), node.tensorAttributes().get("value"));
            }
        }
        return constants;
    }

    private static BertConfig inferConfig(Map<String, NamedTensor> t, int heads, double eps) {
        int[] word = need(t, "embeddings.word_embeddings.weight").shape();
        int[] pos = need(t, "embeddings.position_embeddings.weight").shape();
        int[] type = need(t, "embeddings.token_type_embeddings.weight").shape();
        int layers = 0;
        while (t.containsKey("encoder.layer." + layers + ".attention.self.query.weight")) layers++;
        if (layers == 0) throw new IllegalArgumentException("no encoder layers found in the ONNX graph (expected MatMul nodes named /encoder/layer.N/...)");
        int intermediate = need(t, "encoder.layer.0.intermediate.dense.weight").shape()[0];
        int hidden = word[1];
        return new BertConfig(word[0], hidden, layers, heads, intermediate, pos[0], type[0], eps);
    }

    private static NamedTensor need(Map<String, NamedTensor> t, String name) {
        NamedTensor x = t.get(name);
        if (x == null) throw new IllegalArgumentException("the ONNX model has no initializer " + name);
        return x;
    }

    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }
}
