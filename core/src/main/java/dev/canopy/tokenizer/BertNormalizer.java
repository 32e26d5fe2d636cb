package dev.canopy.tokenizer;

import java.text.Normalizer;

/**
 * BERT's text clean-up before splitting, in the order the Hugging Face BertNormalizer applies it: drop NUL, U+FFFD
 * and control characters and turn every whitespace into a space; put spaces around CJK ideographs; strip accents
 * (NFD, then drop non-spacing marks); lower-case code point by code point. Character properties are the reference's
 * (see {@link ReferenceUnicode}), not Java's: unassigned code points stay, as they do there.
 */
final class BertNormalizer {
    private final boolean lowercase;
    private final boolean stripAccents;
    private final boolean cleanText;
    private final boolean chineseChars;

    BertNormalizer(boolean cleanText, boolean chineseChars, boolean stripAccents, boolean lowercase) {
        this.cleanText = cleanText;
        this.chineseChars = chineseChars;
        this.stripAccents = stripAccents;
        this.lowercase = lowercase;
    }

    String normalize(String text) {
        StringBuilder b = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(cp -> {
            // A lone surrogate is no character (the reference cannot even receive one): read it as U+FFFD.
            if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) cp = 0xFFFD;
            if (cleanText) {
                if (cp == 0 || cp == 0xFFFD || ReferenceUnicode.isControl(cp)) return;
                if (ReferenceUnicode.isWhitespace(cp)) cp = ' ';
            }
            if (chineseChars && ReferenceUnicode.isCjk(cp)) b.append(' ').appendCodePoint(cp).append(' ');
            else b.appendCodePoint(cp);
        });
        String s = b.toString();
        if (stripAccents) s = stripAccents(s);
        if (lowercase) {
            StringBuilder lower = new StringBuilder(s.length());
            s.codePoints().forEach(cp -> ReferenceUnicode.appendLowerCase(lower, cp));
            s = lower.toString();
        }
        return s;
    }

    /** NFD as the reference does it (see {@link ReferenceUnicode#isNfdStarter}), then without non-spacing marks. */
    private static String stripAccents(String s) {
        StringBuilder kept = new StringBuilder(s.length());
        int from = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (ReferenceUnicode.isNfdStarter(cp)) {
                appendWithoutMarks(kept, s.substring(from, i));
                if (!ReferenceUnicode.isNonSpacingMark(cp)) kept.appendCodePoint(cp);
                from = next;
            }
            i = next;
        }
        appendWithoutMarks(kept, from == 0 ? s : s.substring(from));
        return kept.toString();
    }

    private static void appendWithoutMarks(StringBuilder out, String s) {
        Normalizer.normalize(s, Normalizer.Form.NFD).codePoints().filter(cp -> !ReferenceUnicode.isNonSpacingMark(cp))
                .forEach(out::appendCodePoint);
    }
}
