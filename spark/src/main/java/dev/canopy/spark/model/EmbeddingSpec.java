package dev.canopy.spark.model;

import dev.canopy.attention.registry.Attentions;
import dev.canopy.bert.FeedForwardSpec;
import java.io.Serializable;

/**
 * Which embedding model to run: the model ("minilm" or a BERT directory readable on every executor), the attention
 * and feed-forward specs, and the token budget per text. Small and serialisable: this, not the weights, travels with
 * each task, and it is the key of the executor's shared model.
 */
public record EmbeddingSpec(String model, String attention, String ffn, int maxLength) implements Serializable {
    public EmbeddingSpec {
        model = ModelPaths.absolute(model, "'minilm' or a BERT directory");
        Attentions.parse(attention);   // a bad spec is a usage error here, on the driver, not in every task
        FeedForwardSpec.parse(ffn);
        if (maxLength < 2) throw new IllegalArgumentException("maxLength must be at least 2 (room for [CLS] and [SEP]), got " + maxLength);
    }

    /** The shared-model key: everything but the token budget, which only the tokenizer reads. */
    String modelKey() {
        return "embed|" + model + "|" + Attentions.parse(attention) + "|" + FeedForwardSpec.parse(ffn).spec();
    }
}
