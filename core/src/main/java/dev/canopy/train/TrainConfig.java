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

    public LrSchedule lrSchedule() {
        return new LrSchedule(schedule, lr, warmup, steps, minLrRatio);
    }

    public AdamW.Settings adamW() {
        return new AdamW.Settings(beta1, beta2, eps, weightDecay);
    }
}
