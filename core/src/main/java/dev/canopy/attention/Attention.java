package dev.canopy.attention;

import dev.canopy.nn.Parameter;
import dev.canopy.nn.Pass;
import java.util.List;

/**
 * Multi-head attention over [batch, heads, n, d] tensors. Implementations: exact, top-k, Treeformer TF/TC, Linformer.
 * Chosen by name through the registry (Attentions.create in attention.registry). Instances are thread-safe; all per-call state lives in the returned
 * {@link Saved}, which backward consumes.
 */
public interface Attention {

    /** The spec string that recreates this attention, e.g. {@code topk:k=64,chunk=1024}. */
    String spec();

    /**
     * Computes out = attention(q, k, v) and returns what backward needs. Inputs are read, never modified, and must stay
     * unchanged until backward has run. A query row with no visible key produces zeros.
     */
    Saved forward(AttentionShape shape, float[] q, float[] k, float[] v, AttentionMask mask, Pass pass, float[] out);

    /**
     * Given dOut = dLoss/dOut, writes (overwrites) dq, dk, dv and adds into the gradients of {@link #parameters()}.
     */
    void backward(Saved saved, float[] dOut, float[] dq, float[] dk, float[] dv);

    /** Learned parameters of the attention itself (trees, projections); empty for exact and top-k. */
    default List<Parameter> parameters() {
        return List.of();
    }

    /** Per-call record of the forward pass: what backward needs, plus accounting of what the call cost. */
    interface Saved {
        AttentionShape shape();

        /** Attention-layer FLOPs this forward performed (multiply-add = 2; projections excluded). */
        long flops();

        /** Attention-layer FLOPs the matching backward performs. */
        long backwardFlops();

        /**
         * Peak bytes of working memory the forward or the backward allocates beyond the inputs, outputs and gradients:
         * scratch buffers plus everything kept for the backward.
         */
        long workingBytes();
    }
}
