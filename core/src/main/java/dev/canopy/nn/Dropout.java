package dev.canopy.nn;

import dev.canopy.nn.Pass;
import dev.canopy.kernels.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Inverted dropout over n values: in training each element is kept with probability 1 - p and scaled by 1/(1 - p);
 * at inference it is the identity. The mask is never stored: element i is kept iff
 * {@code CounterRng.keep(CounterRng.mix(pass.seed(), stream), i, p)}, so the backward, or a recomputed forward with the
 * same {@link Pass}, draws exactly the same mask. Give each dropout site its own stream id.
 */
public final class Dropout implements Layer {
    /** The drop probability, in [0, 1). */
    public final float p;
    /** This site's stream id, mixed with the pass seed. */
    public final long stream;

    /**
     * What backward needs: the mask seed, or active = false for identity.
     *
     * @param n      elements
     * @param active false when the forward was the identity
     * @param seed   the mask's seed
     */
    public record Saved(int n, boolean active, long seed) {}

    /**
     * p in [0, 1); stream distinguishes this dropout site from others under the same pass seed.
     *
     * @param p      the drop probability
     * @param stream this site's stream id
     */
    public Dropout(float p, long stream) {
        if (!(p >= 0f && p < 1f)) throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        this.p = p;
        this.stream = stream;
    }

    /**
     * y[n] = mask ⊙ x / (1 - p) in training, y = x otherwise; y may alias x.
     *
     * @param pass inference (identity) or training with its seed
     * @param n    elements
     * @param x    input
     * @param y    written: output
     * @return what backward needs
     */
    public Saved forward(Pass pass, int n, float[] x, float[] y) {
        Checks.rows(n, "Dropout");
        Checks.size("Dropout", "x", x, n);
        Checks.size("Dropout", "y", y, n);
        boolean active = pass.training() && p > 0f;
        long seed = CounterRng.mix(pass.seed(), stream);
        apply(active, seed, n, x, y);
        return new Saved(n, active, seed);
    }

    /**
     * dx[n] = mask ⊙ dy / (1 - p) with the forward's mask (overwritten; may alias dy).
     *
     * @param saved what the forward returned
     * @param dy    gradient of the output
     * @param dx    written: gradient of the input
     */
    public void backward(Saved saved, float[] dy, float[] dx) {
        Checks.size("Dropout", "dy", dy, saved.n());
        Checks.size("Dropout", "dx", dx, saved.n());
        apply(saved.active(), saved.seed(), saved.n(), dy, dx);
    }

    /**
     * Whether element index survives under this seed: the mask, for tests and for fused kernels.
     *
     * @param seed  the mask's seed, as in {@link Saved#seed()}
     * @param index the element
     * @return true if the element survives
     */
    public boolean kept(long seed, long index) {
        return CounterRng.keep(seed, index, p);
    }

    private void apply(boolean active, long seed, int n, float[] in, float[] out) {
        if (!active) {
            if (in != out) System.arraycopy(in, 0, out, 0, n);
            return;
        }
        float scale = 1f / (1f - p);
        // keep iff uniform >= p, where uniform = (hash >>> 40) · 2^-24 exactly: compare the 24-bit integer instead.
        long threshold = (long) Math.ceil((double) p * 0x1p24);
        Parallel.forRanges(n, Elementwise.GRAIN, (a, b) -> applyRange(seed, threshold, scale, in, out, a, b));
    }

    // The mask kernel evaluates CounterRng.hash lane-wise over 64-bit indices (same constants, same wrap-around), so it
    // reproduces CounterRng.keep bit for bit (DropoutTest checks every element); scalar hashing measured ~2.6 ns/element.
    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> FLOATS =
            VectorSpecies.of(float.class, VectorShape.forBitSize(LONGS.vectorBitSize() / 2));
    private static final int LANES = LONGS.length();

    private void applyRange(long seed, long threshold, float scale, float[] in, float[] out, int a, int b) {
        long seedTerm = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        LongVector lane = LongVector.zero(LONGS).addIndex(1);
        int i = a;
        for (; i + LANES <= b; i += LANES) {
            LongVector z = lane.add(i).mul(0xD1B54A32D192ED03L).add(seedTerm);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(0xBF58476D1CE4E5B9L);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 27)).mul(0x94D049BB133111EBL);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 31));
            VectorMask<Float> keep = z.lanewise(VectorOperators.LSHR, 40).compare(VectorOperators.GE, threshold).cast(FLOATS);
            FloatVector kept = FloatVector.fromArray(FLOATS, in, i).mul(scale);
            FloatVector.zero(FLOATS).blend(kept, keep).intoArray(out, i);
        }
        for (; i < b; i++) out[i] = CounterRng.keep(seed, i, p) ? in[i] * scale : 0f;
    }
}
