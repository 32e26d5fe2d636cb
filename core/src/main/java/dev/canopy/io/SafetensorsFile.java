package dev.canopy.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** A validated safetensors index; tensors are read on demand and widened to float. */
public final class SafetensorsFile {
    private final Path path;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final long dataStart;

    SafetensorsFile(Path path, Map<String, TensorInfo> tensors, Map<String, String> metadata, long dataStart) {
        this.path = path;
        this.tensors = Map.copyOf(tensors);
        this.metadata = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(metadata)); // a fixed order to iterate
        this.dataStart = dataStart;
    }

    public Path path() {
        return path;
    }

    public Set<String> names() {
        return new TreeSet<>(tensors.keySet());
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor's entry, or an IOException that says which name is missing and a few that exist. */
    public TensorInfo info(String name) throws IOException {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            StringBuilder some = new StringBuilder();
            int shown = 0;
            for (String n : names()) {
                if (shown++ == 5) {
                    some.append(", ...");
                    break;
                }
                some.append(shown == 1 ? "" : ", ").append(n);
            }
            throw new IOException(path + ": no tensor named " + name + " (the file has " + tensors.size() + ": " + some + ")");
        }
        return t;
    }

    /** Reads a float tensor (F32, or F16/BF16/F64 converted), checking its shape when {@code expectedShape} is given. */
    public float[] floats(String name, int... expectedShape) throws IOException {
        TensorInfo t = info(name);
        if (expectedShape.length > 0 && !java.util.Arrays.equals(t.shape(), expectedShape)) {
            throw new IOException(path + ": tensor " + name + " has shape " + java.util.Arrays.toString(t.shape()) + ", expected "
                    + java.util.Arrays.toString(expectedShape));
        }
        if (!t.dtype().isFloat()) throw new IOException(path + ": tensor " + name + " has dtype " + t.dtype() + ", not a float type");
        int count = (int) t.elements();
        float[] out = new float[count];
        int width = t.dtype().bytes;
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = chunk.capacity() / width;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long pos = dataStart + t.begin();
            for (int i = 0; i < count; ) {
                int n = Math.min(count - i, perChunk);
                chunk.clear().limit(n * width);
                Safetensors.readFully(ch, chunk, pos, path);
                chunk.flip();
                t.dtype().decode(chunk.slice().order(ByteOrder.LITTLE_ENDIAN), out, i, n);
                pos += (long) n * width;
                i += n;
            }
        }
        return out;
    }
}
