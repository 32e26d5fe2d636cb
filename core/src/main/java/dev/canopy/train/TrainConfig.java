package dev.canopy.train;

import dev.canopy.io.JsonFields;
import dev.canopy.io.JsonLine;
import java.util.Locale;

/**
 * How to train: steps and batch, the learning rate with its warm-up and decay, AdamW settings, clipping, the seed, how
 * often to evaluate and checkpoint (0 = never during the run), padding, and optionally a Treeformer schedule (null:
 * the model's attention throughout). Build one with {@link #builder}; every field not set keeps the default below.
 */
public record TrainConfig(int steps, int batchSize, double lr, int warmup, LrSchedule.Kind decay, double minLrRatio,
                          float weightDecay, float beta1, float beta2, float eps, double clipNorm, long seed,
                          int evalEvery, int checkpointEvery, int padMultiple, TreeformerSchedule.Options treeformer) {

    public TrainConfig {
        if (steps < 1 || batchSize < 1) throw new IllegalArgumentException("training needs steps >= 1 and batch >= 1, got steps=" + steps + " batch=" + batchSize);
        if (padMultiple < 1) throw new IllegalArgumentException("pad multiple must be >= 1");
        if (evalEvery < 0 || checkpointEvery < 0) throw new IllegalArgumentException("eval/checkpoint intervals must be >= 0");
        // The schedule and optimiser settings are checked here, so a bad rate fails before a run writes anything.
        new LrSchedule(decay, lr, warmup, steps, minLrRatio);
        new AdamW.Settings(beta1, beta2, eps, weightDecay);
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) throw new IllegalArgumentException("gradient clipping norm must be >= 0 (0 = off), got " + clipNorm);
    }

    /** Defaults: cosine decay to 0.1 of the peak after steps/10 warm-up steps, AdamW (0.9, 0.98, 1e-8, decay 0.01), clip 1. */
    public static Builder builder(int steps, int batchSize, double lr) {
        return new Builder(steps, batchSize, lr);
    }

    public Builder toBuilder() {
        return new Builder(steps, batchSize, lr).warmup(warmup).decay(decay).minLrRatio(minLrRatio).weightDecay(weightDecay)
                .betas(beta1, beta2).eps(eps).clipNorm(clipNorm).seed(seed).evalEvery(evalEvery).checkpointEvery(checkpointEvery)
                .padMultiple(padMultiple).treeformer(treeformer);
    }

    public TrainConfig withSteps(int newSteps) {
        return toBuilder().steps(newSteps).build();
    }

    public TrainConfig withCheckpointEvery(int every) {
        return toBuilder().checkpointEvery(every).build();
    }

    public TrainConfig withEvalEvery(int every) {
        return toBuilder().evalEvery(every).build();
    }

    public String toJson() {
        JsonLine json = new JsonLine().put("steps", steps).put("batch", batchSize).put("lr", Double.toString(lr)).put("warmup", warmup)
                .put("decay", decay.name().toLowerCase(Locale.ROOT)).put("min_lr_ratio", Double.toString(minLrRatio))
                .put("weight_decay", Float.toString(weightDecay)).put("beta1", Float.toString(beta1)).put("beta2", Float.toString(beta2))
                .put("eps", Float.toString(eps)).put("clip", Double.toString(clipNorm)).put("seed", seed).put("eval_every", evalEvery)
                .put("checkpoint_every", checkpointEvery).put("pad_multiple", padMultiple);
        if (treeformer != null) json.put("treeformer", treeformer.toSpec());
        return json.toString();
    }

    /** Parses {@link #toJson()} (numbers that must round-trip exactly are stored as strings). */
    public static TrainConfig fromJson(String json) {
        return JsonFields.parse(json, "training config JSON").as(TrainConfig::fromJson);
    }

    /** Reads {@link #toJson()}'s fields; a problem names the file (use through {@link JsonFields#as}). */
    public static TrainConfig fromJson(JsonFields m) {
        double lr = m.real("lr");
        // "decay" was called "schedule" before the Treeformer schedule took that name.
        Builder b = builder(m.integer("steps"), m.integer("batch"), lr).warmup(m.integer("warmup"))
                .decay(LrSchedule.kind(m.has("decay") ? m.string("decay") : m.string("schedule"))).minLrRatio(m.real("min_lr_ratio"))
                .weightDecay(m.real32("weight_decay")).betas(m.real32("beta1"), m.real32("beta2")).eps(m.real32("eps"))
                .clipNorm(m.real("clip")).seed(m.longValue("seed")).evalEvery(m.integer("eval_every"))
                .checkpointEvery(m.integer("checkpoint_every")).padMultiple(m.integer("pad_multiple"));
        if (m.has("treeformer")) b.treeformer(TreeformerSchedule.Options.parse(m.string("treeformer"), (float) lr));
        return b.build();
    }

    public LrSchedule lrSchedule() {
        return new LrSchedule(decay, lr, warmup, steps, minLrRatio);
    }

    public AdamW.Settings adamW() {
        return new AdamW.Settings(beta1, beta2, eps, weightDecay);
    }

    /** Named settings over the defaults; {@link #build} checks them all. */
    public static final class Builder {
        private int steps, batchSize;
        private double lr;
        private Integer warmup;
        private LrSchedule.Kind decay = LrSchedule.Kind.COSINE;
        private double minLrRatio = 0.1, clipNorm = 1.0;
        private float weightDecay = 0.01f, beta1 = 0.9f, beta2 = 0.98f, eps = 1e-8f;
        private long seed = 1;
        private int evalEvery = 0, checkpointEvery = 0, padMultiple = 16;
        private TreeformerSchedule.Options treeformer;

        private Builder(int steps, int batchSize, double lr) {
            this.steps = steps;
            this.batchSize = batchSize;
            this.lr = lr;
        }

        public Builder steps(int v) { steps = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder lr(double v) { lr = v; return this; }
        /** Warm-up steps (default: a tenth of the steps, at least one). */
        public Builder warmup(int v) { warmup = v; return this; }
        public Builder decay(LrSchedule.Kind v) { decay = v; return this; }
        public Builder minLrRatio(double v) { minLrRatio = v; return this; }
        public Builder weightDecay(float v) { weightDecay = v; return this; }
        public Builder betas(float b1, float b2) { beta1 = b1; beta2 = b2; return this; }
        public Builder eps(float v) { eps = v; return this; }
        public Builder clipNorm(double v) { clipNorm = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder evalEvery(int v) { evalEvery = v; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        public Builder padMultiple(int v) { padMultiple = v; return this; }
        public Builder treeformer(TreeformerSchedule.Options v) { treeformer = v; return this; }

        public TrainConfig build() {
            int w = warmup != null ? warmup : Math.max(1, steps / 10);
            return new TrainConfig(steps, batchSize, lr, w, decay, minLrRatio, weightDecay, beta1, beta2, eps, clipNorm, seed,
                    evalEvery, checkpointEvery, padMultiple, treeformer);
        }
    }
}
