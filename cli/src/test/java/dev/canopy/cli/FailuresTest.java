package dev.canopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

public class FailuresTest {
    record Report(int code, String line) {}

    static Report report(Throwable t) {
        StringWriter w = new StringWriter();
        int code = Failures.report(t, new PrintWriter(w));
        return new Report(code, w.toString().strip());
    }

    @Test
    void everyFailureIsOneLineWithACode() {
        assertEquals(new Report(2, "canopy: /x/y: no such file or directory"), report(new NoSuchFileException("/x/y")));
        assertEquals(new Report(2, "canopy: /x/y: permission denied"), report(new UncheckedIOException(new AccessDeniedException("/x/y"))));
        assertEquals(new Report(2, "canopy: --n must be positive"), report(new IllegalStateException(new IllegalArgumentException("--n must be positive"))),
                "a worker thread's failure re-thrown by Parallel");
        assertEquals(new Report(1, "canopy: loss is NaN at step 3"), report(new IllegalStateException("loss is NaN at step 3")));
        Report oom = report(new OutOfMemoryError("Java heap space"));
        assertEquals(1, oom.code());
        assertTrue(oom.line().startsWith("canopy: out of memory") && oom.line().contains("CANOPY_JAVA_OPTS=-Xmx"), oom.line());
        Report bug = report(new NullPointerException("x is null"));
        assertEquals(1, bug.code());
        assertTrue(bug.line().startsWith("canopy: internal error") && !bug.line().contains("\tat "), bug.line());
        for (Report r : new Report[] {oom, bug}) assertEquals(1, r.line().lines().count());
    }
}
