package dev.canopy.data;

import java.util.List;

/**
 * A padded batch of token ids, row-major [size, length], ready for the model. Each row starts with [CLS] when
 * {@code withCls}, followed by the sample's tokens and padding; {@code padding} marks padded positions (true = pad).
 * For two-document tasks the second documents form their own batch in {@code second}.
 */
public record Batch(int size, int length, int[] tokens, boolean[] padding, int[] labels, Batch second) {

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
        }
        Batch second = !secondDoc && samples.get(0).isPair() ? of(samples, withCls, maxLength, multiple, true) : null;
        return new Batch(size, length, tokens, padding, labels, second);
    }

    /** Real (unpadded) tokens in this batch, both documents included. */
    public long realTokens() {
        long n = 0;
        for (boolean p : padding) if (!p) n++;
        return n + (second == null ? 0 : second.realTokens());
    }
}
