package dev.canopy.fetch;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Reads the regular files of a .tgz (ustar, as npm pack writes) without unpacking it to disk, so no external tar
 * is needed. Only what npm tarballs use: 512-byte headers, octal sizes, the ustar name prefix.
 */
public final class TarGz {
    private TarGz() {}

    /** Called once per regular file with its path inside the archive and its bytes. */
    @FunctionalInterface
    public interface EntryVisitor {
        void visit(String path, byte[] content) throws IOException;
    }

    /** Largest single file we accept; npm data files are far smaller, and this bounds a hostile header. */
    static final long MAX_ENTRY = 64L << 20;

    public static void forEachFile(Path archive, EntryVisitor visitor) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(archive), 1 << 16)) {
            byte[] header = new byte[512];
            while (true) {
                if (!readFully(in, header)) return;
                if (isZero(header)) return;
                String name = field(header, 0, 100);
                String prefix = field(header, 345, 155);
                if (!prefix.isEmpty()) name = prefix + "/" + name;
                long size = octal(header, 124, 12, archive);
                byte type = header[156];
                if (size < 0 || size > MAX_ENTRY) throw new IOException(archive + ": tar entry " + name + " claims " + size + " bytes");
                byte[] content = new byte[(int) size];
                if (!readFully(in, content)) throw new EOFException(archive + ": truncated inside tar entry " + name);
                long padding = (512 - size % 512) % 512;
                in.skipNBytes(padding);
                if (type == '0' || type == 0) visitor.visit(name, content);
            }
        }
    }

    private static boolean readFully(InputStream in, byte[] b) throws IOException {
        int off = 0;
        while (off < b.length) {
            int r = in.read(b, off, b.length - off);
            if (r < 0) {
                if (off == 0) return false;
                throw new EOFException("tar stream ends inside a record");
            }
            off += r;
        }
        return true;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private static String field(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) end++;
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] h, int off, int len, Path archive) throws IOException {
        String s = field(h, off, len).trim();
        if (s.isEmpty()) return 0;
        try {
            return Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new IOException(archive + ": tar header has a bad size field '" + s + "'");
        }
    }

    /** Writes a minimal ustar .tgz (used by tests to build small fixtures). */
    public static byte[] write(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (var e : files.entrySet()) {
            byte[] h = new byte[512];
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            if (name.length > 100) throw new IllegalArgumentException("tar fixture name too long: " + e.getKey());
            System.arraycopy(name, 0, h, 0, name.length);
            put(h, 100, String.format("%07o", 0644));
            put(h, 108, "0000000");
            put(h, 116, "0000000");
            put(h, 124, String.format("%011o", e.getValue().length));
            put(h, 136, "00000000000");
            h[156] = '0';
            put(h, 257, "ustar");
            Arrays.fill(h, 148, 156, (byte) ' ');
            int sum = 0;
            for (byte b : h) sum += b & 0xFF;
            put(h, 148, String.format("%06o", sum));
            h[154] = 0;
            raw.write(h);
            raw.write(e.getValue());
            raw.write(new byte[(int) ((512 - e.getValue().length % 512) % 512)]);
        }
        raw.write(new byte[1024]);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (var out = new GZIPOutputStream(gz)) {
            out.write(raw.toByteArray());
        }
        return gz.toByteArray();
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }
}
