package dev.canopy.attention;

/**
 * Which keys a query may attend to.
 *
 * @param keyPadding null for none, else [batch * nk] with true where the key is padding and must be ignored
 * @param causal     if true, query i sees key j only when {@code j <= i + (nk - nq)} (aligned at the end, so a
 *                   single new query in decoding sees every key)
 */
public record AttentionMask(boolean[] keyPadding, boolean causal) {
    /** Every query sees every key. */
    public static final AttentionMask NONE = new AttentionMask(null, false);
    /** Query i sees keys up to i (aligned at the end when nk > nq); no padding. */
    public static final AttentionMask CAUSAL = new AttentionMask(null, true);

    /**
     * A mask that hides padded keys only.
     *
     * @param keyPadding [batch * nk], true where the key is padding
     * @return the mask, not causal
     */
    public static AttentionMask padding(boolean[] keyPadding) {
        return new AttentionMask(keyPadding, false);
    }

    /** {@return true when nothing is hidden, so an attention may skip all mask checks} */
    public boolean isNone() {
        return keyPadding == null && !causal;
    }

    /**
     * Throws an IllegalArgumentException if the padding mask does not fit the shape.
     *
     * @param s the shape of the call the mask will be used with
     */
    public void check(AttentionShape s) {
        if (keyPadding != null && keyPadding.length != s.batch() * s.nk()) {
            throw new IllegalArgumentException("key padding mask has length " + keyPadding.length
                    + " but batch*nk = " + s.batch() + "*" + s.nk() + " = " + (s.batch() * s.nk()) + " for " + s);
        }
    }

    /**
     * Whether query i of batch item b may attend to key j.
     *
     * @param s the call's shape
     * @param b batch item
     * @param i query index
     * @param j key index
     * @return true if the key is visible to the query
     */
    public boolean allowed(AttentionShape s, int b, int i, int j) {
        if (keyPadding != null && keyPadding[b * s.nk() + j]) return false;
        return !causal || j <= i + (s.nk() - s.nq());
    }

    /**
     * One past the last key query i may see under the causal rule (nk when not causal).
     *
     * @param s the call's shape
     * @param i query index
     * @return the first key index the query may not see
     */
    public int keyLimit(AttentionShape s, int i) {
        if (!causal) return s.nk();
        return Math.max(0, Math.min(s.nk(), i + (s.nk() - s.nq()) + 1));
    }
}
