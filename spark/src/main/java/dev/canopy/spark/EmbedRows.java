package dev.canopy.spark;

import dev.canopy.spark.model.EmbeddingSpec;
import dev.canopy.spark.model.Outcome;
import dev.canopy.spark.model.TextEmbeddingModel;
import java.io.IOException;
import java.util.List;

/** A partition's texts to embeddings (array&lt;float&gt;, null for a bad row). */
final class EmbedRows extends TextRows {
    private static final long serialVersionUID = 1L;

    private final EmbeddingSpec spec;

    EmbedRows(EmbeddingSpec spec, int bytesIndex, int batchSize) {
        super(bytesIndex, batchSize);
        this.spec = spec;
    }

    @Override
    List<Outcome<float[]>> run(List<byte[]> texts) throws IOException {
        return TextEmbeddingModel.shared(spec).embedAll(texts, spec.maxLength());
    }

    @Override
    Object[] results(Outcome<float[]> outcome) {
        return new Object[] {outcome.value()};
    }
}
