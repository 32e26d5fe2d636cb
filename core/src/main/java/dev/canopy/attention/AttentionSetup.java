package dev.canopy.attention;

/**
 * What an attention with parameters must know when it is built: heads, head width, the longest sequence it will
 * see (Linformer's projections depend on it) and a seed for its initialisation.
 *
 * @param heads     attention heads
 * @param headDim   width of each head's queries and keys
 * @param maxLength the longest sequence the attention will be given
 * @param seed      seed for the initialisation of its parameters, if any
 */
public record AttentionSetup(int heads, int headDim, int maxLength, long seed) {
    /** Checks that heads, head width and length are positive. */
    public AttentionSetup {
        if (heads <= 0 || headDim <= 0 || maxLength <= 0) {
            throw new IllegalArgumentException("attention setup needs positive heads, headDim and maxLength, got heads=" + heads
                    + " headDim=" + headDim + " maxLength=" + maxLength);
        }
    }
}
