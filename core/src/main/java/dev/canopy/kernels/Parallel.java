package dev.canopy.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * The one thread pool every kernel shares. Work is split over independent rows, heads or blocks;
 * a call made from inside the pool runs inline, so nested kernels never oversubscribe the cores.
 */
public final class Parallel {
    private static final ForkJoinPool POOL = new ForkJoinPool(threadCount());

    private Parallel() {}

    private static int threadCount() {
        String configured = System.getProperty("canopy.threads", System.getenv("CANOPY_THREADS"));
        if (configured != null && !configured.isBlank()) {
            int n = Integer.parseInt(configured.trim());
            if (n < 1) throw new IllegalArgumentException("canopy.threads must be >= 1, got " + n);
            return n;
        }
        return Runtime.getRuntime().availableProcessors();
    }

    public static int threads() {
        return POOL.getParallelism();
    }

    /** Runs body(i) for i in [0, count), spread over the pool; returns when all are done. */
    public static void forEach(int count, IntConsumer body) {
        if (count <= 0) return;
        if (count == 1 || threads() == 1 || ForkJoinTask.inForkJoinPool()) {
            for (int i = 0; i < count; i++) body.accept(i);
            return;
        }
        POOL.invoke(new Range(0, count, body));
    }

    /** Splits [0, count) into contiguous ranges of at least minGrain items and runs body(start, end) on each. */
    public static void forRanges(int count, int minGrain, RangeBody body) {
        if (count <= 0) return;
        int pieces = Math.max(1, Math.min(threads() * 4, count / Math.max(1, minGrain)));
        if (pieces == 1 || ForkJoinTask.inForkJoinPool()) {
            body.run(0, count);
            return;
        }
        forEach(pieces, p -> body.run((int) ((long) count * p / pieces), (int) ((long) count * (p + 1) / pieces)));
    }

    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static final class Range extends RecursiveAction {
        private final int lo, hi;
        private final IntConsumer body;

        Range(int lo, int hi, IntConsumer body) {
            this.lo = lo;
            this.hi = hi;
            this.body = body;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                body.accept(lo);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Range(lo, mid, body), new Range(mid, hi, body));
        }
    }
}
