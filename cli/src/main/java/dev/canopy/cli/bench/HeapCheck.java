package dev.canopy.cli.bench;

import dev.canopy.train.ModelMemory;

/**
 * Refuses sizes whose arrays cannot fit in the Java heap before they are allocated, saying what does fit, instead of
 * ending in an OutOfMemoryError half-way through a benchmark.
 */
public final class HeapCheck {
    private HeapCheck() {}

    static long heap() {
        return Runtime.getRuntime().maxMemory();
    }

    /** Throws unless {@code bytes} (a lower bound on what is about to be allocated) fits; fits says what would. */
    static void require(long bytes, String what, String fits) {
        if (bytes <= heap()) return;
        throw new IllegalArgumentException(what + " need at least " + ModelMemory.bytes(bytes) + " but the Java heap holds "
                + ModelMemory.bytes(heap()) + "; " + fits + ", or give Java a larger heap (" + ModelMemory.RAISE_HEAP + ")");
    }

    /** How many units of {@code bytesPerUnit} bytes fit in the heap. */
    static long unitsThatFit(long bytesPerUnit) {
        return heap() / Math.max(1, bytesPerUnit);
    }
}
