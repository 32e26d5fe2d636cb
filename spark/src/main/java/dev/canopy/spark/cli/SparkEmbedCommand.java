package dev.canopy.spark.cli;

import dev.canopy.spark.CanopyEmbedder;
import dev.canopy.spark.CanopyTransformer;
import dev.canopy.spark.model.TextEmbeddingModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Sentence embeddings of every text in a corpus, written as Parquet (column embedding: array<float>, error: why a row has none).")
final class SparkEmbedCommand extends TransformCommand {
    @Option(names = "--model", defaultValue = "minilm", description = "minilm, or a directory with model.safetensors, config.json, tokenizer.json readable on every executor (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--attention", defaultValue = "exact", description = "Attention spec, e.g. exact or topk:k=32 (default: ${DEFAULT-VALUE}).")
    String attention;

    @Option(names = "--ffn", defaultValue = "dense", description = "Feed-forward: dense or topk-ffn:k=K (default: ${DEFAULT-VALUE}).")
    String ffn;

    @Option(names = "--max-length", defaultValue = "512", description = "Tokens per text including [CLS]/[SEP]; longer texts are cut (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Override
    CanopyTransformer transformer() {
        return new CanopyEmbedder().setModel(model).setAttention(attention).setFfn(ffn).setMaxLength(maxLength).setBatchSize(job.batchSize);
    }

    @Override
    void checkModel(CanopyTransformer t) {
        try {
            TextEmbeddingModel.shared(((CanopyEmbedder) t).spec());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    String verb() {
        return "embed";
    }
}
