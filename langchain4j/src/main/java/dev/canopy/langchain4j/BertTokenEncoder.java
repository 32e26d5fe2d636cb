package dev.canopy.langchain4j;

import dev.canopy.bert.BertEncoder;

/** {@link TokenEncoder} on Canopy's BERT encoder, which is today's inference path. */
final class BertTokenEncoder implements TokenEncoder {
    private final BertEncoder encoder;

    BertTokenEncoder(BertEncoder encoder) {
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
        float[] hidden = encoder.forward(ids).hidden();
        int n = ids.length, h = dimension();
        double[] sum = new double[h];
        for (int i = 0; i < n; i++) for (int j = 0; j < h; j++) sum[j] += hidden[i * h + j];
        float[] mean = new float[h];
        for (int j = 0; j < h; j++) mean[j] = (float) (sum[j] / n);
        return mean;
    }
}
