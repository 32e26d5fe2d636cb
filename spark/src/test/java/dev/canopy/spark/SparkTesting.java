package dev.canopy.spark;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The package-private test helpers, for tests in other packages. */
public final class SparkTesting {
    private SparkTesting() {}

    public static SparkSession session() { return TestSpark.session(); }
    public static void stopSession() { TestSpark.stop(); }
    public static List<String> sentences(int count, int minWords, int maxWords, long seed) { return Texts.sentences(count, minWords, maxWords, seed); }
    public static List<float[]> reference(List<String> texts) throws IOException { return Reference.minilm(texts, "exact", 512); }
    public static double maxAbsDiff(float[] a, float[] b) { return Reference.maxAbsDiff(a, b); }
    public static Map<Long, Row> byId(List<Row> rows) { return CanopyEmbedderTest.byId(rows); }
    public static float[] floats(Row r, String column) { return CanopyEmbedderTest.floats(r, column); }
}
