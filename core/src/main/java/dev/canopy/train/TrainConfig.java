package dev.canopy.train;

/**
 * How to train: steps and batch, the learning-rate schedule, AdamW settings, clipping, the seed, and how often to
 * evaluate and checkpoint (0 = never during the run).
 */
public record TrainConfig(int steps, int batchSize, double lr, int warmup, LrSchedule.Kind schedule, double minLrRatio,
                          float weightDecay, float beta1, float beta2, float eps, double clipNorm, long seed,
                          int evalEvery, int checkpointEvery, int padMultiple) {

    public TrainConfig {
        if (steps < 1 || batchSize < 1) throw new IllegalArgumentException("training needs steps >= 1 and batch >= 1, got steps=" + steps + " batch=" + batchSize);
        if (padMultiple < 1) throw new IllegalArgumentException("pad multiple must be >= 1");
        if (evalEvery < 0 || checkpointEvery < 0) throw new IllegalArgumentException("eval/checkpoint intervals must be >= 0");
        // The schedule and optimiser settings are checked here, so a bad rate fails before a run writes anything.
        new LrSchedule(schedule, lr, warmup, steps, minLrRatio);
        new AdamW.Settings(beta1, beta2, eps, weightDecay);
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) throw new IllegalArgumentException("gradient clipping norm must be >= 0 (0 = off), got " + clipNorm);
    }

    public static TrainConfig defaults(int steps, int batchSize, double lr, long seed) {
        return new TrainConfig(steps, batchSize, lr, Math.max(1, steps / 10), LrSchedule.Kind.COSINE, 0.1, 0.01f,
                0.9f, 0.98f, 1e-8f, 1.0, seed, 0, 0, 16);
    }

    public TrainConfig withSteps(int newSteps) {
        return new TrainConfig(newSteps, batchSize, lr, warmup, schedule, minLrRatio, weightDecay, beta1, beta2, eps, clipNorm, seed, evalEvery, checkpointEvery, padMultiple);
    }

    public TrainConfig withCheckpointEvery(int every) {
        return new TrainConfig(steps, batchSize, lr, warmup, schedule, minLrRatio, weightDecay, beta1, beta2, eps, clipNorm, seed, evalEvery, every, padMultiple);
    }

    public TrainConfig withEvalEvery(int every) {
        return new TrainConfig(steps, batchSize, lr, warmup, schedule, minLrRatio, weightDecay, beta1, beta2, eps, clipNorm, seed, every, checkpointEvery, padMultiple);
    }

    public String toJson() {
        return new dev.canopy.bench.JsonLine().put("steps", steps).put("batch", batchSize).put("lr", Double.toString(lr)).put("warmup", warmup)
                .put("schedule", schedule.name().toLowerCase(java.util.Locale.ROOT)).put("min_lr_ratio", Double.toString(minLrRatio))
                .put("weight_decay", Float.toString(weightDecay)).put("beta1", Float.toString(beta1)).put("beta2", Float.toString(beta2))
                .put("eps", Float.toString(eps)).put("clip", Double.toString(clipNorm)).put("seed", seed).put("eval_every", evalEvery)
                .put("checkpoint_every", checkpointEvery).put("pad_multiple", padMultiple).toString();
    }

    /** Parses {@link #toJson()} (numbers that must round-trip exactly are stored as strings). */
    public static TrainConfig fromJson(String json) {
        return dev.canopy.io.JsonFields.parse(json, "training config JSON").as(TrainConfig::fromJson);
    }

    /** Reads {@link #toJson()}'s fields; a problem names the file (use through {@link dev.canopy.io.JsonFields#as}). */
    public static TrainConfig fromJson(dev.canopy.io.JsonFields m) {
        return new TrainConfig(m.integer("steps"), m.integer("batch"), m.real("lr"), m.integer("warmup"), LrSchedule.kind(m.string("schedule")),
                m.real("min_lr_ratio"), m.real32("weight_decay"), m.real32("beta1"), m.real32("beta2"), m.real32("eps"),
                m.real("clip"), m.longValue("seed"), m.integer("eval_every"), m.integer("checkpoint_every"), m.integer("pad_multiple"));
    }

    public LrSchedule lrSchedule() {
        return new LrSchedule(schedule, lr, warmup, steps, minLrRatio);
    }

    public AdamW.Settings adamW() {
        return new AdamW.Settings(beta1, beta2, eps, weightDecay);
    }
}
