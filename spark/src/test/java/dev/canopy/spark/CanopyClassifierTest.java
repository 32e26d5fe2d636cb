package dev.canopy.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.data.Batch;
import dev.canopy.data.ListOpsVocab;
import dev.canopy.data.Sample;
import dev.canopy.data.Vocab;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.nn.Pass;
import dev.canopy.train.Checkpoints;
import dev.canopy.train.RunDirectory;
import dev.canopy.train.SafetensorsStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CanopyClassifierTest {
    private final SparkSession spark = TestSpark.session();

    /** Probabilities from the checkpoint's model on one example, as eval runs it. */
    private static float[] direct(Path run, int[] tokens) throws Exception {
        EncoderClassifier m = new EncoderClassifier(RunDirectory.containing(run).model());
        Checkpoints.loadWeights(run, m, new SafetensorsStore());
        float[] logits = m.forward(Batch.of(List.of(new Sample(tokens, 0)), m.clsToken(), m.maxLength(), 16), Pass.INFERENCE).logits();
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float x : logits) max = Math.max(max, x);
        float[] p = new float[logits.length];
        for (float x : logits) sum += Math.exp(x - max);
        for (int k = 0; k < p.length; k++) p[k] = (float) (Math.exp(logits[k] - max) / sum);
        return p;
    }

    private void checkAgainstDirect(Path run, List<String> texts, Function<String, int[]> tokens) throws Exception {
        List<Row> out = new CanopyClassifier().setModel(run.toString()).setBatchSize(3).transform(CanopyEmbedderTest.frame(spark, texts, 2)).collectAsList();
        Map<Long, Row> got = CanopyEmbedderTest.byId(out);
        assertEquals(texts.size(), got.size());
        for (int i = 0; i < texts.size(); i++) {
            Row r = got.get((long) i);
            assertNull(r.getString(r.fieldIndex("error")));
            float[] p = CanopyEmbedderTest.floats(r, "probability");
            float[] expected = direct(run, tokens.apply(texts.get(i)));
            assertTrue(Reference.maxAbsDiff(expected, p) <= 1e-5, texts.get(i) + ": " + Arrays.toString(p) + " vs " + Arrays.toString(expected));
            int best = 0;
            for (int k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
            assertEquals(best, r.getInt(r.fieldIndex("prediction")));
        }
    }

    @Test
    void listopsExpressionsAreClassifiedAsTheCheckpointDoes(@TempDir Path dir) throws Exception {
        List<String> exprs = List.of("[MAX 2 9 ]", "[MIN 4 [SM 1 2 ] 7 ]", "[MED 1 2 3 4 5 ]", "( [SM 3 ( [MAX 1 8 ) ] )", "7");
        checkAgainstDirect(TinyRuns.listops(dir.resolve("run")), exprs, ListOpsVocab::fromText);
    }

    @Test
    void spamModelsReadUtf8Bytes(@TempDir Path dir) throws Exception {
        List<String> bodies = List.of("Win a free cruise now!!!", "Meeting moved to 3pm, see agenda attached.", "caf\u00e9 \u00fcber na\u00efve");
        checkAgainstDirect(TinyRuns.spam(dir.resolve("run")), bodies, s -> Vocab.bytes(s.getBytes(StandardCharsets.UTF_8), 64));
    }

    @Test
    void unreadableRowsGetAReason(@TempDir Path dir) throws Exception {
        Path run = TinyRuns.listops(dir.resolve("run"));
        List<String> texts = new ArrayList<>(Arrays.asList("[MAX 1 2 ]", null, "[MAX one two ]"));
        Map<Long, Row> got = CanopyEmbedderTest.byId(new CanopyClassifier().setModel(run.toString()).transform(CanopyEmbedderTest.frame(spark, texts, 1)).collectAsList());
        assertNull(got.get(0L).getString(4));
        assertEquals("null text", got.get(1L).getString(4));
        assertEquals("listops text has an unknown token 'one'", got.get(2L).getString(4));
        assertTrue(got.get(2L).isNullAt(2) && got.get(2L).isNullAt(3));
    }

    @Test
    void pairTasksAndMissingRunsAreRefusedAtStart(@TempDir Path dir) throws Exception {
        var df = CanopyEmbedderTest.frame(spark, List.of("x"), 1);
        Path brown = TinyRuns.brownMatch(dir.resolve("brown"));
        IllegalArgumentException pair = assertThrows(IllegalArgumentException.class, () -> new CanopyClassifier().setModel(brown.toString()).transform(df));
        assertTrue(pair.getMessage().contains("brown-match compares two documents"), pair.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> new CanopyClassifier().setModel(dir.resolve("none").toString()).transform(df));
        assertTrue(none.getMessage().contains("no model.json"), none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CanopyClassifier().transform(df));
    }
}
