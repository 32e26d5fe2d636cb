package dev.canopy.oracles;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.bert.BertEncoder;
import dev.canopy.bert.BertInference;
import dev.canopy.bert.InferenceWeights;
import dev.canopy.bert.FeedForwardSpec;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Our BERT forward (exact attention) against ONNX Runtime running the very ONNX file the weights came from. */
class MiniLmOnnxOracleTest {
    private static final double TOLERANCE = 1e-4;

    @Test
    void exactAttentionMatchesOnnxRuntime() throws Exception {
        BertEncoder encoder = new BertEncoder(MiniLmFixture.weights(), Attentions.parse("exact"), FeedForwardSpec.DENSE);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(MiniLmFixture.MODEL.onnxFile().toString(), opts)) {
                for (String text : MiniLmFixture.TEXTS.subList(0, 5)) {
                    int[] ids = MiniLmFixture.tokenizer().encode(text, 512).ids();
                    int n = ids.length, h = encoder.config().hidden();
                    float[] reference = runOnnx(env, session, ids, h);
                    float[] ours = encoder.forward(ids).hidden();
                    double maxDiff = 0;
                    for (int i = 0; i < n * h; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - reference[i]));
                    assertTrue(maxDiff < TOLERANCE, "hidden states differ by " + maxDiff + " for '" + text + "'");
                    float[] e1 = BertEncoder.meanPoolNormalize(ours, n, h), e2 = BertEncoder.meanPoolNormalize(reference, n, h);
                    assertArrayEquals(e2, e1, (float) TOLERANCE, "embedding of '" + text + "'");
                }
            }
        }
    }

    /** The batched inference path on texts of mixed lengths, run together, against ONNX Runtime and the encoder. */
    @Test
    void inferencePathOnAMixedBatchMatchesOnnxRuntimeAndTheEncoder() throws Exception {
        BertEncoder encoder = new BertEncoder(MiniLmFixture.weights(), Attentions.parse("exact"), FeedForwardSpec.DENSE);
        BertInference inference = new BertInference(InferenceWeights.of(MiniLmFixture.weights()));
        int[][] batch = MiniLmFixture.TEXTS.subList(0, 6).stream().map(t -> MiniLmFixture.tokenizer().encode(t, 512).ids()).toArray(int[][]::new);
        float[][] hidden = inference.hidden(batch);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(MiniLmFixture.MODEL.onnxFile().toString(), opts)) {
                for (int s = 0; s < batch.length; s++) {
                    int h = encoder.config().hidden();
                    assertArrayEquals(encoder.forward(batch[s]).hidden(), hidden[s], 1e-5f, "against the encoder, sequence " + s);
                    assertArrayEquals(runOnnx(env, session, batch[s], h), hidden[s], 1e-5f, "against ONNX Runtime, sequence " + s);
                }
            }
        }
    }

    @Test
    void goldenVectorFromTheResearchNotes() {
        BertEncoder encoder = new BertEncoder(MiniLmFixture.weights(), Attentions.parse("exact"), FeedForwardSpec.DENSE);
        float[] hidden = encoder.forward(new int[] {101, 2146, 10071, 2342, 8114, 3086, 1012, 102}).hidden();
        assertArrayEquals(new float[] {-0.05007f, -0.35995f, -0.18789f}, Arrays.copyOf(hidden, 3), 1e-4f);
    }

    @Test
    void topKAttentionWithKAtLeastTheLengthEqualsExact() {
        BertEncoder exact = new BertEncoder(MiniLmFixture.weights(), Attentions.parse("exact"), FeedForwardSpec.DENSE);
        for (String text : MiniLmFixture.TEXTS.subList(0, 3)) {
            int[] ids = MiniLmFixture.tokenizer().encode(text, 512).ids();
            float[] e = exact.embed(ids);
            for (String spec : new String[] {"topk:k=" + ids.length, "topk:k=512", "topk:k=" + ids.length + ",chunk=3"}) {
                BertEncoder topk = new BertEncoder(MiniLmFixture.weights(), Attentions.parse(spec), FeedForwardSpec.DENSE);
                assertArrayEquals(e, topk.embed(ids), 1e-5f, spec + " on '" + text + "'");
            }
            // And k below the length really is a different model (so the equality above is not vacuous).
            BertEncoder small = new BertEncoder(MiniLmFixture.weights(), Attentions.parse("topk:k=2"), FeedForwardSpec.DENSE);
            float[] s = small.embed(ids);
            double diff = 0;
            for (int i = 0; i < e.length; i++) diff = Math.max(diff, Math.abs(e[i] - s[i]));
            assertTrue(diff > 1e-3, "topk:k=2 should differ from exact on '" + text + "'");
        }
    }

    @Test
    void topKFeedForwardWithKAtFullWidthEqualsDense() {
        BertEncoder dense = new BertEncoder(MiniLmFixture.weights(), Attentions.parse("exact"), FeedForwardSpec.DENSE);
        BertEncoder full = new BertEncoder(MiniLmFixture.weights(), Attentions.parse("exact"), FeedForwardSpec.parse("topk-ffn:k=1536"));
        BertEncoder sparse = new BertEncoder(MiniLmFixture.weights(), Attentions.parse("exact"), FeedForwardSpec.parse("topk-ffn:k=64"));
        int[] ids = MiniLmFixture.tokenizer().encode(MiniLmFixture.TEXTS.get(1), 512).ids();
        float[] d = dense.embed(ids);
        assertArrayEquals(d, full.embed(ids), 1e-5f);
        float[] s = sparse.embed(ids);
        double cos = 0;
        for (int i = 0; i < d.length; i++) cos += d[i] * s[i];
        assertTrue(cos < 0.999999, "k=64 of 1536 must change the embedding, cosine " + cos);
        assertTrue(cos > 0.5, "k=64 should still resemble the dense embedding, cosine " + cos);
    }

    private static float[] runOnnx(OrtEnvironment env, OrtSession session, int[] ids, int h) throws Exception {
        int n = ids.length;
        long[][] input = new long[1][n], mask = new long[1][n], types = new long[1][n];
        for (int i = 0; i < n; i++) {
            input[0][i] = ids[i];
            mask[0][i] = 1;
        }
        try (OnnxTensor a = OnnxTensor.createTensor(env, input); OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            float[][][] out = (float[][][]) r.get("last_hidden_state").orElseThrow().getValue();
            assertEquals(n, out[0].length);
            float[] flat = new float[n * h];
            for (int i = 0; i < n; i++) System.arraycopy(out[0][i], 0, flat, i * h, h);
            return flat;
        }
    }
}
