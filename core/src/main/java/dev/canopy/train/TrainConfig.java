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
        java.util.Map<String, Object> m = dev.canopy.io.Json.parseObject(json);
        try {
            return new TrainConfig(integer(m, "steps"), integer(m, "batch"), Double.parseDouble((String) m.get("lr")), integer(m, "warmup"),
                    LrSchedule.kind((String) m.get("schedule")), Double.parseDouble((String) m.get("min_lr_ratio")),
                    Float.parseFloat((String) m.get("weight_decay")), Float.parseFloat((String) m.get("beta1")), Float.parseFloat((String) m.get("beta2")),
                    Float.parseFloat((String) m.get("eps")), Double.parseDouble((String) m.get("clip")), ((Number) m.get("seed")).longValue(),
                    integer(m, "eval_every"), integer(m, "checkpoint_every"), integer(m, "pad_multiple"));
        } catch (ClassCastException | NullPointerException | NumberFormatException e) {
            throw new IllegalArgumentException("training config JSON is missing a field or has a wrong type: " + e.getMessage());
        }
    }

    private static int integer(java.util.Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Number n)) throw new IllegalArgumentException("training config JSON: '" + key + "' is missing or not a number");
        return n.intValue();
    }

    public LrSchedule lrSchedule() {
        return new LrSchedule(schedule, lr, warmup, steps, minLrRatio);
    }

    public AdamW.Settings adamW() {
        return new AdamW.Settings(beta1, beta2, eps, weightDecay);
    }
}
