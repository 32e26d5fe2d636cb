package dev.canopy.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.data.Batch;
import dev.canopy.data.Sample;
import dev.canopy.data.TaskData;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.nn.Parameter;
import dev.canopy.nn.Pass;
import dev.canopy.testing.ContainsTask;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A batch split into parts that run side by side gives the whole batch's loss and gradients. */
class BatchGradientsTest {

    private static ModelConfig.Builder model(String attention) {
        // No dropout: the parts draw masks of their own, so only a dropout-free pass may equal the whole batch's.
        return ModelConfig.builder(10, 16, 2).dim(16).heads(2).layers(2).ffnDim(32).attention(attention).dropout(0f).seed(7);
    }

    /** Loss and every parameter's gradient after one step over samples in the given number of parts. */
    private static Map<String, float[]> gradients(EncoderClassifier m, List<Sample> samples, int parts, double[] loss) {
        List<Parameter> params = new ArrayList<>(m.namedParameters().values());
        for (Parameter p : params) p.zeroGrad();
        BatchGradients.Step step = new BatchGradients().run(m, params, samples, parts, 4, 99L, 0);
        assertEquals(Math.min(parts, samples.size()), step.parts());
        loss[0] = step.loss();
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        m.namedParameters().forEach((name, p) -> out.put(name, p.grad.clone()));
        return out;
    }

    private static void assertSameStep(ModelConfig config, List<Sample> samples, int parts) {
        double[] whole = new double[1], split = new double[1];
        Map<String, float[]> a = gradients(fitted(config, samples), samples, 1, whole);
        Map<String, float[]> b = gradients(fitted(config, samples), samples, parts, split);
        assertEquals(whole[0], split[0], 1e-5 * Math.abs(whole[0]), "loss");
        double norm = 0;
        for (float[] g : a.values()) for (float x : g) norm = Math.max(norm, Math.abs(x));
        assertTrue(norm > 1e-4, "the step has gradients to compare");
        for (var e : a.entrySet()) {
            float[] g = e.getValue(), h = b.get(e.getKey());
            for (int i = 0; i < g.length; i++) assertEquals(g[i], h[i], 1e-5 * norm, config.attention() + " " + e.getKey() + "[" + i + "] in " + parts + " parts");
        }
    }

    /** A model whose tree attentions (if any) have fitted their trees to the whole batch's keys, as a first step would. */
    private static EncoderClassifier fitted(ModelConfig config, List<Sample> samples) {
        EncoderClassifier m = new EncoderClassifier(config);
        m.forward(Batch.of(samples, m.clsToken(), m.maxLength(), 4), Pass.INFERENCE);
        assertTrue(m.splitsBatches(), config.attention() + " takes parts once its trees are fitted");
        return m;
    }

    @Test
    void partsGiveTheWholeBatchsLossAndGradients() {
        List<Sample> samples = ContainsTask.of(100, 3).train().subList(0, 16);
        for (String attention : new String[] {"exact", "topk:k=4", "linformer:k=4", "tf:h=2", "tf:h=2,beam=2", "tc:h=2"}) {
            assertSameStep(model(attention).build(), samples, 3); // parts of 5, 5 and 6 examples
        }
    }

    @Test
    void tokenLevelPartsWeighTheirLossesByTheirSupervisedPositions() {
        // Parts with different numbers of supervised positions: a plain mean of the parts' losses would be wrong.
        TaskData task = TokenLevelTrainingTest.copyFirstToken(40, 5);
        ModelConfig config = ModelConfig.builder(8, 12, 8).dim(16).heads(2).layers(1).ffnDim(32).pooling(ModelConfig.Pooling.TOKENS)
                .dropout(0f).seed(7).causal(true).build();
        assertSameStep(config, task.train().subList(0, 10), 4);
    }

    @Test
    void treeAttentionsTakeTheBatchWholeUntilTheirTreesAreFitted() {
        for (String attention : new String[] {"tf:h=2", "tc:h=2"}) {
            EncoderClassifier m = new EncoderClassifier(model(attention).build());
            assertFalse(m.splitsBatches(), attention);
            BatchGradients.Step step = new BatchGradients().run(m, new ArrayList<>(m.namedParameters().values()),
                    ContainsTask.of(100, 3).train().subList(0, 8), 4, 4, 99L, 0);
            assertEquals(1, step.parts(), attention);
            assertTrue(m.splitsBatches(), attention + ": the first step fitted the trees");
        }
        assertTrue(new EncoderClassifier(model("exact").build()).splitsBatches());
    }

    /** The same model, but declaring that batches must run one at a time. */
    private record OneAtATime(EncoderClassifier m) implements dev.canopy.model.SequenceClassifier {
        @Override public Map<String, Parameter> namedParameters() { return m.namedParameters(); }
        @Override public int classes() { return m.classes(); }
        @Override public boolean clsToken() { return m.clsToken(); }
        @Override public int maxLength() { return m.maxLength(); }
        @Override public Forward forward(Batch batch, Pass pass) { return m.forward(batch, pass); }
        @Override public void backward(Forward forward, float[] dLogits) { m.backward(forward, dLogits); }
    }

    @Test
    void evaluationRunsBatchesSideBySideWithTheSameResult() {
        EncoderClassifier m = new EncoderClassifier(model("exact").build());
        List<Sample> split = ContainsTask.of(100, 3).valid();
        Trainer.Evaluation side = Trainer.evaluate(m, split, 3, 4), alone = Trainer.evaluate(new OneAtATime(m), split, 3, 4);
        assertTrue(split.size() > 6 && side.accuracy() > 0, "several batches, some right");
        assertEquals(alone.accuracy(), side.accuracy());
        assertEquals(alone.attentionFlopsPerExample(), side.attentionFlopsPerExample());
        assertEquals(alone.attentionWorkingBytes(), side.attentionWorkingBytes());

        // A batch whose outputs overflow is named, whichever thread ran it.
        m.namedParameters().values().iterator().next().data[0] = Float.NaN;
        var e = assertThrows(IllegalStateException.class, () -> Trainer.evaluate(m, split, 3, 4));
        assertTrue(e.getMessage().contains("not finite"), e.getMessage());
    }
}
