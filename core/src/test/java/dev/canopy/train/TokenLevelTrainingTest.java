package dev.canopy.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.nn.Pass;
import dev.canopy.data.Batch;
import dev.canopy.data.Sample;
import dev.canopy.data.TaskData;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.model.SequenceClassifier;
import dev.canopy.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Training and evaluating on per-position targets. */
class TokenLevelTrainingTest {

    /** Every supervised position must name the sequence's first token (3..7); about half the positions are asked. */
    static TaskData copyFirstToken(int count, long seed) {
        Random rng = new Random(seed);
        List<Sample> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int n = 4 + rng.nextInt(9);
            int[] t = new int[n], y = new int[n];
            for (int j = 0; j < n; j++) t[j] = 3 + rng.nextInt(5);
            for (int j = 0; j < n; j++) y[j] = j > 0 && rng.nextBoolean() ? t[0] : Sample.UNSUPERVISED;
            y[n - 1] = t[0];
            all.add(Sample.positions(t, y));
        }
        return new TaskData("copy-first", 8, 8, 12, false, all.subList(0, count * 3 / 4), all.subList(count * 3 / 4, count), List.of());
    }

    @Test
    void learnsACausalTokenLevelTaskWellAboveChance() throws Exception {
        TaskData task = copyFirstToken(400, 1);
        ModelConfig config = ModelConfig.builder(8, 12, 8).dim(16).heads(2).layers(1).ffnDim(32).pooling(ModelConfig.Pooling.TOKENS).seed(7).causal(true).build();
        EncoderClassifier model = new EncoderClassifier(config);
        Trainer.Result r = new Trainer(model, task, TrainConfig.builder(150, 16, 1e-2).seed(11).build()).run(0, null, Map.of(), MetricsLog.none(), TrainerTest.quietProgress());
        double majority = task.majorityAccuracy(task.valid());
        assertTrue(majority < 0.35, "majority " + majority);
        assertTrue(r.validAccuracy() > 0.9, "valid accuracy " + r.validAccuracy() + " (majority " + majority + ")");
    }

    @Test
    void accuracyIsTheFractionOfSupervisedPositionsRight() {
        // One example with one supervised position (predicted right), one with three (all wrong): 1 of 4 positions,
        // where counting examples would give 1 of 2.
        List<Sample> split = List.of(Sample.positions(new int[] {2, 2, 2}, new int[] {-1, 0, -1}), Sample.positions(new int[] {2, 2, 2}, new int[] {1, 1, 1}));
        assertEquals(0.25, Trainer.evaluate(new AlwaysZero(), split, 2, 1).accuracy(), 1e-12);
        assertEquals(0.25, Trainer.evaluate(new AlwaysZero(), split, 1, 1).accuracy(), 1e-12, "the same in batches of one");
        TaskData task = new TaskData("t", 3, 2, 3, false, split, split, List.of());
        assertEquals(0.75, task.majorityAccuracy(split), 1e-12, "the most frequent target (1) is right at 3 of 4 positions");
    }

    /** Predicts class 0 at every supervised position. */
    static final class AlwaysZero implements SequenceClassifier {
        @Override public Map<String, Parameter> namedParameters() { return Map.of(); }
        @Override public int classes() { return 2; }
        @Override public boolean clsToken() { return false; }
        @Override public int maxLength() { return 3; }
        @Override public void backward(Forward forward, float[] dLogits) {}

        @Override public Forward forward(Batch batch, Pass pass) {
            int[] at = batch.supervisedPositions();
            int[] labels = new int[at.length];
            for (int i = 0; i < at.length; i++) labels[i] = batch.targets()[at[i]];
            float[] logits = new float[2 * at.length];
            for (int i = 0; i < at.length; i++) logits[2 * i] = 1f;
            return new Forward() {
                @Override public float[] logits() { return logits; }
                @Override public int[] labels() { return labels; }
                @Override public long attentionFlops() { return 0; }
                @Override public long attentionBackwardFlops() { return 0; }
                @Override public long attentionWorkingBytes() { return 0; }
            };
        }
    }
}
