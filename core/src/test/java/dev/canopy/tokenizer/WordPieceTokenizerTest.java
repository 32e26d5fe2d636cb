package dev.canopy.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordPieceTokenizerTest {
    @TempDir
    Path dir;

    private static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "aff",
            "able", "cafe", ",", ".", "!", "hello", "world", "东", "京", "##s", "naive", "a", "'");

    private WordPieceTokenizer tokenizer(String normalizer) throws IOException {
        return tokenizer(normalizer, "{\"id\":4,\"content\":\"[MASK]\"}");
    }

    private WordPieceTokenizer tokenizer(String normalizer, String addedTokens) throws IOException {
        StringBuilder vocab = new StringBuilder("{");
        for (int i = 0; i < VOCAB.size(); i++) vocab.append(i == 0 ? "" : ",").append('"').append(VOCAB.get(i)).append("\":").append(i);
        vocab.append('}');
        String json = "{\"added_tokens\":[" + addedTokens + "]," + normalizer
                + "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\","
                + "\"max_input_chars_per_word\":12,\"vocab\":" + vocab + "}}";
        Path p = dir.resolve("tokenizer.json");
        Files.writeString(p, json);
        return WordPieceTokenizer.fromJson(p);
    }

    private static int[] ids(String... tokens) {
        return java.util.Arrays.stream(tokens).mapToInt(VOCAB::indexOf).toArray();
    }

    @Test
    void greedyLongestMatchWithContinuationPrefix() throws IOException {
        WordPieceTokenizer t = tokenizer("");
        assertArrayEquals(ids("[CLS]", "un", "##aff", "##able", "[SEP]"), t.encode("unaffable", 512).ids());
        assertArrayEquals(ids("[CLS]", "aff", "##s", "[SEP]"), t.encode("affs", 512).ids());
        // No split covers "unx": the whole word is [UNK], not a partial match.
        assertArrayEquals(ids("[CLS]", "[UNK]", "hello", "[SEP]"), t.encode("unx hello", 512).ids());
        // Longer than max_input_chars_per_word (12).
        assertArrayEquals(ids("[CLS]", "[UNK]", "[SEP]"), t.encode("unaffableunaffable", 512).ids());
    }

    private static final String UNCASED = "\"normalizer\":{\"type\":\"BertNormalizer\",\"clean_text\":true,"
            + "\"handle_chinese_chars\":true,\"strip_accents\":null,\"lowercase\":true},";

    @Test
    void normalisesCaseAccentsPunctuationCjkAndControls() throws IOException {
        WordPieceTokenizer t = tokenizer(UNCASED);
        assertArrayEquals(ids("[CLS]", "hello", ",", "world", "!", "[SEP]"), t.encode("HeLLo,\tWORLD!", 512).ids());
        assertArrayEquals(ids("[CLS]", "cafe", "naive", "[SEP]"), t.encode("Café  NAÏVE", 512).ids());
        assertArrayEquals(ids("[CLS]", "东", "京", "[SEP]"), t.encode("东京", 512).ids());
        assertArrayEquals(ids("[CLS]", "hello", "world", "[SEP]"), t.encode("hel\u0000lo\u00a0wor\u200bld", 512).ids());
        assertArrayEquals(ids("[CLS]", "a", "'", "[UNK]", "[SEP]"), t.encode("a's", 512).ids());
    }

    /** Issue #20: the reference keeps unassigned code points, so their words end as [UNK] instead of vanishing. */
    @Test
    void unassignedCodePointsStayAndBecomeUnk() throws IOException {
        WordPieceTokenizer t = tokenizer(UNCASED);
        assertArrayEquals(ids("[CLS]", "hello", "[UNK]", "world", "[SEP]"), t.encode("hello \u0378 world", 512).ids());
        assertArrayEquals(ids("[CLS]", "[UNK]", "[SEP]"), t.encode("hel\u0378lo", 512).ids());
    }

    /** Issue #20: characters newer than the reference's Unicode tables are ordinary to it. */
    @Test
    void newerCharactersFollowTheReferencesOlderTables() throws IOException {
        WordPieceTokenizer t = tokenizer(UNCASED);
        // A mark (U+07FD), a punctuation mark (U+061D) and a format character (U+0890) newer than the reference's tables.
        assertArrayEquals(ids("[CLS]", "[UNK]", "[SEP]"), t.encode("hello\u07FD", 512).ids());
        assertArrayEquals(ids("[CLS]", "[UNK]", "[SEP]"), t.encode("hello\u061Dworld", 512).ids());
        assertArrayEquals(ids("[CLS]", "[UNK]", "[SEP]"), t.encode("hel\u0890lo", 512).ids());
        // CJK Extension E as the reference counts it: U+2B920 splits off, U+2B820 does not.
        assertArrayEquals(ids("[CLS]", "hello", "[UNK]", "world", "[SEP]"), t.encode("hello\uD86E\uDD20world", 512).ids());
        assertArrayEquals(ids("[CLS]", "[UNK]", "[SEP]"), t.encode("hello\uD86E\uDC20world", 512).ids());
    }

    @Test
    void loneSurrogatesAreDeletedWithTheReplacementCharacter() throws IOException {
        WordPieceTokenizer t = tokenizer(UNCASED);
        assertArrayEquals(ids("[CLS]", "hello", "world", "[SEP]"), t.encode("hel\uD800lo wor\uDC00ld\uFFFD", 512).ids());
    }

    @Test
    void manyLiteralSpecialTokensTakeLinearTime() throws IOException {
        // Two special tokens, one never present: each split used to search the rest of the text for it again.
        WordPieceTokenizer t = tokenizer(UNCASED, "{\"id\":4,\"content\":\"[MASK]\"},{\"id\":0,\"content\":\"[PAD]\"}");
        String text = "[MASK] a ".repeat(200_000);
        List<Integer> ids = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> t.tokenize(text));
        assertEquals(400_000, ids.size());
        assertEquals(List.of(4, 20, 4), ids.subList(0, 3));
    }

    @Test
    void literalSpecialTokensKeepTheirIds() throws IOException {
        WordPieceTokenizer t = tokenizer("\"normalizer\":{\"type\":\"BertNormalizer\",\"lowercase\":true},");
        assertArrayEquals(ids("[CLS]", "hello", "[MASK]", "world", "[SEP]"), t.encode("hello [MASK]world", 512).ids());
    }

    @Test
    void accentsStayWhenNotLowerCasing() throws IOException {
        WordPieceTokenizer t = tokenizer("\"normalizer\":{\"type\":\"BertNormalizer\",\"lowercase\":false},");
        assertArrayEquals(ids("[CLS]", "[UNK]", "cafe", "[SEP]"), t.encode("café cafe", 512).ids());
    }

    @Test
    void truncatesAndReportsTheFullLength() throws IOException {
        WordPieceTokenizer t = tokenizer("");
        WordPieceTokenizer.Encoding e = t.encode("hello world hello world", 4);
        assertArrayEquals(ids("[CLS]", "hello", "world", "[SEP]"), e.ids());
        assertEquals(6, e.fullLength());
        assertTrue(e.truncated());
        assertThrows(IllegalArgumentException.class, () -> t.encode("x", 1));
    }

    @Test
    void rejectsNonWordPieceFiles() throws IOException {
        Path p = dir.resolve("bpe.json");
        Files.writeString(p, "{\"model\":{\"type\":\"BPE\",\"vocab\":{}}}");
        IOException ex = assertThrows(IOException.class, () -> WordPieceTokenizer.fromJson(p));
        assertTrue(ex.getMessage().contains("WordPiece"), ex.getMessage());
    }
}
