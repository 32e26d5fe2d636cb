package dev.canopy.cli.train;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.data.BrownLm;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.train.Checkpoints;
import dev.canopy.train.RunDirectory;
import dev.canopy.train.SafetensorsStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A trained causal language model read from a run directory (its newest checkpoint) or one checkpoint directory, for
 * generate, eval and bench decode. Every problem is one line naming the path.
 *
 * @param run   the run it belongs to
 * @param task  what it was trained on
 * @param model the model with the checkpoint's weights
 * @param step  the checkpoint's step
 */
public record TrainedLm(RunDirectory run, RunDirectory.TaskRef task, EncoderClassifier model, String step) {

    public static TrainedLm load(Path checkpoint) throws IOException {
        if (checkpoint == null) throw new IllegalArgumentException("--checkpoint is required: a run directory written by 'canopy train --task " + BrownLm.NAME + "'");
        if (!Files.isDirectory(checkpoint)) throw new IllegalArgumentException("--checkpoint " + checkpoint + ": no such directory");
        RunDirectory run = RunDirectory.containing(checkpoint);
        RunDirectory.TaskRef task = run.task();
        ModelConfig config = run.model();
        if (!config.causal()) throw new IllegalArgumentException(run.path().resolve(RunDirectory.MODEL) + ": the model is not causal (task " + task.task() + "); generation needs a causal language model such as --task " + BrownLm.NAME);
        AttentionSpec trained = Checkpoints.trainedAttention(checkpoint, config, new SafetensorsStore());
        EncoderClassifier model = new EncoderClassifier(config.withAttention(trained));
        Map<String, String> meta = Checkpoints.loadWeights(checkpoint, model, new SafetensorsStore());
        return new TrainedLm(run, task, model, meta.getOrDefault("step", "?"));
    }

    /** The corpus split the run was trained on (its held-out streams), or an error if it was not trained on brown-lm. */
    public BrownLm data() throws IOException {
        if (!task.task().equals(BrownLm.NAME)) throw new IllegalArgumentException(run.path() + " was trained on " + task.task() + ", not " + BrownLm.NAME + "; it has no held-out text to score");
        return BrownLm.load(model.config().maxLength(), task.dataSeed());
    }
}
