package dev.canopy.cli;

import dev.canopy.io.JsonLine;
import dev.canopy.attention.AttentionSpec;
import dev.canopy.data.TaskData;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Trains an encoder classifier on a task with the chosen attention; checkpoints, metrics and resume in --out. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a classifier on listops, spam, brown-match or mqar with any attention (checkpoints, metrics, --resume).")
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--task", description = "Task: " + Tasks.NAMES + " (default: ${DEFAULT-VALUE}).", defaultValue = "listops")
    String task;
    @Option(names = "--out", description = "Run directory: task.json, model.json, train.json, metrics.jsonl, ckpt-*/ (default: runs/<task>-<attention>).")
    Path out;
    @Option(names = "--resume", description = "Continue the run in --out from its newest checkpoint, exactly where it stopped, with its saved configuration (--steps may extend it).")
    boolean resume;
    @Option(names = "--init-from", description = "Warm start from another run's checkpoint: copies every tensor whose name matches "
            + "(e.g. train exact first, then tc:h=6 from it, the Treeformer two-level schedule); the rest keeps its initialisation.")
    Path initFrom;
    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;
    @Option(names = "--attention", description = "Attention, e.g. exact, topk:k=32, tf:h=6, tc:h=6, linformer:k=32, local:w=64 (default: ${DEFAULT-VALUE}); "
            + "./canopy bench attention --help lists every option.", defaultValue = "exact")
    AttentionSpec attention;
    @Mixin TrainOptions options = new TrainOptions();
    @Mixin MqarOptions mqar = new MqarOptions();

    @Override
    public Integer call() throws IOException {
        String name = options.schedule != null ? options.schedule : attention.toString();
        RunDirectory run = new RunDirectory(out != null ? out : Path.of("runs", task + "-" + name.replaceAll("[^A-Za-z0-9=]+", "_")));
        if (Files.exists(run.path()) && !Files.isDirectory(run.path())) throw new IllegalArgumentException("--out " + run.path() + " is a file, not a run directory");
        if (resume && initFrom != null) throw new IllegalArgumentException("--init-from starts a new run; it cannot be combined with --resume");
        // Everything is read, checked and built before the first file is written: a rejected run leaves --out as it was.
        TaskData data;
        ModelConfig modelConfig;
        TrainConfig trainConfig;
        RunDirectory.TaskRef taskRef;
        if (resume) {
            if (!run.holdsRun()) throw new IllegalArgumentException("--resume: " + run.path() + " has no " + RunDirectory.TASK + "; nothing to resume");
            if (options.steps != null && options.steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + options.steps);
            taskRef = run.task();
            modelConfig = run.model();
            // The run continues with the configuration it started with; only --steps may change (to train longer).
            trainConfig = run.training();
            if (options.steps != null) trainConfig = trainConfig.withSteps(options.steps);
            task = taskRef.task();
            data = Tasks.load(run, taskRef);
        } else {
            if (run.holdsRun()) throw new IllegalArgumentException("run directory " + run.path() + " already holds a run; pass --resume to continue it or choose another --out");
            options.validate();
            Tasks.checkTask(task);
            if (options.schedule != null && !attention.name().equals("exact")) {
                throw new IllegalArgumentException("--schedule starts from exact attention and brings in the trees itself; drop --attention " + attention);
            }
            taskRef = new RunDirectory.TaskRef(task, options.preset, options.seed, mqar.settings(task, options.preset));
            data = Tasks.load(task, options.preset, options.seed, mqar);
            modelConfig = options.model(data, attention);
            trainConfig = options.training();
        }
        new ModelMemory(modelConfig).check(trainConfig.batchSize(), true, Runtime.getRuntime().maxMemory(),
                resume ? run.path().resolve(RunDirectory.TRAIN) + ": batch" : "--batch", resume ? run.path().resolve(RunDirectory.MODEL).toString() : null);
        EncoderClassifier model = new EncoderClassifier(modelConfig);
        Trainer trainer = new Trainer(model, data, trainConfig);
        Checkpoints checkpoints = run.checkpoints(new SafetensorsStore());
        int start = 0;
        if (initFrom != null) {
            List<String> fresh = Checkpoints.loadMatching(initFrom, model, new SafetensorsStore());
            System.out.println("canopy train: warm start from " + initFrom + "; freshly initialised: " + (fresh.isEmpty() ? "nothing" : String.join(", ", fresh)));
        }
        if (resume) {
            if (checkpoints.latest().isEmpty()) {
                // It stopped before its first checkpoint; nothing was lost but time, so it starts over, as configured.
                checkpoints.removeTemporaries();
                System.out.println("canopy train: " + run.path() + " has no checkpoint yet; starting it over from step 0");
            } else {
                start = Integer.parseInt(trainer.resume(checkpoints).get("step")); // checked by restore
            }
            if (start > trainConfig.steps()) {
                throw new IllegalArgumentException("--steps " + trainConfig.steps() + " is below step " + start + ", where " + run.path() + "'s checkpoint stands");
            }
            System.out.println("canopy train: resuming " + run.path() + " at step " + start + " of " + trainConfig.steps());
        } else {
            run.create(taskRef, modelConfig, trainConfig);
        }
        System.out.printf("canopy train: %s (%d train / %d valid / %d test, max length %d), %s, %d parameters, %d steps of %d%n",
                task, data.train().size(), data.valid().size(), data.test().size(), data.maxLength(),
                trainConfig.treeformer() != null ? "schedule " + trainConfig.treeformer().label() : "attention " + modelConfig.attention(),
                model.namedParameters().values().stream().mapToLong(p -> p.size()).sum(), trainConfig.steps(), trainConfig.batchSize());
        Trainer.Result r;
        // A resumed run's log is cut back to its checkpoint: the steps after it are about to run again.
        try (MetricsLog log = resume ? MetricsLog.resume(run.metrics(), start) : MetricsLog.open(run.metrics())) {
            r = trainer.run(start, checkpoints, Map.of("task", task), log, Progress.console(name, quiet));
            double test = Trainer.accuracy(model, data.test(), trainConfig.batchSize(), trainConfig.padMultiple());
            JsonLine summary = new JsonLine().put("event", "done").put("task", task).put("attention", name)
                    .put("steps", r.steps()).put("final_loss", r.finalLoss()).put("valid_accuracy", r.validAccuracy()).put("test_accuracy", test)
                    .put("majority_accuracy", data.majorityAccuracy(data.test())).put("tokens_per_second", r.tokensPerSecond())
                    .put("train_attention_flops_per_example", r.attentionFlopsPerExample()).put("train_seconds", r.trainSeconds());
            log.write(summary);
            System.out.println(summary);
        }
        System.out.println("canopy train: run directory " + run.path().toAbsolutePath() + " (checkpoint, metrics.jsonl)");
        return 0;
    }
}
