package dev.canopy.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.spark.SparkTesting;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embed job on a real Spark standalone cluster (a master and two workers on 127.0.0.1, each worker one core and
 * its own executor JVM), against the same job run embedded: the same rows, the same embeddings.
 */
class StandaloneClusterTest {
    @Test
    void theClusterRunEqualsTheEmbeddedRun(@TempDir Path dir) throws Exception {
        long t0 = System.nanoTime();
        SparkTesting.stopSession();
        List<String> texts = new ArrayList<>(SparkTesting.sentences(40, 3, 40, 23));
        texts.set(7, "");
        Path input = Corpus.jsonl(dir.resolve("corpus.jsonl"), texts);
        String clusterOut = dir.resolve("cluster").toString(), localOut = dir.resolve("local").toString();
        List<String> common = List.of("embed", "--input", input.toString(), "--partitions", "6", "--batch-size", "4",
                "--conf", "spark.ui.enabled=false", "--conf", "spark.ui.showConsoleProgress=false");
        try (StandaloneCluster cluster = StandaloneCluster.start(dir.resolve("spark-home"), 2)) {
            List<String> args = new ArrayList<>(common);
            args.addAll(List.of("--output", clusterOut, "--master", cluster.url, "--conf", "spark.driver.host=127.0.0.1",
                    "--conf", "spark.driver.bindAddress=127.0.0.1", "--conf", "spark.executor.memory=768m", "--conf", "spark.cores.max=2"));
            SparkCommandTest.Result r = SparkCommandTest.run(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.err() + "\n" + cluster.logs());
            assertEquals(2, cluster.executorDirs().size(), "an executor on each worker:\n" + cluster.logs());
        }
        List<String> args = new ArrayList<>(common);
        args.addAll(List.of("--output", localOut, "--master", "local[2]"));
        SparkCommandTest.Result r = SparkCommandTest.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());

        Map<Long, Row> cluster = SparkTesting.byId(SparkTesting.session().read().parquet(clusterOut).collectAsList());
        Map<Long, Row> local = SparkTesting.byId(SparkTesting.session().read().parquet(localOut).collectAsList());
        assertEquals(texts.size(), cluster.size());
        assertEquals(local.keySet(), cluster.keySet());
        double worst = 0;
        for (long id = 0; id < texts.size(); id++) {
            Row c = cluster.get(id), l = local.get(id);
            assertEquals(l.getString(l.fieldIndex("error")), c.getString(c.fieldIndex("error")));
            if (id == 7) {
                assertEquals("empty text", c.getString(c.fieldIndex("error")));
                continue;
            }
            assertNull(c.getString(c.fieldIndex("error")));
            worst = Math.max(worst, SparkTesting.maxAbsDiff(SparkTesting.floats(l, "embedding"), SparkTesting.floats(c, "embedding")));
        }
        assertTrue(worst <= 1e-6, "cluster and embedded runs differ by " + worst);
        System.out.printf("cluster test: %d rows, largest difference cluster vs embedded %.3g, %.1f s in all%n", texts.size(), worst, (System.nanoTime() - t0) / 1e9);
    }
}
