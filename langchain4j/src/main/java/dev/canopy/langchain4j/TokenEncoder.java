package dev.canopy.langchain4j;

/**
 * What {@link CanopyEmbeddingModel} needs from a model: the token ids of one sequence in, the mean of its hidden
 * states out. A seam, so that a faster inference path can replace {@link BertTokenEncoder} without the langchain4j
 * side noticing.
 */
interface TokenEncoder {

    /** Width of the pooled vector. */
    int dimension();

    /** The longest sequence accepted, [CLS] and [SEP] included. */
    int maxTokens();

    /** Mean over the sequence of the last hidden states, not normalised; callable from several threads at once. */
    float[] meanPooled(int[] ids);

    /** {@link #meanPooled(int[])} of each sequence; an encoder that runs batches together overrides it. */
    default float[][] meanPooled(int[][] batch) {
        float[][] out = new float[batch.length][];
        for (int s = 0; s < batch.length; s++) out[s] = meanPooled(batch[s]);
        return out;
    }
}
