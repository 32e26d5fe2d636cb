package dev.canopy.bert;

import dev.canopy.attention.AttentionSpec;

/**
 * Sentence vectors for batches of token sequences, whichever path computes them: the batched inference path
 * ({@link BertInference}) for exact attention with the dense feed-forward, the per-sequence {@link BertEncoder} for
 * every other attention or a top-k feed-forward. Safe to call from several threads.
 */
public interface SentenceEncoder {

    /** {@return the model's shape} */
    BertConfig config();

    /**
     * Mean of each sequence's last hidden states, not normalised.
     *
     * @param batch token ids per sequence ([CLS] first, [SEP] last)
     * @return per sequence, [hidden]
     */
    float[][] meanPooled(int[][] batch);

    /**
     * Sentence embeddings: the mean over tokens, L2-normalised.
     *
     * @param batch token ids per sequence ([CLS] first, [SEP] last)
     * @return per sequence, [hidden]
     */
    float[][] embed(int[][] batch);

    /**
     * The fastest path that runs this attention and feed-forward over these weights.
     *
     * @param weights   a pretrained BERT (the inference path packs its own copy of the layers; drop these afterwards to
     *                  hold the weights once)
     * @param attention the attention every layer runs
     * @param ffn       dense, or a top-k feed-forward
     * @return the encoder
     */
    static SentenceEncoder of(BertWeights weights, AttentionSpec attention, FeedForwardSpec ffn) {
        if (attention.name().equals("exact") && ffn.dense()) return new BertInference(InferenceWeights.of(weights));
        return new BertEncoder(weights, attention, ffn);
    }
}
