package dev.canopy.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a text file strictly as UTF-8. Every problem is an IOException that names the file and says what is wrong
 * with it (missing, a directory or device, too large, binary, not UTF-8), never a bare decoder message such as
 * "Input length = 3".
 */
public final class TextFiles {
    private TextFiles() {}

    /** The file's text; {@code maxBytes} keeps a wrong file (a model, an archive) from filling the heap. */
    public static String readUtf8(Path file, long maxBytes) throws IOException {
        checkReadable(file, maxBytes);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (AccessDeniedException e) {
            throw new IOException(file + ": permission denied");
        } catch (IOException e) {
            throw new IOException(file + ": cannot be read: " + reason(e));
        }
        return decode(file, bytes);
    }

    /** Checks that the file exists, is a regular file and is not over maxBytes, without reading it. */
    public static void checkReadable(Path file, long maxBytes) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "no such file");
        if (Files.isDirectory(file)) throw new IOException(file + " is a directory, not a file");
        if (!Files.isRegularFile(file)) throw new IOException(file + " is not a regular file (a device, pipe or socket)");
        if (!Files.isReadable(file)) throw new IOException(file + ": permission denied");
        long size = Files.size(file);
        if (size > maxBytes) throw new IOException(file + " is " + size + " bytes; at most " + maxBytes + " are read");
    }

    /** UTF-8 text, or an IOException saying where the bytes stop being text. */
    static String decode(Path file, byte[] bytes) throws IOException {
        // A NUL byte is valid UTF-8 but never occurs in text: it is the surest sign of a binary file.
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) throw new IOException(file + " is a binary file, not text (NUL byte at offset " + i + ")");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(file + " is not valid UTF-8 text (first bad byte at offset " + firstBadByte(bytes) + ")");
        }
    }

    private static int firstBadByte(byte[] bytes) {
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        var out = java.nio.CharBuffer.allocate(bytes.length + 1);
        decoder.decode(in, out, true);
        return in.position();
    }

    private static String reason(IOException e) {
        return e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null ? fs.getReason() : String.valueOf(e.getMessage());
    }
}
