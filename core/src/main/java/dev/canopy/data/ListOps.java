package dev.canopy.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The Long Range Arena ListOps generator (lra_benchmarks/data/listops.py), re-implemented: the same tree sampling,
 * the same strict length filter, de-duplication and labels, and the token sequence of the fixed LRA pipeline
 * (operators, digits and the closing bracket kept; the parentheses of the binary-tuple printing dropped).
 *
 * <p>Tree sampling, as in LRA: below the depth limit draw r uniform; r > 0.25 (or at the depth limit) gives a digit
 * leaf, else an operator node with randint(2, maxArgs) children, generated first, then the operator drawn uniformly.
 * Unlike LRA (which sets no seed and iterates a Python set), generation is seeded and the split is the order of
 * acceptance, so a run can be reproduced.
 */
public final class ListOps {
    public static final double VALUE_P = 0.25;

    /** Operators of LRA's OPERATORS list ([FIRST and [LAST are commented out there). */
    public enum Op { MIN, MAX, MED, SM }

    /**
     * Generator settings; LRA's defaults are maxDepth 10, maxArgs 10, and lengths strictly between 500 and 2000.
     */
    public record Config(int maxDepth, int maxArgs, int minLength, int maxLength, int train, int valid, int test) {
        public Config {
            if (maxDepth < 2 || maxArgs < 2) throw new IllegalArgumentException("listops needs maxDepth >= 2 and maxArgs >= 2, got " + maxDepth + ", " + maxArgs);
            if (minLength < 0 || maxLength <= minLength + 1) throw new IllegalArgumentException("listops length range (" + minLength + ", " + maxLength + ") is empty");
            if (train < 0 || valid < 0 || test < 0) throw new IllegalArgumentException("listops split sizes must be >= 0");
        }

        public int total() {
            return train + valid + test;
        }
    }

    /** The LRA preset: lengths 501..1999, 96,000 / 2,000 / 2,000. */
    public static final Config LRA = new Config(10, 10, 500, 2000, 96_000, 2_000, 2_000);
    /** The demo preset: short sequences (up to 255 tokens) and a few thousand examples, trainable in minutes on 2 cores. */
    public static final Config DEMO = new Config(10, 10, 32, 256, 6_000, 1_000, 1_000);
    /** A medium preset for machines with some time: lengths 101..511. */
    public static final Config SMALL = new Config(10, 10, 100, 512, 20_000, 2_000, 2_000);

    /** A tiny preset for tests and smoke runs: lengths 21..63, 200 / 50 / 50. */
    public static final Config TINY = new Config(10, 10, 20, 64, 200, 50, 50);

    public static Config preset(String name) {
        return switch (name) {
            case "tiny" -> TINY;
            case "lra" -> LRA;
            case "small" -> SMALL;
            case "demo" -> DEMO;
            default -> throw new IllegalArgumentException("unknown listops preset '" + name + "'; known: lra, small, demo, tiny");
        };
    }

    /** One accepted example: the token sequence (vocabulary {@link ListOpsVocab}) and its label 0..9. */
    public record Example(int[] tokens, int label) {}

    /** Train, validation and test examples, in order of acceptance. */
    public record Splits(List<Example> train, List<Example> valid, List<Example> test) {}

    private final Config config;
    private final Random rng;
    // Scratch for one tree: tokens in order, grown as needed; the generator is single-threaded.
    private int[] buffer = new int[4096];
    private int size;

    public ListOps(Config config, long seed) {
        this.config = config;
        this.rng = new Random(seed);
    }

    /** Generates the configured number of distinct examples and splits them in order: train, valid, test. */
    public Splits generate() {
        int total = config.total();
        List<Example> all = new ArrayList<>(total);
        Set<Key> seen = new HashSet<>(total * 2);
        while (all.size() < total) {
            Example e = next();
            if (seen.add(new Key(e.tokens()))) all.add(e);
        }
        int a = config.train(), b = a + config.valid();
        return new Splits(List.copyOf(all.subList(0, a)), List.copyOf(all.subList(a, b)), List.copyOf(all.subList(b, total)));
    }

    /** Draws trees until one has a length strictly inside (minLength, maxLength), as LRA's main loop does. */
    public Example next() {
        while (true) {
            size = 0;
            int value = tree(1);
            if (size > config.minLength() && size < config.maxLength()) {
                return new Example(Arrays.copyOf(buffer, size), value);
            }
        }
    }

    /** Emits the tree's tokens into the buffer and returns its value. Abandons (but still consumes) oversize subtrees. */
    private int tree(int depth) {
        double r = depth < config.maxDepth() ? rng.nextDouble() : 1.0;
        if (r > VALUE_P) {
            int digit = rng.nextInt(10);
            emit(ListOpsVocab.digit(digit));
            return digit;
        }
        int args = 2 + rng.nextInt(config.maxArgs() - 1);
        int opAt = size;
        emit(0); // the operator is drawn after its children, as LRA does; fill it in below
        int[] values = new int[args];
        for (int i = 0; i < args; i++) values[i] = tree(depth + 1);
        Op op = Op.values()[rng.nextInt(Op.values().length)];
        if (opAt < config.maxLength()) buffer[opAt] = ListOpsVocab.operator(op);
        emit(ListOpsVocab.CLOSE);
        return apply(op, values);
    }

    private void emit(int token) {
        if (size < config.maxLength()) {
            if (size == buffer.length) buffer = Arrays.copyOf(buffer, buffer.length * 2);
            buffer[size] = token;
        }
        size++; // keep counting past the limit: the length decides rejection, the tokens no longer matter
    }

    /** LRA's semantics: MED is int(np.median(args)) (the mean of the two middle values, truncated), SM is sum mod 10. */
    public static int apply(Op op, int[] values) {
        return switch (op) {
            case MIN -> Arrays.stream(values).min().orElseThrow();
            case MAX -> Arrays.stream(values).max().orElseThrow();
            case SM -> Arrays.stream(values).sum() % 10;
            case MED -> {
                int[] s = values.clone();
                Arrays.sort(s);
                int n = s.length;
                yield n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
            }
        };
    }

    /** Evaluates a token sequence directly (a stack machine): an independent check of the generator's labels. */
    public static int evaluate(int[] tokens) {
        int[][] stack = new int[tokens.length + 1][];
        int[] counts = new int[tokens.length + 1];
        Op[] ops = new Op[tokens.length + 1];
        int top = 0;
        stack[0] = new int[1];
        int result = -1;
        for (int t : tokens) {
            if (ListOpsVocab.isDigit(t)) {
                push(stack, counts, top, ListOpsVocab.digitValue(t));
            } else if (ListOpsVocab.isOperator(t)) {
                top++;
                ops[top] = ListOpsVocab.operatorOf(t);
                stack[top] = new int[8];
                counts[top] = 0;
            } else if (t == ListOpsVocab.CLOSE) {
                if (top == 0) throw new IllegalArgumentException("listops sequence closes a bracket it never opened");
                int v = apply(ops[top], Arrays.copyOf(stack[top], counts[top]));
                top--;
                push(stack, counts, top, v);
            } else {
                throw new IllegalArgumentException("listops sequence has a token outside the vocabulary: " + t);
            }
            if (top == 0 && counts[0] > 0) result = stack[0][0];
        }
        if (top != 0 || counts[0] != 1) throw new IllegalArgumentException("listops sequence is not one complete expression");
        return result;
    }

    private static void push(int[][] stack, int[] counts, int top, int v) {
        if (counts[top] == stack[top].length) stack[top] = Arrays.copyOf(stack[top], stack[top].length * 2);
        stack[top][counts[top]++] = v;
    }

    /** Value-equality wrapper so token arrays can live in a set (LRA de-duplicates examples). */
    private record Key(int[] tokens) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(tokens, k.tokens);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(tokens);
        }
    }
}
