package dev.canopy.cli.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.cli.CanopyCliTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny sweep: a run directory per cell, a line per cell, a table and plots; a rerun skips and resumes. */
public class SweepCommandTest {
    @TempDir Path dir;

    private CanopyCliTest.Run sweep(Path out, String... extra) {
        return sweepOf("exact,topk:k=4", out, extra);
    }

    private CanopyCliTest.Run sweepOf(String attentions, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("sweep", "--task", "mqar", "--attention", attentions, "--n", "32,48", "--seeds", "2",
                "--pairs", "4", "--vocab", "20", "--causal", "--steps", "2", "--out", out.toString()));
        args.addAll(List.of(TrainingCommandsTest.TINY));
        args.addAll(List.of(extra));
        return CanopyCliTest.run(args.toArray(String[]::new));
    }

    @Test
    void everyCellOnceThenSkippedOrResumed() throws Exception {
        Path out = dir.resolve("sweep");
        var first = sweep(out);
        assertEquals(0, first.code(), first.err());
        List<String> lines = Files.readAllLines(out.resolve("results.jsonl"));
        assertEquals(8, lines.size(), "2 attentions x 2 lengths x 2 seeds");
        assertTrue(lines.stream().allMatch(l -> l.contains("\"bench\":\"sweep\"") && l.contains("\"accuracy\":") && l.contains("\"attention_flops\":")
                && l.contains("\"train_seconds\":") && l.contains("\"working_bytes\":")), lines.get(0));
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"attention\":\"topk:k=4\"") && l.contains("\"n\":48") && l.contains("\"seed\":2")), String.join("\n", lines));
        String table = Files.readString(out.resolve("table.txt"));
        assertTrue(table.contains("exact") && table.contains("topk:k=4") && table.contains("±"), table);
        assertTrue(Files.size(out.resolve("sweep_accuracy_vs_n.png")) > 1000 && Files.size(out.resolve("sweep_accuracy_vs_time.png")) > 1000);
        assertTrue(Files.readString(out.resolve("index.html")).contains("sweep_accuracy_vs_n.png"));

        // A rerun trains nothing finished; a cell whose result is missing resumes its run directory from its checkpoint.
        Path cell = out.resolve("topk_k=4").resolve("n48").resolve("seed1");
        Path skipped = out.resolve("exact").resolve("n32").resolve("seed2");
        String before = Files.readString(cell.resolve(SweepCells.RESULT));
        String skippedLog = Files.readString(skipped.resolve("metrics.jsonl"));
        var skippedTime = Files.getLastModifiedTime(skipped.resolve(SweepCells.RESULT));
        Files.delete(cell.resolve(SweepCells.RESULT));
        var second = sweep(out);
        assertEquals(0, second.code(), second.err());
        assertEquals(skippedLog, Files.readString(skipped.resolve("metrics.jsonl")), "a finished cell is not trained again");
        assertEquals(skippedTime, Files.getLastModifiedTime(skipped.resolve(SweepCells.RESULT)));
        String after = Files.readString(cell.resolve(SweepCells.RESULT));
        assertEquals(field(before, "accuracy"), field(after, "accuracy"), "the resumed cell ends where it had");
        assertTrue(Files.readString(cell.resolve("metrics.jsonl")).lines().filter(l -> l.contains("\"event\":\"done\"")).count() >= 1);
        assertEquals(8, Files.readAllLines(out.resolve("results.jsonl")).size());

        // Other options into the same folder: the cells on disk answer for the old ones, so the sweep refuses.
        var changed = sweep(out, "--lr", "1e-2");
        assertEquals(2, changed.code(), changed.err());
        assertTrue(changed.err().contains("started with other options") && changed.err().contains("train.json"), changed.err());
        assertEquals(skippedLog, Files.readString(skipped.resolve("metrics.jsonl")), "nothing trained");
    }

    @Test
    void aCurriculumWarmStartsEachCellFromTheShorterSweepsCellOfTheSameSeed() throws Exception {
        Path shorter = dir.resolve("short"), longer = dir.resolve("long");
        List<String> common = List.of("--task", "mqar", "--pairs", "4", "--vocab", "20", "--steps", "2");
        var a = CanopyCliTest.run(cat(List.of("sweep", "--attention", "exact", "--n", "32", "--seeds", "2", "--out", shorter.toString()), common));
        assertEquals(0, a.code(), a.err());
        String from = shorter.resolve("exact").resolve("n32").resolve("seed{seed}").toString();
        var missing = CanopyCliTest.run(cat(List.of("sweep", "--attention", "topk:k=4", "--n", "48", "--seeds", "3", "--init-from", from, "--out", longer.toString()), common));
        assertEquals(2, missing.code(), missing.err());
        assertTrue(missing.err().contains("--init-from") && missing.err().contains("seed3"), missing.err());
        assertFalse(Files.exists(longer), "a sweep with a missing warm start writes nothing");
        // The warm start is announced on standard output (the progress stream), which picocli's writers do not carry.
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        CanopyCliTest.Run b;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            b = CanopyCliTest.run(cat(List.of("sweep", "--attention", "topk:k=4", "--n", "48", "--seeds", "2", "--init-from", from, "--out", longer.toString()), common));
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, b.code(), b.err());
        String out = printed.toString(StandardCharsets.UTF_8);
        for (int seed = 1; seed <= 2; seed++) {
            Path source = shorter.resolve("exact").resolve("n32").resolve("seed" + seed);
            assertTrue(out.contains("warm start from " + source), out);
            String result = Files.readString(longer.resolve("topk_k=4").resolve("n48").resolve("seed" + seed).resolve(SweepCells.RESULT));
            assertTrue(result.contains("\"init_from\":\"" + source + "\""), result);
        }
        assertTrue(out.contains("embed.positions.weight (rows 32..48)"), "the 32 learned positions seed the first rows of 48: " + out);
    }

    private static String[] cat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        all.addAll(List.of(TrainingCommandsTest.TINY));
        return all.toArray(String[]::new);
    }

    @Test
    void badOptionsWriteNothing() {
        Path out = dir.resolve("bad");
        var r = sweep(out, "--seeds", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--seeds"), r.err());
        var tc = sweepOf("exact,tc:h=2", out);
        assertEquals(2, tc.code());
        assertTrue(tc.err().contains("causal"), tc.err());
        assertFalse(Files.exists(out), "nothing is written for a rejected sweep");
    }

    private static String field(String json, String key) {
        int at = json.indexOf("\"" + key + "\":");
        return json.substring(at, json.indexOf(',', at));
    }
}
