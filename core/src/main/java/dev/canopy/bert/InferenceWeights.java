package dev.canopy.bert;

import dev.canopy.io.Safetensors;
import dev.canopy.io.SafetensorsFile;
import dev.canopy.kernels.Sgemm;
import dev.canopy.kernels.Sgemm.PackedB;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A BERT's weights held once, read-only, for inference: embeddings and norms as read from the file, every linear
 * layer's weight packed into the panels {@link Sgemm} reads (the packed copy replaces the [out, in] original, so no
 * product packs its weights again), and Q, K, V fused into one [hidden, 3 * hidden] projection. No gradient buffers.
 *
 * @param config             the shape
 * @param wordEmbeddings     [vocabSize, hidden]
 * @param positionEmbeddings [maxPositions, hidden]
 * @param typeEmbeddings     [typeVocabSize, hidden]
 * @param embLnGamma         embedding layer norm scale
 * @param embLnBeta          embedding layer norm shift
 * @param layers             the encoder layers, first to last
 */
public record InferenceWeights(BertConfig config, float[] wordEmbeddings, float[] positionEmbeddings, float[] typeEmbeddings,
                               float[] embLnGamma, float[] embLnBeta, Layer[] layers) {

    /**
     * One encoder layer.
     *
     * @param qkv      x · [Wq; Wk; Wv]^T, packed: [hidden] in, [3 * hidden] out (Q, then K, then V)
     * @param qkvBias  [3 * hidden]
     * @param attnOut  attention output projection, packed
     * @param attnBias its bias
     * @param ln1Gamma attention layer norm scale
     * @param ln1Beta  attention layer norm shift
     * @param ffnIn    feed-forward input projection [hidden -> intermediate], packed
     * @param ffnInBias its bias
     * @param ffnOut   feed-forward output projection [intermediate -> hidden], packed
     * @param ffnOutBias its bias
     * @param ln2Gamma output layer norm scale
     * @param ln2Beta  output layer norm shift
     */
    public record Layer(PackedB qkv, float[] qkvBias, PackedB attnOut, float[] attnBias, float[] ln1Gamma, float[] ln1Beta,
                        PackedB ffnIn, float[] ffnInBias, PackedB ffnOut, float[] ffnOutBias, float[] ln2Gamma, float[] ln2Beta) {

        static Layer pack(BertWeights.Layer w, int h, int ff) {
            float[] fused = new float[3 * h * h], fusedBias = new float[3 * h];
            System.arraycopy(w.wq(), 0, fused, 0, h * h);
            System.arraycopy(w.wk(), 0, fused, h * h, h * h);
            System.arraycopy(w.wv(), 0, fused, 2 * h * h, h * h);
            System.arraycopy(w.bq(), 0, fusedBias, 0, h);
            System.arraycopy(w.bk(), 0, fusedBias, h, h);
            System.arraycopy(w.bv(), 0, fusedBias, 2 * h, h);
            return new Layer(Sgemm.pack(h, 3 * h, fused, 0, h, true), fusedBias,
                    Sgemm.pack(h, h, w.wo(), 0, h, true), w.bo(), w.ln1Gamma(), w.ln1Beta(),
                    Sgemm.pack(h, ff, w.w1(), 0, h, true), w.b1(),
                    Sgemm.pack(ff, h, w.w2(), 0, ff, true), w.b2(), w.ln2Gamma(), w.ln2Beta());
        }

        long bytes() {
            return qkv.bytes() + attnOut.bytes() + ffnIn.bytes() + ffnOut.bytes()
                    + 4L * (qkvBias.length + attnBias.length + ln1Gamma.length + ln1Beta.length + ffnInBias.length
                    + ffnOutBias.length + ln2Gamma.length + ln2Beta.length);
        }
    }

    /**
     * Reads a model.safetensors file one layer at a time, packing each as it comes, so loading never holds more than
     * one layer twice.
     *
     * @param safetensors the weights file
     * @param c           the shape, from config.json
     * @return the packed weights
     * @throws IOException if the file cannot be read, or a tensor is missing, misshapen or not finite
     */
    public static InferenceWeights load(Path safetensors, BertConfig c) throws IOException {
        SafetensorsFile f = Safetensors.open(safetensors);
        String prefix = BertWeights.prefix(f);
        Layer[] layers = new Layer[c.layers()];
        for (int i = 0; i < layers.length; i++) layers[i] = Layer.pack(BertWeights.readLayer(f, prefix, i, c), c.hidden(), c.intermediate());
        return withLayers(BertWeights.readEmbeddings(f, c), layers);
    }

    /**
     * Packs weights already in memory (they may be dropped afterwards: embeddings and norms are shared, not copied).
     *
     * @param w the weights as loaded
     * @return the packed weights
     */
    public static InferenceWeights of(BertWeights w) {
        BertConfig c = w.config();
        Layer[] layers = new Layer[c.layers()];
        for (int i = 0; i < layers.length; i++) layers[i] = Layer.pack(w.layers()[i], c.hidden(), c.intermediate());
        return withLayers(w, layers);
    }

    private static InferenceWeights withLayers(BertWeights e, Layer[] layers) {
        return new InferenceWeights(e.config(), e.wordEmbeddings(), e.positionEmbeddings(), e.typeEmbeddings(), e.embLnGamma(),
                e.embLnBeta(), layers);
    }

    /** {@return the bytes of every array held, to compare with the file's size} */
    public long bytes() {
        long b = 4L * (wordEmbeddings.length + positionEmbeddings.length + typeEmbeddings.length + embLnGamma.length + embLnBeta.length);
        for (Layer l : layers) b += l.bytes();
        return b;
    }
}
