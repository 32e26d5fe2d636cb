package dev.canopy.cli;

import dev.canopy.data.TaskData;
import dev.canopy.model.ModelConfig;
import dev.canopy.train.LrSchedule;
import dev.canopy.train.TrainConfig;
import picocli.CommandLine.Option;

/** Model and training options shared by train, lra and demo; anything left unset takes the preset's value. */
final class TrainOptions {
    @Option(names = "--preset", description = "Size: demo, small or lra (default: ${DEFAULT-VALUE}).", defaultValue = "demo")
    String preset;
    @Option(names = "--attention", description = "Attention spec, e.g. exact, topk:k=32, tf:h=6, tc:h=6, linformer:k=32, or the Treeformer schedule treeformer:h=4,dense=150,tc=150,tf=100 (default: ${DEFAULT-VALUE}).", defaultValue = "exact")
    String attention;
    @Option(names = "--seed", description = "Seed for data, initialisation, order and dropout (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    long seed;
    @Option(names = "--dim", description = "Model width.") Integer dim;
    @Option(names = "--heads", description = "Attention heads.") Integer heads;
    @Option(names = "--layers", description = "Transformer blocks.") Integer layers;
    @Option(names = "--ffn-dim", description = "Feed-forward width.") Integer ffn;
    @Option(names = "--ffn", description = "Feed-forward: dense (default) or topk-ffn:k=K (top-k feed-forward).") String ffnSpec;
    @Option(names = "--positions", description = "learned or sinusoidal.") String positions;
    @Option(names = "--pooling", description = "mean, cls, or tokens (a per-position head; the only choice for token-level tasks such as mqar).") String pooling;
    @Option(names = "--shift", arity = "0..1", description = "Token shift: every position adds a learned map of its left neighbour's embedding before the first block (default: on for mqar; --shift=false turns it off).") Boolean shift;
    @Option(names = "--qkv-init", description = "Standard deviation of the initial q/k/v projection weights (default 0.02; for mqar 1/sqrt(width), which makes a narrow model learn recall much sooner).") Float qkvInit;
    @Option(names = "--causal", description = "Causal attention in every layer (position t sees positions <= t); exact, topk and tf only.") boolean causal;
    @Option(names = "--dropout", description = "Dropout probability.") Float dropout;
    @Option(names = "--steps", description = "Optimiser steps.") Integer steps;
    @Option(names = "--batch", description = "Examples per step.") Integer batch;
    @Option(names = "--lr", description = "Peak learning rate.") Double lr;
    @Option(names = "--warmup", description = "Warm-up steps.") Integer warmup;
    @Option(names = "--schedule", description = "cosine, linear or constant decay after warm-up.") String schedule;
    @Option(names = "--weight-decay", description = "AdamW weight decay (not applied to biases, norms, embeddings).") Float weightDecay;
    @Option(names = "--clip", description = "Gradient clipping: max global L2 norm (0 = off).") Double clip;
    @Option(names = "--eval-every", description = "Validation accuracy every N steps (0 = only at the end).") Integer evalEvery;
    @Option(names = "--checkpoint-every", description = "Checkpoint every N steps (the last step always checkpoints).") Integer checkpointEvery;

    ModelConfig model(TaskData data) {
        if (qkvInit != null && !(qkvInit > 0 && Float.isFinite(qkvInit))) throw new IllegalArgumentException("--qkv-init must be a positive number, got " + qkvInit);
        ModelConfig d = Tasks.model(data, preset, attention, seed);
        ModelConfig m = new ModelConfig(d.vocab(), d.maxLength(), or(dim, d.dim()), or(heads, d.heads()), or(layers, d.layers()), or(ffn, d.ffnDim()),
                attention, positions == null ? d.positions() : ModelConfig.positions(positions),
                pooling == null ? d.pooling() : ModelConfig.pooling(pooling), d.classes(), dropout == null ? d.dropout() : dropout, d.twoTower(), seed,
                ffnSpec == null ? ModelConfig.DENSE_FFN : ffnSpec)
                .withCausal(causal).withShift(shift == null ? d.shift() : shift);
        m = m.withQkvInit(qkvInit != null ? qkvInit : Tasks.qkvInit(data, m.dim()));
        if (data.tokenLevel() != (m.pooling() == ModelConfig.Pooling.TOKENS)) {
            throw new IllegalArgumentException("--pooling " + pooling + ": task " + data.name() + (data.tokenLevel() ? " labels positions; it needs --pooling tokens" : " labels whole sequences; use mean or cls"));
        }
        return m;
    }

    TrainConfig training() {
        TrainConfig d = Tasks.training(preset, seed);
        int s = or(steps, d.steps());
        int w = warmup != null ? warmup : (steps != null ? Math.max(1, s / 10) : d.warmup());
        return new TrainConfig(s, or(batch, d.batchSize()), lr == null ? d.lr() : lr, w,
                schedule == null ? d.schedule() : LrSchedule.kind(schedule), d.minLrRatio(), weightDecay == null ? d.weightDecay() : weightDecay,
                d.beta1(), d.beta2(), d.eps(), clip == null ? d.clipNorm() : clip, seed, or(evalEvery, d.evalEvery()),
                or(checkpointEvery, d.checkpointEvery()), d.padMultiple());
    }

    private static int or(Integer v, int fallback) {
        return v == null ? fallback : v;
    }
}
