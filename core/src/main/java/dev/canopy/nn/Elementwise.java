package dev.canopy.nn;

/** Shared sizing for element-wise layers. */
final class Elementwise {
    private Elementwise() {}

    /** Elements per parallel task: large enough that task overhead is negligible. */
    static final int GRAIN = 1 << 14;
}
