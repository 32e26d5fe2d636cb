package dev.canopy.cli;

import dev.canopy.bench.JsonLine;
import dev.canopy.io.JsonFields;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A run directory's JSON files (task.json, model.json, train.json), read so that every problem (missing, empty,
 * truncated, a wrong type, a value out of range) is one line naming the file.
 */
final class RunFiles {
    static final String TASK = "task.json", MODEL = "model.json", TRAIN = "train.json";

    private RunFiles() {}

    /** What task.json holds: which data the run trains on. */
    record Task(String task, String preset, long dataSeed) {
        Task {
            Tasks.checkTask(task);
            Tasks.checkPreset(preset);
        }

        String toJson() {
            return new JsonLine().put("task", task).put("preset", preset).put("data_seed", dataSeed) + "\n";
        }
    }

    static Task task(Path runDir) throws IOException {
        return JsonFields.read(runDir.resolve(TASK)).as(f -> new Task(f.string("task"), f.string("preset"), f.longValue("data_seed")));
    }

    static ModelConfig model(Path runDir) throws IOException {
        return JsonFields.read(runDir.resolve(MODEL)).as(ModelConfig::fromJson);
    }

    static TrainConfig training(Path runDir) throws IOException {
        return JsonFields.read(runDir.resolve(TRAIN)).as(TrainConfig::fromJson);
    }

    /** Builds the model a config describes; what the model rejects (an attention spec) is reported against origin. */
    static EncoderClassifier build(ModelConfig config, String origin) {
        try {
            return new EncoderClassifier(config);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin + ": " + e.getMessage(), e);
        }
    }
}
