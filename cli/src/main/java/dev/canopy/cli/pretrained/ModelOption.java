package dev.canopy.cli.pretrained;

import dev.canopy.bert.BertConfig;
import dev.canopy.bert.BertWeights;
import dev.canopy.bert.MiniLm;
import dev.canopy.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves {@code --model}: "minilm" (all-MiniLM-L6-v2, fetched and converted into the cache on first use) or a
 * directory holding a BERT checkpoint in Hugging Face layout (model.safetensors, config.json, tokenizer.json).
 */
public record ModelOption(String name, WordPieceTokenizer tokenizer, BertWeights weights, Path tokenizerFile, Path configFile) {

    /** A text's encoding, its ids checked against the model's vocabulary (a tokenizer with sparse ids can exceed it). */
    WordPieceTokenizer.Encoding encode(String text, int maxLength) {
        WordPieceTokenizer.Encoding enc = tokenizer.encode(text, maxLength);
        for (int id : enc.ids()) {
            if (id >= weights.config().vocabSize()) {
                throw new IllegalArgumentException(tokenizerFile + " gives token id " + id + ", outside the vocab_size " + weights.config().vocabSize()
                        + " of " + configFile + "; the tokenizer and the model do not belong together");
            }
        }
        return enc;
    }

    static ModelOption load(String model) throws IOException {
        Path safetensors, config, tokenizer;
        if (model.equals("minilm")) {
            MiniLm m = MiniLm.inCache();
            safetensors = m.safetensorsFile();
            config = m.configFile();
            tokenizer = m.tokenizerFile();
        } else {
            Path dir = Path.of(model);
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("--model " + model + ": expected 'minilm' or a directory with model.safetensors, config.json and tokenizer.json");
            }
            safetensors = dir.resolve("model.safetensors");
            config = dir.resolve("config.json");
            tokenizer = dir.resolve("tokenizer.json");
            for (Path p : new Path[] {safetensors, config, tokenizer}) {
                if (!Files.isRegularFile(p)) throw new IllegalArgumentException("--model " + model + ": missing " + p.getFileName());
            }
        }
        BertConfig c = BertConfig.read(config);
        WordPieceTokenizer t = WordPieceTokenizer.fromJson(tokenizer);
        // Ids are distinct, so more tokens than vocab_size means some id has no embedding row.
        if (t.vocabSize() > c.vocabSize()) {
            throw new IllegalArgumentException(tokenizer + " has " + t.vocabSize() + " tokens but " + config + " gives vocab_size " + c.vocabSize()
                    + "; the tokenizer and the model do not belong together");
        }
        return new ModelOption(model, t, BertWeights.load(safetensors, c), tokenizer, config);
    }
}
