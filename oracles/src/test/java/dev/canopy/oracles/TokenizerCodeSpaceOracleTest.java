package dev.canopy.oracles;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.canopy.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our tokenizer against Hugging Face's over the whole Unicode code space: every code point except the surrogates,
 * each between two letters ("a" + cp + "b"). The probes go many to a text, each followed by a literal [MASK]: both
 * tokenizers cut the text at special tokens before anything else, so the ids between two [MASK] ids are the probe's
 * own and are compared probe by probe (a sample is checked against encoding the probe alone). A difference is
 * reported with both tokenizers' ids for that probe alone.
 *
 * <p>The MiniLM sweep runs always (a few seconds). The sweeps on a vocabulary of every code point, which show the
 * normalised text itself and so check each list in {@code ReferenceUnicode} exactly, load a 2.2-million-token
 * vocabulary on both sides and take a minute or more: run them with {@code -Dcanopy.codeSpace=all}, and after any JDK
 * upgrade (newer Unicode tables in Java can add entries to those lists).
 */
class TokenizerCodeSpaceOracleTest {
    private static final int PROBES_PER_TEXT = 64;
    private static final String SEPARATOR = "[MASK]";

    @TempDir
    Path dir;

    @Test
    void miniLmTokenizerEqualsTheReferenceOnEveryCodePoint() throws Exception {
        Path json = MiniLmFixture.MODEL.tokenizerFile();
        assertNoDifferences(json, cp -> "a" + Character.toString(cp) + "b");
    }

    /**
     * On a vocabulary holding every code point alone and as a continuation, the ids spell out the normalised text, so
     * each normaliser option shows all it did: all of them (as MiniLM's), clean-up and punctuation alone, accent
     * stripping alone (NFD and the non-spacing marks), CJK spacing with lower-casing.
     */
    @Test
    @EnabledIfSystemProperty(named = "canopy.codeSpace", matches = "all")
    void everyNormaliserOptionEqualsTheReferenceOnEveryCodePoint() throws Exception {
        String vocab = everyCodePointVocabulary();
        IntFunction<String> between = cp -> "a" + Character.toString(cp) + "b";
        assertNoDifferences(revealing(vocab, true, true, true, true), between);
        assertNoDifferences(revealing(vocab, true, false, false, false), between);
        assertNoDifferences(revealing(vocab, false, false, true, false), between);
        assertNoDifferences(revealing(vocab, false, true, false, true), between);
    }

    /**
     * NFD puts marks in order of combining class; a mark the reference's older tables do not know is a starter to
     * it, so nothing moves across it. Each code point next to a kept spacing mark of class 226 (before) or 216
     * (after) shows its class as the reference sees it.
     */
    @Test
    @EnabledIfSystemProperty(named = "canopy.codeSpace", matches = "all")
    void accentStrippingOrdersMarksAsTheReferenceDoes() throws Exception {
        Path json = revealing(everyCodePointVocabulary(), false, false, true, false);
        assertNoDifferences(json, cp -> "a\uD834\uDD6D" + Character.toString(cp) + "b");
        assertNoDifferences(json, cp -> "a" + Character.toString(cp) + "\uD834\uDD65b");
    }

    private static void assertNoDifferences(Path tokenizerJson, IntFunction<String> probe) throws IOException {
        WordPieceTokenizer ours = WordPieceTokenizer.fromJson(tokenizerJson);
        try (HuggingFaceTokenizer ref = HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerJson).optAddSpecialTokens(false)
                .optTruncation(false).optPadding(false).build()) {
            int separator = ours.tokenize(SEPARATOR).getFirst();
            List<Integer> differing = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            List<int[]> probesOf = new ArrayList<>();
            int[] batch = new int[PROBES_PER_TEXT];
            int n = 0;
            for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
                if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) continue;
                batch[n++] = cp;
                if (n == PROBES_PER_TEXT || cp == Character.MAX_CODE_POINT) {
                    StringBuilder text = new StringBuilder();
                    for (int i = 0; i < n; i++) text.append(probe.apply(batch[i])).append(SEPARATOR);
                    texts.add(text.toString());
                    probesOf.add(Arrays.copyOf(batch, n));
                    n = 0;
                }
            }
            int textsPerCall = 1024;
            for (int from = 0; from < texts.size(); from += textsPerCall) {
                List<String> chunk = texts.subList(from, Math.min(texts.size(), from + textsPerCall));
                Encoding[] expected = ref.batchEncode(chunk, false, false);
                for (int t = 0; t < chunk.size(); t++) {
                    int[] probes = probesOf.get(from + t);
                    List<int[]> want = splitAt(expected[t].getIds(), separator, probes.length);
                    List<int[]> got = splitAt(ours.tokenize(chunk.get(t)).stream().mapToLong(Integer::longValue).toArray(), separator, probes.length);
                    for (int i = 0; i < probes.length; i++) {
                        boolean same = want != null && got != null && Arrays.equals(want.get(i), got.get(i));
                        if (!same) differing.add(probes[i]);
                    }
                }
            }
            // The batched form is the probe alone: check that on the reference for a spread of code points.
            for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp += 997) {
                if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) continue;
                long[] alone = ref.encode(probe.apply(cp), false, false).getIds();
                long[] batched = ref.encode(probe.apply(cp) + SEPARATOR + probe.apply('x'), false, false).getIds();
                assertArrayEquals(alone, Arrays.copyOf(batched, alone.length), "batching changes the reference's ids");
                assertEquals(separator, batched[alone.length]);
            }
            if (!differing.isEmpty()) {
                StringBuilder report = new StringBuilder(differing.size() + " code points tokenize differently, e.g.:");
                for (int cp : differing.subList(0, Math.min(20, differing.size()))) {
                    String text = probe.apply(cp);
                    report.append(String.format("%n  U+%04X (%s): reference %s, ours %s", cp, Objects.requireNonNullElse(Character.getName(cp), "unassigned"),
                            Arrays.toString(ref.encode(text, false, false).getIds()), ours.tokenize(text)));
                }
                fail(report.toString());
            }
        }
    }

    /** The ids between separators, or null when the count is off (then every probe of the text is reported). */
    private static List<int[]> splitAt(long[] ids, int separator, int expectedParts) {
        List<int[]> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != separator) continue;
            parts.add(Arrays.stream(ids, start, i).mapToInt(Math::toIntExact).toArray());
            start = i + 1;
        }
        return parts.size() == expectedParts && start == ids.length ? parts : null;
    }

    /** [PAD] [UNK] [CLS] [SEP] [MASK], then each code point c as "c" and "##c", as a JSON object body. */
    private static String everyCodePointVocabulary() {
        StringBuilder b = new StringBuilder(40_000_000);
        b.append("\"[PAD]\":0,\"[UNK]\":1,\"[CLS]\":2,\"[SEP]\":3,\"[MASK]\":4");
        int id = 5;
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) continue;
            String c = cp == '"' || cp == '\\' ? "\\" + (char) cp : cp < 0x20 ? String.format("\\u%04x", cp) : Character.toString(cp);
            b.append(",\"").append(c).append("\":").append(id++);
            b.append(",\"##").append(c).append("\":").append(id++);
        }
        return b.toString();
    }

    private Path revealing(String vocab, boolean clean, boolean chinese, boolean stripAccents, boolean lowercase) throws IOException {
        String json = "{\"added_tokens\":[{\"id\":4,\"content\":\"[MASK]\",\"single_word\":false,\"lstrip\":false,"
                + "\"rstrip\":false,\"normalized\":false,\"special\":true}],"
                + "\"normalizer\":{\"type\":\"BertNormalizer\",\"clean_text\":" + clean + ",\"handle_chinese_chars\":" + chinese
                + ",\"strip_accents\":" + stripAccents + ",\"lowercase\":" + lowercase + "},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
                + "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\","
                + "\"max_input_chars_per_word\":100,\"vocab\":{" + vocab + "}}}";
        Path p = dir.resolve("revealing-" + clean + chinese + stripAccents + lowercase + ".json");
        Files.writeString(p, json);
        return p;
    }
}
