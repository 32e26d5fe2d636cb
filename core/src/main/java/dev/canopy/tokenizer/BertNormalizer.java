package dev.canopy.tokenizer;

import java.text.Normalizer;
import java.util.Locale;

/**
 * BERT's text clean-up before splitting, in the order the Hugging Face BertNormalizer applies it: drop NUL, U+FFFD
 * and control characters and turn every whitespace into a space; put spaces around CJK ideographs; strip accents
 * (NFD, then drop non-spacing marks); lower-case code point by code point.
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
            if (cleanText) {
                if (cp == 0 || cp == 0xFFFD || isControl(cp)) return;
                if (isWhitespace(cp)) cp = ' ';
            }
            if (chineseChars && isCjk(cp)) b.append(' ').appendCodePoint(cp).append(' ');
            else b.appendCodePoint(cp);
        });
        String s = b.toString();
        if (stripAccents) {
            String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
            StringBuilder kept = new StringBuilder(nfd.length());
            nfd.codePoints().filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK).forEach(kept::appendCodePoint);
            s = kept.toString();
        }
        if (lowercase) s = lowerEachCodePoint(s);
        return s;
    }

    /** Lower-cases without context (no final-sigma rule), so each code point maps the same wherever it stands. */
    private static String lowerEachCodePoint(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (cp < 128) b.append((char) (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
            else b.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT));
        });
        return b.toString();
    }

    /** Unicode White_Space (what Rust's char::is_whitespace tests), not Java's narrower isWhitespace. */
    static boolean isWhitespace(int cp) {
        return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** Categories Cc, Cf, Cn, Co (and lone surrogates), except tab, newline and carriage return. */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') return false;
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.UNASSIGNED || t == Character.PRIVATE_USE
                || t == Character.SURROGATE;
    }

    static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
