package dev.canopy.data;

import java.util.List;

/**
 * A padded batch of token ids, row-major [size, length], ready for the model. Each row starts with [CLS] when
 * {@code withCls}, followed by the sample's tokens and padding; {@code padding} marks padded positions (true = pad).
 * For two-document tasks the second documents form their own batch in {@code second}. For token-level tasks
 * {@code targets} [size, length] holds each position's class, -1 where it is not supervised ([CLS] and padding
 * included); null for sequence-level batches.
 */
public record Batch(int size, int length, int[] tokens, boolean[] padding, int[] labels, Batch second, int[] targets) {

    public Batch(int size, int length, int[] tokens, boolean[] padding, int[] labels, Batch second) {
        this(size, length, tokens, padding, labels, second, null);
    }

    /**
     * Pads to the longest row in the batch, rounded up to a multiple of {@code multiple} (so shapes repeat and
     * kernels see aligned sizes), never beyond maxLength (+1 for [CLS]).
     */
    public static Batch of(List<Sample> samples, boolean withCls, int maxLength, int multiple) {
        return of(samples, withCls, maxLength, multiple, false);
    }

    private static Batch of(List<Sample> samples, boolean withCls, int maxLength, int multiple, boolean secondDoc) {
        int size = samples.size();
        if (size == 0) throw new IllegalArgumentException("empty batch");
        int extra = withCls ? 1 : 0;
        int longest = 1;
        for (Sample s : samples) longest = Math.max(longest, Math.min(maxLength, (secondDoc ? s.second() : s.tokens()).length) + extra);
        int cap = maxLength + extra;
        int length = Math.min(cap, ((longest + multiple - 1) / multiple) * multiple);
        if ((long) size * length > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("a batch of " + size + " examples of " + length + " tokens is over the 2^31 tokens one array holds");
        }
        int[] tokens = new int[size * length];
        boolean[] padding = new boolean[size * length];
        int[] labels = new int[size];
        boolean tokenLevel = !secondDoc && samples.get(0).tokenLevel();
        int[] targets = tokenLevel ? new int[size * length] : null;
        if (tokenLevel) java.util.Arrays.fill(targets, Sample.UNSUPERVISED);
        for (int b = 0; b < size; b++) {
            Sample s = samples.get(b);
            int[] t = secondDoc ? s.second() : s.tokens();
            int n = Math.min(t.length, length - extra);
            int row = b * length;
            if (withCls) tokens[row] = Vocab.CLS;
            System.arraycopy(t, 0, tokens, row + extra, n);
            for (int j = n + extra; j < length; j++) {
                tokens[row + j] = Vocab.PAD;
                padding[row + j] = true;
            }
            labels[b] = s.label();
            if (s.tokenLevel() != tokenLevel) throw new IllegalArgumentException("a batch mixes token-level and sequence-level examples");
            if (tokenLevel) System.arraycopy(s.targets(), 0, targets, row + extra, n);
        }
        Batch second = !secondDoc && samples.get(0).isPair() ? of(samples, withCls, maxLength, multiple, true) : null;
        return new Batch(size, length, tokens, padding, labels, second, targets);
    }

    /** Whether positions, not rows, carry the labels. */
    public boolean tokenLevel() {
        return targets != null;
    }

    /** Flat indices (row * length + position) of the supervised positions, in order. */
    public int[] supervisedPositions() {
        if (targets == null) throw new IllegalStateException("a sequence-level batch has no per-position targets");
        int m = 0;
        for (int t : targets) if (t >= 0) m++;
        int[] at = new int[m];
        m = 0;
        for (int i = 0; i < targets.length; i++) if (targets[i] >= 0) at[m++] = i;
        return at;
    }

    /** Real (unpadded) tokens in this batch, both documents included. */
    public long realTokens() {
        long n = 0;
        for (boolean p : padding) if (!p) n++;
        return n + (second == null ? 0 : second.realTokens());
    }
}
