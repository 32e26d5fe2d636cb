package dev.canopy.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A task that fails after writing some rows is retried, and its rows appear in the output once, as a clean run's. */
class ExactlyOnceTest {
    @Test
    void aRetriedTaskLeavesEveryRowExactlyOnce(@TempDir Path dir) throws Exception {
        SparkSession spark = TestSpark.session();
        List<String> texts = Texts.sentences(48, 2, 12, 17);
        String out = dir.resolve("out").toString();
        int before = FaultInjection.injected();
        spark.sparkContext().setLocalProperty(FaultInjection.PROPERTY, "1");
        try {
            // Batches of 3 rows: partition 1's first attempt writes 3 rows, then fails; Spark runs it again.
            new CanopyEmbedder().setBatchSize(3).transform(CanopyEmbedderTest.frame(spark, texts, 4)).write().parquet(out);
        } finally {
            spark.sparkContext().setLocalProperty(FaultInjection.PROPERTY, null);
        }
        assertEquals(before + 1, FaultInjection.injected(), "the failure was injected once");
        Map<Long, Row> got = CanopyEmbedderTest.byId(spark.read().parquet(out).collectAsList());
        assertEquals(texts.size(), got.size());
        List<float[]> expected = Reference.minilm(texts, "exact", 512);
        for (int i = 0; i < texts.size(); i++) {
            Row r = got.get((long) i);
            assertNull(r.getString(r.fieldIndex("error")));
            double d = Reference.maxAbsDiff(expected.get(i), CanopyEmbedderTest.floats(r, "embedding"));
            assertTrue(d <= 1e-6, "row " + i + " differs by " + d);
        }
    }
}
