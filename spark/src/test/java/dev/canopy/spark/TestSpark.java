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
            try {
                Path scratch = Files.createTempDirectory("canopy-spark-test");
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
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop));
        }
        return session;
    }

    /** Stops the shared session, if one runs (before a test that needs a driver of its own). */
    static synchronized void stop() {
        if (session != null) session.stop();
        session = null;
    }
}
