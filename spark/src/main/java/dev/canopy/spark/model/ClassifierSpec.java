package dev.canopy.spark.model;

import dev.canopy.attention.registry.Attentions;
import java.io.Serializable;

/**
 * Which trained classifier to run: a run directory written by {@code canopy train} (its newest checkpoint) or one
 * ckpt-NNNNNNNN directory, readable on every executor; optionally another attention than the trained one (empty:
 * as trained) and a token budget (0: the model's maxLength).
 */
public record ClassifierSpec(String model, String attention, int maxLength) implements Serializable {
    public ClassifierSpec {
        model = ModelPaths.absolute(model, "a run directory written by 'canopy train'");
        if (attention == null) attention = "";
        if (!attention.isEmpty()) Attentions.parse(attention);
        if (maxLength < 0) throw new IllegalArgumentException("maxLength must be >= 0 (0: the model's own), got " + maxLength);
    }

    String modelKey() {
        return "classify|" + model + "|" + (attention.isEmpty() ? "trained" : Attentions.parse(attention).toString());
    }
}
