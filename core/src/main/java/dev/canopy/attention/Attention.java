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

    /**
     * The spec string that recreates this attention, e.g. {@code topk:k=64,chunk=1024}.
     *
     * @return the spec, as {@link dev.canopy.attention.registry.Attentions#parse} reads it
     */
    String spec();

    /**
     * Computes out = attention(q, k, v) and returns what backward needs. Inputs are read, never modified, and must stay
     * unchanged until backward has run. A query row with no visible key produces zeros.
      *
      * @param shape the dimensions of the call
      * @param q     queries [batch, heads, nq, d]
      * @param k     keys [batch, heads, nk, d]
      * @param v     values [batch, heads, nk, dv]
      * @param mask  which keys each query may see
      * @param pass  inference, or training with the seed of its dropout
      * @param out   written: [batch, heads, nq, dv]
      * @return what backward needs, and what the call cost
     */
    Saved forward(AttentionShape shape, float[] q, float[] k, float[] v, AttentionMask mask, Pass pass, float[] out);

    /**
     * Given dOut = dLoss/dOut, writes (overwrites) dq, dk, dv and adds into the gradients of {@link #parameters()}.
      *
      * @param saved what the forward returned
      * @param dOut  dLoss/dOut [batch, heads, nq, dv]
      * @param dq    written: dLoss/dq
      * @param dk    written: dLoss/dk
      * @param dv    written: dLoss/dv
     */
    void backward(Saved saved, float[] dOut, float[] dq, float[] dk, float[] dv);

    /**
     * Learned parameters of the attention itself (trees, projections); empty for exact and top-k.
     *
     * @return the parameters, in a fixed order (checkpoints rely on it)
     */
    default List<Parameter> parameters() {
        return List.of();
    }

    /**
     * Whether the parts of a batch may run through this attention side by side, as the trainer does on several cores:
     * true when a call depends only on its inputs and the parameters. Tree attentions fit their trees to the first keys
     * they see, so they take a batch whole until their trees are fitted (or loaded).
     *
     * @return true when parts of a batch may be run concurrently
     */
    default boolean splitsBatches() {
        return true;
    }

    /** Per-call record of the forward pass: what backward needs, plus accounting of what the call cost. */
    interface Saved {
        /** {@return the shape of the forward call} */
        AttentionShape shape();

        /**
         * Attention-layer FLOPs this forward performed (multiply-add = 2; projections excluded).
         *
         * @return multiply-adds times two
         */
        long flops();

        /**
         * Attention-layer FLOPs the matching backward performs.
         *
         * @return multiply-adds times two
         */
        long backwardFlops();

        /**
         * Peak bytes of working memory the forward or the backward allocates beyond the inputs, outputs and gradients:
         * scratch buffers plus everything kept for the backward.
          *
          * @return bytes
         */
        long workingBytes();
    }
}
