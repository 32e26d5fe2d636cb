package dev.canopy.train;

import dev.canopy.model.ModelConfig;
import java.util.Locale;

/**
 * A lower bound on the heap a model needs, worked out from its shape before anything is allocated, so a size that
 * cannot fit fails at once with a message saying what does fit, instead of an OutOfMemoryError or an int overflow
 * deep inside a layer. Only the largest terms are counted (the weight matrices; per token, what every layer keeps for
 * the backward), so failing the check proves a run cannot fit, while passing it does not promise that it will.
 */
public record ModelMemory(ModelConfig config) {
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 16;
    /** How the launcher passes a larger heap to the JVM. */
    public static final String RAISE_HEAP = "CANOPY_JAVA_OPTS=-Xmx<size> ./canopy ...";

    /** Weight-matrix entries: token embeddings, per layer q/k/v/output and the feed-forward, the classifier head. */
    public long weights() {
        long d = config.dim(), f = config.ffnDim();
        return add(add(mul(config.vocab(), d), mul(config.layers(), add(mul(4 * d, d), mul(2 * d, f)))), mul(d, config.classes()));
    }

    /** Tokens one example puts through the encoder (both documents of a pair). */
    public long tokensPerExample() {
        return (long) config.tokensPerSequence() * (config.twoTower() ? 2 : 1);
    }

    /**
     * Floats per token at the least: training keeps q, k, v, the attention output and the feed-forward's hidden
     * activations of every layer for the backward; inference needs one layer's at a time.
     */
    public long floatsPerToken(boolean training) {
        long perLayer = 4L * config.dim() + config.ffnDim();
        return training ? add(mul(config.layers(), perLayer), config.dim()) : perLayer;
    }

    /** The largest batch that can fit in heapBytes (0 if not even the weights fit); also bounded by Java's array size. */
    public long maxBatch(boolean training, long heapBytes) {
        long fixed = weightBytes(training);
        if (fixed >= heapBytes) return 0;
        long byHeap = (heapBytes - fixed) / Math.max(1, perExample(training));
        // One array holds a whole batch's q/k/v projections [rows, 3 dim] or feed-forward activations [rows, ffn].
        long byArray = MAX_ARRAY / Math.max(1, mul(tokensPerExample(), Math.max(3L * config.dim(), config.ffnDim())));
        return Math.min(byHeap, byArray);
    }

    /**
     * Throws an IllegalArgumentException saying what does fit when {@code batch} examples cannot fit in heapBytes;
     * batchOption names where the batch size came from ("--batch", or a run file).
     */
    public void check(int batch, boolean training, long heapBytes, String batchOption) {
        check(batch, training, heapBytes, batchOption, null);
    }

    /** As above; modelOrigin, when not null, is the file the model's shape came from and leads a too-large model's message. */
    public void check(int batch, boolean training, long heapBytes, String batchOption, String modelOrigin) {
        long fixed = weightBytes(training);
        String raise = "; or give Java a larger heap (" + RAISE_HEAP + ")";
        if (fixed >= heapBytes) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%sthe model does not fit in memory: its %s weights need at least %s%s, and the Java heap holds %s; use fewer layers or a smaller width or feed-forward%s",
                    modelOrigin == null ? "" : modelOrigin + ": ", weights() == Long.MAX_VALUE ? "over 2^63" : String.format(Locale.ROOT, "%,d", weights()), bytes(fixed),
                    training ? " with gradients and AdamW moments" : " with their gradient arrays", bytes(heapBytes), raise));
        }
        long fits = maxBatch(training, heapBytes);
        if (batch <= fits) return;
        long perExample = perExample(training);
        throw new IllegalArgumentException(String.format(Locale.ROOT,
                "%s %d does not fit in memory: each example needs at least %s (%d tokens through %d layers of width %d, feed-forward %d), "
                        + "%s for the batch besides %s of weights, and the Java heap holds %s; %s%s",
                batchOption, batch, bytes(perExample), tokensPerExample(), config.layers(), config.dim(), config.ffnDim(),
                bytes(mul(perExample, batch)), bytes(fixed), bytes(heapBytes),
                fits == 0 ? "not even one example fits: use a smaller model" : "at most " + fits + " examples per batch can fit", raise));
    }

    private long weightBytes(boolean training) {
        // Every parameter holds its values and a gradient array; training adds the two AdamW moments. 4 bytes each.
        return mul(weights(), training ? 16 : 8);
    }

    private long perExample(boolean training) {
        return mul(4 * tokensPerExample(), floatsPerToken(training));
    }

    // Saturating arithmetic: absurd sizes (--dim 2147483647) must compare as huge, not wrap around to small.
    private static long mul(long a, long b) {
        long high = Math.multiplyHigh(a, b), low = a * b;
        return (high == 0 && low >= 0) ? low : Long.MAX_VALUE;
    }

    private static long add(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }

    /** Bytes in binary units, e.g. "5.8 GiB". */
    public static String bytes(long n) {
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " bytes" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
