package dev.canopy.langchain4j;

import dev.canopy.kernels.Parallel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Runs independent items (texts, parts of texts) on up to {@code threads} of Canopy's worker threads, one item per
 * thread at a time. Items run inside a parallel section, so the kernels within each stay on its thread: for short
 * sequences many single-threaded forwards beat one multi-threaded forward at a time. With one thread, or one item,
 * the caller runs them and the kernels spread over every core instead.
 */
final class Workers {
    private Workers() {}

    /** Runs body(order[0]), body(order[1]), ... with threads claiming the next index in that order. */
    static void run(int[] order, int threads, IntConsumer body) {
        int workers = Math.min(Math.min(threads, Parallel.threads()), order.length);
        if (workers <= 1) {
            for (int i : order) body.accept(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Parallel.forEach(workers, w -> {
            for (int k; (k = next.getAndIncrement()) < order.length; ) body.accept(order[k]);
        });
    }
}
