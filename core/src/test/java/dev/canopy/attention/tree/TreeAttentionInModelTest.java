package dev.canopy.attention.tree;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.data.TaskData;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.nn.Parameter;
import dev.canopy.testing.ContainsTask;
import dev.canopy.train.MetricsLog;
import dev.canopy.train.Progress;
import dev.canopy.train.TrainConfig;
import dev.canopy.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** tf and tc inside the real encoder and trainer: padded variable-length batches, trees trained by AdamW in TC. */
class TreeAttentionInModelTest {

    @Test
    void trainsWithTcAndTfAttention() throws Exception {
        TaskData task = ContainsTask.of(120, 3);
        for (String spec : new String[] {"tc:h=2", "tf:h=1"}) {
            EncoderClassifier model = new EncoderClassifier(ModelConfig.builder(10, 16, 2).dim(16).heads(2).layers(1).ffnDim(32)
                    .attention(spec).dropout(0.1f).seed(7).build());
            List<Parameter> trees = new ArrayList<>();
            model.namedParameters().forEach((name, p) -> { if (name.contains("tree")) trees.add(p); });
            assertTrue(trees.size() == 4, spec + ": w and b of 2 heads are model parameters, got " + model.namedParameters().keySet());
            Trainer.Result r = new Trainer(model, task, TrainConfig.builder(25, 16, 3e-3).seed(11).build().withEvalEvery(0))
                    .run(0, null, Map.of(), MetricsLog.none(), new Progress(System.out, false, true, "test"));
            assertTrue(Double.isFinite(r.finalLoss()) && r.attentionFlopsPerExample() > 0, spec + " " + r);
            float[] w = trees.get(0).data.clone();
            // One more short run: TC keeps moving the (already fitted) trees; TF leaves them untouched except decay.
            new Trainer(model, task, TrainConfig.builder(5, 16, 3e-3).seed(12).build().withEvalEvery(0))
                    .run(0, null, Map.of(), MetricsLog.none(), new Progress(System.out, false, true, "test"));
            double moved = 0;
            for (int i = 0; i < w.length; i++) moved = Math.max(moved, Math.abs(w[i] - trees.get(0).data[i]));
            if (spec.startsWith("tc")) assertTrue(moved > 1e-5, "tc trees learn in the trainer, moved " + moved);
        }
    }
}
