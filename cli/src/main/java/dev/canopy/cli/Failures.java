package dev.canopy.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Turns what a command threw into one line for the user and an exit code: 2 for bad input (options, files), 1 for a
 * run that failed (diverged, out of memory) and for bugs. A Java stack trace is printed only with CANOPY_DEBUG=1, so
 * whatever a user feeds the CLI, the answer is a sentence, not a trace.
 */
public final class Failures {
    static final int BAD_INPUT = 2, FAILED = 1;

    private Failures() {}

    static int report(Throwable thrown, PrintWriter err) {
        Throwable ex = unwrap(thrown);
        int code = exitCode(ex);
        err.println("canopy: " + message(ex));
        if (System.getenv("CANOPY_DEBUG") != null) thrown.printStackTrace(err);
        err.flush();
        return code;
    }

    static int exitCode(Throwable ex) {
        return switch (ex) {
            case IllegalArgumentException e -> BAD_INPUT;
            case IOException e -> BAD_INPUT;
            case UncheckedIOException e -> BAD_INPUT;
            default -> FAILED;
        };
    }

    static String message(Throwable ex) {
        return switch (ex) {
            case UncheckedIOException e -> uncheckedIo(e);
            case IOException e -> io(e);
            case IllegalArgumentException e -> String.valueOf(e.getMessage());
            case IllegalStateException e when e.getMessage() != null -> e.getMessage();
            case OutOfMemoryError e -> "out of memory (the Java heap holds at most " + dev.canopy.train.ModelMemory.bytes(Runtime.getRuntime().maxMemory())
                    + "): use smaller sizes, or give Java a larger heap (" + dev.canopy.train.ModelMemory.RAISE_HEAP + ")";
            case StackOverflowError e -> "the input nests too deeply (stack overflow)";
            default -> "internal error, please report it: " + ex.getClass().getSimpleName()
                    + (ex.getMessage() == null ? "" : ": " + ex.getMessage()) + " (CANOPY_DEBUG=1 prints the stack trace)";
        };
    }

    /** "context: what happened", without repeating the cause's message when the wrapper only copied it. */
    private static String uncheckedIo(UncheckedIOException e) {
        String own = e.getMessage(), cause = e.getCause().getMessage();
        boolean copied = own == null || own.startsWith("java.") || own.equals(cause);
        return (copied ? "" : own + ": ") + io(e.getCause());
    }

    /** A worker thread's failure re-thrown as new IllegalStateException(cause) says no more than its cause. */
    static Throwable unwrap(Throwable ex) {
        while (ex instanceof IllegalStateException && ex.getCause() != null && String.valueOf(ex.getMessage()).equals(ex.getCause().toString())) {
            ex = ex.getCause();
        }
        return ex;
    }

    /** The JDK's file exceptions carry only the path as their message; say what happened to it. */
    private static String io(IOException e) {
        return switch (e) {
            case NoSuchFileException f when f.getReason() == null -> f.getFile() + ": no such file or directory";
            case AccessDeniedException f when f.getReason() == null -> f.getFile() + ": permission denied";
            case FileAlreadyExistsException f when f.getReason() == null -> f.getFile() + " already exists and is in the way";
            case NotDirectoryException f -> f.getFile() + " is not a directory";
            case DirectoryNotEmptyException f -> f.getFile() + " is a directory that is not empty";
            case FileSystemException f when f.getReason() != null && f.getMessage() != null && f.getOtherFile() == null -> f.getFile() + ": " + f.getReason();
            case CharacterCodingException c -> "a file is not valid UTF-8 text";
            default -> String.valueOf(e.getMessage());
        };
    }
}
