package dev.canopy.spark.cli;

import dev.canopy.spark.CanopyClassifier;
import dev.canopy.spark.CanopyTransformer;
import dev.canopy.spark.model.TextClassifierModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "classify", mixinStandardHelpOptions = true,
        description = "Labels every text of a corpus with a classifier trained by 'canopy train' (spam: UTF-8 bytes of message bodies; listops: expressions), "
                + "written as Parquet (prediction: int, probability: array<float>, error).")
final class SparkClassifyCommand extends TransformCommand {
    @Option(names = "--checkpoint", required = true, paramLabel = "RUN", description = "Run directory (its newest checkpoint) or one ckpt-NNNNNNNN directory, readable on every executor.")
    String checkpoint;

    @Option(names = "--attention", defaultValue = "", description = "Run with another attention than the trained one (e.g. topk:k=16).")
    String attention;

    @Option(names = "--max-length", defaultValue = "0", description = "Tokens per text (default: the model's maxLength).")
    int maxLength;

    @Override
    CanopyTransformer transformer() {
        return new CanopyClassifier().setModel(checkpoint).setAttention(attention).setMaxLength(maxLength).setBatchSize(job.batchSize);
    }

    @Override
    void checkModel(CanopyTransformer t) {
        try {
            TextClassifierModel.shared(((CanopyClassifier) t).spec());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    String verb() {
        return "classify";
    }
}
