package dev.canopy.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Spot checks of the reference's character tables; the oracles module sweeps the whole code space. */
class ReferenceUnicodeTest {
    @Test
    void unassignedCodePointsAreNotControls() {
        assertFalse(ReferenceUnicode.isControl(0x0378));
        assertFalse(ReferenceUnicode.isControl(0xE0080));
        assertTrue(ReferenceUnicode.isControl(0x0007));
        assertTrue(ReferenceUnicode.isControl(0x200B)); // Cf
        assertTrue(ReferenceUnicode.isControl(0xE000)); // Co
        assertFalse(ReferenceUnicode.isControl('\t'));
        assertFalse(ReferenceUnicode.isControl(0x0890)); // Cf since Unicode 14, unassigned to the reference
    }

    @Test
    void punctuationIsUnicode8s() {
        assertTrue(ReferenceUnicode.isPunctuation('!'));
        assertTrue(ReferenceUnicode.isPunctuation('$'));
        assertTrue(ReferenceUnicode.isPunctuation(0x2E42));
        assertFalse(ReferenceUnicode.isPunctuation(0x061D)); // Po since Unicode 14
        assertFalse(ReferenceUnicode.isPunctuation(0x2E43));
        assertTrue(ReferenceUnicode.isPunctuation(0x166D)); // Po then, So now
        assertTrue(ReferenceUnicode.isPunctuation(0x111C9)); // Po then, Mn now
    }

    @Test
    void nonSpacingMarksAreUnicode8s() {
        assertTrue(ReferenceUnicode.isNonSpacingMark(0x0301));
        assertFalse(ReferenceUnicode.isNonSpacingMark(0x07FD)); // Mn since Unicode 11
        assertFalse(ReferenceUnicode.isNonSpacingMark(0x111C9));
        assertFalse(ReferenceUnicode.isNonSpacingMark(0xA9BD)); // Mc then, Mn now
        assertTrue(ReferenceUnicode.isNonSpacingMark(0x1734)); // Mn then, Mc now
    }

    @Test
    void cjkExtensionEStartsAt2B920() {
        assertTrue(ReferenceUnicode.isCjk(0x2B81F));
        assertFalse(ReferenceUnicode.isCjk(0x2B820));
        assertFalse(ReferenceUnicode.isCjk(0x2B91F));
        assertTrue(ReferenceUnicode.isCjk(0x2B920));
        assertTrue(ReferenceUnicode.isCjk(0x4E00));
    }

    @Test
    void lowerCaseIsUnicode17s() {
        assertEquals("\uA7CF", lower(0xA7CE));
        assertEquals(Character.toString(0x16EBB), lower(0x16EA0));
        assertEquals(Character.toString(0x16ED3), lower(0x16EB8));
        assertEquals("\u03C3", lower(0x03A3)); // no final-sigma rule
        assertEquals("i\u0307", lower(0x0130));
        assertEquals("a", lower('A'));
    }

    @Test
    void accentStrippingUsesTheReferencesDecompositionsAndCombiningClasses() {
        BertNormalizer strip = new BertNormalizer(false, false, true, false);
        assertEquals("cafe", strip.normalize("caf\u00e9"));
        // Decompositions from Unicode 13 on are not the reference's: U+11938 stays whole.
        assertEquals("x\uD806\uDD38", strip.normalize("x\uD806\uDD38"));
        // U+07FD has combining class 220 in Java, 0 in the reference: it neither moves nor lets a mark move across it.
        assertEquals("x\uD834\uDD6D\u07FD", strip.normalize("x\uD834\uDD6D\u07FD"));
        assertEquals("x\u07FD\uD834\uDD65", strip.normalize("x\u07FD\uD834\uDD65"));
        // Known marks still order by class: U+1D165 (216) goes before U+1D16D (226).
        assertEquals("x\uD834\uDD65\uD834\uDD6D", strip.normalize("x\uD834\uDD6D\uD834\uDD65"));
    }

    @Test
    void loneSurrogatesAreReplacementCharacters() {
        assertEquals("ab", new BertNormalizer(true, false, false, false).normalize("a\uD800b"));
        assertEquals("a\uFFFDb", new BertNormalizer(false, false, false, false).normalize("a\uDC00b"));
        assertEquals("\uD83D\uDE00", new BertNormalizer(true, false, false, false).normalize("\uD83D\uDE00"));
    }

    private static String lower(int cp) {
        StringBuilder b = new StringBuilder();
        ReferenceUnicode.appendLowerCase(b, cp);
        return b.toString();
    }
}
