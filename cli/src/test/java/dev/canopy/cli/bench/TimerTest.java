package dev.canopy.cli.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

public class TimerTest {
    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void warmUpLastsWhileRunsKeepGettingFaster() {
        // Calls that speed up over 1.2 s (past the one-second minimum warm-up), then stay at 1 ms.
        AtomicInteger calls = new AtomicInteger();
        Timer.Result r = Timer.measure(() -> sleepMillis(Math.max(1, 50 - calls.getAndIncrement())), 1, 3, 20, 0.0);
        assertTrue(r.median() < 0.005, "timed while still speeding up: median " + r.median() + " s after " + calls.get() + " calls");
    }

    @Test
    void aFirstRunThatPaysSetupIsNeverTheLastWarmUpRun() {
        // One 1.1 s call (like a lazy initialisation), then 1 ms ones.
        AtomicInteger calls = new AtomicInteger();
        Timer.Result r = Timer.measure(() -> sleepMillis(calls.getAndIncrement() == 0 ? 1100 : 1), 1, 3, 20, 0.0);
        assertTrue(r.median() < 0.005, "timed the setup run: median " + r.median() + " s");
    }

    @Test
    void runsLongerThanTheWarmUpNeedOnlyTwoWarmUpRuns() {
        AtomicInteger calls = new AtomicInteger();
        Timer.Result r = Timer.measure(() -> {
            calls.incrementAndGet();
            sleepMillis(1100);
        }, 1, 1, 1, 0.0);
        assertTrue(calls.get() == 3 && r.runs() == 1, "two warm-up runs and one measured, got " + calls.get() + " calls");
    }
}
