package dev.canopy.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.spark.model.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CanopyEmbedderTest {
    private final SparkSession spark = TestSpark.session();

    static final StructType ID_TEXT = DataTypes.createStructType(List.of(
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("text", DataTypes.StringType, true)));

    static Dataset<Row> frame(SparkSession spark, List<String> texts, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) rows.add(RowFactory.create((long) i, texts.get(i)));
        return spark.createDataFrame(rows, ID_TEXT).repartition(partitions);
    }

    /** Embeddings by id, every id exactly once. */
    static Map<Long, Row> byId(List<Row> rows) {
        Map<Long, Row> m = new HashMap<>();
        for (Row r : rows) assertNull(m.put(r.getLong(r.fieldIndex("id")), r), "row " + r.get(0) + " appears twice");
        return m;
    }

    static float[] floats(Row r, String column) {
        List<Float> l = r.getList(r.fieldIndex(column));
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) f[i] = l.get(i);
        return f;
    }

    @Test
    void embeddingsEqualTheSingleJvmPath() throws Exception {
        for (String attention : List.of("exact", "topk:k=8")) {
            List<String> texts = Texts.sentences(24, 2, 40, attention.length());
            List<Row> out = new CanopyEmbedder().setAttention(attention).setBatchSize(5).transform(frame(spark, texts, 3)).collectAsList();
            List<float[]> expected = Reference.minilm(texts, attention, 512);
            Map<Long, Row> got = byId(out);
            assertEquals(texts.size(), got.size());
            double worst = 0;
            for (int i = 0; i < texts.size(); i++) {
                Row r = got.get((long) i);
                assertNull(r.getString(r.fieldIndex("error")));
                assertEquals(texts.get(i), r.getString(r.fieldIndex("text")), "input columns are kept");
                worst = Math.max(worst, Reference.maxAbsDiff(expected.get(i), floats(r, "embedding")));
            }
            assertTrue(worst <= 1e-6, attention + ": Spark and the single-JVM path differ by " + worst);
        }
    }

    @Test
    void badRowsGetANullEmbeddingAndAReason() throws Exception {
        List<Row> rows = List.of(RowFactory.create(0L, null), RowFactory.create(1L, ""), RowFactory.create(2L, " \t\n"), RowFactory.create(3L, "fine words"));
        Map<Long, Row> got = byId(new CanopyEmbedder().transform(spark.createDataFrame(rows, ID_TEXT)).collectAsList());
        assertEquals("null text", got.get(0L).getString(3));
        assertEquals("empty text", got.get(1L).getString(3));
        assertEquals("empty text (no tokens)", got.get(2L).getString(3));
        for (long id = 0; id < 3; id++) assertTrue(got.get(id).isNullAt(2));
        assertNull(got.get(3L).getString(3));
        assertEquals(384, got.get(3L).getList(2).size());
    }

    @Test
    void undecodableBytesAreReportedNotReplaced(@TempDir Path dir) throws Exception {
        // A text file whose second line is not UTF-8: Spark's text reader would hand it over with U+FFFD in it.
        Path file = dir.resolve("lines.txt");
        Files.write(file, new byte[] {'o', 'k', '\n', 'b', (byte) 0xC3, '(', 'd', '\n', 'a', 'l', 's', 'o', ' ', 'o', 'k', '\n'});
        List<Row> out = new CanopyEmbedder().setInputCol("value").transform(spark.read().text(file.toString())).collectAsList();
        assertEquals(3, out.size());
        long bad = out.stream().filter(r -> r.getString(2) != null).count();
        assertEquals(1, bad);
        Row r = out.stream().filter(x -> x.getString(2) != null).findFirst().orElseThrow();
        assertEquals("not valid UTF-8 (byte 1 of 4)", r.getString(2));
        assertTrue(r.isNullAt(1));
        // A binary column is read the same way.
        StructType bin = DataTypes.createStructType(List.of(DataTypes.createStructField("text", DataTypes.BinaryType, true)));
        List<Row> b = new CanopyEmbedder().transform(spark.createDataFrame(List.of(RowFactory.create((Object) new byte[] {(byte) 0xFF}),
                RowFactory.create((Object) "caf\u00e9".getBytes(java.nio.charset.StandardCharsets.UTF_8))), bin)).collectAsList();
        assertEquals("not valid UTF-8 (byte 0 of 1)", b.get(0).getString(2));
        assertNull(b.get(1).getString(2));
    }

    @Test
    void theModelIsLoadedOncePerJvmWhateverTheTaskCount() {
        // topk:k=5 is used by no other test, so this is its first load here.
        int before = SharedModels.loads();
        CanopyEmbedder e = new CanopyEmbedder().setAttention("topk:k=5").setBatchSize(3);
        assertEquals(20, e.transform(frame(spark, Texts.sentences(20, 2, 6, 5), 8)).count());
        assertEquals(20, e.transform(frame(spark, Texts.sentences(20, 2, 6, 6), 8)).count());
        assertEquals(before + 1, SharedModels.loads(), "16 tasks on 2 threads, one load");
    }

    @Test
    void aModelThatCannotBeReadFailsAtStartWithOneLine(@TempDir Path dir) throws Exception {
        Dataset<Row> df = frame(spark, List.of("a text"), 1);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> new CanopyEmbedder().setModel(dir.resolve("nowhere").toString()).transform(df));
        assertTrue(missing.getMessage().contains("expected 'minilm' or a directory"), missing.getMessage());
        Files.writeString(dir.resolve("config.json"), "{}");
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3});
        Exception broken = assertThrows(Exception.class, () -> new CanopyEmbedder().setModel(dir.toString()).transform(df));
        assertNotNull(broken.getMessage());
        assertTrue(broken.getMessage().contains(dir.toString()), broken.getMessage());
        assertTrue(!broken.getMessage().contains("\n"), broken.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CanopyEmbedder().setAttention("topk:k=").transform(df));
    }
}
