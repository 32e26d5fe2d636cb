package dev.canopy.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.attention.Pass;
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
        return new ModelConfig(9, 6, 8, 2, 2, 12, attention, ModelConfig.positions(positions), ModelConfig.pooling(pooling), 3, 0.1f, twoTower, 42);
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
    @CsvSource({"exact,mean,learned,false", "exact,cls,sinusoidal,false", "linformer:k=3,mean,learned,false", "exact,mean,learned,true"})
    void everyParameterGradientMatchesFiniteDifferences(String attention, String pooling, String positions, boolean twoTower) {
        EncoderClassifier model = new EncoderClassifier(tiny(attention, pooling, positions, twoTower));
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
        for (var e : model.namedParameters().entrySet()) {
            double[] numerical = GradCheck.numerical(e.getValue().data, loss, 5e-3f);
            GradCheck.assertClose(attention + "/" + pooling + (twoTower ? "/pair" : "") + " d" + e.getKey(), numerical, e.getValue().grad, 3e-2, 2e-4);
        }
        assertTrue(fwd.attentionFlops() > 0);
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
        ModelConfig c = tiny("linformer:k=3", "cls", "sinusoidal", true);
        assertEquals(c, ModelConfig.fromJson(c.toJson()));
        assertThrows(IllegalArgumentException.class, () -> new ModelConfig(9, 6, 10, 3, 1, 4, "exact", ModelConfig.Positions.LEARNED, ModelConfig.Pooling.MEAN, 2, 0f, false, 1));
    }
}
