package dev.canopy.cli;

import dev.canopy.bench.JsonLine;
import dev.canopy.data.TaskData;
import dev.canopy.io.AtomicFiles;
import dev.canopy.io.Json;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.train.Checkpoints;
import dev.canopy.train.MetricsLog;
import dev.canopy.train.Progress;
import dev.canopy.train.SafetensorsStore;
import dev.canopy.train.TrainConfig;
import dev.canopy.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    @Mixin TrainOptions options = new TrainOptions();
    @Mixin MqarOptions mqar = new MqarOptions();

    static final String TASK_FILE = "task.json";
    static final String MODEL_FILE = "model.json";
    static final String TRAIN_FILE = "train.json";

    @Override
    public Integer call() throws IOException {
        Path dir = out != null ? out : Path.of("runs", task + "-" + options.attention.replaceAll("[^A-Za-z0-9=]+", "_"));
        TaskData data;
        ModelConfig modelConfig;
        TrainConfig trainConfig;
        if (resume) {
            if (!Files.isRegularFile(dir.resolve(TASK_FILE))) throw new IllegalArgumentException("--resume: " + dir + " has no " + TASK_FILE + "; nothing to resume");
            Map<String, Object> t = Json.parseObject(Files.readString(dir.resolve(TASK_FILE)));
            task = (String) t.get("task");
            options.preset = (String) t.get("preset");
            mqar = MqarOptions.from(t);
            data = Tasks.load(task, options.preset, ((Number) t.get("data_seed")).longValue(), mqar);
            modelConfig = ModelConfig.fromJson(Files.readString(dir.resolve(MODEL_FILE)));
            // The run continues with the configuration it started with; only --steps may change (to train longer).
            trainConfig = TrainConfig.fromJson(Files.readString(dir.resolve(TRAIN_FILE)));
            if (options.steps != null) trainConfig = trainConfig.withSteps(options.steps);
        } else {
            if (Files.isDirectory(dir) && Files.exists(dir.resolve(TASK_FILE))) {
                throw new IllegalArgumentException("run directory " + dir + " already holds a run; pass --resume to continue it or choose another --out");
            }
            data = Tasks.load(task, options.preset, options.seed, mqar);
            modelConfig = options.model(data);
            trainConfig = options.training();
            Files.createDirectories(dir);
            JsonLine taskJson = new JsonLine().put("task", task).put("preset", options.preset).put("data_seed", options.seed);
            if (task.equals("mqar")) mqar.addTo(taskJson, options.preset);
            AtomicFiles.writeString(dir.resolve(TASK_FILE), taskJson.toString() + "\n");
            AtomicFiles.writeString(dir.resolve(MODEL_FILE), modelConfig.toJson() + "\n");
            AtomicFiles.writeString(dir.resolve(TRAIN_FILE), trainConfig.toJson() + "\n");
        }
        EncoderClassifier model = new EncoderClassifier(modelConfig);
        Trainer trainer = new Trainer(model, data, trainConfig);
        Checkpoints checkpoints = new Checkpoints(dir, new SafetensorsStore());
        int start = 0;
        if (initFrom != null) {
            if (resume) throw new IllegalArgumentException("--init-from starts a new run; it cannot be combined with --resume");
            java.util.List<String> fresh = Checkpoints.loadMatching(initFrom, model, new SafetensorsStore());
            System.out.println("canopy train: warm start from " + initFrom + "; freshly initialised: " + (fresh.isEmpty() ? "nothing" : String.join(", ", fresh)));
        }
        if (resume) {
            start = Integer.parseInt(trainer.resume(checkpoints).get("step"));
            System.out.println("canopy train: resuming " + dir + " at step " + start + " of " + trainConfig.steps());
        }
        System.out.printf("canopy train: %s (%d train / %d valid / %d test, max length %d), attention %s, %d parameters, %d steps of %d%n",
                task, data.train().size(), data.valid().size(), data.test().size(), data.maxLength(), modelConfig.attention(),
                model.namedParameters().values().stream().mapToLong(p -> p.size()).sum(), trainConfig.steps(), trainConfig.batchSize());
        Trainer.Result r;
        try (MetricsLog log = MetricsLog.open(dir.resolve("metrics.jsonl"))) {
            r = trainer.run(start, checkpoints, Map.of("task", task, "attention", modelConfig.attention()), log,
                    Progress.console(modelConfig.attention(), quiet));
            double test = Trainer.accuracy(model, data.test(), trainConfig.batchSize(), trainConfig.padMultiple());
            JsonLine summary = new JsonLine().put("event", "done").put("task", task).put("attention", modelConfig.attention())
                    .put("steps", r.steps()).put("final_loss", r.finalLoss()).put("valid_accuracy", r.validAccuracy()).put("test_accuracy", test)
                    .put("majority_accuracy", data.majorityAccuracy(data.test())).put("tokens_per_second", r.tokensPerSecond())
                    .put("train_attention_flops_per_example", r.attentionFlopsPerExample()).put("train_seconds", r.trainSeconds());
            log.write(summary);
            System.out.println(summary);
        }
        System.out.println("canopy train: run directory " + dir.toAbsolutePath() + " (checkpoint, metrics.jsonl)");
        return 0;
    }
}
