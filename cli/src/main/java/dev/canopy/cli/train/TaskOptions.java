package dev.canopy.cli.train;

import dev.canopy.data.BrownLm;
import dev.canopy.data.Mqar;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Task settings beyond the preset: the sequence length of the tasks that have one to choose (mqar's tokens per
 * example, spam's bytes per e-mail, brown-match's bytes per document) and mqar's pairs and vocabulary. Unset ones take
 * the preset's values; a run's task.json records what was used.
 */
public final class TaskOptions {
    static final int DEFAULT_N = 1024, DEFAULT_PAIRS = 32, DEFAULT_VOCAB = 256; // the setting docs/RESULTS.md measures

    /** Help for the --n option of the commands that take one (train a value, sweep a list). */
    static final String N_HELP = "Sequence length: mqar tokens per example (default " + DEFAULT_N + "), spam bytes per e-mail, brown-match bytes per document (default: the preset's).";

    Integer n; // set from the command's own --n
    @Option(names = "--context", description = "brown-lm: bytes per training example (the same as --n; default: the preset's, 1024 from small up).") Integer context;
    @Option(names = "--pairs", description = "mqar: key-value pairs per example, each queried once (default: " + DEFAULT_PAIRS + ").") Integer pairs;
    @Option(names = "--vocab", description = "mqar: vocabulary size; keys and values take one half each (default: " + DEFAULT_VOCAB + ").") Integer vocab;

    /** Refuses a setting the task does not have, naming the option. */
    void checkTask(String task) {
        if (n != null && task.equals("listops")) throw new IllegalArgumentException("--n does not apply to listops (its lengths come from the preset's generator)");
        if (n != null && n < 1) throw new IllegalArgumentException("--n must be at least 1, got " + n);
        if (context != null && !task.equals(BrownLm.NAME)) throw new IllegalArgumentException("--context applies to --task " + BrownLm.NAME + " only, not " + task);
        if (context != null && n != null && !context.equals(n)) throw new IllegalArgumentException("--context " + context + " and --n " + n + " disagree; give one");
        if (context != null && context < 2) throw new IllegalArgumentException("--context must be at least 2, got " + context);
        if (context != null) n = context;
        if (task.equals("mqar")) return;
        if (pairs != null || vocab != null) throw new IllegalArgumentException((pairs != null ? "--pairs" : "--vocab") + " applies to --task mqar only, not " + task);
    }

    /** mqar's generator for a preset: the split sizes follow the preset (the training split is generated on demand). */
    Mqar.Config mqar(Preset preset) {
        int valid = switch (preset) { case TINY -> 8; case DEMO -> 64; case SMALL -> 256; case LRA -> 1000; };
        int test = switch (preset) { case TINY -> 16; case DEMO -> 256; case SMALL -> 1000; case LRA -> 3000; };
        return new Mqar.Config(n == null ? DEFAULT_N : n, pairs == null ? DEFAULT_PAIRS : pairs, vocab == null ? DEFAULT_VOCAB : vocab, 100_000, valid, test);
    }

    /** The length a real-text task reads, or the preset's. */
    int length(int presetLength) {
        return n == null ? presetLength : n;
    }

    /** The settings as a run's task.json records them. */
    Map<String, Integer> settings(String task, Preset preset) {
        Map<String, Integer> s = new LinkedHashMap<>();
        if (task.equals("mqar")) {
            Mqar.Config c = mqar(preset);
            s.put("n", c.length());
            s.put("pairs", c.pairs());
            s.put("vocab", c.vocab());
        } else if (n != null) {
            s.put("n", n);
        }
        return s;
    }

    /** The settings a run's task.json recorded. */
    static TaskOptions from(Map<String, Integer> settings) {
        TaskOptions o = new TaskOptions();
        o.n = settings.get("n");
        o.pairs = settings.get("pairs");
        o.vocab = settings.get("vocab");
        return o;
    }
}
