package dev.canopy.langchain4j;

import dev.canopy.bert.SentenceEncoder;

/**
 * {@link TokenEncoder} on Canopy's sentence encoders: the batched inference path for exact attention with the dense
 * feed-forward, the per-sequence BERT encoder otherwise (see {@link SentenceEncoder#of}).
 */
final class BertTokenEncoder implements TokenEncoder {
    private final SentenceEncoder encoder;

    BertTokenEncoder(SentenceEncoder encoder) {
        this.encoder = encoder;
    }

    @Override
    public int dimension() {
        return encoder.config().hidden();
    }

    @Override
    public int maxTokens() {
        return encoder.config().maxPositions();
    }

    @Override
    public float[] meanPooled(int[] ids) {
        return encoder.meanPooled(new int[][] {ids})[0];
    }

    @Override
    public float[][] meanPooled(int[][] batch) {
        return encoder.meanPooled(batch);
    }
}
