package dev.canopy.cli;

import com.sun.management.OperatingSystemMXBean;
import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.config.NamedOptions;
import dev.canopy.data.Sample;
import dev.canopy.io.JsonLine;
import dev.canopy.data.ListOps;
import dev.canopy.data.TaskData;
import dev.canopy.io.AtomicFiles;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.train.MetricsLog;
import dev.canopy.train.ModelMemory;
import dev.canopy.train.Progress;
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
 * The main job: generate a small ListOps set, train the same model with each attention for the same budget, and
 * print one table (accuracy, majority baseline, attention FLOPs per example and ratio to exact, training tokens/s,
 * memory), plus a PNG of accuracy against FLOPs and an HTML report.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The main job: train the same model on ListOps with every attention and compare accuracy, FLOPs, speed and memory.")
public final class DemoCommand implements Callable<Integer> {
    static final String DEFAULT_ATTENTIONS = "exact,topk:k=32,tf:h=6,linformer:k=8";
    static final String DEFAULT_SCHEDULE = "treeformer:h=4";

    @Option(names = "--attention", description = "Attentions to compare, comma-separated (default: " + DEFAULT_ATTENTIONS + ", and the schedule "
            + DEFAULT_SCHEDULE + " as one more row unless --attention or --schedule is given).")
    AttentionList attentions;
    @Option(names = "--out", defaultValue = "canopy-demo", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--quiet", description = "No per-step progress.")
    boolean quiet;
    @Option(names = "--test-examples", defaultValue = "1000", description = "Test examples to evaluate on, at most 1000 (default: ${DEFAULT-VALUE}).")
    int testExamples;
    @Mixin TrainOptions options = new TrainOptions();

    /** One row of the table: a model with one attention throughout, or one trained on a Treeformer schedule. */
    private record Contender(String label, ModelConfig model, TrainConfig training) {}

    @Override
    public Integer call() throws IOException {
        long started = System.nanoTime();
        // Options are checked before anything is generated or written.
        options.validate();
        if (testExamples < 1) throw new IllegalArgumentException("--test-examples must be >= 1, got " + testExamples);
        if (Files.exists(out) && !Files.isDirectory(out)) throw new IllegalArgumentException("--out " + out + " is a file, not a directory");
        if (options.schedule == null && attentions == null) options.schedule = DEFAULT_SCHEDULE;
        List<AttentionSpec> specs = (attentions != null ? attentions : AttentionList.parse(DEFAULT_ATTENTIONS)).specs();
        String preset = options.preset;
        TrainConfig train = withoutSchedule(options.training());
        int steps = train.steps();
        TreeformerSchedule.Options plan = options.schedule == null ? null : withPhases(options.schedule, (float) train.lr(), steps);
        long seed = options.seed;
        System.out.println("canopy demo: generating the ListOps " + preset + " set (the LRA generator, brackets kept; seed " + seed + ")");
        TaskData data = Tasks.load("listops", preset, seed);
        ModelConfig base = options.model(data, Attentions.parse("exact"));
        new ModelMemory(base).check(train.batchSize(), true, Runtime.getRuntime().maxMemory(), "--batch");
        Files.createDirectories(out);
        List<Sample> test = data.test().subList(0, Math.min(testExamples, data.test().size()));
        double majority = data.majorityAccuracy(test);
        List<Contender> contenders = new ArrayList<>();
        for (AttentionSpec spec : specs) contenders.add(new Contender(spec.toString(), base.withAttention(spec), train));
        if (plan != null) contenders.add(new Contender(plan.label(), base, train.toBuilder().treeformer(plan).build()));
        int batch = train.batchSize();
        double lr = train.lr();
        System.out.printf(Locale.ROOT, "canopy demo: model %d layers, width %d, %d heads, FFN %d, mean pooling; %d steps of %d examples, AdamW lr %.1e cosine%n",
                base.layers(), base.dim(), base.heads(), base.ffnDim(), steps, batch, lr);

        List<DemoReport.Row> rows = new ArrayList<>();
        double exactFlops = Double.NaN;
        try (MetricsLog log = MetricsLog.open(out.resolve("results.jsonl"))) {
            for (Contender c : contenders) {
                String spec = c.label();
                EncoderClassifier model = new EncoderClassifier(c.model());
                long runStart = System.nanoTime();
                Trainer.Result r = new Trainer(model, data, c.training()).run(0, null, Map.of(), MetricsLog.none(), Progress.console(padRight(spec, 14), quiet));
                Trainer.Evaluation ev = Trainer.evaluate(model, test, batch, train.padMultiple());
                if (spec.equals("exact")) exactFlops = ev.attentionFlopsPerExample();
                DemoReport.Row row = new DemoReport.Row(spec, null, ev.accuracy(), ev.attentionFlopsPerExample(), Double.NaN,
                        r.tokensPerSecond(), Math.max(r.attentionWorkingBytes(), ev.attentionWorkingBytes()), r.peakHeapBytes(), r.trainSeconds());
                rows.add(row);
                log.write(new JsonLine().put("attention", spec).put("test_accuracy", ev.accuracy()).put("majority_accuracy", majority)
                        .put("attention_flops_per_example", ev.attentionFlopsPerExample()).put("train_tokens_per_second", r.tokensPerSecond())
                        .put("attention_working_bytes", row.attentionBytes()).put("peak_heap_bytes", r.peakHeapBytes())
                        .put("train_seconds", r.trainSeconds()).put("steps", steps).put("batch", batch).put("seed", seed));
                System.out.printf(Locale.ROOT, "canopy demo: %s done in %.0f s (training and test): test accuracy %.1f%%%n", spec,
                        (System.nanoTime() - runStart) / 1e9, 100 * ev.accuracy());
            }
        }
        List<DemoReport.Row> withRatios = new ArrayList<>();
        for (DemoReport.Row r : rows) {
            withRatios.add(r.ran() ? new DemoReport.Row(r.attention(), null, r.accuracy(), r.flopsPerExample(), r.flopsPerExample() / exactFlops,
                    r.tokensPerSecond(), r.attentionBytes(), r.heapBytes(), r.trainSeconds()) : r);
        }
        String table = table(withRatios, majority);
        System.out.println();
        System.out.print(table);
        Path png = out.resolve("accuracy-vs-flops.png");
        Path html = out.resolve("report.html");
        DemoReport.writePng(png, "ListOps (" + preset + " set): test accuracy vs attention FLOPs per example", withRatios, majority);
        String setup = String.format(Locale.ROOT, "ListOps %s set (LRA generator with brackets kept, lengths %d..%d, %d train / %d test examples, seed %d). "
                + "Model: %d layers, width %d, %d heads, FFN %d, mean pooling. Training: %d steps of %d examples, AdamW, peak lr %.1e, cosine decay. "
                + "Attention FLOPs are forward, attention layer only (projections excluded), averaged over the test set.",
                preset, ListOps.preset(preset).minLength() + 1, ListOps.preset(preset).maxLength() - 1, data.train().size(), test.size(), seed, base.layers(), base.dim(), base.heads(), base.ffnDim(), steps, batch, lr);
        DemoReport.writeHtml(html, png.getFileName().toString(), table, "./canopy demo" , setup);
        AtomicFiles.writeString(out.resolve("table.txt"), table);
        double cpuMinutes = processCpuSeconds() / 60;
        System.out.printf(Locale.ROOT, "%ncanopy demo: finished in %.1f min (%.1f min of CPU time over %d cores). Outputs in %s:%n  %s (table)%n  %s (plot)%n  %s (report)%n  %s (one JSON line per attention)%n",
                (System.nanoTime() - started) / 60e9, cpuMinutes, Runtime.getRuntime().availableProcessors(), out.toAbsolutePath(), out.resolve("table.txt"), png, html, out.resolve("results.jsonl"));
        return 0;
    }

    /**
     * A Treeformer schedule without phase lengths trains dense for the first half of the demo's steps and with
     * TC-Attention (trees fitted on the dense model's keys) for the second.
     */
    static TreeformerSchedule.Options withPhases(String schedule, float lr, int steps) {
        TreeformerSchedule.Options plan = TreeformerSchedule.Options.parse(schedule, lr);
        var given = NamedOptions.parse("schedule", schedule).values().keySet();
        if (given.contains("dense") || given.contains("tc") || given.contains("tf")) return plan;
        return plan.withPhases(steps / 2, steps - steps / 2, 0);
    }

    private static TrainConfig withoutSchedule(TrainConfig t) {
        return t.toBuilder().treeformer(null).build();
    }

    /** CPU time of this process (all threads), or NaN where the platform does not report it. */
    static double processCpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            return os.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    static String table(List<DemoReport.Row> rows, double majority) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-38s %9s %9s %14s %9s %11s %12s %13s%n",
                "attention", "accuracy", "majority", "attn FLOPs/ex", "vs exact", "train tok/s", "attn mem MiB", "heap peak MiB"));
        for (DemoReport.Row r : rows) {
            if (!r.ran()) {
                sb.append(String.format(Locale.ROOT, "%-38s skipped: %s%n", r.attention(), r.skipped()));
                continue;
            }
            String ratio = Double.isFinite(r.flopRatio()) ? String.format(Locale.ROOT, "%8.3fx", r.flopRatio()) : "       -"; // no exact row
            sb.append(String.format(Locale.ROOT, "%-38s %8.1f%% %8.1f%% %14s %9s %11.0f %12.1f %13.0f%n",
                    r.attention(), 100 * r.accuracy(), 100 * majority, sci(r.flopsPerExample()), ratio, r.tokensPerSecond(),
                    r.attentionBytes() / 1048576.0, r.heapBytes() / 1048576.0));
        }
        return sb.toString();
    }

    private static String sci(double x) {
        return String.format(Locale.ROOT, "%.3g", x);
    }

    private static String padRight(String s, int n) {
        return s.length() >= n ? s : s + " ".repeat(n - s.length());
    }
}
