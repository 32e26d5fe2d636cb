package dev.canopy.spark.model;

import dev.canopy.bert.BertConfig;
import dev.canopy.bert.BertWeights;
import dev.canopy.bert.MiniLm;
import dev.canopy.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The files of a BERT sentence-embedding model: "minilm" (all-MiniLM-L6-v2 in the Canopy cache, fetched on first use)
 * or a directory in Hugging Face layout (model.safetensors, config.json, tokenizer.json). The same rules as the
 * CLI's {@code --model}; kept here so the Spark module needs nothing from the CLI (a core loader may replace it).
 */
record BertDirectory(Path safetensors, Path config, Path tokenizer) {

    static BertDirectory resolve(String model) throws IOException {
        if (model.equals("minilm")) {
            MiniLm m = MiniLm.inCache();
            return new BertDirectory(m.safetensorsFile(), m.configFile(), m.tokenizerFile());
        }
        Path dir = Path.of(model);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model " + model + ": expected 'minilm' or a directory with model.safetensors, config.json and tokenizer.json");
        }
        BertDirectory d = new BertDirectory(dir.resolve("model.safetensors"), dir.resolve("config.json"), dir.resolve("tokenizer.json"));
        for (Path p : new Path[] {d.safetensors, d.config, d.tokenizer}) {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("model " + model + ": missing " + p.getFileName());
        }
        return d;
    }

    /** The tokenizer and the weights, checked to belong together. */
    Loaded load() throws IOException {
        BertConfig c = BertConfig.read(config);
        WordPieceTokenizer t = WordPieceTokenizer.fromJson(tokenizer);
        // Ids are distinct, so more tokens than vocab_size means some id has no embedding row.
        if (t.vocabSize() > c.vocabSize()) {
            throw new IllegalArgumentException(tokenizer + " has " + t.vocabSize() + " tokens but " + config + " gives vocab_size " + c.vocabSize()
                    + "; the tokenizer and the model do not belong together");
        }
        return new Loaded(t, BertWeights.load(safetensors, c));
    }

    record Loaded(WordPieceTokenizer tokenizer, BertWeights weights) {}
}
