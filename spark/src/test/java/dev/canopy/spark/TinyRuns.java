package dev.canopy.spark;

import dev.canopy.data.ListOpsVocab;
import dev.canopy.data.Vocab;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.nn.Init;
import dev.canopy.nn.Parameter;
import dev.canopy.train.AdamW;
import dev.canopy.train.Checkpoints;
import dev.canopy.train.RunDirectory;
import dev.canopy.train.SafetensorsStore;
import dev.canopy.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;

/** Run directories as 'canopy train' leaves them, with small random models (untrained: the tests check plumbing, not accuracy). */
final class TinyRuns {
    private TinyRuns() {}

    static Path listops(Path dir) throws IOException {
        return write(dir, "listops", ModelConfig.builder(ListOpsVocab.SIZE, 32, 10).pooling(ModelConfig.Pooling.CLS));
    }

    static Path spam(Path dir) throws IOException {
        return write(dir, "spam", ModelConfig.builder(Vocab.BYTE_VOCAB, 64, 2));
    }

    static Path brownMatch(Path dir) throws IOException {
        return write(dir, "brown-match", ModelConfig.builder(Vocab.BYTE_VOCAB, 64, 2).twoTower(true));
    }

    private static Path write(Path dir, String task, ModelConfig.Builder b) throws IOException {
        ModelConfig config = b.dim(16).heads(2).layers(1).ffnDim(32).dropout(0f).seed(5).build();
        EncoderClassifier model = new EncoderClassifier(config);
        long seed = 11;
        for (Parameter p : model.namedParameters().values()) Init.normal(p, 0.5f, seed++);  // large enough that classes differ
        RunDirectory run = new RunDirectory(dir);
        run.create(new RunDirectory.TaskRef(task, "tiny", 1), config, TrainConfig.builder(1, 1, 1e-3).build());
        AdamW adam = new AdamW(new ArrayList<>(model.namedParameters().values()), new AdamW.Settings(0.9f, 0.999f, 1e-8f, 0f));
        new Checkpoints(dir, new SafetensorsStore()).save(1, model, adam, Map.of());
        return dir;
    }
}
