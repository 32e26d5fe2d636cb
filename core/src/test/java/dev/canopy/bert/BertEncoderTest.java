package dev.canopy.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.attention.registry.Attentions;
import dev.canopy.io.NamedTensor;
import dev.canopy.io.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The encoder on a tiny random BERT, written to safetensors with Hugging Face names and loaded back, against a
 * straightforward double-precision forward written here (materialised softmax, integrated erf).
 */
class BertEncoderTest {
    static final BertConfig C = new BertConfig(30, 16, 2, 4, 24, 20, 2, 1e-12);

    @TempDir
    Path dir;

    @Test
    void matchesADoublePrecisionReference() throws IOException {
        Map<String, float[]> w = randomWeights(new Random(11));
        BertWeights weights = BertWeights.load(write(w, ""), C);
        int[] ids = {2, 7, 7, 29, 0, 13, 3};
        float[] ours = new BertEncoder(weights, Attentions.parse("exact"), FeedForwardSpec.DENSE).forward(ids).hidden();
        assertArrayEquals(toFloat(reference(w, ids, 0)), ours, 1e-4f);
    }

    @Test
    void topKFeedForwardKeepsTheLargestPreActivations() throws IOException {
        Map<String, float[]> w = randomWeights(new Random(12));
        BertWeights weights = BertWeights.load(write(w, "bert."), C); // BertForX-style prefix is accepted too
        int[] ids = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] dense = new BertEncoder(weights, Attentions.parse("exact"), FeedForwardSpec.DENSE).forward(ids).hidden();
        float[] full = new BertEncoder(weights, Attentions.parse("exact"), FeedForwardSpec.parse("topk-ffn:k=24")).forward(ids).hidden();
        float[] beyond = new BertEncoder(weights, Attentions.parse("exact"), FeedForwardSpec.parse("topk-ffn:k=100,chunk=3")).forward(ids).hidden();
        assertArrayEquals(dense, beyond, 1e-5f);
        assertArrayEquals(dense, full, 1e-5f);
        float[] sparse = new BertEncoder(weights, Attentions.parse("exact"), FeedForwardSpec.parse("topk-ffn:k=5")).forward(ids).hidden();
        assertArrayEquals(toFloat(reference(w, ids, 5)), sparse, 1e-4f);
        assertTrue(maxDiff(dense, sparse) > 1e-2, "k=5 of 24 must change the output");
    }

    @Test
    void embeddingIsTheNormalisedMean() {
        float[] hidden = {1, 2, 3, 6}; // two tokens of width 2: mean (2, 4)
        float[] e = BertEncoder.meanPoolNormalize(hidden, 2, 2);
        assertArrayEquals(new float[] {(float) (2 / Math.sqrt(20)), (float) (4 / Math.sqrt(20))}, e, 1e-7f);
    }

    @Test
    void rejectsBadInputs() throws IOException {
        BertWeights weights = BertWeights.load(write(randomWeights(new Random(1)), ""), C);
        BertEncoder e = new BertEncoder(weights, Attentions.parse("exact"), FeedForwardSpec.DENSE);
        assertThrows(IllegalArgumentException.class, () -> e.forward(new int[0]));
        assertThrows(IllegalArgumentException.class, () -> e.forward(new int[] {30}));
        assertThrows(IllegalArgumentException.class, () -> e.forward(new int[21]));
        assertThrows(IllegalArgumentException.class, () -> FeedForwardSpec.parse("topk-ffn:k=4,act=relu"));
        assertThrows(IllegalArgumentException.class, () -> FeedForwardSpec.parse("topk-ffn"));
        assertThrows(IllegalArgumentException.class, () -> FeedForwardSpec.parse("sparse:k=3"));
        Path missing = dir.resolve("missing.safetensors");
        Safetensors.write(missing, List.of(new NamedTensor("embeddings.word_embeddings.weight", new int[] {30, 16}, new float[480])), Map.of());
        IOException ex = assertThrows(IOException.class, () -> BertWeights.load(missing, C));
        assertTrue(ex.getMessage().contains("no tensor named"), ex.getMessage());
    }

    @Test
    void configRoundTripsThroughJson() throws IOException {
        Path p = dir.resolve("config.json");
        java.nio.file.Files.writeString(p, C.toJson());
        assertEquals(C, BertConfig.read(p));
    }

    // ---- reference -------------------------------------------------------------------------------------------

    static Map<String, float[]> randomWeights(Random rng) {
        Map<String, float[]> w = new java.util.LinkedHashMap<>();
        int h = C.hidden(), ff = C.intermediate();
        w.put("embeddings.word_embeddings.weight", rand(rng, C.vocabSize() * h, 1));
        w.put("embeddings.position_embeddings.weight", rand(rng, C.maxPositions() * h, 0.5));
        w.put("embeddings.token_type_embeddings.weight", rand(rng, C.typeVocabSize() * h, 0.5));
        w.put("embeddings.LayerNorm.weight", around1(rng, h));
        w.put("embeddings.LayerNorm.bias", rand(rng, h, 0.1));
        for (int l = 0; l < C.layers(); l++) {
            String p = "encoder.layer." + l + ".";
            for (String s : List.of("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense")) {
                w.put(p + s + ".weight", rand(rng, h * h, 0.6));
                w.put(p + s + ".bias", rand(rng, h, 0.1));
            }
            w.put(p + "attention.output.LayerNorm.weight", around1(rng, h));
            w.put(p + "attention.output.LayerNorm.bias", rand(rng, h, 0.1));
            w.put(p + "intermediate.dense.weight", rand(rng, ff * h, 0.5));
            w.put(p + "intermediate.dense.bias", rand(rng, ff, 0.1));
            w.put(p + "output.dense.weight", rand(rng, h * ff, 0.3));
            w.put(p + "output.dense.bias", rand(rng, h, 0.1));
            w.put(p + "output.LayerNorm.weight", around1(rng, h));
            w.put(p + "output.LayerNorm.bias", rand(rng, h, 0.1));
        }
        return w;
    }

    private Path write(Map<String, float[]> w, String prefix) throws IOException {
        List<NamedTensor> tensors = new ArrayList<>();
        int h = C.hidden(), ff = C.intermediate();
        for (Map.Entry<String, float[]> e : w.entrySet()) {
            String n = e.getKey();
            int len = e.getValue().length;
            int[] shape = n.endsWith("word_embeddings.weight") ? new int[] {C.vocabSize(), h}
                    : n.endsWith("position_embeddings.weight") ? new int[] {C.maxPositions(), h}
                    : n.endsWith("token_type_embeddings.weight") ? new int[] {C.typeVocabSize(), h}
                    : n.endsWith("intermediate.dense.weight") ? new int[] {ff, h}
                    : n.endsWith("output.dense.weight") && !n.contains("attention") ? new int[] {h, ff}
                    : n.endsWith(".weight") && !n.contains("LayerNorm") ? new int[] {h, h}
                    : new int[] {len};
            tensors.add(new NamedTensor(prefix + n, shape, e.getValue()));
        }
        Path p = dir.resolve(prefix + "model.safetensors");
        Safetensors.write(p, tensors, Map.of());
        return p;
    }

    /** Double-precision BERT forward; ffnK > 0 keeps only the ffnK largest pre-activations per token. */
    static double[] reference(Map<String, float[]> w, int[] ids, int ffnK) {
        int n = ids.length, h = C.hidden(), heads = C.heads(), d = C.headDim(), ff = C.intermediate();
        double[][] x = new double[n][h];
        for (int i = 0; i < n; i++) for (int j = 0; j < h; j++) {
            x[i][j] = w.get("embeddings.word_embeddings.weight")[ids[i] * h + j] + w.get("embeddings.position_embeddings.weight")[i * h + j]
                    + w.get("embeddings.token_type_embeddings.weight")[j];
        }
        ln(x, w.get("embeddings.LayerNorm.weight"), w.get("embeddings.LayerNorm.bias"));
        for (int l = 0; l < C.layers(); l++) {
            String p = "encoder.layer." + l + ".";
            double[][] q = lin(x, w.get(p + "attention.self.query.weight"), w.get(p + "attention.self.query.bias"), h);
            double[][] k = lin(x, w.get(p + "attention.self.key.weight"), w.get(p + "attention.self.key.bias"), h);
            double[][] v = lin(x, w.get(p + "attention.self.value.weight"), w.get(p + "attention.self.value.bias"), h);
            double[][] ctx = new double[n][h];
            for (int hd = 0; hd < heads; hd++) {
                for (int i = 0; i < n; i++) {
                    double[] s = new double[n];
                    double max = Double.NEGATIVE_INFINITY, z = 0;
                    for (int j = 0; j < n; j++) {
                        for (int c = 0; c < d; c++) s[j] += q[i][hd * d + c] * k[j][hd * d + c];
                        s[j] /= Math.sqrt(d);
                        max = Math.max(max, s[j]);
                    }
                    for (int j = 0; j < n; j++) z += s[j] = Math.exp(s[j] - max);
                    for (int j = 0; j < n; j++) for (int c = 0; c < d; c++) ctx[i][hd * d + c] += s[j] / z * v[j][hd * d + c];
                }
            }
            double[][] a = lin(ctx, w.get(p + "attention.output.dense.weight"), w.get(p + "attention.output.dense.bias"), h);
            for (int i = 0; i < n; i++) for (int j = 0; j < h; j++) x[i][j] += a[i][j];
            ln(x, w.get(p + "attention.output.LayerNorm.weight"), w.get(p + "attention.output.LayerNorm.bias"));
            double[][] inner = lin(x, w.get(p + "intermediate.dense.weight"), w.get(p + "intermediate.dense.bias"), ff);
            for (double[] row : inner) {
                double cut = Double.NEGATIVE_INFINITY;
                if (ffnK > 0) {
                    double[] sorted = row.clone();
                    Arrays.sort(sorted);
                    cut = sorted[ff - ffnK];
                }
                for (int j = 0; j < ff; j++) row[j] = row[j] >= cut ? 0.5 * row[j] * (1 + erfIntegral(row[j] / Math.sqrt(2))) : 0;
            }
            double[][] o = lin(inner, w.get(p + "output.dense.weight"), w.get(p + "output.dense.bias"), h);
            for (int i = 0; i < n; i++) for (int j = 0; j < h; j++) x[i][j] += o[i][j];
            ln(x, w.get(p + "output.LayerNorm.weight"), w.get(p + "output.LayerNorm.bias"));
        }
        double[] flat = new double[n * h];
        for (int i = 0; i < n; i++) System.arraycopy(x[i], 0, flat, i * h, h);
        return flat;
    }

    /** erf by Simpson's rule on 2/sqrt(pi) exp(-t^2): slow but independent of the code under test. */
    static double erfIntegral(double x) {
        int steps = 2000;
        double hstep = x / steps, s = 0;
        for (int i = 0; i <= steps; i++) {
            double t = i * hstep, f = Math.exp(-t * t);
            s += (i == 0 || i == steps) ? f : (i % 2 == 1 ? 4 * f : 2 * f);
        }
        return s * hstep / 3 * 2 / Math.sqrt(Math.PI);
    }

    private static double[][] lin(double[][] x, float[] weight, float[] bias, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) for (int o = 0; o < out; o++) {
            double s = bias[o];
            for (int c = 0; c < in; c++) s += x[i][c] * weight[o * in + c];
            y[i][o] = s;
        }
        return y;
    }

    private static void ln(double[][] x, float[] g, float[] b) {
        for (double[] row : x) {
            double mean = Arrays.stream(row).average().orElseThrow(), var = 0;
            for (double v : row) var += (v - mean) * (v - mean);
            var /= row.length;
            for (int j = 0; j < row.length; j++) row[j] = (row[j] - mean) / Math.sqrt(var + 1e-12) * g[j] + b[j];
        }
    }

    private static float[] rand(Random rng, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rng.nextGaussian() * scale);
        return a;
    }

    private static float[] around1(Random rng, int n) {
        float[] a = rand(rng, n, 0.1);
        for (int i = 0; i < n; i++) a[i] += 1;
        return a;
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
