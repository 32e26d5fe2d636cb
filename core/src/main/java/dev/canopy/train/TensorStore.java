package dev.canopy.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Where checkpoints put named float tensors and string metadata: safetensors files in practice. */
public interface TensorStore {
    record Tensor(int[] shape, float[] data) {}

    record Loaded(Map<String, float[]> tensors, Map<String, String> metadata) {}

    /** Writes atomically (temp file in the same directory, then a rename). */
    void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException;

    Loaded read(Path file) throws IOException;
}
