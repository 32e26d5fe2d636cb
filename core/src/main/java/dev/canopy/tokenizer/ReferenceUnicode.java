package dev.canopy.tokenizer;

import java.util.Arrays;
import java.util.Locale;

/**
 * The character properties of the reference tokenizer (Hugging Face tokenizers' BertNormalizer and BertPreTokenizer,
 * the code the MiniLM/BERT models were trained with), pinned here instead of taken from Java's own Unicode tables.
 *
 * <p>The reference mixes Unicode versions, and none of them is Java 25's Unicode 16.0:
 * <ul>
 *   <li>general categories (which characters clean-up deletes as control, format or private use; which split off as
 *       punctuation; which accent stripping drops as non-spacing marks) are Unicode 8.0's. A code point assigned later
 *       is, to the reference, an unassigned one: an ordinary character that stays in the text (and usually ends as
 *       [UNK]). Unassigned code points are never deleted;
 *   <li>canonical decompositions and combining classes (for NFD) are Unicode 9.0's;
 *   <li>lower-case mappings and White_Space are Unicode 17.0's, newer than Java 25's;
 *   <li>its CJK ideograph ranges leave out U+2B820..U+2B91F.
 * </ul>
 * Everything else follows Java's tables, corrected by the lists below. The lists were derived by encoding
 * {@code "a" + cp + "b"} for every code point with both tokenizers, once per normaliser option, on a vocabulary
 * holding every code point alone and as a continuation (so that each token shows the normalised text), and keeping
 * the code points where they differed; for combining classes, the same with a kept mark of class 226 before the
 * code point (U+1D16D) or one of class 216 after it (U+1D165). The oracles module's code-space sweep checks them the same way; a JDK with
 * newer Unicode tables may need new entries, and that sweep will name them.
 */
final class ReferenceUnicode {
    private ReferenceUnicode() {}

    /**
     * Inclusive ranges in which the reference sees no control, format, private-use, punctuation or non-spacing-mark
     * character. They cover each code point Java 25 puts in one of those categories but Unicode 8.0 did not: most were
     * assigned later (U+061D, U+07FD, U+0890), a few changed category (U+A9BD was a spacing mark). They also span
     * letters and unassigned code points, which are ordinary on both sides.
     */
    private static final int[] ORDINARY = {
            0x061D, 0x061D, 0x07FD, 0x07FD, 0x0890, 0x08E2, 0x09FD, 0x09FE, 0x0A76, 0x0A76, 0x0AFA, 0x0AFF, 0x0B55, 0x0B55,
            0x0C04, 0x0C3C, 0x0C77, 0x0C77, 0x0C84, 0x0C84, 0x0D00, 0x0D00, 0x0D3B, 0x0D3C, 0x0D81, 0x0D81, 0x0EBA, 0x0EBA,
            0x0ECE, 0x0ECE, 0x180F, 0x1886, 0x1ABF, 0x1ACE, 0x1B4E, 0x1B4F, 0x1B7D, 0x1B7F, 0x1DF6, 0x1DFB, 0x2E43, 0x2E5D,
            0xA82C, 0xA82C, 0xA8C5, 0xA8C5, 0xA8FF, 0xA8FF, 0xA9BD, 0xA9BD, 0x10D24, 0x10F89, 0x11070, 0x11074,
            0x110C2, 0x110CD, 0x111CF, 0x111CF, 0x1123E, 0x11241, 0x1133B, 0x1133B, 0x113BB, 0x1145E, 0x11660, 0x1166C,
            0x116B9, 0x116B9, 0x1182F, 0x11FFF, 0x12FF1, 0x1612F, 0x16D6D, 0x16F4F, 0x16FE2, 0x16FE4,
            0x1CF00, 0x1CF46, 0x1E000, 0x1E5FF, 0x1E944, 0x1E95F};
    /** Punctuation (Po) in Unicode 8.0, other categories now: U+166D (So) and U+111C9 (Mn). */
    private static final int[] PUNCTUATION = {0x166D, 0x166D, 0x111C9, 0x111C9};
    /** Non-spacing marks in Unicode 8.0, spacing marks (Mc) now. */
    private static final int[] NON_SPACING_MARK = {0x1734, 0x1734, 0x1171E, 0x1171E};
    /**
     * Inclusive ranges holding each code point that Java 25's NFD decomposes or gives a non-zero combining class but
     * the reference's (Unicode 9.0 data) leaves whole as a starter: marks assigned after 9.0 (U+07FD, U+1AC0) and
     * characters with decompositions from Unicode 13.0 on (U+11938, U+105C9). The ranges also span code points that
     * are undecomposed starters on both sides.
     */
    private static final int[] NFD_STARTERS = {
            0x07FD, 0x07FD, 0x0897, 0x08D3, 0x09FE, 0x09FE, 0x0C3C, 0x0C3C, 0x0D3B, 0x0D3C, 0x0EBA, 0x0EBA, 0x1715, 0x1715,
            0x1ABF, 0x1ACE, 0x1DF6, 0x1DFA, 0xA82C, 0xA82C, 0x105C9, 0x105E4, 0x10D24, 0x10F85, 0x11070, 0x11070,
            0x1133B, 0x1133B, 0x11383, 0x113D0, 0x1145E, 0x1145E, 0x11839, 0x11A99, 0x11D42, 0x11F42, 0x16121, 0x1612F,
            0x16D68, 0x16FF1, 0x1E08F, 0x1E5EF};
    /** Unicode 17.0 upper-case letters (unassigned in Java 25) and their lower case, in pairs: from, to. */
    private static final int[] LOWER_CASE_17 = {0xA7CE, 0xA7CF, 0xA7D2, 0xA7D3, 0xA7D4, 0xA7D5};
    /** Beria Erfe (Unicode 17.0): U+16EA0..U+16EB8 lower-case to the same offset 0x1B above. */
    private static final int BERIA_ERFE_UPPER = 0x16EA0, BERIA_ERFE_LAST_UPPER = 0x16EB8, BERIA_ERFE_OFFSET = 0x1B;

    /** Deleted by clean-up: categories Cc, Cf and Co (never Cn), except tab, newline and carriage return. */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') return false;
        int t = Character.getType(cp);
        return (t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE) && !in(ORDINARY, cp);
    }

    /** ASCII punctuation and symbols, plus the punctuation categories (Pc Pd Ps Pe Pi Pf Po). */
    static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION, Character.END_PUNCTUATION,
                 Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> !in(ORDINARY, cp);
            default -> in(PUNCTUATION, cp);
        };
    }

    /** Dropped by accent stripping (category Mn). */
    static boolean isNonSpacingMark(int cp) {
        if (Character.getType(cp) == Character.NON_SPACING_MARK) return !in(ORDINARY, cp) && !in(PUNCTUATION, cp);
        return in(NON_SPACING_MARK, cp);
    }

    /** Unicode White_Space (what Rust's char::is_whitespace tests), not Java's narrower isWhitespace. */
    static boolean isWhitespace(int cp) {
        return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** The reference's CJK ideograph blocks, which get spaces around them. Its Extension E range starts at U+2B920. */
    static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    /**
     * Whether NFD must leave the code point whole and treat it as a starter (combining class 0), so that marks never
     * reorder across it: decompose the text on either side of it separately.
     */
    static boolean isNfdStarter(int cp) {
        return cp >= NFD_STARTERS[0] && in(NFD_STARTERS, cp);
    }

    /** Appends the code point's lower case, without context (no final-sigma rule). */
    static void appendLowerCase(StringBuilder b, int cp) {
        if (cp < 128) {
            b.append((char) (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
        } else if (cp >= BERIA_ERFE_UPPER && cp <= BERIA_ERFE_LAST_UPPER) {
            b.appendCodePoint(cp + BERIA_ERFE_OFFSET);
        } else {
            for (int i = 0; i < LOWER_CASE_17.length; i += 2) {
                if (LOWER_CASE_17[i] == cp) {
                    b.appendCodePoint(LOWER_CASE_17[i + 1]);
                    return;
                }
            }
            b.append(Character.toString(cp).toLowerCase(Locale.ROOT));
        }
    }

    /** Whether cp lies in one of the sorted, inclusive ranges {start, end, start, end, ...}. */
    private static boolean in(int[] ranges, int cp) {
        int i = Arrays.binarySearch(ranges, cp);
        // Found: a range's start or end. Not found: inside a range exactly when the insertion point is odd.
        return i >= 0 || (-i - 1) % 2 == 1;
    }
}
