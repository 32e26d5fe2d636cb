package dev.canopy.nn;

/**
 * Rotary position embedding (RoPE): the pair (x[2i], x[2i+1]) of a head's query or key at position p is rotated by the
 * angle p · θ_i, θ_i = 10000^(-2i/d). A rotated query and key then score by their positions' difference only, so a
 * model needs no position table and no length caps it; a KV cache may hold keys rotated at their absolute positions.
 *
 * <p>The angle is formed in double and its cosine and sine rounded to float once, by the same code for every caller, so
 * a full-sequence pass and a one-token decode step rotate a position identically. The backward of a rotation is the
 * rotation by the opposite angle (its transpose).
 */
public final class Rope {
    /** The base of the frequencies (RoFormer's and most causal language models'). */
    public static final double BASE = 10000;

    private final int headDim;
    private final double[] frequencies; // [headDim / 2]
    private volatile float[][] table = {new float[0], new float[0]}; // cos, sin [positions, headDim / 2], grown on demand

    /**
     * Rotations for heads of an even width.
     *
     * @param headDim width of each head's vectors
     * @throws IllegalArgumentException for an odd width
     */
    public Rope(int headDim) {
        if (headDim < 2 || headDim % 2 != 0) throw new IllegalArgumentException("rotary positions need an even head width, got " + headDim);
        this.headDim = headDim;
        frequencies = new double[headDim / 2];
        for (int i = 0; i < headDim / 2; i++) frequencies[i] = Math.pow(BASE, -2.0 * i / headDim);
    }

    /** {@return the head width this rotates} */
    public int headDim() {
        return headDim;
    }

    /**
     * Writes the cosines and sines of one position's angles into cos and sin ([headDim / 2] each).
     *
     * @param position the position, from 0
     * @param cos      written: cos(p θ_i)
     * @param sin      written: sin(p θ_i)
     */
    public void angles(long position, float[] cos, float[] sin) {
        for (int i = 0; i < frequencies.length; i++) {
            double a = position * frequencies[i];
            cos[i] = (float) Math.cos(a);
            sin[i] = (float) Math.sin(a);
        }
    }

    /**
     * Rotates one vector x[off .. off + headDim) in place by the angles {@link #angles} gave (inverse: the opposite angles).
     *
     * @param x       the vectors
     * @param off     where this one starts
     * @param cos     the position's cosines
     * @param cosOff  where they start
     * @param sin     the position's sines
     * @param sinOff  where they start
     * @param inverse rotate backwards (the gradient of a forward rotation)
     */
    public void rotate(float[] x, int off, float[] cos, int cosOff, float[] sin, int sinOff, boolean inverse) {
        for (int i = 0; i < headDim / 2; i++) {
            float c = cos[cosOff + i], s = inverse ? -sin[sinOff + i] : sin[sinOff + i];
            float a = x[off + 2 * i], b = x[off + 2 * i + 1];
            x[off + 2 * i] = a * c - b * s;
            x[off + 2 * i + 1] = a * s + b * c;
        }
    }

    /**
     * Rotates x [sequences, n, headDim] in place, row t of every sequence at position t (inverse: backwards).
     *
     * @param sequences independent sequences (batch times heads)
     * @param n         positions per sequence
     * @param x         the vectors
     * @param inverse   rotate backwards
     */
    public void rotateSequences(int sequences, int n, float[] x, boolean inverse) {
        float[][] t = tableFor(n);
        int half = headDim / 2;
        dev.canopy.kernels.Parallel.forEach(sequences, s -> {
            for (int p = 0; p < n; p++) rotate(x, (s * n + p) * headDim, t[0], p * half, t[1], p * half, inverse);
        });
    }

    /** Cosines and sines of positions 0 .. n - 1, computed once per length reached (training reuses one length). */
    private float[][] tableFor(int n) {
        float[][] t = table;
        int half = headDim / 2;
        if (t[0].length >= n * half) return t;
        synchronized (this) {
            if (table[0].length >= n * half) return table;
            float[] cos = new float[n * half], sin = new float[n * half], c = new float[half], s = new float[half];
            for (int p = 0; p < n; p++) {
                angles(p, c, s);
                System.arraycopy(c, 0, cos, p * half, half);
                System.arraycopy(s, 0, sin, p * half, half);
            }
            table = new float[][] {cos, sin};
            return table;
        }
    }
}
