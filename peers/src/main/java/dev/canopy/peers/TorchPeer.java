package dev.canopy.peers;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.canopy.attention.AttentionShape;
import java.util.Arrays;
import java.util.function.Function;

/**
 * PyTorch 2.7.1 (CPU) through DJL, written the way a Java user of DJL would write each operation. DJL 0.35.1 does
 * not expose scaled_dot_product_attention, so attention is matmul + softmax + matmul, the "math" formulation, with
 * query chunks when the score matrix would exceed a memory budget.
 */
public final class TorchPeer implements AutoCloseable {
    private final Engine engine;
    private final NDManager manager;

    public TorchPeer() {
        this.engine = DjlOffline.pytorch();
        this.manager = engine.newBaseManager();
    }

    public String version() {
        return engine.getEngineName() + " " + engine.getVersion();
    }

    /** C[m, n] = A[m, k] · B[k, n]. */
    public PeerOp matmul(int m, int n, int k, float[] a, float[] b) {
        NDArray x = manager.create(a, new Shape(m, k)), y = manager.create(b, new Shape(k, n));
        return new Prepared("torch.matmul", sub -> x.matMul(y), x, y);
    }

    /** Exact softmax attention, forward only; the scores of at most budgetBytes are materialised at a time. */
    public PeerOp attention(AttentionShape s, float[] q, float[] k, float[] v, long budgetBytes) {
        Inputs in = inputs(s, q, k, v);
        int chunk = queryChunk(s, budgetBytes);
        float scale = (float) (1 / Math.sqrt(s.d()));
        return new Prepared("matmul+softmax+matmul, " + chunks(s.nq(), chunk) + " query chunk(s)",
                sub -> chunked(s.nq(), chunk, rows -> exact(in.q.get(rows), in.k, in.v, scale)), in.q, in.k, in.v);
    }

    /**
     * Forward then backward through autograd with upstream gradient dOut; outputs are dq, dk, dv. Autograd keeps
     * every chunk's probabilities until backward, so this needs about 2·pairs·nq·nk floats whatever the chunking.
     */
    public PeerOp attentionForwardBackward(AttentionShape s, float[] q, float[] k, float[] v, float[] dOut) {
        Inputs in = inputs(s, q, k, v);
        NDArray g = manager.create(dOut, new Shape(s.pairs(), s.nq(), s.dv()));
        for (NDArray x : new NDArray[] {in.q, in.k, in.v}) x.setRequiresGradient(true);
        float scale = (float) (1 / Math.sqrt(s.d()));
        return new Prepared("matmul+softmax+matmul, autograd backward", sub -> {
            for (NDArray x : new NDArray[] {in.q, in.k, in.v}) x.getGradient().muli(0);  // autograd accumulates
            try (GradientCollector collector = engine.newGradientCollector()) {
                NDArray out = exact(in.q, in.k, in.v, scale);
                collector.backward(out.mul(g).sum());
            }
            return NDArrays.concat(new NDList(in.q.getGradient().flatten(), in.k.getGradient().flatten(), in.v.getGradient().flatten()));
        }, in.q, in.k, in.v, g) {
            @Override
            public float[][] outputs() {
                float[] all = super.outputs()[0];
                int nq = s.qSize(), nk = s.kSize();
                return new float[][] {Arrays.copyOfRange(all, 0, nq), Arrays.copyOfRange(all, nq, nq + nk),
                        Arrays.copyOfRange(all, nq + nk, all.length)};
            }
        };
    }

    /**
     * Top-k attention as a PyTorch user writes it: scores = q·kᵀ per query chunk, topk, softmax over the k kept
     * scores, fetch the k value rows by advanced indexing (v.view(-1, d)[idx + row_base], which measured faster here
     * than torch.gather over an expanded v), weighted sum.
     */
    public PeerOp topk(AttentionShape s, float[] q, float[] k, float[] v, int topK, long budgetBytes) {
        if (topK <= 0 || topK > s.nk()) throw new IllegalArgumentException("top-k needs 0 < k <= nk, got k=" + topK + " for " + s);
        Inputs in = inputs(s, q, k, v);
        NDArray rowBase = manager.arange(0, s.pairs() * s.nk(), s.nk()).toType(DataType.INT64, false).reshape(s.pairs(), 1, 1);
        int chunk = queryChunk(s, budgetBytes);
        float scale = (float) (1 / Math.sqrt(s.d()));
        return new Prepared("matmul+topk+softmax+index rows, " + chunks(s.nq(), chunk) + " query chunk(s)", sub -> chunked(s.nq(), chunk, rows -> {
            NDArray qc = in.q.get(rows);
            long pairs = qc.getShape().get(0), c = qc.getShape().get(1), d = in.v.getShape().get(2);
            NDArray scores = qc.mul(scale).matMul(in.k.transpose(0, 2, 1));
            NDList top = scores.topK(topK, -1, true, false);
            scores.close();
            NDArray weights = top.get(0).softmax(-1);
            NDArray rowsOfV = in.v.reshape(-1, d).get(top.get(1).add(rowBase).flatten()).reshape(pairs, c, topK, d);
            NDArray out = weights.expandDims(2).matMul(rowsOfV).squeeze(2);
            rowsOfV.close();
            return out;
        }), in.q, in.k, in.v, rowBase);
    }

    @Override
    public void close() {
        manager.close();
    }

    private record Inputs(NDArray q, NDArray k, NDArray v) {}

    private Inputs inputs(AttentionShape s, float[] q, float[] k, float[] v) {
        s.check(q, k, v, new float[s.outSize()]);
        return new Inputs(manager.create(q, new Shape(s.pairs(), s.nq(), s.d())), manager.create(k, new Shape(s.pairs(), s.nk(), s.d())),
                manager.create(v, new Shape(s.pairs(), s.nk(), s.dv())));
    }

    /**
     * softmax(q·kᵀ·scale)·v. Big intermediates are closed as soon as they are used, as Python's reference counting
     * would free them, so the peak is the scores plus the probabilities (DJL would otherwise keep every
     * intermediate until the run's manager closes). Autograd keeps its own references to what backward needs.
     */
    private static NDArray exact(NDArray q, NDArray k, NDArray v, float scale) {
        NDArray scores = q.mul(scale).matMul(k.transpose(0, 2, 1));
        NDArray probabilities = scores.softmax(-1);
        scores.close();
        NDArray out = probabilities.matMul(v);
        probabilities.close();
        return out;
    }

    /** Query rows per chunk so that one chunk's pairs x rows x nk scores fit in budgetBytes (at least one row). */
    static int queryChunk(AttentionShape s, long budgetBytes) {
        long perRow = 4L * s.pairs() * s.nk();
        return (int) Math.max(1, Math.min(s.nq(), budgetBytes / perRow));
    }

    private static int chunks(int n, int chunk) {
        return (n + chunk - 1) / chunk;
    }

    private static NDArray chunked(int n, int chunk, Function<String, NDArray> body) {
        if (chunk >= n) return body.apply(":, :, :");
        NDList parts = new NDList();
        for (int r0 = 0; r0 < n; r0 += chunk) parts.add(body.apply(":, " + r0 + ":" + Math.min(n, r0 + chunk) + ", :"));
        return NDArrays.concat(parts, 1);
    }

    /**
     * Runs the body with the inputs attached to a per-run sub-manager, so every intermediate is freed when the run
     * ends and memory does not grow across runs.
     */
    private class Prepared implements PeerOp {
        private final String formulation;
        private final Function<NDManager, NDArray> body;
        private final NDArray[] inputs;

        Prepared(String formulation, Function<NDManager, NDArray> body, NDArray... inputs) {
            this.formulation = formulation;
            this.body = body;
            this.inputs = inputs;
        }

        @Override
        public void run() {
            try (NDManager sub = manager.newSubManager()) {
                for (NDArray x : inputs) x.tempAttach(sub);
                body.apply(sub);
            }
        }

        @Override
        public float[][] outputs() {
            try (NDManager sub = manager.newSubManager()) {
                for (NDArray x : inputs) x.tempAttach(sub);
                return new float[][] {body.apply(sub).toFloatArray()};
            }
        }

        @Override
        public String formulation() {
            return formulation;
        }

        @Override
        public void close() {
            for (NDArray x : inputs) x.close();
        }
    }
}
