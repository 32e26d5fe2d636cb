package dev.canopy.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.bert.BertCheckpoint;
import dev.canopy.bert.MiniLm;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.UntruncatedBiEncoder;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.output.Response;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CanopyEmbeddingModel (exact attention) against langchain4j's own all-MiniLM-L6-v2 on ONNX Runtime, on 50 texts of
 * which 14 are long (up to a few thousand word pieces).
 *
 * <p>langchain4j's {@code AllMiniLmL6V2EmbeddingModel} applies its tokenizer.json's {@code max_length} of 128, so it
 * embeds the first 126 pieces of a text; {@code LongTexts.truncate(128)} is compared with it. Our default,
 * {@code LongTexts.partitions()}, is compared with the same model's {@code OnnxBertBiEncoder.embed} run with a
 * tokenizer that does not truncate, the only way its partitioning of long texts runs at all (see
 * {@link UntruncatedBiEncoder}).
 */
class LangChain4jOracleTest {
    static final double MIN_COSINE = 0.99999;
    static final List<String> TEXTS = OracleTexts.all(14);
    static BertCheckpoint minilm;

    @BeforeAll
    static void load() throws IOException {
        minilm = BertCheckpoint.minilm();
    }

    @Test
    void theTextsIncludeManyOverOneWindow() {
        assertTrue(TEXTS.size() >= 50, "texts: " + TEXTS.size());
        long over = TEXTS.stream().filter(t -> minilm.tokenizer().tokenize(t).size() > LongTexts.BERT_PART).count();
        assertTrue(over >= 10, "texts over 510 pieces: " + over);
    }

    @Test
    void truncatedMatchesAllMiniLmL6V2EmbeddingModel() {
        EmbeddingModel ours = CanopyEmbeddingModel.builder().checkpoint(minilm).longTexts(LongTexts.truncate(128)).build();
        compare("AllMiniLmL6V2EmbeddingModel", new AllMiniLmL6V2EmbeddingModel(), ours);
    }

    @Test
    void partitionedMatchesLangChain4jsOwnPartitioning() throws Exception {
        MiniLm files = MiniLm.inCache();
        UntruncatedBiEncoder reference = new UntruncatedBiEncoder(files.onnxFile(), files.tokenizerFile());
        CanopyEmbeddingModel ours = CanopyEmbeddingModel.builder().checkpoint(minilm).build();
        assertEquals("all-minilm-l6-v2/exact", ours.modelName());
        assertEquals(384, ours.dimension());
        List<float[]> expected = TEXTS.stream().map(reference::embed).toList();
        long pieces = TEXTS.stream().mapToLong(t -> reference.countTokens(t) - 2).sum();
        compare("OnnxBertBiEncoder.embed, tokenizer untruncated", expected, pieces, ours);
    }

    private static void compare(String name, EmbeddingModel reference, EmbeddingModel ours) {
        Response<List<Embedding>> expected = reference.embedAll(TEXTS.stream().map(TextSegment::from).toList());
        compare(name, expected.content().stream().map(Embedding::vector).toList(), expected.tokenUsage().inputTokenCount(), ours);
    }

    private static void compare(String name, List<float[]> expected, long expectedPieces, EmbeddingModel ours) {
        Response<List<Embedding>> actual = ours.embedAll(TEXTS.stream().map(TextSegment::from).toList());
        assertEquals(TEXTS.size(), actual.content().size());
        double min = 1;
        int worst = -1;
        for (int i = 0; i < TEXTS.size(); i++) {
            double c = cosine(expected.get(i), actual.content().get(i).vector());
            if (c < min) {
                min = c;
                worst = i;
            }
        }
        System.out.printf("langchain4j oracle vs %s: %d texts, min cosine %.10f (1 - min = %.2e, text %d), pieces %d vs %d%n", name,
                TEXTS.size(), min, 1 - min, worst, expectedPieces, actual.tokenUsage().inputTokenCount());
        int w = worst;
        assertTrue(min >= MIN_COSINE, () -> name + ": cosine below " + MIN_COSINE + " for text " + w + ": " + TEXTS.get(w));
        assertEquals(expectedPieces, (long) actual.tokenUsage().inputTokenCount(), "word pieces embedded");
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
