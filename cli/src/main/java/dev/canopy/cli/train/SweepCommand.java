package dev.canopy.cli.train;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.cli.options.AttentionList;
import dev.canopy.cli.report.BenchRecords;
import dev.canopy.cli.report.ReportCommand;
import dev.canopy.cli.train.SweepCells.Cell;
import dev.canopy.cli.train.SweepCells.Contender;
import dev.canopy.data.TaskData;
import dev.canopy.io.AtomicFiles;
import dev.canopy.io.Json;
import dev.canopy.io.JsonFields;
import dev.canopy.io.JsonLine;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.train.RunDirectory;
import dev.canopy.train.TrainConfig;
import dev.canopy.train.Trainer;
import dev.canopy.train.TreeformerSchedule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Trains every attention (and the Treeformer schedule, if given) at every length for several seeds, each cell its own
 * run directory: a rerun skips finished cells and resumes unfinished ones. Prints a progress line per cell and a table
 * of mean and standard deviation over seeds; writes results.jsonl (a line per cell) and plots of accuracy against n and
 * against training time.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Train every attention at every length for several seeds (a run directory per cell; rerun to resume), then a table and plots.")
public final class SweepCommand implements Callable<Integer> {
    @Option(names = "--task", description = "Task: " + Tasks.NAMES + " (default: ${DEFAULT-VALUE}).", defaultValue = "mqar")
    String task;
    @Option(names = "--attention", description = "Attentions, comma-separated (default: exact unless only --schedule is given).")
    AttentionList attentions;
    @Option(names = "--n", split = ",", description = "Sequence lengths, comma-separated; " + TaskOptions.N_HELP)
    List<Integer> lengths;
    @Option(names = "--seeds", description = "Seeds per cell: --seed, --seed + 1, ... (default: ${DEFAULT-VALUE}).", defaultValue = "3")
    int seeds;
    @Option(names = "--out", description = "Sweep directory: a run directory per cell, results.jsonl, plots (default: sweeps/<task>).")
    Path out;
    @Option(names = "--quiet", description = "No per-step progress (the line per cell stays).")
    boolean quiet;
    @Mixin TrainOptions options = new TrainOptions();
    @Mixin TaskOptions taskOptions = new TaskOptions();

    @Option(names = "--init-from", description = "Warm start every cell from another run, e.g. a shorter-length sweep's cell: "
            + "{seed} and {n} in the path become the cell's (sweeps/mqar-256/exact/n256/seed{seed}); see train --init-from.")
    String initFrom;

    @Override
    public Integer call() throws IOException {
        // Everything is checked before the first cell starts.
        options.validate();
        Tasks.checkTask(task);
        if (seeds < 1) throw new IllegalArgumentException("--seeds must be at least 1, got " + seeds);
        List<Integer> ns = lengths == null ? java.util.Collections.singletonList(null) : lengths;
        for (Integer n : ns) if (n != null && n < 1) throw new IllegalArgumentException("--n values must be at least 1, got " + n);
        Path dir = out != null ? out : Path.of("sweeps", task);
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IllegalArgumentException("--out " + dir + " is a file, not a directory");
        List<Contender> contenders = contenders();
        List<Cell> cells = new ArrayList<>();
        for (Contender c : contenders) for (Integer n : ns) for (int s = 0; s < seeds; s++) cells.add(new Cell(c, n, options.seed + s));
        check(contenders, ns.get(0)); // a bad model or training option fails here, before anything is written
        for (Cell cell : cells) {
            Path from = initFrom(cell);
            if (from != null && !Files.isDirectory(from)) throw new IllegalArgumentException("--init-from: " + from + " (for " + cell.describe() + ") is not a run or checkpoint directory");
        }

        List<String> lines = SweepCells.run("sweep", dir, cells, new SweepCells.Planner() {
            @Override
            public RunTrainer.Plan plan(Cell cell) throws IOException {
                return SweepCommand.this.plan(cell);
            }

            @Override
            public Path initFrom(Cell cell) {
                return SweepCommand.this.initFrom(cell);
            }
        }, quiet);
        List<Map<String, Object>> results = new ArrayList<>();
        for (String line : lines) results.add(Json.parseObject(line));
        AtomicFiles.writeString(dir.resolve("results.jsonl"), String.join("\n", lines) + "\n");
        String table = table(results);
        System.out.println();
        System.out.print(table);
        AtomicFiles.writeString(dir.resolve("table.txt"), table);
        ReportCommand.write(new BenchRecords(results), dir.resolve("results.jsonl").toString(), "<pre>" + escape(table) + "</pre>\n", dir);
        System.out.println("canopy sweep: " + dir.toAbsolutePath() + " (results.jsonl, table.txt, index.html, a run directory per cell)");
        return 0;
    }

    private List<Contender> contenders() {
        List<Contender> list = new ArrayList<>();
        List<AttentionSpec> specs = attentions != null ? attentions.specs() : options.schedule != null ? List.of() : List.of(Attentions.parse("exact"));
        for (AttentionSpec a : specs) list.add(new Contender(a.toString(), a, null));
        if (options.schedule != null) {
            TreeformerSchedule.Options plan = options.training().treeformer();
            list.add(new Contender(plan.label(), Attentions.parse("exact"), plan));
        }
        return list;
    }

    /** Builds every contender's model and trainer once (the first length's data), so any that cannot be built fails first. */
    private void check(List<Contender> contenders, Integer n) throws IOException {
        for (Contender c : contenders) {
            RunTrainer.Plan plan = plan(new Cell(c, n, options.seed));
            new Trainer(new EncoderClassifier(plan.model()), plan.data(), plan.training());
        }
    }

    private RunTrainer.Plan plan(Cell cell) throws IOException {
        return plan(task, options, taskOptions, cell);
    }

    /** A new cell's run: the task at the cell's length and seed, the model with its attention, the training. */
    static RunTrainer.Plan plan(String task, TrainOptions options, TaskOptions taskOptions, Cell cell) throws IOException {
        TaskOptions t = new TaskOptions();
        t.n = cell.n();
        t.pairs = taskOptions.pairs;
        t.vocab = taskOptions.vocab;
        TaskData data = Tasks.load(task, options.preset, cell.seed(), t);
        long keep = options.seed;
        options.seed = cell.seed();
        try {
            ModelConfig model = options.model(data, cell.contender().attention());
            TrainConfig training = options.training().toBuilder().treeformer(cell.contender().schedule()).build();
            return new RunTrainer.Plan(new RunDirectory.TaskRef(task, options.preset.label(), cell.seed(), t.settings(task, options.preset)), data, model, training);
        } finally {
            options.seed = keep;
        }
    }

    private Path initFrom(Cell cell) {
        return initFrom(initFrom, cell);
    }

    /** The run a cell warm-starts from: the --init-from pattern with the cell's seed and length put in (null without one). */
    static Path initFrom(String pattern, Cell cell) {
        if (pattern == null) return null;
        return Path.of(pattern.replace("{seed}", Long.toString(cell.seed())).replace("{n}", cell.n() == null ? "" : cell.n().toString()));
    }

    /** Mean and standard deviation over seeds per attention and n, with FLOPs and training time beside them. */
    static String table(List<Map<String, Object>> results) {
        Map<String, List<Map<String, Object>>> groups = new LinkedHashMap<>();
        for (Map<String, Object> r : results) {
            groups.computeIfAbsent(BenchRecords.text(r, "attention") + "\u0000" + (long) BenchRecords.number(r, "n"), k -> new ArrayList<>()).add(r);
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-44s %7s %6s %16s %13s %12s%n", "attention", "n", "seeds", "accuracy", "attn FLOPs/ex", "train s"));
        groups.forEach((key, rs) -> {
            double[] acc = rs.stream().mapToDouble(r -> BenchRecords.number(r, "accuracy")).toArray();
            double mean = mean(acc), sd = sd(acc);
            double flops = rs.stream().mapToDouble(r -> BenchRecords.number(r, "attention_flops")).average().orElse(Double.NaN);
            double seconds = rs.stream().mapToDouble(r -> BenchRecords.number(r, "train_seconds")).average().orElse(Double.NaN);
            long n = (long) BenchRecords.number(rs.get(0), "n");
            b.append(String.format(Locale.ROOT, "%-44s %7s %6d %7.1f%% ± %4.1f %13.3g %12.0f%n", BenchRecords.text(rs.get(0), "attention"),
                    n < 0 ? "-" : Long.toString(n), rs.size(), 100 * mean, 100 * sd, flops, seconds));
        });
        return b.toString();
    }

    /** The mean over seeds (NaN for none). */
    static double mean(double[] x) {
        return java.util.Arrays.stream(x).average().orElse(Double.NaN);
    }

    /** The sample standard deviation over seeds (0 for fewer than two). */
    static double sd(double[] x) {
        double m = mean(x);
        return x.length < 2 ? 0 : Math.sqrt(java.util.Arrays.stream(x).map(v -> (v - m) * (v - m)).sum() / (x.length - 1));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
