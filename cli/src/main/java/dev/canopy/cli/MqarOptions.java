package dev.canopy.cli;

import dev.canopy.bench.JsonLine;
import dev.canopy.data.Mqar;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options of the generated mqar task (multi-query associative recall); unset ones take the defaults below. */
final class MqarOptions {
    static final int DEFAULT_N = 1024, DEFAULT_PAIRS = 32, DEFAULT_VOCAB = 256; // the settings notes-mqar.md measured

    @Option(names = "--n", description = "mqar: tokens per example (default: " + DEFAULT_N + ").") Integer n;
    @Option(names = "--pairs", description = "mqar: key-value pairs per example, each queried once (default: " + DEFAULT_PAIRS + ").") Integer pairs;
    @Option(names = "--vocab", description = "mqar: vocabulary size; keys and values take one half each (default: " + DEFAULT_VOCAB + ").") Integer vocab;

    boolean anySet() {
        return n != null || pairs != null || vocab != null;
    }

    /** Refuses mqar options on another task, naming the first one given. */
    void checkTask(String task) {
        if (task.equals("mqar") || !anySet()) return;
        String name = n != null ? "--n" : pairs != null ? "--pairs" : "--vocab";
        throw new IllegalArgumentException(name + " applies to --task mqar only, not " + task);
    }

    /** Generator config for a preset: the split sizes follow the preset (the training split is generated on demand). */
    Mqar.Config config(String preset) {
        int valid, test;
        switch (preset) {
            case "tiny" -> { valid = 8; test = 16; }
            case "demo" -> { valid = 64; test = 256; }
            case "small" -> { valid = 256; test = 1000; }
            default -> { valid = 1000; test = 3000; }
        }
        return new Mqar.Config(n == null ? DEFAULT_N : n, pairs == null ? DEFAULT_PAIRS : pairs, vocab == null ? DEFAULT_VOCAB : vocab, 100_000, valid, test);
    }

    /** Adds the generator's settings to a run's task.json. */
    JsonLine addTo(JsonLine task, String preset) {
        Mqar.Config c = config(preset);
        return task.put("n", c.length()).put("pairs", c.pairs()).put("vocab", c.vocab());
    }

    /** The options a run's task.json recorded (none for other tasks). */
    static MqarOptions from(Map<String, Object> taskJson) {
        MqarOptions o = new MqarOptions();
        if (taskJson.get("n") instanceof Number v) o.n = v.intValue();
        if (taskJson.get("pairs") instanceof Number v) o.pairs = v.intValue();
        if (taskJson.get("vocab") instanceof Number v) o.vocab = v.intValue();
        return o;
    }
}
