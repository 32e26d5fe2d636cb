package dev.canopy.spark.model;

import dev.canopy.attention.registry.Attentions;
import dev.canopy.bert.BertCheckpoint;
import dev.canopy.bert.SentenceEncoder;
import dev.canopy.bert.FeedForwardSpec;
import dev.canopy.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A sentence-embedding model ready to run: tokenizer and encoder, the same inference path as {@code canopy embed}
 * (WordPiece ids with [CLS]/[SEP], {@link SentenceEncoder#embed}: mean pooling and L2 normalisation; a partition's texts
 * run as batches through the inference path). Read-only after construction, so the tasks of one executor share it.
 */
public final class TextEmbeddingModel {
    private final WordPieceTokenizer tokenizer;
    private final SentenceEncoder encoder;
    private final String source;

    private TextEmbeddingModel(WordPieceTokenizer tokenizer, SentenceEncoder encoder, String source) {
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
        SentenceEncoder encoder = SentenceEncoder.of(loaded.weights(), Attentions.parse(spec.attention()), FeedForwardSpec.parse(spec.ffn()));
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

    /** Texts per pass through the encoder. */
    private static final int BATCH = 32;

    /** Embeddings of a batch of raw texts (UTF-8 bytes), one outcome per text, in order. */
    public List<Outcome<float[]>> embedAll(List<byte[]> texts, int maxLength) {
        List<Outcome<float[]>> out = new ArrayList<>(texts.size());
        for (int first = 0; first < texts.size(); first += BATCH) out.addAll(embedGroup(texts.subList(first, Math.min(texts.size(), first + BATCH)), maxLength));
        return out;
    }

    /** One group: texts that tokenise run through the encoder together; the others keep why they have no embedding. */
    private List<Outcome<float[]>> embedGroup(List<byte[]> texts, int maxLength) {
        List<Outcome<float[]>> out = new ArrayList<>(texts.size());
        List<int[]> ready = new ArrayList<>();
        for (byte[] t : texts) {
            Outcome<int[]> ids = tokens(t, maxLength);
            out.add(ids.ok() ? null : Outcome.failed(ids.error()));
            if (ids.ok()) ready.add(ids.value());
        }
        float[][] embeddings;
        try {
            embeddings = encoder.embed(ready.toArray(int[][]::new));
        } catch (IllegalArgumentException e) {
            // Not expected after the checks in tokens(); one text at a time says which text it was.
            List<Outcome<float[]>> each = new ArrayList<>(texts.size());
            for (byte[] t : texts) each.add(embed(t, maxLength));
            return each;
        }
        int next = 0;
        for (int i = 0; i < out.size(); i++) if (out.get(i) == null) out.set(i, finite(embeddings[next++]));
        return out;
    }

    /** A text's ids, or why it has none. */
    private Outcome<int[]> tokens(byte[] utf8, int maxLength) {
        Outcome<String> text = Utf8.decode(utf8);
        if (!text.ok()) return Outcome.failed(text.error());
        try {
            int[] ids = encode(text.value(), maxLength);
            return ids.length <= 2 ? Outcome.failed("empty text (no tokens)") : Outcome.of(ids);
        } catch (IllegalArgumentException e) {
            return Outcome.failed(e.getMessage());   // e.g. a token id outside the model's vocabulary
        }
    }

    private static Outcome<float[]> finite(float[] e) {
        for (float x : e) {
            if (!Float.isFinite(x)) return Outcome.failed("the embedding came out non-finite (" + x + "); the model's activations overflow");
        }
        return Outcome.of(e);
    }

    /** One text's embedding, or why it has none; texts longer than maxLength tokens are cut, as in canopy embed. */
    public Outcome<float[]> embed(byte[] utf8, int maxLength) {
        Outcome<int[]> ids = tokens(utf8, maxLength);
        if (!ids.ok()) return Outcome.failed(ids.error());
        try {
            return finite(encoder.embed(new int[][] {ids.value()})[0]);
        } catch (IllegalArgumentException e) {
            return Outcome.failed(e.getMessage());
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
