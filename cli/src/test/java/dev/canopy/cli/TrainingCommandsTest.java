package dev.canopy.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train / eval / resume / demo end to end on tiny settings (a few steps; the real runs are CLI-only). */
class TrainingCommandsTest {
    @TempDir Path dir;

    static final String[] TINY = {"--preset", "tiny", "--dim", "16", "--heads", "2", "--layers", "1", "--ffn-dim", "16", "--batch", "4", "--quiet"};

    static String[] args(String[] head, String... tail) {
        String[] all = new String[head.length + TINY.length + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(TINY, 0, all, head.length, TINY.length);
        System.arraycopy(tail, 0, all, head.length + TINY.length, tail.length);
        return all;
    }

    @Test
    void trainResumeAndEvalRoundTrip() throws Exception {
        Path run = dir.resolve("run");
        var r = CanopyCliTest.run(args(new String[] {"train", "--task", "listops", "--attention", "linformer:k=4", "--out", run.toString()}, "--steps", "2"));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(run.resolve("ckpt-00000002/model.safetensors")));
        assertEquals(4, dev.canopy.train.TrainConfig.fromJson(Files.readString(run.resolve("train.json"))).batchSize());
        assertTrue(Files.readString(run.resolve("metrics.jsonl")).contains("\"event\":\"done\""));
        // Same directory again without --resume is refused; with --resume and more steps it continues.
        var again = CanopyCliTest.run(args(new String[] {"train", "--task", "listops", "--out", run.toString()}, "--steps", "2"));
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--resume"), again.err());
        // Resume takes the saved configuration (batch 4 here, not the preset's 32); only --steps extends the run.
        var resumed = CanopyCliTest.run("train", "--resume", "--out", run.toString(), "--steps", "3", "--quiet");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(Files.isDirectory(run.resolve("ckpt-00000003")));
        assertEquals(0, CanopyCliTest.run("eval", "--checkpoint", run.toString(), "--split", "valid").code());
        // Two-level schedule: a tree-attention run warm-started from this run's weights (its trees start fresh,
        // the linformer projections in the checkpoint are ignored).
        var warm = CanopyCliTest.run(args(new String[] {"train", "--task", "listops", "--attention", "tc:h=2", "--init-from", run.toString(),
                "--out", dir.resolve("warm").toString()}, "--steps", "1"));
        assertEquals(0, warm.code(), warm.err());
        var conflicting = CanopyCliTest.run(args(new String[] {"train", "--resume", "--init-from", run.toString(), "--out", run.toString()}));
        assertEquals(2, conflicting.code());
        var bad = CanopyCliTest.run("eval", "--checkpoint", dir.resolve("nothing").toString());
        assertEquals(2, bad.code());
    }

    @Test
    void treeformerScheduleTrainsResumesAcrossAPhaseAndEvaluates() throws Exception {
        Path run = dir.resolve("sched");
        var r = CanopyCliTest.run(args(new String[] {"train", "--task", "listops", "--schedule", "treeformer:h=2,dense=1,tc=1,tf=1", "--out", run.toString()}, "--steps", "2"));
        assertEquals(0, r.code(), r.err());
        String metrics = Files.readString(run.resolve("metrics.jsonl"));
        assertTrue(metrics.contains("\"event\":\"phase\"") && metrics.contains("\"phase\":\"tc\""), metrics);
        assertTrue(Files.readString(run.resolve("train.json")).contains("\"treeformer\":\"treeformer:h=2,"), "the schedule is a training option");
        assertTrue(Files.readString(run.resolve("ckpt-00000002/state.json")).contains("\"attention\":\"tc:h=2\""), "the checkpoint names the model's attention now");
        // The checkpoint holds TC trees; resuming rebuilds that phase, loads them, and moves on to TF.
        var resumed = CanopyCliTest.run("train", "--resume", "--out", run.toString(), "--steps", "3", "--quiet");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(Files.readString(run.resolve("metrics.jsonl")).contains("\"phase\":\"tf\""));
        var eval = CanopyCliTest.run("eval", "--checkpoint", run.toString(), "--split", "valid");
        assertEquals(0, eval.code(), eval.err());
    }

    @Test
    void demoWritesTableJsonPlotAndReportAndRejectsUnknownAttentions() throws Exception {
        Path out = dir.resolve("demo");
        var unknown = CanopyCliTest.run("demo", "--attention", "exact,nosuch:h=2", "--out", out.toString());
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown attention 'nosuch'"), unknown.err());
        assertFalse(Files.exists(out), "nothing is written for a rejected command line");
        var r = CanopyCliTest.run("demo", "--preset", "tiny", "--steps", "2", "--batch", "4", "--test-examples", "16", "--attention", "exact,linformer:k=4",
                "--schedule", "treeformer:h=2", "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        String table = Files.readString(out.resolve("table.txt"));
        assertTrue(table.contains("exact") && table.contains("linformer:k=4"), table);
        assertTrue(table.contains("treeformer:h=2,dense=1,tc=1,tf=0"), "the schedule's phases split the demo's steps: " + table);
        assertEquals(3, Files.readAllLines(out.resolve("results.jsonl")).size());
        byte[] png = Files.readAllBytes(out.resolve("accuracy-vs-flops.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
        assertTrue(Files.readString(out.resolve("report.html")).contains("accuracy-vs-flops.png"));
    }

    @Test
    void unknownTaskAndPresetAreOneLineErrors() {
        assertEquals(2, CanopyCliTest.run("train", "--task", "imdb", "--out", dir.resolve("x").toString()).code());
        assertEquals(2, CanopyCliTest.run("lra", "listops", "--preset", "huge", "--out", dir.resolve("y").toString()).code());
    }
}
