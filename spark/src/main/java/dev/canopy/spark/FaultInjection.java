package dev.canopy.spark;

import org.apache.spark.TaskContext;

/**
 * A test hook: when the job's local property {@value #PROPERTY} names a partition, that partition's first attempt
 * fails after it has produced some rows, so tests can check that a retried task's output appears exactly once. Local
 * properties travel with each task, on a cluster too; nothing happens when the property is unset.
 */
public final class FaultInjection {
    public static final String PROPERTY = "canopy.test.failFirstAttemptOfPartition";

    private static final java.util.concurrent.atomic.AtomicInteger INJECTED = new java.util.concurrent.atomic.AtomicInteger();

    private FaultInjection() {}

    /** Failures injected in this JVM so far (tests check that the hook fired). */
    public static int injected() {
        return INJECTED.get();
    }

    /** Throws in the named partition's first attempt, once rowsDone rows have gone out. */
    static void afterRows(long rowsDone) {
        TaskContext task = TaskContext.get();
        if (task == null || rowsDone == 0) return;
        String target = task.getLocalProperty(PROPERTY);
        if (target != null && Integer.parseInt(target) == task.partitionId() && task.attemptNumber() == 0) {
            INJECTED.incrementAndGet();
            throw new IllegalStateException("injected failure in partition " + task.partitionId() + " after " + rowsDone + " rows (" + PROPERTY + ")");
        }
    }
}
