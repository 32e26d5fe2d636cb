package dev.canopy.cli.train;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.data.TaskData;
import dev.canopy.train.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
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
    @Mixin TaskOptions taskOptions = new TaskOptions();
    @Option(names = "--n", description = TaskOptions.N_HELP) Integer n;

    @Override
    public Integer call() throws IOException {
        String name = options.schedule != null ? options.schedule : attention.toString();
        RunDirectory run = new RunDirectory(out != null ? out : Path.of("runs", task + "-" + name.replaceAll("[^A-Za-z0-9=]+", "_")));
        if (Files.exists(run.path()) && !Files.isDirectory(run.path())) throw new IllegalArgumentException("--out " + run.path() + " is a file, not a run directory");
        if (resume && initFrom != null) throw new IllegalArgumentException("--init-from starts a new run; it cannot be combined with --resume");
        RunTrainer.Outcome outcome;
        if (resume) {
            outcome = RunTrainer.resume(run, options.steps, name, quiet);
        } else {
            if (run.holdsRun()) throw new IllegalArgumentException("run directory " + run.path() + " already holds a run; pass --resume to continue it or choose another --out");
            // Everything is read, checked and built before the first file is written: a rejected run leaves --out as it was.
            options.validate();
            Tasks.checkTask(task);
            taskOptions.n = n;
            if (options.schedule != null && !attention.name().equals("exact")) {
                throw new IllegalArgumentException("--schedule starts from exact attention and brings in the trees itself; drop --attention " + attention);
            }
            TaskData data = Tasks.load(task, options.preset, options.seed, taskOptions);
            RunTrainer.Plan plan = new RunTrainer.Plan(new RunDirectory.TaskRef(task, options.preset.label(), options.seed, taskOptions.settings(task, options.preset)),
                    data, options.model(data, attention), options.training());
            outcome = RunTrainer.start(run, plan, initFrom, name, quiet);
        }
        System.out.printf(Locale.ROOT, "canopy train: test accuracy %.2f%% (majority %.2f%%); run directory %s (checkpoint, metrics.jsonl)%n",
                100 * outcome.test().accuracy(), 100 * outcome.majorityAccuracy(), run.path().toAbsolutePath());
        return 0;
    }
}
