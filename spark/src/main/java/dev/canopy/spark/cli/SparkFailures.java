package dev.canopy.spark.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import org.apache.spark.sql.AnalysisException;

/**
 * What a Spark job threw, as one line and an exit code (2: bad input such as a missing file or an unreadable model;
 * 1: the job failed). Spark wraps a task's exception in its own, with the stack trace in the message; the line is the
 * innermost cause's first line. CANOPY_DEBUG=1 prints the whole trace.
 */
final class SparkFailures {
    static final int BAD_INPUT = 2, FAILED = 1;

    private SparkFailures() {}

    static int report(Throwable thrown, PrintWriter err) {
        Throwable cause = telling(thrown);
        err.println("canopy: " + firstLine(cause));
        if (System.getenv("CANOPY_DEBUG") != null) thrown.printStackTrace(err);
        err.flush();
        return badInput(cause) ? BAD_INPUT : FAILED;
    }

    /** The innermost cause with a message: Spark's and Java's wrappers only repeat it. */
    static Throwable telling(Throwable t) {
        Throwable best = t;
        for (Throwable c = t; c != null && c.getCause() != c; c = c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) best = c;
        }
        return best;
    }

    private static boolean badInput(Throwable t) {
        return t instanceof IllegalArgumentException || t instanceof IOException || t instanceof UncheckedIOException || t instanceof AnalysisException;
    }

    static String firstLine(Throwable t) {
        String m = switch (t) {
            // The JDK's file exceptions carry only the path.
            case java.nio.file.NoSuchFileException f when f.getReason() == null -> f.getFile() + ": no such file or directory";
            case java.nio.file.AccessDeniedException f when f.getReason() == null -> f.getFile() + ": permission denied";
            default -> t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().strip();
        };
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
