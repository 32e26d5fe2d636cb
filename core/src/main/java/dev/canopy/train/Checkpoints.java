package dev.canopy.train;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.io.Finite;
import dev.canopy.io.Json;
import dev.canopy.io.JsonLine;
import dev.canopy.model.ModelConfig;
import dev.canopy.model.SequenceClassifier;
import dev.canopy.nn.Parameter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A run's checkpoints: {@code ckpt-NNNNNNNN/} directories holding model.safetensors (the weights), optimizer.safetensors
 * (AdamW moments; trainer state in its metadata) and state.json (the same state, for people). Each is written into a
 * hidden temporary directory that is renamed into place in one atomic step, so a crash leaves either the old
 * checkpoint or the new one, never half of one. Older checkpoints, and temporaries a crash left behind, are removed
 * after a new one is in place (and on restore). Metadata is written in sorted key order, so the same training state
 * always gives the same bytes.
 */
public final class Checkpoints {
    public static final String MODEL = "model.safetensors";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "state.json";
    /** Metadata key: the spec of the attention the model had when the checkpoint was written. */
    public static final String ATTENTION = "attention";
    /** A complete checkpoint directory; a dot, the same name and a suffix is its temporary while being written. */
    private static final String DIR_PATTERN = "ckpt-\\d{8}";
    private static final String TEMPORARY_PATTERN = "\\.ckpt-\\d{8}.*";

    private final Path runDir;
    private final SafetensorsStore store;

    public Checkpoints(Path runDir, SafetensorsStore store) {
        this.runDir = runDir;
        this.store = store;
    }

    public Path runDir() { return runDir; }

    public Path save(int step, SequenceClassifier model, AdamW optimizer, Map<String, String> info) throws IOException {
        Files.createDirectories(runDir);
        String name = String.format("ckpt-%08d", step);
        // One fixed temporary name per step: a crash leaves it behind, and the next save or a resume removes it.
        Path tmp = runDir.resolve("." + name + ".tmp");
        if (Files.exists(tmp)) deleteTree(tmp);
        Files.createDirectory(tmp);
        Map<String, String> meta = new TreeMap<>(info);
        meta.put("step", Integer.toString(step));
        meta.put("adam_steps", Long.toString(optimizer.steps()));
        Map<String, SafetensorsStore.Tensor> weights = new LinkedHashMap<>();
        Map<String, SafetensorsStore.Tensor> moments = new LinkedHashMap<>();
        int i = 0;
        for (var e : model.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            weights.put(e.getKey(), new SafetensorsStore.Tensor(p.shape, p.data));
            moments.put("m." + e.getKey(), new SafetensorsStore.Tensor(p.shape, optimizer.firstMoment(i)));
            moments.put("v." + e.getKey(), new SafetensorsStore.Tensor(p.shape, optimizer.secondMoment(i)));
            i++;
        }
        store.write(tmp.resolve(MODEL), weights, meta);
        store.write(tmp.resolve(OPTIMIZER), moments, meta);
        JsonLine state = new JsonLine();
        meta.forEach(state::put);
        Files.writeString(tmp.resolve(STATE), state + "\n", StandardCharsets.UTF_8);
        Path target = runDir.resolve(name);
        if (Files.exists(target)) deleteTree(target);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        for (Path old : list()) if (!old.equals(target)) deleteTree(old);
        removeTemporaries();
        return target;
    }

    /** Removes the hidden temporaries of checkpoints whose writing a crash interrupted. */
    public void removeTemporaries() throws IOException {
        if (!Files.isDirectory(runDir)) return;
        try (var s = Files.list(runDir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches(TEMPORARY_PATTERN)).toList()) deleteTree(p);
        }
    }

    /** The newest complete checkpoint directory, if any. */
    public Optional<Path> latest() throws IOException {
        List<Path> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** The step of the newest complete checkpoint (from its directory name), if any. */
    public Optional<Integer> latestStep() throws IOException {
        return latest().map(Checkpoints::stepOfDir);
    }

    /** The step of a checkpoint directory, or of a run directory's newest checkpoint (as loadWeights picks it). */
    public static int stepOf(Path dirOrRun, SafetensorsStore store) throws IOException {
        Path dir = checkpointDir(dirOrRun, store);
        if (!dir.getFileName().toString().matches(DIR_PATTERN)) throw new IOException(dir + " is not a ckpt-NNNNNNNN checkpoint directory");
        return stepOfDir(dir);
    }

    private static int stepOfDir(Path dir) {
        return Integer.parseInt(dir.getFileName().toString().substring("ckpt-".length()));
    }

    /**
     * Restores weights and optimizer state from the newest checkpoint; returns its metadata, whose "step" is checked to
     * be the directory's step. Temporaries of an interrupted save are removed first.
     */
    public Map<String, String> restore(SequenceClassifier model, AdamW optimizer) throws IOException {
        removeTemporaries();
        Path dir = latest().orElseThrow(() -> new IOException("no checkpoint to resume from in " + runDir));
        Map<String, String> meta = loadWeights(dir, model, store);
        long step = count(meta, "step", dir.resolve(MODEL));
        if (step != stepOfDir(dir)) throw new IOException(dir.resolve(MODEL) + ": its metadata says step " + step + " but the directory is " + dir.getFileName());
        SafetensorsStore.Loaded opt = store.read(dir.resolve(OPTIMIZER));
        List<Parameter> params = new ArrayList<>(model.namedParameters().values());
        float[][] m = new float[params.size()][], v = new float[params.size()][];
        int i = 0;
        for (String key : model.namedParameters().keySet()) {
            m[i] = Finite.require(require(opt, "m." + key, dir), dir.resolve(OPTIMIZER), "m." + key);
            v[i] = Finite.require(require(opt, "v." + key, dir), dir.resolve(OPTIMIZER), "v." + key);
            i++;
        }
        try {
            optimizer.restore(count(opt.metadata(), "adam_steps", dir.resolve(OPTIMIZER)), m, v);
        } catch (IllegalArgumentException e) {
            throw new IOException(dir.resolve(OPTIMIZER) + ": " + e.getMessage());
        }
        return meta;
    }

    /** A whole number >= 0 from checkpoint metadata, or an IOException naming the file and the key. */
    public static long count(Map<String, String> meta, String key, Path file) throws IOException {
        String v = meta.get(key);
        if (v == null) throw new IOException(file + ": checkpoint metadata has no \"" + key + "\" (not a checkpoint written by canopy train?)");
        try {
            long n = Long.parseLong(v.strip());
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IOException(file + ": checkpoint metadata \"" + key + "\" is \"" + v + "\", not a whole number >= 0");
    }

    /** Loads model weights from a checkpoint directory (or a run directory: its newest checkpoint). */
    public static Map<String, String> loadWeights(Path dirOrRun, SequenceClassifier model, SafetensorsStore store) throws IOException {
        Path dir = checkpointDir(dirOrRun, store);
        SafetensorsStore.Loaded loaded = store.read(dir.resolve(MODEL));
        for (var e : model.namedParameters().entrySet()) {
            float[] data = require(loaded, e.getKey(), dir);
            if (data.length != e.getValue().size()) throw new IOException(dir.resolve(MODEL) + ": tensor " + e.getKey() + " has " + data.length + " values, the model needs " + e.getValue().size());
            Finite.require(data, dir.resolve(MODEL), e.getKey());
            System.arraycopy(data, 0, e.getValue().data, 0, data.length);
        }
        return loaded.metadata();
    }

    /**
     * Warm start: copies every tensor of the checkpoint whose name and size match a model parameter (e.g. a dense
     * model's weights into a model with tree attention, whose trees keep their fresh initialisation). A learned position
     * table from a model of shorter sequences fills the first rows of a longer one (a run at length 256 warm-starts one
     * at 1024; later positions keep their initialisation). Returns the names of the model parameters that were not (or,
     * for such a table, only partly) in the checkpoint.
     */
    public static List<String> loadMatching(Path dirOrRun, SequenceClassifier model, SafetensorsStore store) throws IOException {
        Path dir = checkpointDir(dirOrRun, store);
        SafetensorsStore.Loaded loaded = store.read(dir.resolve(MODEL));
        List<String> missing = new ArrayList<>();
        for (var e : model.namedParameters().entrySet()) {
            float[] data = loaded.tensors().get(e.getKey());
            if (data == null) {
                missing.add(e.getKey());
            } else if (PositionPrefix.fits(e.getValue(), data)) {
                System.arraycopy(Finite.require(data, dir.resolve(MODEL), e.getKey()), 0, e.getValue().data, 0, data.length);
                missing.add(e.getKey() + " (rows " + data.length / e.getValue().shape[1] + ".." + e.getValue().shape[0] + ")");
            } else if (data.length != e.getValue().size()) {
                throw new IOException(dir.resolve(MODEL) + ": tensor " + e.getKey() + " has " + data.length + " values, the model needs " + e.getValue().size());
            } else {
                System.arraycopy(Finite.require(data, dir.resolve(MODEL), e.getKey()), 0, e.getValue().data, 0, data.length);
            }
        }
        return missing;
    }

    /** A checkpoint directory as given, or a run directory's newest checkpoint. */
    private static Path checkpointDir(Path dirOrRun, SafetensorsStore store) throws IOException {
        if (Files.isRegularFile(dirOrRun.resolve(MODEL))) return dirOrRun;
        return new Checkpoints(dirOrRun, store).latest().orElseThrow(() -> new IOException("no checkpoint (" + MODEL + ") in " + dirOrRun));
    }

    /** The attention spec a checkpoint recorded for its model (absent in checkpoints written before it was recorded). */
    public static Optional<String> attentionOf(Path dirOrRun, SafetensorsStore store) throws IOException {
        Path state = checkpointDir(dirOrRun, store).resolve(STATE);
        if (!Files.isRegularFile(state)) return Optional.empty();
        try {
            return Json.parseObject(Files.readString(state)).get(ATTENTION) instanceof String spec ? Optional.of(spec) : Optional.empty();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(state + ": " + e.getMessage(), e);
        }
    }

    /**
     * The attention the checkpoint's model has: the one it recorded (a scheduled run ends with trees), or, in a
     * checkpoint written before that was recorded, the run's configured one. A bad recorded spec is named against its
     * state file.
     *
     * @param dirOrRun a checkpoint directory, or a run directory (its newest checkpoint)
     * @param config   the run's model configuration
     * @param store    the tensor store the checkpoint was written with
     * @return the attention to build the model with
     * @throws IOException if the checkpoint cannot be found or read
     */
    public static AttentionSpec trainedAttention(Path dirOrRun, ModelConfig config, SafetensorsStore store) throws IOException {
        Path state = checkpointDir(dirOrRun, store).resolve(STATE);
        return attentionOf(dirOrRun, store).map(spec -> RunDirectory.parsed(state, spec)).orElse(config.attention());
    }

    private static float[] require(SafetensorsStore.Loaded loaded, String name, Path dir) throws IOException {
        float[] t = loaded.tensors().get(name);
        if (t == null) throw new IOException("checkpoint " + dir + " lacks tensor " + name + " (was it written by another model configuration?)");
        return t;
    }

    private List<Path> list() throws IOException {
        if (!Files.isDirectory(runDir)) return List.of();
        try (var s = Files.list(runDir)) {
            return s.filter(p -> p.getFileName().toString().matches(DIR_PATTERN) && Files.isDirectory(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
