package dev.canopy.spark.model;

import java.nio.file.Path;

/** Model locations as the driver sends them: a directory is made absolute, since an executor's working directory is not the driver's. */
final class ModelPaths {
    private ModelPaths() {}

    static String absolute(String model, String expected) {
        if (model == null || model.isBlank()) throw new IllegalArgumentException("model is not set; give " + expected);
        if (model.equals("minilm")) return model;
        return Path.of(model).toAbsolutePath().normalize().toString();
    }
}
