package dev.canopy.train;

import dev.canopy.io.NamedTensor;
import dev.canopy.io.Safetensors;
import dev.canopy.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Checkpoint tensors as safetensors files (F32, Hugging Face layout), through {@link Safetensors}. */
public final class SafetensorsStore {
    /** One tensor to write: its shape and values. */
    public record Tensor(int[] shape, float[] data) {}

    /** A file read back: tensors by name, and the string metadata. */
    public record Loaded(Map<String, float[]> tensors, Map<String, String> metadata) {}

    /** Writes atomically (temp file in the same directory, then a rename). */
    public void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        List<NamedTensor> list = new ArrayList<>(tensors.size());
        tensors.forEach((name, t) -> list.add(new NamedTensor(name, t.shape(), t.data())));
        Safetensors.write(file, list, metadata);
    }

    public Loaded read(Path file) throws IOException {
        SafetensorsFile f = Safetensors.open(file);
        Map<String, float[]> tensors = new LinkedHashMap<>();
        for (String name : f.names()) tensors.put(name, f.floats(name));
        return new Loaded(tensors, f.metadata());
    }
}
