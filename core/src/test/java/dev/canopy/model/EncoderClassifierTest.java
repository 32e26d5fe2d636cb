package dev.canopy.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.nn.Pass;
import dev.canopy.data.Batch;
import dev.canopy.data.Sample;
import dev.canopy.nn.CounterRng;
import dev.canopy.nn.Parameter;
import dev.canopy.nn.SoftmaxCrossEntropy;
import dev.canopy.testing.GradCheck;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Whole-model gradient checks: every parameter of a tiny model against central finite differences. */
class EncoderClassifierTest {

    static ModelConfig tiny(String attention, String pooling, String positions, boolean twoTower) {
        return ModelConfig.builder(9, 6, 3).dim(8).heads(2).layers(2).ffnDim(12).attention(attention).positions(ModelConfig.positions(positions))
                .pooling(ModelConfig.pooling(pooling)).dropout(0.1f).twoTower(twoTower).seed(42).build();
    }

    static Batch batch(boolean cls, boolean pair) {
        Random rng = new Random(5);
        int[][] docs = {{2, 3, 4, 5, 6, 7}, {3, 8}, {4, 4, 5, 2}};
        List<Sample> samples = new java.util.ArrayList<>();
        for (int i = 0; i < docs.length; i++) {
            int[] other = docs[(i + 1) % docs.length];
            samples.add(pair ? new Sample(docs[i], other, rng.nextInt(3)) : new Sample(docs[i], i % 3));
        }
        return Batch.of(samples, cls, 6, 1);
    }

    /** Moves every parameter away from its small initial values so gradients are large enough to check in float. */
    static void randomise(EncoderClassifier model) {
        long i = 0;
        for (Parameter p : model.namedParameters().values()) {
            boolean gain = p.name.endsWith("ln1.weight") || p.name.endsWith("ln2.weight") || p.name.endsWith("ln_final.weight");
            for (int j = 0; j < p.size(); j++) p.data[j] = (gain ? 1f : 0f) + 0.4f * CounterRng.gaussian(99, i++);
        }
    }

    @ParameterizedTest
    @CsvSource({"exact,mean,learned,false,dense", "exact,cls,sinusoidal,false,dense", "linformer:k=3,mean,learned,false,dense",
            "exact,mean,learned,true,dense", "exact,cls,learned,false,topk-ffn:k=12"})
    void everyParameterGradientMatchesFiniteDifferences(String attention, String pooling, String positions, boolean twoTower, String ffn) {
        EncoderClassifier model = new EncoderClassifier(tiny(attention, pooling, positions, twoTower).toBuilder().ffn(ffn).build());
        randomise(model);
        Batch batch = batch(model.clsToken(), twoTower);
        Pass pass = Pass.training(1234); // dropout on, with a fixed mask: the loss stays a deterministic function
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        java.util.function.DoubleSupplier loss = () -> ce.forward(batch.size(), 3, model.forward(batch, pass).logits(), batch.labels()).loss();
        for (Parameter p : model.namedParameters().values()) p.zeroGrad();
        SequenceClassifier.Forward fwd = model.forward(batch, pass);
        var saved = ce.forward(batch.size(), 3, fwd.logits(), batch.labels());
        float[] dLogits = new float[fwd.logits().length];
        ce.backward(saved, 1f, dLogits);
        model.backward(fwd, dLogits);
        GradCheck.assertParameterGradients(attention + "/" + pooling + "/" + ffn + (twoTower ? "/pair" : ""), model.namedParameters(), loss);
        assertTrue(fwd.attentionFlops() > 0);
    }

    @Test
    void topkFeedForwardKeepingEveryUnitEqualsTheDenseModel() {
        EncoderClassifier dense = new EncoderClassifier(tiny("exact", "mean", "learned", false));
        EncoderClassifier topk = new EncoderClassifier(tiny("exact", "mean", "learned", false).toBuilder().ffn("topk-ffn:k=12").build());
        randomise(dense);
        var d = dense.namedParameters();
        for (var e : topk.namedParameters().entrySet()) {
            String name = e.getKey();
            float[] target = e.getValue().data;
            if (name.contains("ffn.topk")) {
                String block = name.substring(0, name.indexOf("ffn.topk"));
                switch (name.substring(name.lastIndexOf('.') + 1)) {
                    case "w1" -> System.arraycopy(d.get(block + "ffn.fc1.weight").data, 0, target, 0, target.length);
                    case "b1" -> System.arraycopy(d.get(block + "ffn.fc1.bias").data, 0, target, 0, target.length);
                    case "w2" -> { // Linear stores W2 as [dim, ffn]; the top-k layer keeps value rows [ffn, dim]
                        float[] w2 = d.get(block + "ffn.fc2.weight").data;
                        for (int j = 0; j < 12; j++) for (int c = 0; c < 8; c++) target[j * 8 + c] = w2[c * 12 + j];
                    }
                    case "b2" -> System.arraycopy(d.get(block + "ffn.fc2.bias").data, 0, target, 0, target.length);
                    default -> fail(name);
                }
            } else {
                System.arraycopy(d.get(name).data, 0, target, 0, target.length);
            }
        }
        Batch batch = batch(false, false);
        assertArrayEquals(dense.forward(batch, Pass.INFERENCE).logits(), topk.forward(batch, Pass.INFERENCE).logits(), 1e-5f);
    }

    @Test
    void paddingDoesNotChangeTheLogits() {
        EncoderClassifier model = new EncoderClassifier(tiny("exact", "mean", "learned", false));
        randomise(model);
        List<Sample> one = List.of(new Sample(new int[] {2, 3, 4}, 0));
        float[] a = model.forward(Batch.of(one, false, 6, 1), Pass.INFERENCE).logits();
        float[] b = model.forward(Batch.of(one, false, 6, 8), Pass.INFERENCE).logits(); // padded to 6 (capped)
        assertArrayEquals(a, b, 1e-5f);
    }

    @Test
    void configSurvivesJson() {
        ModelConfig c = tiny("linformer:k=3", "cls", "sinusoidal", true).toBuilder().ffn("topk-ffn:k=4").build();
        assertEquals(c, ModelConfig.fromJson(c.toJson()));
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.builder(9, 6, 2).dim(10).heads(3).layers(1).ffnDim(4).build());
    }
}
