package dev.canopy.oracles;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.canopy.tokenizer.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Our WordPiece tokenizer against Hugging Face tokenizers (Rust, through DJL) on the same tokenizer.json. */
class TokenizerOracleTest {

    @Test
    void tokenIdsEqualHuggingFaceTokenizers() throws Exception {
        List<String> texts = new ArrayList<>(MiniLmFixture.TEXTS);
        texts.add("x".repeat(150) + " ok"); // a word longer than max_input_chars_per_word
        texts.add("\u0000control\u0007chars\u200bzero width\u00a0nbsp");
        texts.add("");
        WordPieceTokenizer ours = MiniLmFixture.tokenizer();
        try (HuggingFaceTokenizer ref = HuggingFaceTokenizer.builder().optTokenizerPath(MiniLmFixture.MODEL.tokenizerFile())
                .optAddSpecialTokens(true).optTruncation(false).optPadding(false).build()) {
            for (String text : texts) {
                Encoding e = ref.encode(text);
                int[] expected = Arrays.stream(e.getIds()).mapToInt(Math::toIntExact).toArray();
                int[] actual = ours.encode(text, 4096).ids();
                assertArrayEquals(expected, actual, () -> "ids differ for '" + text + "'\n reference tokens "
                        + Arrays.toString(e.getTokens()));
            }
        }
    }

    @Test
    void goldenIdsFromTheResearchNotes() {
        assertArrayEquals(new int[] {101, 2146, 10071, 2342, 8114, 3086, 1012, 102},
                MiniLmFixture.tokenizer().encode("Long sequences need efficient attention.", 512).ids());
    }

    @Test
    void truncationKeepsClsAndSepAndReportsTheFullLength() {
        String text = "word ".repeat(600);
        WordPieceTokenizer.Encoding e = MiniLmFixture.tokenizer().encode(text, 512);
        assertEquals(512, e.ids().length);
        assertEquals(602, e.fullLength());
        assertTrue(e.truncated());
        assertEquals(101, e.ids()[0]);
        assertEquals(102, e.ids()[511]);
    }
}
