package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void everyItemRunsExactlyOnceAcrossManyCalls() {
        for (int call = 0; call < 200; call++) {
            int count = 1 + call % 37;
            AtomicIntegerArray runs = new AtomicIntegerArray(count);
            Parallel.forEach(count, runs::incrementAndGet);
            for (int i = 0; i < count; i++) assertEquals(1, runs.get(i), "call " + call + " item " + i);
        }
    }

    @Test
    void rangesCoverTheWholeIntervalWithoutOverlap() {
        int count = 10_007;
        AtomicIntegerArray hits = new AtomicIntegerArray(count);
        Parallel.forRanges(count, 100, (a, b) -> {
            for (int i = a; i < b; i++) hits.incrementAndGet(i);
        });
        for (int i = 0; i < count; i++) assertEquals(1, hits.get(i), "index " + i);
    }

    @Test
    void nestedCallsRunInlineAndStillCoverEverything() {
        AtomicInteger total = new AtomicInteger();
        Parallel.forEach(8, outer -> Parallel.forEach(5, inner -> total.incrementAndGet()));
        assertEquals(40, total.get());
    }

    @Test
    void aFailingItemIsRethrownToTheCallerAndThePoolKeepsWorking() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forEach(64, i -> {
            if (i == 41) throw new IllegalStateException("item 41 failed");
        }));
        assertEquals("item 41 failed", e.getMessage());
        AtomicInteger after = new AtomicInteger();
        Parallel.forEach(64, i -> after.incrementAndGet());
        assertEquals(64, after.get());
    }

    @Test
    void callersOnOtherThreadsAtTheSameTimeAllComplete() throws Exception {
        AtomicInteger total = new AtomicInteger();
        Thread[] callers = new Thread[4];
        for (int t = 0; t < callers.length; t++) {
            callers[t] = new Thread(() -> {
                for (int call = 0; call < 50; call++) Parallel.forEach(16, i -> total.incrementAndGet());
            });
            callers[t].start();
        }
        for (Thread t : callers) t.join(30_000);
        for (Thread t : callers) assertTrue(!t.isAlive(), "caller finished");
        assertEquals(4 * 50 * 16, total.get());
    }
}
