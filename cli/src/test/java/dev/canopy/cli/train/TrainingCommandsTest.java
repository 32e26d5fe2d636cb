package dev.canopy.cli.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.cli.CanopyCliTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train / eval / resume / demo end to end on tiny settings (a few steps; the real runs are CLI-only). */
public class TrainingCommandsTest {
    @TempDir Path dir;

    public static final String[] TINY = {"--preset", "tiny", "--dim", "16", "--heads", "2", "--layers", "1", "--ffn-dim", "16", "--batch", "4", "--quiet"};

    public static String[] args(String[] head, String... tail) {
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
        dev.canopy.train.TrainConfig saved = dev.canopy.train.TrainConfig.fromJson(Files.readString(run.resolve("train.json")));
        assertEquals(4, saved.batchSize());
        assertEquals(Math.min(4, dev.canopy.kernels.Parallel.threads()), saved.batchParts(), "one part per kernel thread unless told");
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
    void aWarmStartedRunStoppedBeforeItsFirstCheckpointStartsOverFromTheSameWeights() throws Exception {
        Path base = dir.resolve("base"), warm = dir.resolve("warm");
        assertEquals(0, CanopyCliTest.run(args(new String[] {"train", "--task", "listops", "--attention", "exact", "--out", base.toString()}, "--steps", "2")).code());
        var straight = CanopyCliTest.run(args(new String[] {"train", "--task", "listops", "--attention", "exact", "--init-from", base.toString(),
                "--out", warm.toString()}, "--steps", "2"));
        assertEquals(0, straight.code(), straight.err());
        byte[] expected = Files.readAllBytes(warm.resolve("ckpt-00000002/model.safetensors"));
        // As if stopped during step 1: the configuration files are there, no checkpoint yet.
        try (var paths = Files.walk(warm.resolve("ckpt-00000002"))) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        var resumed = CanopyCliTest.run("train", "--resume", "--out", warm.toString(), "--quiet");
        assertEquals(0, resumed.code(), resumed.err());
        assertArrayEquals(expected, Files.readAllBytes(warm.resolve("ckpt-00000002/model.safetensors")), "the restart began from the warm start again");

        // Stopped again before its first checkpoint, its warm start since moved away: the error names both.
        try (var paths = Files.walk(warm.resolve("ckpt-00000002"))) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        Files.move(base, dir.resolve("base-moved"));
        var orphan = CanopyCliTest.run("train", "--resume", "--out", warm.toString(), "--quiet");
        assertNotEquals(0, orphan.code());
        assertTrue(orphan.err().contains("warm-start.json") && orphan.err().contains(base.toString()) && orphan.err().contains("is gone"), orphan.err());
        assertFalse(orphan.err().contains("\tat "), "no stack trace: " + orphan.err());
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
        String[] demo = {"demo", "--preset", "tiny", "--dim", "16", "--layers", "1", "--ffn-dim", "16", "--pairs", "4", "--vocab", "20",
                "--pretrain-n", "32", "--n", "48", "--pretrain-steps", "2", "--pretrain-batch", "4", "--steps", "2", "--batch", "4",
                "--attention", "exact,linformer:k=4", "--schedule", "treeformer:h=2", "--out", out.toString(), "--quiet"};
        var r = CanopyCliTest.run(demo);
        assertEquals(0, r.code(), r.err());
        String table = Files.readString(out.resolve("table.txt"));
        assertTrue(table.contains("exact") && table.contains("linformer:k=4") && table.contains("chance"), table);
        assertTrue(table.contains("treeformer:h=2,dense=0,tc=1,tf=1"), "the schedule's phases split the steps between TC and TF: " + table);
        List<String> results = Files.readAllLines(out.resolve("results.jsonl"));
        assertEquals(3, results.size());
        Path pretrained = out.resolve("pretrain").resolve("exact").resolve("n32").resolve("seed1");
        assertTrue(results.stream().allMatch(l -> l.contains("\"n\":48") && l.contains("\"init_from\":\"" + pretrained + "\"")), results.get(0));
        byte[] png = Files.readAllBytes(out.resolve("accuracy-vs-flops.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
        // A rerun finds every model trained and only writes the report again.
        String pretrainLog = Files.readString(pretrained.resolve("metrics.jsonl"));
        var again = CanopyCliTest.run(demo);
        assertEquals(0, again.code(), again.err());
        assertEquals(pretrainLog, Files.readString(pretrained.resolve("metrics.jsonl")));
        assertEquals(results, Files.readAllLines(out.resolve("results.jsonl")));
        assertTrue(Files.readString(out.resolve("report.html")).contains("accuracy-vs-flops.png"));
    }

    @Test
    void unknownTaskAndPresetAreOneLineErrors() {
        assertEquals(2, CanopyCliTest.run("train", "--task", "imdb", "--out", dir.resolve("x").toString()).code());
        assertEquals(2, CanopyCliTest.run("lra", "listops", "--preset", "huge", "--out", dir.resolve("y").toString()).code());
    }

    @Test
    void aRejectedRunWritesNothingSoTheGoodRunThatFollowsStartsClean() {
        Path run = dir.resolve("rejected");
        for (String[] bad : new String[][] {{"--lr", "-1"}, {"--warmup", "-5"}, {"--attention", "topk:k=0"}, {"--ffn", "topk-ffn:k=0"},
                {"--batch-parts", "0"}, {"--batch-parts", "5"} /* more parts than the batch of 4 */}) {
            var r = CanopyCliTest.run(args(new String[] {"train", "--task", "listops", "--out", run.toString()}, "--steps", "1", bad[0], bad[1]));
            assertEquals(2, r.code(), r.err());
            if (bad[0].equals("--batch-parts")) assertTrue(r.err().contains("--batch-parts"), r.err());
            assertFalse(Files.exists(run), bad[0] + " " + bad[1] + " left " + run);
        }
        var big = CanopyCliTest.run("train", "--task", "listops", "--preset", "tiny", "--dim", "100000", "--out", run.toString(), "--quiet");
        assertEquals(2, big.code(), big.err());
        assertTrue(big.err().contains("does not fit in memory"), big.err());
        assertFalse(Files.exists(run));
        var good = CanopyCliTest.run(args(new String[] {"train", "--task", "listops", "--out", run.toString()}, "--steps", "1"));
        assertEquals(0, good.code(), good.err());
    }

    @Test
    void resumingRewritesNoLineTwiceAndTheDoneLineCountsTheWholeRun() throws Exception {
        Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed");
        for (Path run : new Path[] {straight, resumed}) {
            var r = CanopyCliTest.run(args(new String[] {"train", "--task", "listops", "--out", run.toString()}, "--steps", "2"));
            assertEquals(0, r.code(), r.err());
        }
        // Resuming a finished run repeats no step: its log is cut back to the last checkpoint and its eval and done
        // lines written again, equal to the straight run's but for wall-clock times.
        var r = CanopyCliTest.run("train", "--resume", "--out", resumed.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertEquals(withoutTimes(Files.readString(straight.resolve("metrics.jsonl"))), withoutTimes(Files.readString(resumed.resolve("metrics.jsonl"))));
        assertArrayEquals(Files.readAllBytes(straight.resolve("ckpt-00000002/model.safetensors")), Files.readAllBytes(resumed.resolve("ckpt-00000002/model.safetensors")));

        // A run that stopped before its first checkpoint starts over on --resume rather than being stuck.
        Path early = dir.resolve("early");
        assertEquals(0, CanopyCliTest.run(args(new String[] {"train", "--task", "listops", "--out", early.toString()}, "--steps", "1")).code());
        deleteTree(early.resolve("ckpt-00000001"));
        var again = CanopyCliTest.run("train", "--resume", "--out", early.toString(), "--quiet");
        assertEquals(0, again.code(), again.err());
        assertTrue(Files.isDirectory(early.resolve("ckpt-00000001")));
        assertEquals(1, Files.readAllLines(early.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"event\":\"done\"")).count());
    }

    static String withoutTimes(String log) {
        return log.replaceAll("\"(seconds|tokens_per_second|train_seconds)\":[^,}]*", "\"$1\":_");
    }

    private static void deleteTree(Path p) throws java.io.IOException {
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
