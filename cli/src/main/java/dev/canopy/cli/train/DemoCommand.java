package dev.canopy.cli.train;

import com.sun.management.OperatingSystemMXBean;
import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.cli.options.AttentionList;
import dev.canopy.cli.report.BenchRecords;
import dev.canopy.cli.train.SweepCells.Cell;
import dev.canopy.cli.train.SweepCells.Contender;
import dev.canopy.config.NamedOptions;
import dev.canopy.data.TaskData;
import dev.canopy.io.AtomicFiles;
import dev.canopy.io.Json;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.train.ModelMemory;
import dev.canopy.train.RunDirectory;
import dev.canopy.train.TrainConfig;
import dev.canopy.train.Trainer;
import dev.canopy.train.TreeformerSchedule;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The main job: multi-query associative recall at a length where attention matters. One model learns recall with exact
 * attention on short sequences (recall is slow to discover from scratch, and no sparse attention discovers it in a
 * demo's budget); then each attention continues from that model on sequences four times longer for the same number of
 * steps, and the table shows what each keeps of the recall and what it costs: accuracy next to chance, attention FLOPs
 * per example and their ratio to exact, training speed and memory. Also a PNG of accuracy against FLOPs and an HTML
 * report. Every model is a run directory under --out, so an interrupted demo resumes where it stopped.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The main job: learn associative recall (mqar) with exact attention at 256 tokens, continue with every attention at 1024, compare accuracy, FLOPs, speed and memory.")
public final class DemoCommand implements Callable<Integer> {
    static final String DEFAULT_ATTENTIONS = "exact,topk:k=32,tf:h=3,tf:h=7,beam=5,tc:h=12,beam=6,groups=siblings,countbias=1,linformer:k=128";
    static final String DEFAULT_SCHEDULE = "treeformer:h=4";
    static final int DEFAULT_HEADS = 2, LONG_BATCH = 16, LONG_STEPS = 100;
    static final double LONG_LR = 1e-3;

    @Option(names = "--attention", description = "Attentions to compare, comma-separated (default: " + DEFAULT_ATTENTIONS + ", and the schedule "
            + DEFAULT_SCHEDULE + " (TC for half the steps, then TF) as one more row unless --attention or --schedule is given).")
    AttentionList attentions;
    @Option(names = "--n", defaultValue = "1024", description = "Tokens per example for the comparison (default: ${DEFAULT-VALUE}).")
    int n;
    @Option(names = "--pretrain-n", defaultValue = "256", description = "Tokens per example while exact attention learns recall (default: ${DEFAULT-VALUE}).")
    int pretrainN;
    @Option(names = "--pretrain-steps", defaultValue = "600", description = "Steps at --pretrain-n (default: ${DEFAULT-VALUE}).")
    int pretrainSteps;
    @Option(names = "--pretrain-batch", defaultValue = "32", description = "Examples per step at --pretrain-n (default: ${DEFAULT-VALUE}).")
    int pretrainBatch;
    @Option(names = "--pretrain-lr", defaultValue = "3e-3", description = "Peak learning rate at --pretrain-n (default: ${DEFAULT-VALUE}).")
    double pretrainLr;
    @Option(names = "--out", defaultValue = "canopy-demo", description = "Output directory (default: ${DEFAULT-VALUE}); rerun to resume.")
    Path out;
    @Option(names = "--quiet", description = "No per-step progress.")
    boolean quiet;
    @Mixin TrainOptions options = new TrainOptions();
    @Mixin TaskOptions taskOptions = new TaskOptions();

    @Override
    public Integer call() throws IOException {
        long started = System.nanoTime();
        // Options are checked, and every model built once, before anything is generated or written.
        if (options.steps == null) options.steps = LONG_STEPS;
        if (options.batch == null) options.batch = LONG_BATCH;
        if (options.lr == null) options.lr = LONG_LR;
        if (options.heads == null) options.heads = DEFAULT_HEADS;
        options.validate();
        if (pretrainSteps < 1) throw new IllegalArgumentException("--pretrain-steps must be at least 1, got " + pretrainSteps);
        if (pretrainBatch < 1) throw new IllegalArgumentException("--pretrain-batch must be at least 1, got " + pretrainBatch);
        if (!(pretrainLr > 0 && pretrainLr < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("--pretrain-lr must be a positive number, got " + pretrainLr);
        if (pretrainN > n) throw new IllegalArgumentException("--pretrain-n " + pretrainN + " is longer than --n " + n + "; the comparison runs at the longer length");
        if (Files.exists(out) && !Files.isDirectory(out)) throw new IllegalArgumentException("--out " + out + " is a file, not a directory");
        if (options.schedule == null && attentions == null) options.schedule = DEFAULT_SCHEDULE;
        TrainConfig longTraining = options.training().toBuilder().treeformer(null).build();
        TrainConfig pretraining = longTraining.toBuilder().steps(pretrainSteps).warmup(Math.max(1, pretrainSteps / 10)).batchSize(pretrainBatch)
                .batchParts(Math.min(longTraining.batchParts(), pretrainBatch)).lr(pretrainLr).build();
        List<Contender> contenders = new ArrayList<>();
        for (AttentionSpec spec : (attentions != null ? attentions : AttentionList.parse(DEFAULT_ATTENTIONS)).specs()) contenders.add(new Contender(spec.toString(), spec, null));
        if (options.schedule != null) {
            TreeformerSchedule.Options plan = withPhases(options.schedule, (float) longTraining.lr(), longTraining.steps());
            contenders.add(new Contender(plan.label(), Attentions.parse("exact"), plan));
        }
        Contender exact = new Contender("exact", Attentions.parse("exact"), null);
        Cell pretrain = new Cell(exact, pretrainN, options.seed);
        Path pretrainDir = out.resolve("pretrain"), compareDir = out.resolve("compare");
        Planner pretrainPlans = new Planner(pretraining, null), comparePlans = new Planner(longTraining, pretrain.runIn(pretrainDir));
        pretrainPlans.check(pretrain);
        for (Contender c : contenders) comparePlans.check(new Cell(c, n, options.seed));

        ModelConfig shape = pretrainPlans.plan(pretrain).model();
        System.out.printf(Locale.ROOT, "canopy demo: multi-query associative recall (mqar, seed %d): model %d layers, width %d, %d heads, FFN %d, token shift%n",
                options.seed, shape.layers(), shape.dim(), shape.heads(), shape.ffnDim());
        System.out.printf(Locale.ROOT, "canopy demo: 1. exact attention learns recall at %d tokens: %d steps of %d, lr %.1e%n", pretrainN, pretrainSteps, pretrainBatch, pretrainLr);
        Map<String, Object> first = Json.parseObject(SweepCells.run("demo", pretrainDir, List.of(pretrain), pretrainPlans, quiet).get(0));
        System.out.printf(Locale.ROOT, "canopy demo: 2. every attention continues from that model at %d tokens: %d steps of %d, lr %.1e%n",
                n, longTraining.steps(), longTraining.batchSize(), longTraining.lr());
        List<Cell> cells = new ArrayList<>();
        for (Contender c : contenders) cells.add(new Cell(c, n, options.seed));
        List<String> lines = SweepCells.run("demo", compareDir, cells, comparePlans, quiet);
        AtomicFiles.writeString(out.resolve("results.jsonl"), String.join("\n", lines) + "\n");

        List<DemoReport.Row> rows = rows(lines);
        double chance = BenchRecords.number(Json.parseObject(lines.get(0)), "majority_accuracy");
        String table = table(rows, chance);
        System.out.println();
        System.out.printf(Locale.ROOT, "exact attention at %d tokens after step 1: test accuracy %.1f%%%n", pretrainN, 100 * BenchRecords.number(first, "accuracy"));
        System.out.print(table);
        Path png = out.resolve("accuracy-vs-flops.png");
        Path html = out.resolve("report.html");
        DemoReport.writePng(png, String.format(Locale.ROOT, "MQAR at %d tokens: test accuracy vs attention FLOPs per example", n), rows, chance);
        String setup = String.format(Locale.ROOT, "Multi-query associative recall (after Zoology): %s key-value pairs, then each key again as a query, vocabulary %s, "
                + "generated from seed %d. Model: %d layers, width %d, %d heads, FFN %d, learned positions, token shift. Step 1: exact attention at %d tokens, "
                + "%d steps of %d, AdamW peak lr %.1e (test accuracy %.1f%%). Step 2: each attention from that model at %d tokens (the position table's "
                + "first %d rows come from step 1), %d steps of %d, peak lr %.1e. Accuracy: the share of queries answered right on the test split; "
                + "chance is the most frequent answer. Attention FLOPs: forward, attention layers only, per test example.",
                taskOptions.pairs == null ? TaskOptions.DEFAULT_PAIRS : taskOptions.pairs, taskOptions.vocab == null ? TaskOptions.DEFAULT_VOCAB : taskOptions.vocab,
                options.seed, shape.layers(), shape.dim(), shape.heads(), shape.ffnDim(), pretrainN, pretrainSteps, pretrainBatch, pretrainLr,
                100 * BenchRecords.number(first, "accuracy"), n, pretrainN, longTraining.steps(), longTraining.batchSize(), longTraining.lr());
        DemoReport.writeHtml(html, png.getFileName().toString(), table, "./canopy demo", setup);
        AtomicFiles.writeString(out.resolve("table.txt"), table);
        System.out.printf(Locale.ROOT, "%ncanopy demo: finished in %.1f min (%.1f min of CPU time over %d cores). Outputs in %s:%n  %s (table)%n  %s (plot)%n  %s (report)%n  %s (one JSON line per attention)%n",
                (System.nanoTime() - started) / 60e9, processCpuSeconds() / 60, Runtime.getRuntime().availableProcessors(), out.toAbsolutePath(),
                out.resolve("table.txt"), png, html, out.resolve("results.jsonl"));
        return 0;
    }

    /** Builds the runs of one stage: mqar at the cell's length, the model with the cell's attention, this stage's training. */
    private final class Planner implements SweepCells.Planner {
        private final TrainConfig training;
        private final Path initFrom;

        Planner(TrainConfig training, Path initFrom) {
            this.training = training;
            this.initFrom = initFrom;
        }

        @Override
        public RunTrainer.Plan plan(Cell cell) throws IOException {
            TaskOptions t = new TaskOptions();
            t.n = cell.n();
            t.pairs = taskOptions.pairs;
            t.vocab = taskOptions.vocab;
            TaskData data = Tasks.load("mqar", options.preset, cell.seed(), t);
            ModelConfig model = options.model(data, cell.contender().attention());
            return new RunTrainer.Plan(new RunDirectory.TaskRef("mqar", options.preset.label(), cell.seed(), t.settings("mqar", options.preset)), data, model,
                    training.toBuilder().treeformer(cell.contender().schedule()).build());
        }

        @Override
        public Path initFrom(Cell cell) {
            return initFrom;
        }

        /** Builds the cell's model and trainer, so a bad option fails before anything is written. */
        void check(Cell cell) throws IOException {
            RunTrainer.Plan plan = plan(cell);
            new ModelMemory(plan.model()).check(plan.training().batchSize(), true, Runtime.getRuntime().maxMemory(), "--batch", null);
            new Trainer(new EncoderClassifier(plan.model()), plan.data(), plan.training());
        }
    }

    /** Table rows with each attention's FLOPs as a ratio to exact's (when exact ran). */
    private static List<DemoReport.Row> rows(List<String> lines) {
        double exactFlops = Double.NaN;
        for (String line : lines) {
            Map<String, Object> r = Json.parseObject(line);
            if (BenchRecords.text(r, "attention").equals("exact")) exactFlops = BenchRecords.number(r, "attention_flops");
        }
        List<DemoReport.Row> rows = new ArrayList<>();
        for (String line : lines) {
            Map<String, Object> r = Json.parseObject(line);
            double flops = BenchRecords.number(r, "attention_flops");
            rows.add(new DemoReport.Row(BenchRecords.text(r, "attention"), BenchRecords.number(r, "accuracy"), flops, flops / exactFlops,
                    BenchRecords.number(r, "tokens_per_second"), (long) BenchRecords.number(r, "working_bytes"), (long) BenchRecords.number(r, "peak_heap_bytes"),
                    BenchRecords.number(r, "train_seconds")));
        }
        return rows;
    }

    /**
     * A Treeformer schedule without phase lengths trains its trees with TC-Attention for the first half of the steps
     * (fitted on the exact model's keys) and with TF-Attention for the second: the model it starts from learned recall
     * with exact attention already.
     */
    static TreeformerSchedule.Options withPhases(String schedule, float lr, int steps) {
        TreeformerSchedule.Options plan = TreeformerSchedule.Options.parse(schedule, lr);
        var given = NamedOptions.parse("schedule", schedule).values().keySet();
        if (given.contains("dense") || given.contains("tc") || given.contains("tf")) return plan;
        return plan.withPhases(0, steps / 2, steps - steps / 2);
    }

    /** CPU time of this process (all threads), or NaN where the platform does not report it. */
    static double processCpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            return os.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    static String table(List<DemoReport.Row> rows, double chance) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-44s %9s %9s %14s %9s %11s %12s %13s %8s%n",
                "attention", "accuracy", "chance", "attn FLOPs/ex", "vs exact", "train tok/s", "attn mem MiB", "heap peak MiB", "train s"));
        for (DemoReport.Row r : rows) {
            String ratio = Double.isFinite(r.flopRatio()) ? String.format(Locale.ROOT, "%8.3fx", r.flopRatio()) : "       -"; // no exact row
            sb.append(String.format(Locale.ROOT, "%-44s %8.1f%% %8.1f%% %14s %9s %11.0f %12.1f %13.0f %8.0f%n",
                    r.attention(), 100 * r.accuracy(), 100 * chance, String.format(Locale.ROOT, "%.3g", r.flopsPerExample()), ratio, r.tokensPerSecond(),
                    r.attentionBytes() / 1048576.0, r.heapBytes() / 1048576.0, r.trainSeconds()));
        }
        return sb.toString();
    }
}
