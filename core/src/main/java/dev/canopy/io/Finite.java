package dev.canopy.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Rejects tensors read from a file that hold NaN or infinity: a model with such weights computes NaN everywhere, so it
 * would print non-JSON numbers or quietly evaluate to one class. Better to stop at the load and name the tensor.
 */
public final class Finite {
    private Finite() {}

    public static float[] require(float[] data, Path file, String tensor) throws IOException {
        int bad = 0, first = -1;
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                if (bad++ == 0) first = i;
            }
        }
        if (bad > 0) {
            throw new IOException(file + ": tensor " + tensor + " holds " + bad + " non-finite value(s) (" + data[first] + " at index " + first
                    + "); the weights are unusable (a diverged run or a damaged file)");
        }
        return data;
    }
}
