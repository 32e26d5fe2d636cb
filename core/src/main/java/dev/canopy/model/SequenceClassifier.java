package dev.canopy.model;

import dev.canopy.nn.Pass;
import dev.canopy.data.Batch;
import dev.canopy.nn.Parameter;
import java.util.Map;

/**
 * A trainable classifier over token batches: the encoder classifier and its two-tower variant implement it, and
 * the trainer and the commands only ever see this.
 */
public interface SequenceClassifier {

    /**
     * Every parameter under a stable, unique name (the checkpoint's tensor names), in a fixed order.
     *
     * @return name to parameter, in checkpoint order
     */
    Map<String, Parameter> namedParameters();

    /** {@return the number of classes the logits score} */
    int classes();

    /**
     * Whether batches must start each row with [CLS] (CLS pooling).
     *
     * @return true for CLS pooling
     */
    boolean clsToken();

    /**
     * Longest document (without [CLS]) the model accepts.
     *
     * @return tokens per document
     */
    int maxLength();

    /**
     * Whether parts of a batch may run forward and backward side by side, each adding into gradients of its own
     * ({@link Parameter#withGradients}) and getting what it would get in the whole batch.
     *
     * @return true when a trainer may split batches across cores
     */
    default boolean splitsBatches() {
        return false;
    }

    /**
     * Logits (see {@link Forward#logits()}) plus whatever backward needs and the attention cost of this pass.
     *
     * @param batch token ids, padding and labels
     * @param pass  inference, or training with its dropout seed
     * @return the logits and what backward needs
     */
    Forward forward(Batch batch, Pass pass);

    /**
     * Adds dLoss/dParameter into every parameter's grad, given dLoss/dLogits (the logits' shape).
     *
     * @param forward what the forward returned
     * @param dLogits gradient of the loss with respect to the logits
     */
    void backward(Forward forward, float[] dLogits);

    /** What one forward pass produced and cost. */
    interface Forward {
        /**
         * [rows, classes]: one row per example, or per supervised position for a token-level model.
         *
         * @return the logits
         */
        float[] logits();

        /**
         * The label each row of {@link #logits()} should predict (the batch's labels, or its supervised targets).
         *
         * @return one label per row
         */
        int[] labels();

        /**
         * Attention-layer FLOPs of this forward (all layers, projections excluded), as the attentions report them.
         *
         * @return multiply-adds times two
         */
        long attentionFlops();

        /** {@return attention-layer FLOPs the matching backward performs} */
        long attentionBackwardFlops();

        /**
         * Largest working memory any one attention call reported.
         *
         * @return bytes
         */
        long attentionWorkingBytes();
    }
}
