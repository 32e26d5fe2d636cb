package dev.canopy.langchain4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.canopy.kernels.Parallel;
import dev.canopy.tokenizer.WordPieceTokenizer;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.output.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How texts become parts and parts become one embedding, with a stand-in encoder whose output is easy to predict. */
class CanopyEmbeddingModelTest {
    static WordPieceTokenizer tokenizer;

    /** Pooled vector of a sequence: (length, sum of ids, 1), so every part leaves a different trace. */
    record FakeEncoder(int maxTokens) implements TokenEncoder {
        @Override
        public int dimension() {
            return 3;
        }

        @Override
        public float[] meanPooled(int[] ids) {
            return new float[] {ids.length, IntStream.of(ids).sum(), 1};
        }
    }

    @BeforeAll
    static void tokenizer(@TempDir Path dir) throws IOException {
        // ids: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, a 4, b 5, c 6, ##x 7
        String json = """
                {"model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "a": 4, "b": 5, "c": 6, "##x": 7}}}
                """;
        tokenizer = WordPieceTokenizer.fromJson(Files.writeString(dir.resolve("tokenizer.json"), json));
    }

    static CanopyEmbeddingModel model(LongTexts longTexts, int threads) {
        return new CanopyEmbeddingModel("fake", tokenizer, new FakeEncoder(8), longTexts, threads);
    }

    static float[] normalized(double... v) {
        double norm = 0;
        for (double x : v) norm += x * x;
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] / Math.sqrt(norm));
        return out;
    }

    @Test
    void partsAreAveragedByLengthThenNormalised() {
        // "a b cx a": pieces a b c ##x a (ids 4 5 6 7 4); parts of at most 3 never start at ##x: [a b] [c ##x a].
        Response<Embedding> r = model(LongTexts.partitions(3), 1).embed("a b cx a");
        // [CLS] a b [SEP]: (4, 2+4+5+3=14, 1), weight 2; [CLS] c ##x a [SEP]: (5, 2+6+7+4+3=22, 1), weight 3.
        float[] expected = normalized((2 * 4 + 3 * 5) / 5.0, (2 * 14 + 3 * 22) / 5.0, 1);
        assertArrayEquals(expected, r.content().vector(), 1e-6f);
        assertEquals(5, r.tokenUsage().inputTokenCount());
    }

    @Test
    void truncationKeepsTheFirstPiecesOnly() {
        Response<Embedding> r = model(LongTexts.truncate(4), 1).embed("a b cx a");
        assertArrayEquals(normalized(4, 14, 1), r.content().vector(), 1e-6f); // [CLS] a b [SEP]
        assertEquals(2, r.tokenUsage().inputTokenCount());
    }

    @Test
    void embedAllKeepsTheOrderAndDoesNotDependOnTheThreadCount() {
        List<TextSegment> texts = new ArrayList<>();
        for (int i = 0; i < 40; i++) texts.add(TextSegment.from("a ".repeat(i % 7 + 1) + "bx c".repeat(i % 3)));
        List<Embedding> one = model(LongTexts.partitions(3), 1).embedAll(texts).content();
        List<Embedding> many = model(LongTexts.partitions(3), Math.max(2, Parallel.threads())).embedAll(texts).content();
        assertEquals(texts.size(), many.size());
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(one.get(i).vector(), many.get(i).vector(), "text " + i);
            assertArrayEquals(model(LongTexts.partitions(3), 1).embed(texts.get(i)).content().vector(), one.get(i).vector());
        }
    }

    @Test
    void refusesWhatItCannotEmbed() {
        CanopyEmbeddingModel m = model(LongTexts.partitions(3), 1);
        assertThrows(IllegalArgumentException.class, () -> m.embed(" \n\t "));
        assertThrows(IllegalArgumentException.class, () -> m.embedAll(List.of()));
        assertThrows(IllegalArgumentException.class, () -> model(LongTexts.partitions(7), 1)); // 9 tokens > 8 positions
        assertThrows(IllegalArgumentException.class, () -> model(LongTexts.partitions(3), 0));
        assertThrows(IllegalArgumentException.class, () -> LongTexts.truncate(2));
        assertThrows(IllegalStateException.class, () -> CanopyEmbeddingModel.builder().build());
        assertEquals(3, m.dimension());
        assertEquals("fake", m.modelName());
    }
}
