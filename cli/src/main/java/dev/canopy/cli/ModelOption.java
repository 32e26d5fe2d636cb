package dev.canopy.cli;

import dev.canopy.bert.BertCheckpoint;
import dev.canopy.bert.BertWeights;
import dev.canopy.tokenizer.WordPieceTokenizer;
import java.io.IOException;

/**
 * Resolves {@code --model}: "minilm" (all-MiniLM-L6-v2, fetched and converted into the cache on first use) or a
 * directory holding a BERT checkpoint in Hugging Face layout (model.safetensors, config.json, tokenizer.json).
 */
record ModelOption(String name, WordPieceTokenizer tokenizer, BertWeights weights) {

    static ModelOption load(String model) throws IOException {
        BertCheckpoint c = BertCheckpoint.load(model);
        return new ModelOption(model, c.tokenizer(), c.weights());
    }
}
