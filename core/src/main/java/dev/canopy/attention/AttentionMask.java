package dev.canopy.attention;

/**
 * Which keys a query may attend to.
 *
 * @param keyPadding null for none, else [batch * nk] with true where the key is padding and must be ignored
 * @param causal     if true, query i sees key j only when j <= i + (nk - nq) (aligned at the end, so a
 *                   single new query in decoding sees every key)
 */
public record AttentionMask(boolean[] keyPadding, boolean causal) {
    public static final AttentionMask NONE = new AttentionMask(null, false);
    public static final AttentionMask CAUSAL = new AttentionMask(null, true);

    public static AttentionMask padding(boolean[] keyPadding) {
        return new AttentionMask(keyPadding, false);
    }

    public boolean isNone() {
        return keyPadding == null && !causal;
    }

    public void check(AttentionShape s) {
        if (keyPadding != null && keyPadding.length != s.batch() * s.nk()) {
            throw new IllegalArgumentException("key padding mask has length " + keyPadding.length
                    + " but batch*nk = " + s.batch() + "*" + s.nk() + " = " + (s.batch() * s.nk()) + " for " + s);
        }
    }

    /** Whether query i of batch item b may attend to key j. */
    public boolean allowed(AttentionShape s, int b, int i, int j) {
        if (keyPadding != null && keyPadding[b * s.nk() + j]) return false;
        return !causal || j <= i + (s.nk() - s.nq());
    }

    /** One past the last key query i may see under the causal rule (nk when not causal). */
    public int keyLimit(AttentionShape s, int i) {
        if (!causal) return s.nk();
        return Math.max(0, Math.min(s.nk(), i + (s.nk() - s.nq()) + 1));
    }
}
