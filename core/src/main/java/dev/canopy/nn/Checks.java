package dev.canopy.nn;

/** Argument checks shared by the layers; every message names the tensor and both sizes. */
final class Checks {
    private Checks() {}

    static void rows(int rows, String layer) {
        if (rows < 0) throw new IllegalArgumentException(layer + ": rows must be >= 0, got " + rows);
    }

    static void size(String layer, String tensor, float[] a, long needed) {
        if (a == null) throw new IllegalArgumentException(layer + ": " + tensor + " is null");
        if (a.length < needed) {
            throw new IllegalArgumentException(layer + ": " + tensor + " has " + a.length + " elements, needs " + needed);
        }
    }

    static void sizeIfPresent(String layer, String tensor, float[] a, long needed) {
        if (a != null) size(layer, tensor, a, needed);
    }

    static void positive(String layer, String what, int value) {
        if (value <= 0) throw new IllegalArgumentException(layer + ": " + what + " must be positive, got " + value);
    }
}
