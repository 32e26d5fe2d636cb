package dev.canopy.cli.train;

import dev.canopy.data.TaskData;
import dev.canopy.kernels.Parallel;
import dev.canopy.model.ModelConfig;
import dev.canopy.train.LrSchedule;
import dev.canopy.train.TrainConfig;
import dev.canopy.train.TreeformerSchedule;
import picocli.CommandLine.Option;

/**
 * Model and training options shared by train, lra and demo; anything left unset takes the preset's value. The
 * attention is each command's own option (one spec for train, a list for demo).
 */
public final class TrainOptions {
    @Option(names = "--preset", description = "Size: " + Preset.NAMES + " (default: ${DEFAULT-VALUE}).", defaultValue = "demo")
    Preset preset;
    @Option(names = "--seed", description = "Seed for data, initialisation, order and dropout (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    long seed;
    @Option(names = "--dim", description = "Model width.") Integer dim;
    @Option(names = "--heads", description = "Attention heads.") Integer heads;
    @Option(names = "--layers", description = "Transformer blocks.") Integer layers;
    @Option(names = "--ffn-dim", description = "Feed-forward width.") Integer ffn;
    @Option(names = "--ffn", description = "Feed-forward: dense (default) or topk-ffn:k=K (top-k feed-forward).") String ffnSpec;
    @Option(names = "--positions", description = "learned, sinusoidal or rotary (brown-lm's default).") String positions;
    @Option(names = "--pooling", description = "mean, cls, or tokens (a per-position head; the only choice for token-level tasks such as mqar).") String pooling;
    @Option(names = "--shift", arity = "0..1", description = "Token shift: every position adds a learned map of its left neighbour's embedding before the first block (default: on for mqar; --shift=false turns it off).") Boolean shift;
    @Option(names = "--qkv-init", description = "Standard deviation of the initial q/k/v projection weights (default 0.02; for mqar 1/sqrt(width), which makes a narrow model learn recall much sooner).") Float qkvInit;
    @Option(names = "--causal", description = "Causal attention in every layer (position t sees positions <= t); exact, topk and tf only.") boolean causal;
    @Option(names = "--dropout", description = "Dropout probability.") Float dropout;
    @Option(names = "--steps", description = "Optimiser steps.") Integer steps;
    @Option(names = "--batch", description = "Examples per step.") Integer batch;
    @Option(names = "--batch-parts", description = "Parts each batch splits into, trained side by side, one per core (default: the kernel threads, "
            + "at most the batch; tree attentions take batches whole until their trees are fitted). Results depend on it, not on the cores; train.json records it.") Integer batchParts;
    @Option(names = "--lr", description = "Peak learning rate.") Double lr;
    @Option(names = "--warmup", description = "Warm-up steps.") Integer warmup;
    @Option(names = "--decay", description = "Learning-rate decay after warm-up: cosine, linear or constant.") String decay;
    @Option(names = "--weight-decay", description = "AdamW weight decay (not applied to biases, norms, embeddings).") Float weightDecay;
    @Option(names = "--clip", description = "Gradient clipping: max global L2 norm (0 = off).") Double clip;
    @Option(names = "--eval-every", description = "Validation accuracy every N steps (0 = only at the end).") Integer evalEvery;
    @Option(names = "--checkpoint-every", description = "Checkpoint every N steps (the last step always checkpoints).") Integer checkpointEvery;
    @Option(names = "--schedule", description = "Treeformer two-level training: exact attention, then trees fitted on that model's keys and trained "
            + "with TC, then TF, e.g. treeformer:h=4,dense=150,tc=150,tf=100; every phase's rate defaults to --lr. Options: "
            + "h, h0, grow, dense, tc, tf, lr, denselr, tclr, treelr, tflr, tftreelr, countbias, groups, routegrad, empty.")
    String schedule;

    /** Checks each option that is set, by its name, before any data is loaded or anything written. */
    void validate() {
        atLeast("--dim", dim, 1);
        atLeast("--heads", heads, 1);
        atLeast("--layers", layers, 0);
        atLeast("--ffn-dim", ffn, 1);
        atLeast("--steps", steps, 1);
        atLeast("--batch", batch, 1);
        atLeast("--batch-parts", batchParts, 1);
        atLeast("--warmup", warmup, 0);
        atLeast("--eval-every", evalEvery, 0);
        atLeast("--checkpoint-every", checkpointEvery, 0);
        if (lr != null && !(lr > 0 && lr < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("--lr must be a positive number, got " + lr);
        if (dropout != null && !(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("--dropout must be in [0, 1), got " + dropout);
        if (weightDecay != null && !(weightDecay >= 0 && weightDecay < Float.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("--weight-decay must be a number >= 0, got " + weightDecay);
        }
        if (clip != null && !(clip >= 0 && clip < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("--clip must be a number >= 0 (0 = off), got " + clip);
        if (decay != null) LrSchedule.kind(decay);
        if (positions != null) ModelConfig.positions(positions);
        if (pooling != null) ModelConfig.pooling(pooling);
        if (qkvInit != null && !(qkvInit > 0 && Float.isFinite(qkvInit))) throw new IllegalArgumentException("--qkv-init must be a positive number, got " + qkvInit);
    }

    private static void atLeast(String option, Integer value, int min) {
        if (value != null && value < min) throw new IllegalArgumentException(option + " must be at least " + min + ", got " + value);
    }

    ModelConfig model(TaskData data, dev.canopy.attention.AttentionSpec attention) {
        ModelConfig.Builder b = Tasks.model(data, preset, seed).attention(attention);
        if (dim != null) b.dim(dim);
        if (heads != null) b.heads(heads);
        if (layers != null) b.layers(layers);
        if (ffn != null) b.ffnDim(ffn);
        if (ffnSpec != null) b.ffn(ffnSpec);
        if (positions != null) b.positions(ModelConfig.positions(positions));
        if (pooling != null) b.pooling(ModelConfig.pooling(pooling));
        if (dropout != null) b.dropout(dropout);
        if (qkvInit != null) b.qkvInit(qkvInit);
        else if (data.tokenLevel() && dim != null) b.qkvInit(Tasks.recallInit(dim));
        if (shift != null) b.shift(shift);
        ModelConfig m = b.causal(causal || Tasks.languageModel(data)).build();
        if (data.tokenLevel() != (m.pooling() == ModelConfig.Pooling.TOKENS)) {
            throw new IllegalArgumentException("--pooling " + pooling + ": task " + data.name() + (data.tokenLevel() ? " labels positions; it needs --pooling tokens" : " labels whole sequences; use mean or cls"));
        }
        return m;
    }

    TrainConfig training() {
        TrainConfig.Builder b = Tasks.training(preset, seed).toBuilder();
        if (steps != null) b.steps(steps).warmup(Math.max(1, steps / 10));
        if (warmup != null) b.warmup(warmup);
        if (batch != null) b.batchSize(batch);
        if (lr != null) b.lr(lr);
        if (decay != null) b.decay(LrSchedule.kind(decay));
        if (weightDecay != null) b.weightDecay(weightDecay);
        if (clip != null) b.clipNorm(clip);
        if (evalEvery != null) b.evalEvery(evalEvery);
        if (checkpointEvery != null) b.checkpointEvery(checkpointEvery);
        int examples = b.build().batchSize();
        if (batchParts != null && batchParts > examples) throw new IllegalArgumentException("--batch-parts " + batchParts + " is more than the batch of " + examples);
        b.batchParts(batchParts != null ? batchParts : Math.min(Parallel.threads(), examples));
        TrainConfig t = b.build();
        return schedule == null ? t : t.toBuilder().treeformer(TreeformerSchedule.Options.parse(schedule, (float) t.lr())).build();
    }
}
