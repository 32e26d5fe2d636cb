package dev.canopy.attention;

import dev.canopy.config.OptionSchema;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.Sgemm;
import dev.canopy.nn.CounterRng;
import dev.canopy.nn.Parameter;
import dev.canopy.nn.Pass;
import java.util.Arrays;
import java.util.List;

/**
 * Linformer (Wang et al. 2020): keys and values are projected along the sequence to k rows, K' = E K and V' = F V
 * with learned E, F of shape [k, maxLength] (only the first n columns are used for a sequence of length n), then
 * softmax(Q K'^T / sqrt(d)) V'. One E and one F per layer, shared by heads and batch (the paper's head-wise sharing).
 *
 * <p>The projections of all (batch, head) pairs are one GEMM each: keys are laid out as [n, pairs * d], so E times
 * that gives every pair's K' side by side, and the gradient of E is one GEMM back. Key padding is honoured by zeroing
 * padded keys and values before the projection; a causal mask cannot be expressed (E mixes all positions) and is
 * rejected.
 */
public final class LinformerAttention implements Attention {
    private final int k;
    private final int maxLength;
    private final Parameter e;
    private final Parameter f;

    public LinformerAttention(int k, AttentionSetup setup, String namePrefix) {
        if (k < 1) throw new IllegalArgumentException("linformer: k must be >= 1, got " + k);
        this.k = k;
        this.maxLength = setup.maxLength();
        this.e = new Parameter(namePrefix + "linformer.E", true, k, maxLength);
        this.f = new Parameter(namePrefix + "linformer.F", true, k, maxLength);
        // Xavier-normal, as the reference implementation initialises its nn.Linear(n, k).
        float std = (float) Math.sqrt(2.0 / (k + maxLength));
        long seed = CounterRng.mix(setup.seed(), 0x11F0);
        for (int i = 0; i < e.size(); i++) {
            e.data[i] = std * CounterRng.gaussian(seed, i);
            f.data[i] = std * CounterRng.gaussian(seed, e.size() + i);
        }
    }

    public static final AttentionFamily FAMILY = new AttentionFamily("keys and values projected along the sequence to k rows (learned E, F: k x n)", false,
            new OptionSchema("linformer", List.of(OptionSchema.required("k", "projected length"))),
            values -> {
                int k = values.integer("k", 1, Integer.MAX_VALUE);
                return setup -> new LinformerAttention(k, setup, "");
            });

    public int k() { return k; }

    @Override
    public String spec() {
        return "linformer:k=" + k;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(e, f);
    }

    record Context(AttentionShape shape, AttentionMask mask, float[] q, float[] kCat, float[] vCat, float[] kp, float[] vp,
                   float[] p, float[] out, long flops, long backwardFlops, long workingBytes) implements Saved {}

    @Override
    public Saved forward(AttentionShape s, float[] q, float[] keys, float[] values, AttentionMask mask, Pass pass, float[] out) {
        s.check(q, keys, values, out);
        mask.check(s);
        if (mask.causal()) throw new IllegalArgumentException("linformer attention cannot be causal: its projection E mixes every position; use exact, topk or tf");
        if (s.nk() > maxLength) throw new IllegalArgumentException("linformer was built for sequences up to " + maxLength + " but got nk=" + s.nk());
        int pairs = s.pairs(), nk = s.nk(), nq = s.nq(), d = s.d(), dv = s.dv();
        float[] kCat = toSequenceMajor(s, keys, d, mask);
        float[] vCat = toSequenceMajor(s, values, dv, mask);
        float[] kp = new float[k * pairs * d];
        float[] vp = new float[k * pairs * dv];
        Sgemm.matmul(k, pairs * d, nk, e.data, 0, maxLength, kCat, 0, pairs * d, kp, 0, pairs * d, false);
        Sgemm.matmul(k, pairs * dv, nk, f.data, 0, maxLength, vCat, 0, pairs * dv, vp, 0, pairs * dv, false);
        float[] p = new float[pairs * nq * k];
        float scale = (float) (1.0 / Math.sqrt(d));
        Parallel.forEach(pairs, pair -> {
            int pOff = pair * nq * k;
            Sgemm.matmulTransB(nq, k, d, q, pair * nq * d, d, kp, pair * d, pairs * d, p, pOff, k, false);
            for (int i = 0; i < nq; i++) softmaxRow(p, pOff + i * k, k, scale);
            Sgemm.matmul(nq, dv, k, p, pOff, k, vp, pair * dv, pairs * dv, out, pair * nq * dv, dv, false);
        });
        long projection = 2L * k * nk * pairs * (d + dv);
        long attend = 2L * pairs * nq * k * (d + dv);
        long bytes = 4L * (kCat.length + vCat.length + kp.length + vp.length + p.length) * 2; // saved + gradient twins
        return new Context(s, mask, q, kCat, vCat, kp, vp, p, out, projection + attend, 2 * projection + 2 * attend, bytes);
    }

    @Override
    public void backward(Saved saved, float[] dOut, float[] dq, float[] dk, float[] dv) {
        Context c = (Context) saved;
        AttentionShape s = c.shape();
        s.checkGradients(dOut, dq, dk, dv);
        int pairs = s.pairs(), nk = s.nk(), nq = s.nq(), d = s.d(), w = s.dv();
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] dkp = new float[k * pairs * d];
        float[] dvp = new float[k * pairs * w];
        Parallel.forEach(pairs, pair -> {
            int pOff = pair * nq * k, oOff = pair * nq * w, qOff = pair * nq * d;
            float[] ds = new float[nq * k];
            // dP = dO V'^T, then the softmax backward: dS = P * (dP - rowsum(dP * P)), with the 1/sqrt(d) folded in.
            Sgemm.matmulTransB(nq, k, w, dOut, oOff, w, c.vp(), pair * w, pairs * w, ds, 0, k, false);
            for (int i = 0; i < nq; i++) {
                int r = i * k;
                double dot = 0;
                for (int j = 0; j < k; j++) dot += (double) ds[r + j] * c.p()[pOff + r + j];
                for (int j = 0; j < k; j++) ds[r + j] = c.p()[pOff + r + j] * (ds[r + j] - (float) dot) * scale;
            }
            Sgemm.matmul(nq, d, k, ds, 0, k, c.kp(), pair * d, pairs * d, dq, qOff, d, false);
            Sgemm.matmulTransA(k, d, nq, ds, 0, k, c.q(), qOff, d, dkp, pair * d, pairs * d, false);
            Sgemm.matmulTransA(k, w, nq, c.p(), pOff, k, dOut, oOff, w, dvp, pair * w, pairs * w, false);
        });
        // Back through the projections: dK = E^T dK', dE += dK' K^T (one GEMM each over all pairs).
        float[] dkCat = new float[nk * pairs * d];
        float[] dvCat = new float[nk * pairs * w];
        Sgemm.matmulTransA(nk, pairs * d, k, e.data, 0, maxLength, dkp, 0, pairs * d, dkCat, 0, pairs * d, false);
        Sgemm.matmulTransA(nk, pairs * w, k, f.data, 0, maxLength, dvp, 0, pairs * w, dvCat, 0, pairs * w, false);
        Sgemm.matmulTransB(k, nk, pairs * d, dkp, 0, pairs * d, c.kCat(), 0, pairs * d, e.gradTarget(), 0, maxLength, true);
        Sgemm.matmulTransB(k, nk, pairs * w, dvp, 0, pairs * w, c.vCat(), 0, pairs * w, f.gradTarget(), 0, maxLength, true);
        fromSequenceMajor(s, dkCat, d, c.mask(), dk);
        fromSequenceMajor(s, dvCat, w, c.mask(), dv);
    }

    /** [batch, heads, n, width] -> [n, batch * heads * width], with padded keys zeroed. */
    private static float[] toSequenceMajor(AttentionShape s, float[] x, int width, AttentionMask mask) {
        int pairs = s.pairs(), nk = s.nk(), ld = pairs * width;
        float[] cat = new float[nk * ld];
        boolean[] pad = mask.keyPadding();
        Parallel.forEach(pairs, pair -> {
            int b = pair / s.heads();
            for (int j = 0; j < nk; j++) {
                if (pad != null && pad[b * nk + j]) continue;
                System.arraycopy(x, (pair * nk + j) * width, cat, j * ld + pair * width, width);
            }
        });
        return cat;
    }

    /** The inverse layout change; padded keys get zero gradient (they were zeroed in the forward). */
    private static void fromSequenceMajor(AttentionShape s, float[] cat, int width, AttentionMask mask, float[] x) {
        int pairs = s.pairs(), nk = s.nk(), ld = pairs * width;
        boolean[] pad = mask.keyPadding();
        Parallel.forEach(pairs, pair -> {
            int b = pair / s.heads();
            for (int j = 0; j < nk; j++) {
                int dst = (pair * nk + j) * width;
                if (pad != null && pad[b * nk + j]) Arrays.fill(x, dst, dst + width, 0f);
                else System.arraycopy(cat, j * ld + pair * width, x, dst, width);
            }
        });
    }

    private static void softmaxRow(float[] a, int off, int n, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, a[off + j] * scale);
        double sum = 0;
        for (int j = 0; j < n; j++) {
            float v = (float) Math.exp(a[off + j] * scale - max);
            a[off + j] = v;
            sum += v;
        }
        float inv = (float) (1.0 / sum);
        for (int j = 0; j < n; j++) a[off + j] *= inv;
    }
}
