package dev.canopy.cli.eval;

import dev.canopy.data.BrownCorpus;
import dev.canopy.data.SpamAssassin;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The two real-text sets of the drop-in evaluation, as text for a tokenizer: Brown documents (already untagged by
 * {@link BrownCorpus}) labelled with their genre, and SpamAssassin e-mails (from {@link SpamAssassin}) reduced to
 * subject and body, labelled ham or spam.
 */
public final class EvalCorpora {
    private EvalCorpora() {}

    /** With a limit, documents are taken round-robin over genres (in id order), so a short run still sees every genre. */
    public static List<LabeledText> brown(List<BrownCorpus.Document> docs, int limit) {
        Map<String, List<String>> byGenre = new TreeMap<>();
        Map<String, BrownCorpus.Document> byId = new LinkedHashMap<>();
        for (BrownCorpus.Document d : docs) {
            byGenre.computeIfAbsent(d.genre(), g -> new ArrayList<>()).add(d.id());
            byId.put(d.id(), d);
        }
        List<LabeledText> out = new ArrayList<>();
        for (String[] p : roundRobin(byGenre, limit)) {
            out.add(new LabeledText(p[0], p[1], new String(byId.get(p[0]).text(), StandardCharsets.UTF_8)));
        }
        return out;
    }

    /**
     * E-mails as "Subject: ... + body" (the Received/From header block would otherwise fill the token budget). With a
     * limit, half ham and half spam, drawn with a fixed seed across all five folders.
     */
    public static List<LabeledText> spamAssassin(List<SpamAssassin.Message> messages, int limit) {
        Map<String, List<String>> byLabel = new TreeMap<>();
        Map<String, SpamAssassin.Message> byKey = new LinkedHashMap<>();
        for (SpamAssassin.Message m : messages) {
            String key = m.group() + "/" + m.id();
            byLabel.computeIfAbsent(m.spam() ? "spam" : "ham", l -> new ArrayList<>()).add(key);
            byKey.put(key, m);
        }
        for (List<String> keys : byLabel.values()) Collections.shuffle(keys, new Random(42));
        List<LabeledText> out = new ArrayList<>();
        for (String[] p : roundRobin(byLabel, limit)) {
            // Old e-mails are mostly Latin-1; decoding as such never fails and keeps ASCII intact.
            out.add(new LabeledText(p[0], p[1], subjectAndBody(new String(byKey.get(p[0]).raw(), StandardCharsets.ISO_8859_1))));
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
