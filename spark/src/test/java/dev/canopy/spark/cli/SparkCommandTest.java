package dev.canopy.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.spark.SparkTesting;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparkCommandTest {
    record Result(int code, String err) {}

    static Result run(String... args) {
        StringWriter err = new StringWriter();
        int code = CanopySpark.run(new PrintWriter(err, true), args);
        return new Result(code, err.toString());
    }

    @Test
    void embedsJsonLinesAndTextLinesIntoParquet(@TempDir Path dir) throws Exception {
        SparkTesting.stopSession();   // the command starts and stops its own
        List<String> texts = new ArrayList<>(SparkTesting.sentences(30, 2, 20, 3));
        texts.set(4, null);
        texts.set(9, "");
        Path input = Corpus.jsonl(dir.resolve("corpus.jsonl"), texts);
        Path lines = Files.write(dir.resolve("corpus.txt"), List.of("first line of text", "", "third one"));
        String out = dir.resolve("out").toString(), outLines = dir.resolve("out-lines").toString();
        Result r = run("embed", "--input", input.toString(), "--output", out, "--master", "local[2]", "--batch-size", "4", "--conf", "spark.ui.enabled=false", "--conf", "spark.ui.showConsoleProgress=false");
        assertEquals(0, r.code(), r.err());
        Result l = run("embed", "--input", lines.toString(), "--output", outLines, "--master", "local[2]", "--conf", "spark.ui.enabled=false", "--conf", "spark.ui.showConsoleProgress=false");
        assertEquals(0, l.code(), l.err());

        Map<Long, Row> got = SparkTesting.byId(SparkTesting.session().read().parquet(out).collectAsList());
        assertEquals(texts.size(), got.size());
        List<String> good = new ArrayList<>(texts);
        good.replaceAll(t -> t == null || t.isEmpty() ? "x" : t);
        List<float[]> expected = SparkTesting.reference(good);
        for (int i = 0; i < texts.size(); i++) {
            Row row = got.get((long) i);
            if (i == 4 || i == 9) {
                assertEquals(i == 4 ? "null text" : "empty text", row.getString(row.fieldIndex("error")));
                continue;
            }
            assertNull(row.getString(row.fieldIndex("error")));
            assertTrue(SparkTesting.maxAbsDiff(expected.get(i), SparkTesting.floats(row, "embedding")) <= 1e-6);
        }
        List<Row> lineRows = SparkTesting.session().read().parquet(outLines).orderBy("row").collectAsList();
        assertEquals(List.of(0L, 1L, 2L), lineRows.stream().map(x -> x.getLong(x.fieldIndex("row"))).toList());
        assertEquals(Arrays.asList(null, "empty text", null), lineRows.stream().map(x -> x.getString(x.fieldIndex("error"))).toList());
    }

    @Test
    void badInputIsOneLineAndExitCodeTwo(@TempDir Path dir) throws Exception {
        Path input = Corpus.jsonl(dir.resolve("c.jsonl"), List.of("a"));
        Files.createDirectories(dir.resolve("exists"));
        for (Case c : List.of(
                new Case(new String[] {"--input", dir.resolve("missing.txt").toString(), "--output", dir.resolve("o").toString()}, "no such file or directory"),
                new Case(new String[] {"--input", input.toString(), "--output", dir.resolve("exists").toString()}, "already exists; pass --overwrite"),
                new Case(new String[] {"--input", input.toString(), "--output", dir.resolve("o").toString(), "--model", dir.toString()}, "missing model.safetensors"),
                new Case(new String[] {"--input", input.toString(), "--output", dir.resolve("o").toString(), "--attention", "topk:k=0"}, "topk"),
                new Case(new String[] {"--input", input.toString(), "--output", dir.resolve("o").toString(), "--format", "xml"}, "expected auto, lines, files"),
                new Case(new String[] {"--input", input.toString()}, "Missing required option: '--output"))) {
            List<String> args = new ArrayList<>(List.of("embed"));
            args.addAll(List.of(c.args()));
            Result r = run(args.toArray(String[]::new));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith("canopy: ") && r.err().contains(c.expected()), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        assertFalse(Files.exists(dir.resolve("o")));
    }

    record Case(String[] args, String expected) {}
}
