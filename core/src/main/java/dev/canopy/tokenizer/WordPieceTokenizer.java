package dev.canopy.tokenizer;

import dev.canopy.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BERT's WordPiece tokenizer, configured from a Hugging Face tokenizer.json: normalise (see {@link BertNormalizer}),
 * split on whitespace and around each punctuation character, then split each word greedily into the longest
 * vocabulary pieces (continuations carry "##"); a word with no such split becomes [UNK]. Encodings are wrapped in
 * [CLS] ... [SEP] and cut to a maximum length.
 */
public final class WordPieceTokenizer {
    private final Map<String, Integer> vocab;
    private final BertNormalizer normalizer;
    private final String prefix;
    private final int maxCharsPerWord;
    private final int unk, cls, sep;
    /** Special tokens written literally in the text ("[MASK]") that map to their id before any normalisation. */
    private final Map<String, Integer> addedTokens;
    private final String[] specials;
    /** Ids of the pieces that continue a word ("##ing"). */
    private final BitSet continuations = new BitSet();

    WordPieceTokenizer(Map<String, Integer> vocab, Map<String, Integer> addedTokens, BertNormalizer normalizer, String prefix,
                       int maxCharsPerWord, String unkToken) {
        this.vocab = vocab;
        this.addedTokens = Map.copyOf(addedTokens);
        this.specials = this.addedTokens.keySet().toArray(String[]::new);
        this.normalizer = normalizer;
        this.prefix = prefix;
        this.maxCharsPerWord = maxCharsPerWord;
        this.unk = id(unkToken);
        this.cls = id("[CLS]");
        this.sep = id("[SEP]");
        vocab.forEach((token, id) -> {
            if (token.startsWith(prefix)) continuations.set(id);
        });
    }

    /**
     * An encoding: ids with [CLS]/[SEP], and how many tokens the text had before truncation (specials included).
     *
     * @param ids        token ids, [CLS] first and [SEP] last
     * @param fullLength tokens before truncation, [CLS] and [SEP] included
     */
    public record Encoding(int[] ids, int fullLength) {
        /** {@return true if the text had more tokens than were kept} */
        public boolean truncated() {
            return fullLength > ids.length;
        }
    }

    /**
     * Reads a Hugging Face tokenizer.json with a WordPiece model and a BertNormalizer.
     *
     * @param tokenizerJson the file
     * @return the tokenizer
     * @throws IOException if the file cannot be read, is not JSON, or describes another kind of tokenizer
     */
    public static WordPieceTokenizer fromJson(Path tokenizerJson) throws IOException {
        Map<String, Object> root;
        try {
            root = Json.parseObject(Files.readString(tokenizerJson));
        } catch (IllegalArgumentException ex) {
            throw new IOException(tokenizerJson + ": not valid JSON: " + ex.getMessage());
        }
        if (!(root.get("model") instanceof Map<?, ?> model) || !"WordPiece".equals(model.get("type"))) {
            throw new IOException(tokenizerJson + ": model.type is not WordPiece");
        }
        if (!(model.get("vocab") instanceof Map<?, ?> rawVocab) || rawVocab.isEmpty()) throw new IOException(tokenizerJson + ": no model.vocab");
        Map<String, Integer> vocab = new HashMap<>(rawVocab.size() * 2);
        for (Map.Entry<?, ?> e : rawVocab.entrySet()) {
            if (!(e.getValue() instanceof Long id) || id < 0) throw new IOException(tokenizerJson + ": bad id for token " + e.getKey());
            vocab.put((String) e.getKey(), (int) (long) id);
        }
        boolean clean = true, chinese = true, lower = true;
        Boolean strip = null;
        if (root.get("normalizer") instanceof Map<?, ?> norm) {
            if (!"BertNormalizer".equals(norm.get("type"))) throw new IOException(tokenizerJson + ": normalizer " + norm.get("type") + " is not supported");
            clean = !Boolean.FALSE.equals(norm.get("clean_text"));
            chinese = !Boolean.FALSE.equals(norm.get("handle_chinese_chars"));
            lower = !Boolean.FALSE.equals(norm.get("lowercase"));
            if (norm.get("strip_accents") instanceof Boolean b) strip = b;
        }
        Map<String, Integer> added = new HashMap<>();
        if (root.get("added_tokens") instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> t && t.get("content") instanceof String content && t.get("id") instanceof Long id
                        && !content.isEmpty()) {
                    added.put(content, (int) (long) id);
                }
            }
        }
        String prefix = model.get("continuing_subword_prefix") instanceof String p ? p : "##";
        int maxChars = model.get("max_input_chars_per_word") instanceof Long m ? (int) (long) m : 100;
        String unkToken = model.get("unk_token") instanceof String u ? u : "[UNK]";
        // As in Hugging Face's BertNormalizer, accents are stripped whenever lower-casing unless set explicitly.
        BertNormalizer normalizer = new BertNormalizer(clean, chinese, strip != null ? strip : lower, lower);
        try {
            return new WordPieceTokenizer(vocab, added, normalizer, prefix, maxChars, unkToken);
        } catch (IllegalArgumentException ex) {
            throw new IOException(tokenizerJson + ": " + ex.getMessage());
        }
    }

    /** {@return tokens in the vocabulary} */
    public int vocabSize() {
        return vocab.size();
    }

    /** {@return the id of [CLS], which {@link #encode} puts first} */
    public int clsId() {
        return cls;
    }

    /** {@return the id of [SEP], which {@link #encode} puts last} */
    public int sepId() {
        return sep;
    }

    /**
     * Whether the piece continues a word ("##ing" after "runn"): cutting a text into parts right before such a piece
     * would split the word.
     *
     * @param id a token id
     * @return true for a continuation piece, false for any other id
     */
    public boolean isContinuation(int id) {
        return id >= 0 && continuations.get(id);
    }

    /**
     * [CLS] tokens [SEP], keeping the first maxLength - 2 tokens of the text.
     *
     * @param text      any text
     * @param maxLength the most ids returned, [CLS] and [SEP] included
     * @return the ids and the untruncated length
     */
    public Encoding encode(String text, int maxLength) {
        if (maxLength < 2) throw new IllegalArgumentException("maximum length must leave room for [CLS] and [SEP], got " + maxLength);
        List<Integer> pieces = tokenize(text);
        int keep = Math.min(pieces.size(), maxLength - 2);
        int[] ids = new int[keep + 2];
        ids[0] = cls;
        for (int i = 0; i < keep; i++) ids[i + 1] = pieces.get(i);
        ids[keep + 1] = sep;
        return new Encoding(ids, pieces.size() + 2);
    }

    /**
     * The ids of the text's WordPiece tokens, without special tokens or truncation.
     *
     * @param text any text
     * @return the ids of its word pieces
     */
    public List<Integer> tokenize(String text) {
        List<Integer> out = new ArrayList<>();
        // Where each literal special token next occurs (-1: nowhere further), searched again only once passed, so
        // that a text full of special tokens costs linear, not quadratic, time.
        int[] next = new int[specials.length];
        for (int k = 0; k < specials.length; k++) next[k] = text.indexOf(specials[k]);
        int from = 0;
        while (from < text.length()) {
            // The earliest (then longest) literal special token splits the text; the pieces between are normal text.
            int best = -1;
            for (int k = 0; k < specials.length; k++) {
                if (next[k] >= 0 && next[k] < from) next[k] = text.indexOf(specials[k], from);
                if (next[k] < 0) continue;
                if (best < 0 || next[k] < next[best] || (next[k] == next[best] && specials[k].length() > specials[best].length())) best = k;
            }
            if (best < 0) break;
            tokenizeText(text.substring(from, next[best]), out);
            out.add(addedTokens.get(specials[best]));
            from = next[best] + specials[best].length();
        }
        tokenizeText(text.substring(from), out);
        return out;
    }

    private void tokenizeText(String text, List<Integer> out) {
        String norm = normalizer.normalize(text);
        int[] cps = norm.codePoints().toArray();
        int start = -1;
        for (int i = 0; i <= cps.length; i++) {
            int cp = i < cps.length ? cps[i] : ' ';
            boolean space = ReferenceUnicode.isWhitespace(cp);
            boolean punct = !space && ReferenceUnicode.isPunctuation(cp);
            if (space || punct) {
                if (start >= 0) wordPiece(cps, start, i, out);
                start = -1;
                if (punct) wordPiece(cps, i, i + 1, out);
            } else if (start < 0) {
                start = i;
            }
        }
    }

    private void wordPiece(int[] cps, int from, int to, List<Integer> out) {
        if (to - from > maxCharsPerWord) {
            out.add(unk);
            return;
        }
        int mark = out.size();
        int start = from;
        while (start < to) {
            int end = to;
            Integer found = null;
            while (end > start) {
                String piece = new String(cps, start, end - start);
                found = vocab.get(start > from ? prefix + piece : piece);
                if (found != null) break;
                end--;
            }
            if (found == null) {
                while (out.size() > mark) out.removeLast();
                out.add(unk);
                return;
            }
            out.add(found);
            start = end;
        }
    }

    private int id(String token) {
        Integer id = vocab.get(token);
        if (id == null) throw new IllegalArgumentException("the vocabulary has no " + token + " token");
        return id;
    }
}
