package dev.canopy.data;

import dev.canopy.nn.CounterRng;
import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * Multi-query associative recall (MQAR; the task of Arora et al. 2023, "Zoology"), generated deterministically from a
 * seed. Each example of {@code length} tokens:
 *
 * <ul>
 *   <li>starts with {@code pairs} key-value pairs {@code k1 v1 k2 v2 ...}: distinct keys from the lower half of the
 *       vocabulary (after the special ids), distinct values from the upper half;</li>
 *   <li>then a query region where every key appears once more, at even offsets {@code 2 g} from the region's start,
 *       the offsets g drawn without replacement with probability proportional to {@code (g + 1)^(a - 1)}, a = 0.01
 *       (a power law: most queries come soon after the pairs, some far away);</li>
 *   <li>every other position of the query region holds a random non-special token (any key or value id).</li>
 * </ul>
 *
 * Only query positions are supervised: their target is the value that followed the same key in the pairs. The value is
 * never written after its query (the next position is random like all filler), so a bidirectional model cannot read
 * the answer from the right; it has to recall it from the pairs at the start.
 *
 * <p>Example i of a split is a pure function of (seed, split, i): splits are lists that build an example when asked for,
 * so a large training set costs no memory and any example can be regenerated on its own.
 */
public final class Mqar {
    /** First id keys may use: 0 pads and 1 is [CLS]. */
    public static final int FIRST_TOKEN = 2;
    /** The power-law exponent of the query offsets (Zoology's default). */
    public static final double POWER_A = 0.01;

    /**
     * @param length tokens per example (pairs and queries need length >= 4 pairs)
     * @param pairs  key-value pairs per example; every key is queried once
     * @param vocab  vocabulary size including the two special ids; keys get (vocab - 2) / 2 ids, values the rest
     */
    public record Config(int length, int pairs, int vocab, int train, int valid, int test) {
        public Config {
            if (pairs < 1) throw new IllegalArgumentException("mqar: --pairs must be >= 1, got " + pairs);
            if (length < 4 * pairs) throw new IllegalArgumentException("mqar: --n " + length + " is too short for " + pairs + " pairs (needs n >= 4 * pairs = " + 4 * pairs + ")");
            if ((vocab - FIRST_TOKEN) / 2 < pairs) {
                throw new IllegalArgumentException("mqar: --vocab " + vocab + " gives " + Math.max(0, (vocab - FIRST_TOKEN) / 2) + " keys, fewer than " + pairs + " pairs (needs vocab >= " + (2 * pairs + FIRST_TOKEN) + ")");
            }
            if (train < 1 || valid < 0 || test < 0) throw new IllegalArgumentException("mqar: needs >= 1 training example and >= 0 valid/test, got " + train + "/" + valid + "/" + test);
        }

        public int keys() {
            return (vocab - FIRST_TOKEN) / 2;
        }

        /** Number of even offsets in the query region a query can take. */
        int slots() {
            return (length - 2 * pairs) / 2;
        }
    }

    private final Config config;
    private final long seed;
    private final double[] weights; // power-law weight of each query slot

    public Mqar(Config config, long seed) {
        this.config = config;
        this.seed = seed;
        weights = new double[config.slots()];
        for (int g = 0; g < weights.length; g++) weights[g] = Math.pow(g + 1, POWER_A - 1);
    }

    public Config config() {
        return config;
    }

    /** Example {@code index} of split {@code split} (0 train, 1 valid, 2 test): tokens and per-position targets. */
    public Sample example(int split, long index) {
        long s = CounterRng.mix(CounterRng.mix(seed, split), index);
        long[] counter = {0};
        int n = config.length(), p = config.pairs(), keyCount = config.keys();
        int valueFirst = FIRST_TOKEN + keyCount, valueCount = config.vocab() - valueFirst;
        int[] keys = distinct(keyCount, p, s, counter);
        int[] values = distinct(valueCount, p, s, counter);
        int[] tokens = new int[n], targets = new int[n];
        java.util.Arrays.fill(targets, Sample.UNSUPERVISED);
        for (int j = 0; j < p; j++) {
            tokens[2 * j] = FIRST_TOKEN + keys[j];
            tokens[2 * j + 1] = valueFirst + values[j];
        }
        int filler = config.vocab() - FIRST_TOKEN;
        for (int t = 2 * p; t < n; t++) tokens[t] = FIRST_TOKEN + below(filler, s, counter[0]++);
        int[] slots = powerLawSlots(p, s, counter);
        for (int j = 0; j < p; j++) {
            int at = 2 * p + 2 * slots[j];
            tokens[at] = FIRST_TOKEN + keys[j];
            targets[at] = valueFirst + values[j];
        }
        return Sample.positions(tokens, targets);
    }

    /** count distinct ints from [0, range) in random order (a partial Fisher-Yates shuffle). */
    private static int[] distinct(int range, int count, long s, long[] counter) {
        int[] all = new int[range];
        for (int i = 0; i < range; i++) all[i] = i;
        for (int i = 0; i < count; i++) {
            int j = i + below(range - i, s, counter[0]++);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return java.util.Arrays.copyOf(all, count);
    }

    /** count distinct query slots, drawn one after another with the power-law weights of the slots still free. */
    private int[] powerLawSlots(int count, long s, long[] counter) {
        double[] w = weights.clone();
        double total = 0;
        for (double x : w) total += x;
        int[] out = new int[count];
        for (int j = 0; j < count; j++) {
            double u = (CounterRng.hash(s, counter[0]++) >>> 11) * 0x1.0p-53 * total;
            int pick = -1, lastFree = -1;
            double acc = 0;
            for (int g = 0; g < w.length; g++) {
                if (w[g] == 0) continue;
                lastFree = g;
                acc += w[g];
                if (u < acc) {
                    pick = g;
                    break;
                }
            }
            if (pick < 0) pick = lastFree; // rounding left u at the very top
            out[j] = pick;
            total -= w[pick];
            w[pick] = 0;
        }
        return out;
    }

    /** Uniform in [0, bound). */
    private static int below(int bound, long s, long index) {
        return (int) ((CounterRng.hash(s, index) >>> 1) % bound);
    }

    /** A split whose example i is built on each get(i). */
    private final class Split extends AbstractList<Sample> implements RandomAccess, TaskData.Generated {
        private final int split, size;

        Split(int split, int size) {
            this.split = split;
            this.size = size;
        }

        @Override public Sample get(int i) {
            if (i < 0 || i >= size) throw new IndexOutOfBoundsException(i);
            return example(split, i);
        }

        @Override public int size() {
            return size;
        }
    }

    /** The task: classes are token ids (a query's target is a value id), sequences are exactly {@code length} long. */
    public TaskData task() {
        List<Sample> train = new Split(0, config.train()), valid = new Split(1, config.valid()), test = new Split(2, config.test());
        return new TaskData("mqar", config.vocab(), config.vocab(), config.length(), false, train, valid, test);
    }
}
