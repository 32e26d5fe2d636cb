package dev.canopy.bert;

import dev.canopy.io.Finite;
import dev.canopy.io.Safetensors;
import dev.canopy.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The weights of a BERT encoder in Hugging Face layout (linear weights [out, in]), loaded from safetensors. Names may
 * carry a "bert." prefix (BertForX checkpoints) or not (BertModel, sentence-transformers).
 *
 * @param config             the shape
 * @param wordEmbeddings     [vocabSize, hidden]
 * @param positionEmbeddings [maxPositions, hidden]
 * @param typeEmbeddings     [typeVocabSize, hidden]
 * @param embLnGamma         embedding layer norm scale [hidden]
 * @param embLnBeta          embedding layer norm shift [hidden]
 * @param layers             the encoder layers, first to last
 */
public record BertWeights(BertConfig config, float[] wordEmbeddings, float[] positionEmbeddings, float[] typeEmbeddings,
                          float[] embLnGamma, float[] embLnBeta, Layer[] layers) {

    /**
     * One encoder layer.
     *
     * @param wq       query weight [hidden, hidden]
     * @param bq       query bias
     * @param wk       key weight
     * @param bk       key bias
     * @param wv       value weight
     * @param bv       value bias
     * @param wo       attention output weight
     * @param bo       attention output bias
     * @param ln1Gamma attention layer norm scale
     * @param ln1Beta  attention layer norm shift
     * @param w1       feed-forward input weight [intermediate, hidden]
     * @param b1       feed-forward input bias
     * @param w2       feed-forward output weight [hidden, intermediate]
     * @param b2       feed-forward output bias
     * @param ln2Gamma output layer norm scale
     * @param ln2Beta  output layer norm shift
     */
    public record Layer(float[] wq, float[] bq, float[] wk, float[] bk, float[] wv, float[] bv, float[] wo, float[] bo,
                        float[] ln1Gamma, float[] ln1Beta, float[] w1, float[] b1, float[] w2, float[] b2,
                        float[] ln2Gamma, float[] ln2Beta) {}

    /** A tensor whose values are all finite: NaN weights would give NaN embeddings, printed as non-JSON. */
    private static float[] finite(SafetensorsFile f, String name, int... shape) throws IOException {
        return Finite.require(f.floats(name, shape), f.path(), name);
    }

    /**
     * Reads every tensor the shape calls for, checking its size and that every value is finite.
     *
     * @param safetensors a model.safetensors file
     * @param c           the shape, from config.json
     * @return the weights
     * @throws IOException if the file cannot be read, or a tensor is missing, misshapen or not finite
     */
    public static BertWeights load(Path safetensors, BertConfig c) throws IOException {
        SafetensorsFile f = Safetensors.open(safetensors);
        String p = prefix(f);
        Layer[] layers = new Layer[c.layers()];
        for (int i = 0; i < layers.length; i++) layers[i] = readLayer(f, p, i, c);
        return readEmbeddings(f, c).withLayers(layers);
    }

    private BertWeights withLayers(Layer[] layers) {
        return new BertWeights(config, wordEmbeddings, positionEmbeddings, typeEmbeddings, embLnGamma, embLnBeta, layers);
    }

    /** The weights without any layer: what {@link #readLayer} leaves to read, for loaders that take layers one by one. */
    static BertWeights readEmbeddings(SafetensorsFile f, BertConfig c) throws IOException {
        String e = prefix(f) + "embeddings.";
        int h = c.hidden();
        return new BertWeights(c, finite(f, e + "word_embeddings.weight", c.vocabSize(), h),
                finite(f, e + "position_embeddings.weight", c.maxPositions(), h),
                finite(f, e + "token_type_embeddings.weight", c.typeVocabSize(), h),
                finite(f, e + "LayerNorm.weight", h), finite(f, e + "LayerNorm.bias", h), new Layer[0]);
    }

    /** "bert." for BertForX checkpoints, "" for BertModel and sentence-transformers. */
    static String prefix(SafetensorsFile f) {
        return f.contains("bert.embeddings.word_embeddings.weight") ? "bert." : "";
    }

    /** Layer i's sixteen tensors, checked for shape and finiteness. */
    static Layer readLayer(SafetensorsFile f, String prefix, int i, BertConfig c) throws IOException {
        int h = c.hidden(), ff = c.intermediate();
        String l = prefix + "encoder.layer." + i + ".";
        return new Layer(
                finite(f, l + "attention.self.query.weight", h, h), finite(f, l + "attention.self.query.bias", h),
                finite(f, l + "attention.self.key.weight", h, h), finite(f, l + "attention.self.key.bias", h),
                finite(f, l + "attention.self.value.weight", h, h), finite(f, l + "attention.self.value.bias", h),
                finite(f, l + "attention.output.dense.weight", h, h), finite(f, l + "attention.output.dense.bias", h),
                finite(f, l + "attention.output.LayerNorm.weight", h), finite(f, l + "attention.output.LayerNorm.bias", h),
                finite(f, l + "intermediate.dense.weight", ff, h), finite(f, l + "intermediate.dense.bias", ff),
                finite(f, l + "output.dense.weight", h, ff), finite(f, l + "output.dense.bias", h),
                finite(f, l + "output.LayerNorm.weight", h), finite(f, l + "output.LayerNorm.bias", h));
    }
}
