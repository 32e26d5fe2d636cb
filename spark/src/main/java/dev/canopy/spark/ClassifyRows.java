package dev.canopy.spark;

import dev.canopy.spark.model.ClassifierSpec;
import dev.canopy.spark.model.Outcome;
import dev.canopy.spark.model.TextClassifierModel;
import java.io.IOException;
import java.util.List;

/** A partition's texts to a predicted class (the most probable) and every class's probability. */
final class ClassifyRows extends TextRows {
    private static final long serialVersionUID = 1L;

    private final ClassifierSpec spec;

    ClassifyRows(ClassifierSpec spec, int bytesIndex, int batchSize) {
        super(bytesIndex, batchSize);
        this.spec = spec;
    }

    @Override
    List<Outcome<float[]>> run(List<byte[]> texts) throws IOException {
        return TextClassifierModel.shared(spec).classifyAll(texts, spec.maxLength());
    }

    @Override
    Object[] results(Outcome<float[]> outcome) {
        float[] p = outcome.value();
        if (p == null) return new Object[] {null, null};
        int best = 0;
        for (int k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
        return new Object[] {best, p};
    }
}
