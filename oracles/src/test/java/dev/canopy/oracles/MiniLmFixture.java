package dev.canopy.oracles;

import dev.canopy.bert.BertConfig;
import dev.canopy.bert.BertWeights;
import dev.canopy.bert.MiniLm;
import dev.canopy.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** The real all-MiniLM-L6-v2, resolved through the same cache code the CLI uses, loaded once per test JVM. */
final class MiniLmFixture {
    static final MiniLm MODEL = MiniLm.inCache();
    private static WordPieceTokenizer tokenizer;
    private static BertWeights weights;

    /** Short, varied texts: case, accents, punctuation, digits, CJK, emoji, URLs, a literal special token. */
    static final List<String> TEXTS = List.of(
            "Long sequences need efficient attention.",
            "The quick brown fox jumps over the lazy dog!",
            "Café déjà vu: naïve coöperation in São Paulo, Zürich & Kraków.",
            "It's 3:45pm on 2024-01-15; prices rose 12.5% (from $1,234.56).",
            "東京は日本の首都です。 Beijing 北京 is big.",
            "Emoji 🙂 and symbols ©®™ ... “smart quotes” — dashes – and ellipsis…",
            "Visit https://example.com/path?q=1&lang=en or mail someone@example.org",
            "UPPER CASE, MiXeD cAsE, and\ttabs\nnewlines   spaces.",
            "A [MASK] token and unbelievably antidisestablishmentarianism-like words.",
            "Ελληνικά ΣΟΦΙΑ, русский текст, and ﬁ ligatures.");

    private MiniLmFixture() {}

    static synchronized WordPieceTokenizer tokenizer() {
        if (tokenizer == null) {
            try {
                tokenizer = WordPieceTokenizer.fromJson(MODEL.tokenizerFile());
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        return tokenizer;
    }

    static synchronized BertWeights weights() {
        if (weights == null) {
            try {
                weights = BertWeights.load(MODEL.safetensorsFile(), BertConfig.read(MODEL.configFile()));
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        return weights;
    }
}
