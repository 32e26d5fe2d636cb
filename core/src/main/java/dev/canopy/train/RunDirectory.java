package dev.canopy.train;

import dev.canopy.io.AtomicFiles;
import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.io.JsonFields;
import dev.canopy.io.JsonLine;
import dev.canopy.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A training run's directory: task.json (which data), model.json, train.json, metrics.jsonl and the checkpoints. The
 * one place that reads and writes these files, for train, eval and sweeps; every error names the file it is about.
 */
public final class RunDirectory {
    public static final String TASK = "task.json";
    public static final String MODEL = "model.json";
    public static final String TRAIN = "train.json";
    public static final String METRICS = "metrics.jsonl";
    /** The checkpoint a warm-started run began from, so that restarting it before its first checkpoint begins there again. */
    public static final String WARM_START = "warm-start.json";

    /**
     * Which data a run trains on: the task, its size preset, the seed the data was generated or split with, and the
     * generator's own settings where the task has any (mqar's n, pairs, vocab), in the order given.
     */
    public record TaskRef(String task, String preset, long dataSeed, Map<String, Integer> settings) {
        public TaskRef {
            settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        }

        public TaskRef(String task, String preset, long dataSeed) {
            this(task, preset, dataSeed, Map.of());
        }

        String toJson() {
            JsonLine json = new JsonLine().put("task", task).put("preset", preset).put("data_seed", dataSeed);
            settings.forEach(json::put);
            return json.toString();
        }

        static TaskRef fromJson(JsonFields f) {
            Map<String, Integer> settings = new LinkedHashMap<>();
            for (String key : f.keys()) if (!key.equals("task") && !key.equals("preset") && !key.equals("data_seed")) settings.put(key, f.integer(key));
            return new TaskRef(f.string("task"), f.string("preset"), f.longValue("data_seed"), settings);
        }
    }

    private final Path dir;

    public RunDirectory(Path dir) {
        this.dir = dir;
    }

    /**
     * The run a checkpoint belongs to: the directory itself when it holds model.json, else its parent (a
     * ckpt-NNNNNNNN directory inside a run).
     */
    public static RunDirectory containing(Path runOrCheckpoint) {
        if (Files.isRegularFile(runOrCheckpoint.resolve(MODEL))) return new RunDirectory(runOrCheckpoint);
        Path parent = runOrCheckpoint.toAbsolutePath().getParent();
        if (parent != null && Files.isRegularFile(parent.resolve(MODEL))) return new RunDirectory(parent);
        throw new IllegalArgumentException(runOrCheckpoint + ": no " + MODEL + " here or in the parent; pass a run directory written by 'canopy train'");
    }

    public Path path() { return dir; }

    public Path metrics() { return dir.resolve(METRICS); }

    /** Whether a run was started here (its task file exists). */
    public boolean holdsRun() {
        return Files.exists(dir.resolve(TASK));
    }

    /** Starts a run: writes the three configuration files, each atomically. The values are already checked. */
    public void create(TaskRef task, ModelConfig model, TrainConfig training) throws IOException {
        create(task, model, training, null);
    }

    /** Starts a run warm-started from a checkpoint (or, with null, from its own initialisation), recording where from. */
    public void create(TaskRef task, ModelConfig model, TrainConfig training, Path warmStart) throws IOException {
        if (holdsRun()) throw new IllegalArgumentException("run directory " + dir + " already holds a run; pass --resume to continue it or choose another --out");
        Files.createDirectories(dir);
        if (warmStart != null) AtomicFiles.writeString(dir.resolve(WARM_START), new JsonLine().put("init_from", warmStart.toAbsolutePath().toString()) + "\n");
        AtomicFiles.writeString(dir.resolve(MODEL), model.toJson() + "\n");
        AtomicFiles.writeString(dir.resolve(TRAIN), training.toJson() + "\n");
        AtomicFiles.writeString(dir.resolve(TASK), task.toJson() + "\n"); // last: its presence marks a complete start
    }

    public TaskRef task() throws IOException {
        return read(TASK, TaskRef::fromJson);
    }

    public ModelConfig model() throws IOException {
        return read(MODEL, ModelConfig::fromJson);
    }

    public TrainConfig training() throws IOException {
        return read(TRAIN, TrainConfig::fromJson);
    }

    /** {@return the checkpoint this run was warm-started from, or null if it began from its own initialisation} */
    public Path warmStart() throws IOException {
        if (!Files.isRegularFile(dir.resolve(WARM_START))) return null;
        String from = read(WARM_START, f -> f.string("init_from"));
        return Path.of(from);
    }

    /** An attention spec read from a run's file, its problems named against that file. */
    public static AttentionSpec parsed(Path file, String spec) {
        try {
            return Attentions.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public Checkpoints checkpoints(SafetensorsStore store) {
        return new Checkpoints(dir, store);
    }

    private <T> T read(String name, Function<JsonFields, T> parse) throws IOException {
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(dir + " has no " + name + "; is it a run directory written by 'canopy train'?");
        return JsonFields.read(file).as(parse); // every problem, a spec the registry rejects too, names the file
    }
}
