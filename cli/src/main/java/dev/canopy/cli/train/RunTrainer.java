package dev.canopy.cli.train;

import dev.canopy.data.TaskData;
import dev.canopy.io.JsonLine;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.train.BitsPerByte;
import dev.canopy.train.Checkpoints;
import dev.canopy.train.MetricsLog;
import dev.canopy.train.ModelMemory;
import dev.canopy.train.Progress;
import dev.canopy.train.RunDirectory;
import dev.canopy.train.SafetensorsStore;
import dev.canopy.train.TrainConfig;
import dev.canopy.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Trains one run directory to its configured steps, for train and sweep: a new run (its files written only once the
 * model and trainer are built, so a rejected run leaves nothing behind) or a resumed one (its configuration read back,
 * only the step count may grow). Ends with the test split evaluated and a "done" line in the metrics log.
 */
public final class RunTrainer {
    private RunTrainer() {}

    /** What a new run trains on and with. */
    record Plan(RunDirectory.TaskRef task, TaskData data, ModelConfig model, TrainConfig training) {}

    /** What a finished run measured: training, and the test split evaluated with the final model. */
    record Outcome(Trainer.Result training, Trainer.Evaluation test, double majorityAccuracy, int steps) {}

    static Outcome start(RunDirectory run, Plan plan, Path initFrom, String label, boolean quiet) throws IOException {
        if (run.holdsRun()) throw new IllegalArgumentException("run directory " + run.path() + " already holds a run; pass --resume to continue it or choose another --out");
        new ModelMemory(plan.model()).check(plan.training().batchSize(), true, Runtime.getRuntime().maxMemory(), "--batch", null);
        EncoderClassifier model = new EncoderClassifier(plan.model());
        Trainer trainer = new Trainer(model, plan.data(), plan.training());
        if (initFrom != null) warmStart(initFrom, model, "");
        run.create(plan.task(), plan.model(), plan.training(), initFrom);
        announce(plan, model);
        return train(run, plan, model, trainer, 0, false, label, quiet);
    }

    /** Continues a run from its newest checkpoint (or from the start, if it stopped before its first); steps may extend it. */
    static Outcome resume(RunDirectory run, Integer steps, String label, boolean quiet) throws IOException {
        if (!run.holdsRun()) throw new IllegalArgumentException("--resume: " + run.path() + " has no " + RunDirectory.TASK + "; nothing to resume");
        if (steps != null && steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        RunDirectory.TaskRef task = run.task();
        ModelConfig modelConfig = run.model();
        TrainConfig trainConfig = run.training();
        if (steps != null) trainConfig = trainConfig.withSteps(steps);
        Plan plan = new Plan(task, Tasks.load(run, task), modelConfig, trainConfig);
        new ModelMemory(modelConfig).check(trainConfig.batchSize(), true, Runtime.getRuntime().maxMemory(),
                run.path().resolve(RunDirectory.TRAIN) + ": batch", run.path().resolve(RunDirectory.MODEL).toString());
        EncoderClassifier model = new EncoderClassifier(modelConfig);
        Trainer trainer = new Trainer(model, plan.data(), trainConfig);
        Checkpoints checkpoints = run.checkpoints(new SafetensorsStore());
        int start = 0;
        if (checkpoints.latest().isEmpty()) {
            // It stopped before its first checkpoint; nothing was lost but time, so it starts over, as configured,
            // from the same warm start if it had one.
            checkpoints.removeTemporaries();
            System.out.println("canopy train: " + run.path() + " has no checkpoint yet; starting it over from step 0");
            Path from = run.warmStart();
            if (from != null) {
                if (!Files.exists(from)) {
                    throw new IllegalArgumentException(run.path().resolve(RunDirectory.WARM_START) + ": this run began from " + from
                            + ", which is gone; put it back to start over from it, or delete " + run.path() + " to train afresh");
                }
                warmStart(from, model, " again");
            }
        } else {
            start = Integer.parseInt(trainer.resume(checkpoints).get("step")); // checked by restore
        }
        if (start > trainConfig.steps()) {
            throw new IllegalArgumentException("--steps " + trainConfig.steps() + " is below step " + start + ", where " + run.path() + "'s checkpoint stands");
        }
        System.out.println("canopy train: resuming " + run.path() + " at step " + start + " of " + trainConfig.steps());
        announce(plan, model);
        return train(run, plan, model, trainer, start, true, label, quiet);
    }

    private static void warmStart(Path from, EncoderClassifier model, String again) throws IOException {
        List<String> fresh = Checkpoints.loadMatching(from, model, new SafetensorsStore());
        System.out.println("canopy train: warm start from " + from + again + "; freshly initialised: " + (fresh.isEmpty() ? "nothing" : String.join(", ", fresh)));
    }

    private static void announce(Plan plan, EncoderClassifier model) {
        TaskData data = plan.data();
        TrainConfig t = plan.training();
        System.out.printf("canopy train: %s (%d train / %d valid / %d test, max length %d), %s, %d parameters, %d steps of %d%n",
                plan.task().task(), data.train().size(), data.valid().size(), data.test().size(), data.maxLength(),
                t.treeformer() != null ? "schedule " + t.treeformer().label() : "attention " + plan.model().attention(),
                model.namedParameters().values().stream().mapToLong(p -> p.size()).sum(), t.steps(), t.batchSize());
    }

    private static Outcome train(RunDirectory run, Plan plan, EncoderClassifier model, Trainer trainer, int start, boolean resumed, String label,
                                 boolean quiet) throws IOException {
        TaskData data = plan.data();
        TrainConfig t = plan.training();
        Checkpoints checkpoints = run.checkpoints(new SafetensorsStore());
        // A resumed run's log is cut back to its checkpoint: the steps after it are about to run again.
        try (MetricsLog log = resumed ? MetricsLog.resume(run.metrics(), start) : MetricsLog.open(run.metrics())) {
            Trainer.Result r = trainer.run(start, checkpoints, Map.of("task", plan.task().task()), log, Progress.console(label, quiet));
            Trainer.Evaluation test = Trainer.evaluate(model, data.test(), t.batchSize(), t.padMultiple());
            double majority = data.majorityAccuracy(data.test());
            JsonLine summary = new JsonLine().put("event", "done").put("task", plan.task().task()).put("attention", label)
                    .put("steps", r.steps()).put("final_loss", r.finalLoss()).put("valid_accuracy", r.validAccuracy()).put("test_accuracy", test.accuracy())
                    .put("majority_accuracy", majority).put("tokens_per_second", r.tokensPerSecond())
                    .put("train_attention_flops_per_example", r.attentionFlopsPerExample()).put("train_seconds", r.trainSeconds());
            // A language model's metric is bits per byte of the held-out windows (eval adds the unigram baseline).
            if (Tasks.languageModel(data)) summary.put("test_bits_per_byte", BitsPerByte.of(model, data.test(), t.batchSize(), t.padMultiple()));
            log.write(summary);
            if (!quiet) System.out.println(summary);
            return new Outcome(r, test, majority, t.steps());
        }
    }
}
