package dev.canopy.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transformers save and load with Spark ML persistence, alone and inside a Pipeline. */
class PersistenceTest {
    @Test
    void theEmbedderSavesAndLoadsAloneAndInAPipeline(@TempDir Path dir) throws Exception {
        SparkSession spark = TestSpark.session();
        CanopyEmbedder e = new CanopyEmbedder().setInputCol("text").setOutputCol("vec").setErrorCol("why").setAttention("topk:k=16")
                .setBatchSize(7).setMaxLength(64);
        e.save(dir.resolve("embedder").toString());
        CanopyEmbedder loaded = CanopyEmbedder.load(dir.resolve("embedder").toString());
        assertEquals(e.uid(), loaded.uid());
        assertEquals(e.extractParamMap().toString(), loaded.extractParamMap().toString());
        assertEquals("topk:k=16", loaded.getAttention());
        assertEquals(7, loaded.getBatchSize());

        Dataset<Row> df = CanopyEmbedderTest.frame(spark, Texts.sentences(6, 3, 9, 2), 2);
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {e}).fit(df);
        model.write().overwrite().save(dir.resolve("pipeline").toString());
        PipelineModel again = PipelineModel.load(dir.resolve("pipeline").toString());
        assertTrue(again.stages()[0] instanceof CanopyEmbedder);
        Map<Long, Row> a = CanopyEmbedderTest.byId(model.transform(df).collectAsList());
        Map<Long, Row> b = CanopyEmbedderTest.byId(again.transform(df).collectAsList());
        for (long id = 0; id < 6; id++) {
            assertEquals(0.0, Reference.maxAbsDiff(CanopyEmbedderTest.floats(a.get(id), "vec"), CanopyEmbedderTest.floats(b.get(id), "vec")));
        }
    }

    @Test
    void theClassifierSavesAndLoads(@TempDir Path dir) throws Exception {
        Path run = TinyRuns.listops(dir.resolve("run"));
        CanopyClassifier c = new CanopyClassifier().setModel(run.toString()).setInputCol("expr").setAttention("topk:k=4").setMaxLength(20);
        c.save(dir.resolve("classifier").toString());
        CanopyClassifier loaded = CanopyClassifier.load(dir.resolve("classifier").toString());
        assertEquals(c.extractParamMap().toString(), loaded.extractParamMap().toString());
        assertEquals(List.of("prediction", "probability"), List.of(loaded.getOutputCol(), loaded.getProbabilityCol()));
    }
}
