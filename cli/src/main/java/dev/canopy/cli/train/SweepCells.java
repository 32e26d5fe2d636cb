package dev.canopy.cli.train;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.io.AtomicFiles;
import dev.canopy.io.JsonFields;
import dev.canopy.io.JsonLine;
import dev.canopy.train.RunDirectory;
import dev.canopy.train.TreeformerSchedule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Trains a list of cells (a contender at one length and seed), each in its own run directory under one folder, for
 * sweep and demo: a finished cell (its result.json written) is read back, an unfinished one resumed, a new one
 * started, optionally warm-started from another run. Returns one result line (JSON) per cell.
 */
public final class SweepCells {
    static final String RESULT = "result.json";

    /** One row of a sweep: an attention throughout, or the Treeformer schedule. */
    record Contender(String label, AttentionSpec attention, TreeformerSchedule.Options schedule) {}

    /** One cell: a contender at one length (null: the task's own) and seed. */
    record Cell(Contender contender, Integer n, long seed) {
        String describe() {
            return contender.label() + (n == null ? "" : " n=" + n) + " seed=" + seed;
        }

        /** Where the cell's run lives under a sweep folder: contender/nN/seedS. */
        Path runIn(Path dir) {
            return dir.resolve(safe(contender.label())).resolve(n == null ? "default" : "n" + n).resolve("seed" + seed);
        }
    }

    /** What a new cell trains: its plan, and the run it starts from (null: fresh initialisation). */
    interface Planner {
        RunTrainer.Plan plan(Cell cell) throws IOException;

        default Path initFrom(Cell cell) {
            return null;
        }
    }

    private SweepCells() {}

    static List<String> run(String command, Path dir, List<Cell> cells, Planner planner, boolean quiet) throws IOException {
        List<String> results = new ArrayList<>();
        for (int i = 0; i < cells.size(); i++) {
            Cell cell = cells.get(i);
            RunDirectory run = new RunDirectory(cell.runIn(dir));
            Path result = run.path().resolve(RESULT);
            String prefix = String.format(Locale.ROOT, "canopy %s: cell %d/%d %s", command, i + 1, cells.size(), cell.describe());
            String line;
            if (Files.isRegularFile(result)) {
                checkSameRun(run, planner.plan(cell));
                line = Files.readString(result).strip();
                System.out.println(prefix + ": done before, " + summary(JsonFields.parse(line, result.toString())));
            } else {
                long t0 = System.nanoTime();
                boolean resumed = run.holdsRun();
                if (resumed) checkSameRun(run, planner.plan(cell));
                System.out.println(prefix + (resumed ? ": resuming" : ": training"));
                RunTrainer.Outcome o = resumed ? RunTrainer.resume(run, null, cell.contender().label(), quiet)
                        : RunTrainer.start(run, planner.plan(cell), planner.initFrom(cell), cell.contender().label(), quiet);
                JsonLine r = resultLine(cell, o, run.task());
                Path from = planner.initFrom(cell);
                line = (from == null ? r : r.put("init_from", from.toString())).toString();
                AtomicFiles.writeString(result, line + "\n");
                System.out.printf(Locale.ROOT, "%s: %s (%.0f s)%n", prefix, summary(JsonFields.parse(line, result.toString())), (System.nanoTime() - t0) / 1e9);
            }
            results.add(line);
        }
        return results;
    }

    /**
     * A cell found on disk must have been started with this plan: a finished one's result, or a resumed one's run,
     * would otherwise answer for options the command line no longer gives.
     */
    private static void checkSameRun(RunDirectory run, RunTrainer.Plan plan) throws IOException {
        List<String> differ = new ArrayList<>();
        if (!run.task().equals(plan.task())) differ.add(RunDirectory.TASK);
        if (!run.model().equals(plan.model())) differ.add(RunDirectory.MODEL);
        if (!run.training().equals(plan.training())) differ.add(RunDirectory.TRAIN);
        if (!differ.isEmpty()) {
            throw new IllegalArgumentException(run.path() + " was started with other options (its " + String.join(", ", differ)
                    + " differ from this command line's); rerun with the options it was started with, or choose another --out");
        }
    }

    private static JsonLine resultLine(Cell cell, RunTrainer.Outcome o, RunDirectory.TaskRef ref) {
        Integer n = ref.settings().get("n");
        return new JsonLine().put("bench", "sweep").put("task", ref.task()).put("attention", cell.contender().label())
                .put("n", n == null ? -1 : n).put("seed", cell.seed()).put("accuracy", o.test().accuracy())
                .put("valid_accuracy", o.training().validAccuracy()).put("majority_accuracy", o.majorityAccuracy())
                .put("attention_flops", o.test().attentionFlopsPerExample()).put("train_attention_flops_per_example", o.training().attentionFlopsPerExample())
                .put("train_seconds", o.training().trainSeconds()).put("tokens_per_second", o.training().tokensPerSecond())
                .put("steps", o.steps()).put("working_bytes", Math.max(o.training().attentionWorkingBytes(), o.test().attentionWorkingBytes()))
                .put("peak_heap_bytes", o.training().peakHeapBytes());
    }

    private static String summary(JsonFields result) {
        return String.format(Locale.ROOT, "test accuracy %.1f%%, %.0f s training", 100 * result.real("accuracy"), result.real("train_seconds"));
    }

    static String safe(String label) {
        return label.replaceAll("[^A-Za-z0-9=.]+", "_");
    }
}
