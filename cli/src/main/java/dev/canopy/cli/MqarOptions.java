package dev.canopy.cli;

import dev.canopy.data.Mqar;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options of the generated mqar task (multi-query associative recall); unset ones take the defaults below. */
final class MqarOptions {
    static final int DEFAULT_N = 1024, DEFAULT_PAIRS = 32, DEFAULT_VOCAB = 512;

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

    /** The generator's settings as a run's task.json records them (none for other tasks). */
    Map<String, Integer> settings(String task, String preset) {
        if (!task.equals("mqar")) return Map.of();
        Mqar.Config c = config(preset);
        Map<String, Integer> s = new LinkedHashMap<>();
        s.put("n", c.length());
        s.put("pairs", c.pairs());
        s.put("vocab", c.vocab());
        return s;
    }

    /** The options a run's task.json recorded. */
    static MqarOptions from(Map<String, Integer> settings) {
        MqarOptions o = new MqarOptions();
        o.n = settings.get("n");
        o.pairs = settings.get("pairs");
        o.vocab = settings.get("vocab");
        return o;
    }
}
