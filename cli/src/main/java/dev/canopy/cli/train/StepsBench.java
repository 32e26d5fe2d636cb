package dev.canopy.cli.train;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.cli.bench.FmaPeak;
import dev.canopy.cli.bench.Timer;
import dev.canopy.cli.options.AttentionList;
import dev.canopy.cli.train.SweepCells.Cell;
import dev.canopy.cli.train.SweepCells.Contender;
import dev.canopy.io.JsonLine;
import dev.canopy.kernels.Parallel;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.train.Checkpoints;
import dev.canopy.train.ModelMemory;
import dev.canopy.train.SafetensorsStore;
import dev.canopy.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Times training steps of several attentions in turn inside one process: after a warm-up, each round gives every
 * attention about the same wall time of steps, one after the other, so a machine that slows down or speeds up between
 * rounds slows them alike. The steps are real training steps (the same batches, schedule and warm start as train and
 * sweep would use). Each attention's speed is reported as the first attention's median step time over its own, round
 * by round, and over the rounds as a median with its range. Prints JSON lines; writes nothing.
 */
@Command(name = "steps", mixinStandardHelpOptions = true,
        description = "Time training steps of several attentions in alternating rounds in one process (JSON lines: each round's median step, "
                + "then each attention's speed-up over the first, per seed).")
public final class StepsBench implements Callable<Integer> {
    @Option(names = "--task", description = "Task: " + Tasks.NAMES + " (default: ${DEFAULT-VALUE}).", defaultValue = "mqar")
    String task;
    @Option(names = "--attention", required = true, description = "Attentions, comma-separated; the first is the reference the others' speed-ups are against (e.g. exact,tf:h=10,beam=8).")
    AttentionList attentions;
    @Option(names = "--n", description = TaskOptions.N_HELP)
    Integer n;
    @Option(names = "--seeds", description = "Seeds: --seed, --seed + 1, ... (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    int seeds;
    @Option(names = "--init-from", description = "Warm start every model from a run, {seed} and {n} in the path put in, as sweep --init-from.")
    String initFrom;
    @Option(names = "--rounds", description = "Timed rounds per seed (default: ${DEFAULT-VALUE}).", defaultValue = "5")
    int rounds;
    @Option(names = "--round-seconds", description = "Wall time of steps each attention gets per round, at least one step (default: ${DEFAULT-VALUE}).", defaultValue = "10")
    double roundSeconds;
    @Option(names = "--warmup-steps", description = "Untimed steps per attention before the rounds: JIT compilation and the heap's growth (default: ${DEFAULT-VALUE}).", defaultValue = "3")
    int warmupSteps;
    @Mixin TrainOptions options = new TrainOptions();
    @Mixin TaskOptions taskOptions = new TaskOptions();

    @Override
    public Integer call() throws IOException {
        List<Contender> contenders = validate();
        System.out.println(FmaPeak.line(FmaPeak.measureGflops()));
        List<double[]> speedups = new ArrayList<>(); // per seed: each attention's median ratio
        for (int s = 0; s < seeds; s++) speedups.add(timeSeed(contenders, options.seed + s));
        if (seeds > 1) {
            for (int c = 1; c < contenders.size(); c++) {
                int at = c;
                double[] r = speedups.stream().mapToDouble(x -> x[at]).toArray();
                System.out.println(line("steps_speedup_over_seeds").put("attention", contenders.get(c).label())
                        .put("reference", contenders.get(0).label()).put("seeds", seeds).put("speedup_mean", SweepCommand.mean(r)).put("speedup_sd", SweepCommand.sd(r))
                        .put("speedup_min", Arrays.stream(r).min().orElseThrow()).put("speedup_max", Arrays.stream(r).max().orElseThrow()));
            }
        }
        System.out.println(FmaPeak.line(FmaPeak.measureGflops()));
        return 0;
    }

    /** Checks every option and warm start before anything runs; returns the attentions to time. */
    private List<Contender> validate() throws IOException {
        options.validate();
        Tasks.checkTask(task);
        if (options.schedule != null) throw new IllegalArgumentException("--schedule changes attention between phases; bench steps times fixed attentions only");
        if (n != null && n < 1) throw new IllegalArgumentException("--n must be at least 1, got " + n);
        if (seeds < 1) throw new IllegalArgumentException("--seeds must be at least 1, got " + seeds);
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
        if (!(roundSeconds > 0 && roundSeconds < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("--round-seconds must be a positive number, got " + roundSeconds);
        if (warmupSteps < 0) throw new IllegalArgumentException("--warmup-steps must be at least 0, got " + warmupSteps);
        int steps = options.training().steps();
        if (steps < warmupSteps + rounds) {
            throw new IllegalArgumentException("--steps " + steps + " leaves no step for some rounds: the warm-up takes " + warmupSteps
                    + " and each of the " + rounds + " rounds at least one; raise --steps (it sets the learning-rate schedule the steps follow)");
        }
        List<Contender> contenders = new ArrayList<>();
        for (AttentionSpec a : attentions.specs()) contenders.add(new Contender(a.toString(), a, null));
        for (Contender c : contenders) {
            // A batch that cannot fit fails here, before the FMA peak and any step (the model does not depend on the seed).
            RunTrainer.Plan plan = SweepCommand.plan(task, options, taskOptions, new Cell(c, n, options.seed));
            new ModelMemory(plan.model()).check(plan.training().batchSize(), true, Runtime.getRuntime().maxMemory(), "--batch", null);
            for (int s = 0; s < seeds; s++) {
                Path from = SweepCommand.initFrom(initFrom, new Cell(c, n, options.seed + s));
                if (from != null && !Files.isDirectory(from)) throw new IllegalArgumentException("--init-from: " + from + " is not a run or checkpoint directory");
            }
        }
        return contenders;
    }

    /** One seed's rounds; returns each attention's median speed-up over the first (the first's own is 1). */
    private double[] timeSeed(List<Contender> contenders, long seed) throws IOException {
        int count = contenders.size();
        Trainer[] trainers = new Trainer[count];
        int[] next = new int[count];
        for (int c = 0; c < count; c++) trainers[c] = trainer(contenders.get(c), seed);
        int steps = options.training().steps();
        for (int c = 0; c < count; c++) {
            System.err.printf("canopy bench steps: seed %d, %s: %d warm-up steps%n", seed, contenders.get(c).label(), warmupSteps);
            for (int i = 0; i < warmupSteps; i++) trainers[c].timedStep(next[c]++);
        }
        double[][] medians = new double[count][rounds];
        List<List<Double>> all = new ArrayList<>();
        for (int c = 0; c < count; c++) all.add(new ArrayList<>());
        int done = 0;
        for (int r = 0; r < rounds; r++) {
            boolean out = false;
            for (int c = 0; c < count; c++) {
                List<Double> times = new ArrayList<>();
                double spent = 0;
                do {
                    double t = trainers[c].timedStep(next[c]++);
                    times.add(t);
                    spent += t;
                } while (spent < roundSeconds && next[c] < steps);
                out |= next[c] >= steps;
                double[] t = times.stream().mapToDouble(Double::doubleValue).toArray();
                medians[c][r] = Timer.median(t);
                all.get(c).addAll(times);
                System.out.println(line("steps").put("attention", contenders.get(c).label())
                        .put("seed", seed).put("round", r + 1).put("steps", t.length).put("median_s", medians[c][r]).put("mean_s", Arrays.stream(t).average().orElseThrow())
                        .put("min_s", Arrays.stream(t).min().orElseThrow()).put("max_s", Arrays.stream(t).max().orElseThrow()).put("threads", Parallel.threads()));
            }
            done = r + 1;
            if (out && r + 1 < rounds) {
                System.err.printf("canopy bench steps: seed %d reached the run's last step (--steps %d) after round %d of %d; raise --steps for more%n", seed, steps, done, rounds);
                break;
            }
        }
        double[] speedup = new double[count];
        speedup[0] = 1;
        for (int c = 1; c < count; c++) {
            double[] ratios = new double[done];
            for (int r = 0; r < done; r++) ratios[r] = medians[0][r] / medians[c][r];
            speedup[c] = Timer.median(ratios);
            System.out.println(line("steps_speedup").put("attention", contenders.get(c).label())
                    .put("reference", contenders.get(0).label()).put("seed", seed).put("rounds", done).put("speedup", speedup[c])
                    .put("speedup_min", Arrays.stream(ratios).min().orElseThrow()).put("speedup_max", Arrays.stream(ratios).max().orElseThrow())
                    .put("step_s", Timer.median(all.get(c).stream().mapToDouble(Double::doubleValue).toArray()))
                    .put("reference_step_s", Timer.median(all.get(0).stream().mapToDouble(Double::doubleValue).toArray())));
        }
        return speedup;
    }

    /** A trainer for one attention at one seed: the model built as sweep builds a cell's, warm-started when asked. */
    private Trainer trainer(Contender contender, long seed) throws IOException {
        Cell cell = new Cell(contender, n, seed);
        RunTrainer.Plan plan = SweepCommand.plan(task, options, taskOptions, cell);
        EncoderClassifier model = new EncoderClassifier(plan.model());
        Trainer trainer = new Trainer(model, plan.data(), plan.training());
        Path from = SweepCommand.initFrom(initFrom, cell);
        if (from != null) {
            List<String> fresh = Checkpoints.loadMatching(from, model, new SafetensorsStore());
            // Standard error: standard output carries only the JSON lines.
            System.err.println("canopy bench steps: " + contender.label() + " warm-started from " + from + "; freshly initialised: "
                    + (fresh.isEmpty() ? "nothing" : String.join(", ", fresh)));
        }
        return trainer;
    }

    /** A result line naming the bench, the task and the length (when --n sets it). */
    private JsonLine line(String bench) {
        JsonLine line = new JsonLine().put("bench", bench).put("task", task);
        return n == null ? line : line.put("n", n);
    }
}
