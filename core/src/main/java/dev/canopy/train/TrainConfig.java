package dev.canopy.train;

import dev.canopy.io.JsonFields;
import dev.canopy.io.JsonLine;
import java.util.Locale;

/**
 * How to train: steps and batch, the learning rate with its warm-up and decay, AdamW settings, clipping, the seed, how
 * often to evaluate and checkpoint (0 = never during the run), padding, and optionally a Treeformer schedule (null:
 * the model's attention throughout). Build one with {@link #builder}; every field not set keeps the default below.
 *
 * @param steps           optimiser steps
 * @param batchSize       examples per step
 * @param lr              peak learning rate
 * @param warmup          steps of linear warm-up
 * @param decay           how the rate falls after warm-up
 * @param minLrRatio      the final rate as a fraction of the peak
 * @param weightDecay     AdamW's decoupled weight decay
 * @param beta1           AdamW's first-moment decay
 * @param beta2           AdamW's second-moment decay
 * @param eps             AdamW's epsilon
 * @param clipNorm        global gradient-norm clip (0 = none)
 * @param seed            seed of the data order and dropout
 * @param evalEvery       steps between validation runs (0 = only at the end)
 * @param checkpointEvery steps between checkpoints (0 = none during the run)
 * @param padMultiple     batches are padded to a multiple of this length
 * @param treeformer      a Treeformer schedule, or null
 * @param batchParts      parts each batch splits into, run side by side on the cores (1: the whole batch at once)
 */
public record TrainConfig(int steps, int batchSize, double lr, int warmup, LrSchedule.Kind decay, double minLrRatio,
                          float weightDecay, float beta1, float beta2, float eps, double clipNorm, long seed,
                          int evalEvery, int checkpointEvery, int padMultiple, TreeformerSchedule.Options treeformer, int batchParts) {

    /**
     * Checks steps, batch size, padding and intervals.
     *
     * @throws IllegalArgumentException naming the field at fault
     */
    public TrainConfig {
        if (steps < 1 || batchSize < 1) throw new IllegalArgumentException("training needs steps >= 1 and batch >= 1, got steps=" + steps + " batch=" + batchSize);
        if (padMultiple < 1) throw new IllegalArgumentException("pad multiple must be >= 1");
        if (batchParts < 1 || batchParts > batchSize) throw new IllegalArgumentException("batch parts must be between 1 and the batch (" + batchSize + "), got " + batchParts);
        if (evalEvery < 0 || checkpointEvery < 0) throw new IllegalArgumentException("eval/checkpoint intervals must be >= 0");
        // The schedule and optimiser settings are checked here, so a bad rate fails before a run writes anything.
        new LrSchedule(decay, lr, warmup, steps, minLrRatio);
        new AdamW.Settings(beta1, beta2, eps, weightDecay);
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) throw new IllegalArgumentException("gradient clipping norm must be >= 0 (0 = off), got " + clipNorm);
    }

    /**
     * Defaults: cosine decay to 0.1 of the peak after steps/10 warm-up steps, AdamW (0.9, 0.98, 1e-8, decay 0.01), clip 1.
     *
     * @param steps     optimiser steps
     * @param batchSize examples per step
     * @param lr        peak learning rate
     * @return a builder with the defaults
     */
    public static Builder builder(int steps, int batchSize, double lr) {
        return new Builder(steps, batchSize, lr);
    }

    /** {@return a builder holding this config's values} */
    public Builder toBuilder() {
        return new Builder(steps, batchSize, lr).warmup(warmup).decay(decay).minLrRatio(minLrRatio).weightDecay(weightDecay)
                .betas(beta1, beta2).eps(eps).clipNorm(clipNorm).seed(seed).evalEvery(evalEvery).checkpointEvery(checkpointEvery)
                .padMultiple(padMultiple).treeformer(treeformer).batchParts(batchParts);
    }

    /**
     * This config with another step count.
     *
     * @param newSteps optimiser steps
     * @return the new config
     */
    public TrainConfig withSteps(int newSteps) {
        return toBuilder().steps(newSteps).build();
    }

    /**
     * This config with another checkpoint interval.
     *
     * @param every steps between checkpoints
     * @return the new config
     */
    public TrainConfig withCheckpointEvery(int every) {
        return toBuilder().checkpointEvery(every).build();
    }

    /**
     * This config with another evaluation interval.
     *
     * @param every steps between validation runs
     * @return the new config
     */
    public TrainConfig withEvalEvery(int every) {
        return toBuilder().evalEvery(every).build();
    }

    /** {@return this config as one JSON object, as run directories store it} */
    public String toJson() {
        JsonLine json = new JsonLine().put("steps", steps).put("batch", batchSize).put("lr", Double.toString(lr)).put("warmup", warmup)
                .put("decay", decay.name().toLowerCase(Locale.ROOT)).put("min_lr_ratio", Double.toString(minLrRatio))
                .put("weight_decay", Float.toString(weightDecay)).put("beta1", Float.toString(beta1)).put("beta2", Float.toString(beta2))
                .put("eps", Float.toString(eps)).put("clip", Double.toString(clipNorm)).put("seed", seed).put("eval_every", evalEvery)
                .put("checkpoint_every", checkpointEvery).put("pad_multiple", padMultiple).put("batch_parts", batchParts);
        if (treeformer != null) json.put("treeformer", treeformer.toSpec());
        return json.toString();
    }

    /**
     * Parses {@link #toJson()} (numbers that must round-trip exactly are stored as strings).
     *
     * @param json what {@link #toJson()} wrote
     * @return the config
     */
    public static TrainConfig fromJson(String json) {
        return JsonFields.parse(json, "training config JSON").as(TrainConfig::fromJson);
    }

    /**
     * Reads {@link #toJson()}'s fields; a problem names the file (use through {@link JsonFields#as}).
     *
     * @param m the parsed fields
     * @return the config
     */
    public static TrainConfig fromJson(JsonFields m) {
        double lr = m.real("lr");
        // "decay" was called "schedule" before the Treeformer schedule took that name.
        Builder b = builder(m.integer("steps"), m.integer("batch"), lr).warmup(m.integer("warmup"))
                .decay(LrSchedule.kind(m.has("decay") ? m.string("decay") : m.string("schedule"))).minLrRatio(m.real("min_lr_ratio"))
                .weightDecay(m.real32("weight_decay")).betas(m.real32("beta1"), m.real32("beta2")).eps(m.real32("eps"))
                .clipNorm(m.real("clip")).seed(m.longValue("seed")).evalEvery(m.integer("eval_every"))
                .checkpointEvery(m.integer("checkpoint_every")).padMultiple(m.integer("pad_multiple"))
                .batchParts(m.has("batch_parts") ? m.integer("batch_parts") : 1); // runs from before batch parts took whole batches
        if (m.has("treeformer")) b.treeformer(TreeformerSchedule.Options.parse(m.string("treeformer"), (float) lr));
        return b.build();
    }

    /** {@return the learning-rate schedule these settings describe} */
    public LrSchedule lrSchedule() {
        return new LrSchedule(decay, lr, warmup, steps, minLrRatio);
    }

    /** {@return the optimiser settings} */
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
        private int evalEvery = 0, checkpointEvery = 0, padMultiple = 16, batchParts = 1;
        private TreeformerSchedule.Options treeformer;

        private Builder(int steps, int batchSize, double lr) {
            this.steps = steps;
            this.batchSize = batchSize;
            this.lr = lr;
        }

        /**
         * Optimiser steps.
         *
         * @param v steps
         * @return this builder
         */
        public Builder steps(int v) { steps = v; return this; }
        /**
         * Examples per step.
         *
         * @param v the batch size
         * @return this builder
         */
        public Builder batchSize(int v) { batchSize = v; return this; }
        /**
         * Peak learning rate.
         *
         * @param v the rate
         * @return this builder
         */
        public Builder lr(double v) { lr = v; return this; }
        /**
         * Warm-up steps (default: a tenth of the steps, at least one).
         *
         * @param v warm-up steps
         * @return this builder
         */
        public Builder warmup(int v) { warmup = v; return this; }
        /**
         * Decay after warm-up.
         *
         * @param v cosine, linear or constant
         * @return this builder
         */
        public Builder decay(LrSchedule.Kind v) { decay = v; return this; }
        /**
         * Final rate as a fraction of the peak.
         *
         * @param v the fraction
         * @return this builder
         */
        public Builder minLrRatio(double v) { minLrRatio = v; return this; }
        /**
         * AdamW weight decay.
         *
         * @param v the decay
         * @return this builder
         */
        public Builder weightDecay(float v) { weightDecay = v; return this; }
        /**
         * AdamW's moment decays.
         *
         * @param b1 first-moment decay
         * @param b2 second-moment decay
         * @return this builder
         */
        public Builder betas(float b1, float b2) { beta1 = b1; beta2 = b2; return this; }
        /**
         * AdamW epsilon.
         *
         * @param v the epsilon
         * @return this builder
         */
        public Builder eps(float v) { eps = v; return this; }
        /**
         * Global gradient-norm clip.
         *
         * @param v the norm; 0 disables clipping
         * @return this builder
         */
        public Builder clipNorm(double v) { clipNorm = v; return this; }
        /**
         * Seed of the data order and dropout.
         *
         * @param v the seed
         * @return this builder
         */
        public Builder seed(long v) { seed = v; return this; }
        /**
         * Steps between validation runs.
         *
         * @param v the interval; 0 evaluates only at the end
         * @return this builder
         */
        public Builder evalEvery(int v) { evalEvery = v; return this; }
        /**
         * Steps between checkpoints.
         *
         * @param v the interval; 0 writes none during the run
         * @return this builder
         */
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        /**
         * Batches are padded to a multiple of this length.
         *
         * @param v the multiple
         * @return this builder
         */
        public Builder padMultiple(int v) { padMultiple = v; return this; }
        /**
         * A Treeformer two-level schedule.
         *
         * @param v its options, or null for none
         * @return this builder
         */
        public Builder treeformer(TreeformerSchedule.Options v) { treeformer = v; return this; }
        /**
         * Parts each batch splits into, run side by side on the cores (default 1). A run's numbers depend on it, not
         * on the number of threads.
         *
         * @param v parts, 1 to the batch size
         * @return this builder
         */
        public Builder batchParts(int v) { batchParts = v; return this; }

        /**
         * Fills the default warm-up and checks every setting.
         *
         * @return the config
         * @throws IllegalArgumentException naming the setting at fault
         */
        public TrainConfig build() {
            int w = warmup != null ? warmup : Math.max(1, steps / 10);
            return new TrainConfig(steps, batchSize, lr, w, decay, minLrRatio, weightDecay, beta1, beta2, eps, clipNorm, seed,
                    evalEvery, checkpointEvery, padMultiple, treeformer, batchParts);
        }
    }
}
