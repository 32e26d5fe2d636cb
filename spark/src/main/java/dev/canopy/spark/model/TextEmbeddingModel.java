package dev.canopy.spark.model;

import dev.canopy.attention.registry.Attentions;
import dev.canopy.bert.BertCheckpoint;
import dev.canopy.bert.BertEncoder;
import dev.canopy.bert.FeedForwardSpec;
import dev.canopy.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A sentence-embedding model ready to run: tokenizer and encoder, the same inference path as {@code canopy embed}
 * (WordPiece ids with [CLS]/[SEP], {@link BertEncoder#embed}: mean pooling and L2 normalisation). Read-only after
 * construction, so the tasks of one executor share it; each call allocates its own activations.
 */
public final class TextEmbeddingModel {
    private final WordPieceTokenizer tokenizer;
    private final BertEncoder encoder;
    private final String source;

    private TextEmbeddingModel(WordPieceTokenizer tokenizer, BertEncoder encoder, String source) {
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.source = source;
    }

    /** This JVM's model for the spec, loaded on first use. */
    public static TextEmbeddingModel shared(EmbeddingSpec spec) throws IOException {
        TextEmbeddingModel m = SharedModels.get(spec.modelKey(), () -> open(spec));
        m.checkMaxLength(spec.maxLength());
        return m;
    }

    static TextEmbeddingModel open(EmbeddingSpec spec) throws IOException {
        BertCheckpoint loaded = BertCheckpoint.load(spec.model());
        BertEncoder encoder = new BertEncoder(loaded.weights(), Attentions.parse(spec.attention()), FeedForwardSpec.parse(spec.ffn()));
        return new TextEmbeddingModel(loaded.tokenizer(), encoder, loaded.name());
    }

    public int dimension() {
        return encoder.config().hidden();
    }

    private void checkMaxLength(int maxLength) {
        int positions = encoder.config().maxPositions();
        if (maxLength < 2 || maxLength > positions) {
            throw new IllegalArgumentException("maxLength must be in 2.." + positions + " for the model in " + source + ", got " + maxLength);
        }
    }

    /** Embeddings of a batch of raw texts (UTF-8 bytes), one outcome per text, in order. */
    public List<Outcome<float[]>> embedAll(List<byte[]> texts, int maxLength) {
        List<Outcome<float[]>> out = new ArrayList<>(texts.size());
        for (byte[] t : texts) out.add(embed(t, maxLength));
        return out;
    }

    /** One text's embedding, or why it has none; texts longer than maxLength tokens are cut, as in canopy embed. */
    public Outcome<float[]> embed(byte[] utf8, int maxLength) {
        Outcome<String> text = Utf8.decode(utf8);
        if (!text.ok()) return Outcome.failed(text.error());
        try {
            int[] ids = encode(text.value(), maxLength);
            if (ids.length <= 2) return Outcome.failed("empty text (no tokens)");
            float[] e = encoder.embed(ids);
            for (float x : e) {
                if (!Float.isFinite(x)) return Outcome.failed("the embedding came out non-finite (" + x + "); the model's activations overflow");
            }
            return Outcome.of(e);
        } catch (IllegalArgumentException e) {
            return Outcome.failed(e.getMessage());   // e.g. a token id outside the model's vocabulary
        }
    }

    /** WordPiece ids of a text, checked against the model's vocabulary (a tokenizer with sparse ids can exceed it). */
    int[] encode(String text, int maxLength) {
        WordPieceTokenizer.Encoding enc = tokenizer.encode(text, maxLength);
        int vocab = encoder.config().vocabSize();
        for (int id : enc.ids()) {
            if (id >= vocab) throw new IllegalArgumentException("the tokenizer gives token id " + id + ", outside the model's vocab_size " + vocab);
        }
        return enc.ids();
    }
}
