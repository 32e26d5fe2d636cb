package dev.canopy.nn;

import java.util.List;

/**
 * A layer in the llm.c style: {@code forward(...)} computes its output into a caller-supplied array and returns a small
 * {@code Saved} record holding what {@code backward(...)} needs; backward overwrites the input gradient and ADDS into
 * the gradients of {@link #parameters()}. Layers keep no per-call state, so one instance may run several forwards
 * (micro-batches, recomputation) before the matching backwards, from any thread.
 *
 * <p>Conventions shared by every layer:
 * <ul>
 *   <li>Tensors are row-major float[] starting at index 0; "rows" is the number of independent rows (batch × tokens)
 *       and the last dimension is contiguous. Arrays may be longer than needed; only the leading part is used.
 *   <li>Inputs referenced by a Saved record must stay unchanged until backward has run.
 *   <li>Input gradients are overwritten (as in {@code Attention.backward}); a null input-gradient array skips it.
 * </ul>
 */
public interface Layer {
    /**
     * The trainable parameters, in a stable order (empty for parameter-free layers).
     *
     * @return the parameters, in a fixed order
     */
    default List<Parameter> parameters() {
        return List.of();
    }
}
