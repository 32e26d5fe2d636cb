package dev.canopy.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * One embedded Spark for all tests in this JVM (starting one costs seconds): local[2,2], two task threads, and a task
 * may fail once and be retried (local mode otherwise never retries), which the retry test needs. The command-line
 * tests stop it (the command stops its session when done); the next test gets a new one.
 */
final class TestSpark {
    private TestSpark() {}

    private static SparkSession session;

    static synchronized SparkSession session() {
        if (session == null || session.sparkContext().isStopped()) {
            Path scratch;
            try {
                scratch = Files.createTempDirectory("canopy-spark-test");
                session = SparkSession.builder().master("local[2,2]").appName("canopy-test")
                        .config("spark.ui.enabled", "false")
                        .config("spark.driver.host", "127.0.0.1")
                        .config("spark.driver.bindAddress", "127.0.0.1")
                        .config("spark.local.dir", scratch.toString())
                        .config("spark.sql.shuffle.partitions", "4")
                        .getOrCreate();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            SparkSession started = session;
            Path dir = scratch;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                started.stop();
                deleteTree(dir); // Spark leaves its emptied local dir; a test run should not leave it in /tmp
            }));
        }
        return session;
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException | RuntimeException e) {
            // best effort at exit
        }
    }

    /** Stops the shared session, if one runs (before a test that needs a driver of its own). */
    static synchronized void stop() {
        if (session != null) session.stop();
        session = null;
    }
}
