package dev.canopy.bert;

import dev.canopy.io.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The shape of a BERT encoder, read from and written as a Hugging Face config.json.
 *
 * @param vocabSize     tokens in the vocabulary
 * @param hidden        model width
 * @param layers        encoder layers
 * @param heads         attention heads
 * @param intermediate  hidden width of the feed-forward
 * @param maxPositions  position embeddings: the longest sequence
 * @param typeVocabSize token types (segments)
 * @param layerNormEps  epsilon of every layer norm
 */
public record BertConfig(int vocabSize, int hidden, int layers, int heads, int intermediate, int maxPositions,
                         int typeVocabSize, double layerNormEps) {
    /** Checks that every size is positive and the width divides into the heads. */
    public BertConfig {
        if (vocabSize <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || intermediate <= 0 || maxPositions <= 0 || typeVocabSize <= 0) {
            throw new IllegalArgumentException("BERT config needs positive sizes: " + this);
        }
        if (hidden % heads != 0) throw new IllegalArgumentException("hidden size " + hidden + " is not divisible by " + heads + " heads");
    }

    /** {@return width of each head: hidden / heads} */
    public int headDim() {
        return hidden / heads;
    }

    /** {@return this shape as a Hugging Face config.json} */
    public String toJson() {
        return """
                {
                  "architectures": ["BertModel"],
                  "model_type": "bert",
                  "vocab_size": %d,
                  "hidden_size": %d,
                  "num_hidden_layers": %d,
                  "num_attention_heads": %d,
                  "intermediate_size": %d,
                  "max_position_embeddings": %d,
                  "type_vocab_size": %d,
                  "layer_norm_eps": %s,
                  "hidden_act": "gelu",
                  "position_embedding_type": "absolute",
                  "pad_token_id": 0
                }
                """.formatted(vocabSize, hidden, layers, heads, intermediate, maxPositions, typeVocabSize, Double.toString(layerNormEps));
    }

    /**
     * Reads a Hugging Face config.json.
     *
     * @param path the file
     * @return the shape
     * @throws IOException if the file cannot be read or lacks a field
     */
    public static BertConfig read(Path path) throws IOException {
        Map<String, Object> m;
        try {
            m = Json.parseObject(dev.canopy.io.TextFiles.readUtf8(path, dev.canopy.io.JsonFields.MAX_BYTES));
        } catch (IllegalArgumentException ex) {
            throw new IOException(path + ": not valid JSON: " + ex.getMessage());
        }
        Object act = m.getOrDefault("hidden_act", "gelu");
        if (!"gelu".equals(act)) throw new IOException(path + ": hidden_act " + act + " is not supported (only exact gelu)");
        Object pos = m.getOrDefault("position_embedding_type", "absolute");
        if (!"absolute".equals(pos)) throw new IOException(path + ": position_embedding_type " + pos + " is not supported");
        try {
            return new BertConfig(intField(path, m, "vocab_size"), intField(path, m, "hidden_size"), intField(path, m, "num_hidden_layers"),
                    intField(path, m, "num_attention_heads"), intField(path, m, "intermediate_size"),
                    intField(path, m, "max_position_embeddings"), intField(path, m, "type_vocab_size"),
                    m.get("layer_norm_eps") instanceof Number n ? n.doubleValue() : 1e-12);
        } catch (IllegalArgumentException ex) {
            throw new IOException(path + ": " + ex.getMessage());
        }
    }

    private static int intField(Path path, Map<String, Object> m, String key) throws IOException {
        if (!(m.get(key) instanceof Long v) || v <= 0 || v > 1 << 24) throw new IOException(path + ": missing or bad " + key + ": " + m.get(key));
        return (int) (long) v;
    }
}
