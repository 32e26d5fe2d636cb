package dev.canopy.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The one set of worker threads every kernel shares. Work is split over independent rows, heads or blocks; a call
 * made from inside a parallel section runs inline, so nested kernels never oversubscribe the cores.
 *
 * <p>The calling thread takes part in its own job, and the helpers spin for a short while after each job before they
 * park. Many of our parallel sections last well under a millisecond (tree attention, small training shapes), and
 * waking a parked thread can take about that long on a virtual machine: with a blocked caller and a sleeping pool
 * such a section ran on one core, or on none for a while. Items are claimed from a shared counter, and every item
 * writes its own outputs, so results never depend on which thread ran what.
 */
public final class Parallel {
    private static final int THREADS = threadCount();
    /** How long an idle helper polls for the next job before parking. */
    private static final long SPIN_NANOS = 200_000;
    private static final ReentrantLock CALLER = new ReentrantLock();
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);
    private static volatile Job current;
    private static int generation; // numbers the jobs, guarded by CALLER
    private static final Thread[] HELPERS = startHelpers();

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
        return THREADS;
    }

    /**
     * Whether a call of {@link #forEach} from this thread now would run every item on this thread, in order: one
     * thread, or inside a parallel section. (It may also run inline when another caller holds the pool; this says
     * only when it must.)
     */
    public static boolean runsInline() {
        return THREADS == 1 || INSIDE.get();
    }

    /** Runs body(i) for i in [0, count), spread over the threads; returns when all are done. */
    public static void forEach(int count, IntConsumer body) {
        if (count <= 0) return;
        if (count == 1) { // a single item may still parallelise inside
            body.accept(0);
            return;
        }
        if (THREADS == 1 || INSIDE.get() || !CALLER.tryLock()) { // one thread, nested, or another caller's job running: inline
            runInline(count, body);
            return;
        }
        try {
            Job job = new Job(++generation, count, body);
            current = job;
            for (Thread helper : HELPERS) LockSupport.unpark(helper);
            INSIDE.set(true);
            try {
                job.work();
            } finally {
                INSIDE.set(false);
            }
            job.awaitDone();
            current = null;
            Throwable failure = job.failure.get();
            if (failure instanceof RuntimeException e) throw e;
            if (failure instanceof Error e) throw e;
            if (failure != null) throw new IllegalStateException(failure);
        } finally {
            CALLER.unlock();
        }
    }

    private static void runInline(int count, IntConsumer body) {
        boolean outer = !INSIDE.get();
        if (outer) INSIDE.set(true);
        try {
            for (int i = 0; i < count; i++) body.accept(i);
        } finally {
            if (outer) INSIDE.set(false);
        }
    }

    /** Splits [0, count) into contiguous ranges of at least minGrain items and runs body(start, end) on each. */
    public static void forRanges(int count, int minGrain, RangeBody body) {
        if (count <= 0) return;
        int pieces = Math.max(1, Math.min(THREADS * 4, count / Math.max(1, minGrain)));
        if (pieces == 1 || INSIDE.get()) {
            body.run(0, count);
            return;
        }
        forEach(pieces, p -> body.run((int) ((long) count * p / pieces), (int) ((long) count * (p + 1) / pieces)));
    }

    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** One forEach call: items are claimed one at a time by the caller and any helper that arrives in time. */
    private static final class Job {
        final int id, count;
        final IntConsumer body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(int id, int count, IntConsumer body) {
            this.id = id;
            this.count = count;
            this.body = body;
        }

        void work() {
            for (int i; (i = next.getAndIncrement()) < count; ) {
                try {
                    if (failure.get() == null) body.accept(i);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        /** Waits for the items other threads claimed; the last ones are short, so the caller spins. */
        void awaitDone() {
            while (done.get() < count) Thread.onSpinWait();
        }
    }

    private static Thread[] startHelpers() {
        Thread[] helpers = new Thread[Math.max(0, THREADS - 1)];
        for (int h = 0; h < helpers.length; h++) {
            helpers[h] = new Thread(Parallel::helperLoop, "canopy-worker-" + h);
            helpers[h].setDaemon(true);
            helpers[h].start();
        }
        return helpers;
    }

    private static void helperLoop() {
        INSIDE.set(true);
        int lastId = 0; // the last job's number, not the job: a finished job's body may hold large arrays
        long idleSince = System.nanoTime();
        while (true) {
            Job job = current;
            if (job != null && job.id != lastId) {
                lastId = job.id;
                job.work();
                idleSince = System.nanoTime();
            } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park();
                idleSince = System.nanoTime();
            }
        }
    }
}
