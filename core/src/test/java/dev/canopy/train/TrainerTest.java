package dev.canopy.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.data.TaskData;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.nn.Parameter;
import dev.canopy.testing.ContainsTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    @TempDir Path dir;

    static ModelConfig config(String attention) {
        return ModelConfig.builder(10, 16, 2).dim(16).heads(2).layers(1).ffnDim(32).attention(attention).dropout(0.1f).seed(7).build();
    }

    static TrainConfig train(int steps) {
        return train(steps, 1);
    }

    static TrainConfig train(int steps, int batchParts) {
        return TrainConfig.builder(steps, 16, 3e-3).seed(11).batchParts(batchParts).build().withEvalEvery(0);
    }

    @Test
    void batchPartsRoundTripThroughJsonAndOlderRunsTookBatchesWhole() {
        TrainConfig two = train(5, 2);
        assertEquals(two, TrainConfig.fromJson(two.toJson()));
        String older = two.toJson().replace(",\"batch_parts\":2", "");
        assertNotEquals(two.toJson(), older);
        assertEquals(1, TrainConfig.fromJson(older).batchParts());
        var e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder(5, 4, 1e-3).batchParts(5).build());
        assertTrue(e.getMessage().contains("batch parts"), e.getMessage());
    }

    @Test
    void learnsAnEasyTaskWellAboveChance() throws Exception {
        TaskData task = ContainsTask.of(600, 1);
        EncoderClassifier model = new EncoderClassifier(config("exact"));
        Trainer.Result r = new Trainer(model, task, train(150)).run(0, null, Map.of(), MetricsLog.none(), quietProgress());
        assertTrue(r.validAccuracy() > 0.85, "valid accuracy " + r.validAccuracy() + " (majority " + task.majorityAccuracy(task.valid()) + ")");
        assertTrue(r.tokensPerSecond() > 0 && r.attentionFlopsPerExample() > 0);
    }

    @ParameterizedTest(name = "{0} batch parts")
    @ValueSource(ints = {1, 2})
    void resumingFromACheckpointGivesTheSameWeightsAsAStraightRun(int parts) throws Exception {
        TaskData task = ContainsTask.of(100, 2);
        int steps = 12;
        EncoderClassifier straight = new EncoderClassifier(config("exact"));
        new Trainer(straight, task, train(steps, parts)).run(0, null, Map.of(), MetricsLog.none(), quietProgress());

        // First half, checkpointing at step 6 (and the run "dies" there: we stop at 6 steps of a 12-step schedule).
        SafetensorsStore store = new SafetensorsStore();
        Checkpoints ckpt = new Checkpoints(dir.resolve("run"), store);
        EncoderClassifier first = new EncoderClassifier(config("exact"));
        TrainConfig half = train(steps, parts).withCheckpointEvery(steps / 2);
        Trainer t1 = new Trainer(first, task, half);
        runUntil(t1, ckpt, steps / 2);

        EncoderClassifier resumed = new EncoderClassifier(config("exact"));
        Trainer t2 = new Trainer(resumed, task, train(steps, parts));
        Map<String, String> meta = ckpt.restore(resumed, t2.optimizer());
        assertEquals(Integer.toString(steps / 2), meta.get("step"));
        t2.run(Integer.parseInt(meta.get("step")), ckpt, Map.of(), MetricsLog.none(), quietProgress());

        // Bit for bit: data order, dropout masks, schedule and optimizer state are restored exactly, and the kernels
        // give the same bits compiled or interpreted (fixed-order lane sums), so nothing may differ.
        for (var e : straight.namedParameters().entrySet()) {
            assertArrayEquals(e.getValue().data, resumed.namedParameters().get(e.getKey()).data, e.getKey());
        }
        assertTrue(Files.isRegularFile(ckpt.latest().orElseThrow().resolve(Checkpoints.MODEL)));
        assertEquals(String.format("ckpt-%08d", steps), ckpt.latest().orElseThrow().getFileName().toString(), "old checkpoints are replaced");
    }

    @Test
    void treesRefittedEveryFewStepsResumeBitForBitAndDoRefit() throws Exception {
        TaskData task = ContainsTask.of(100, 2);
        int steps = 8;
        String spec = "tf:h=2,beam=2,refit=3";
        EncoderClassifier straight = new EncoderClassifier(config(spec)), never = new EncoderClassifier(config("tf:h=2,beam=2"));
        new Trainer(straight, task, train(steps, 2)).run(0, null, Map.of(), MetricsLog.none(), quietProgress());
        new Trainer(never, task, train(steps, 2)).run(0, null, Map.of(), MetricsLog.none(), quietProgress());
        String tree = "blocks.0.attn.tree.head0.w";
        assertFalse(java.util.Arrays.equals(straight.namedParameters().get(tree).data, never.namedParameters().get(tree).data), "refits at steps 3 and 6 moved the trees");

        // Stopped after step 4 (checkpointed there), resumed: the refit at step 6 happens as in the straight run.
        Checkpoints ckpt = new Checkpoints(dir.resolve("refit"), new SafetensorsStore());
        runUntil(new Trainer(new EncoderClassifier(config(spec)), task, train(steps, 2).withCheckpointEvery(4)), ckpt, 4);
        EncoderClassifier resumed = new EncoderClassifier(config(spec));
        Trainer t = new Trainer(resumed, task, train(steps, 2));
        int step = Integer.parseInt(t.resume(ckpt).get("step"));
        assertEquals(4, step);
        t.run(step, ckpt, Map.of(), MetricsLog.none(), quietProgress());
        for (var e : straight.namedParameters().entrySet()) assertArrayEquals(e.getValue().data, resumed.namedParameters().get(e.getKey()).data, e.getKey());
    }

    @Test
    void aResumedRunsDirectoryIsByteIdenticalToAStraightRuns() throws Exception {
        TaskData task = ContainsTask.of(100, 2);
        TrainConfig cfg = train(8).withCheckpointEvery(2).withEvalEvery(3);
        Map<String, String> info = Map.of("task", "contains", "attention", "exact");
        Path straightDir = dir.resolve("straight"), crashedDir = dir.resolve("crashed");
        Trainer straight = new Trainer(new EncoderClassifier(config("exact")), task, cfg);
        Trainer.Result expected;
        try (MetricsLog log = MetricsLog.open(straightDir.resolve("metrics.jsonl"))) {
            expected = straight.run(0, new Checkpoints(straightDir, new SafetensorsStore()), info, log, quietProgress());
        }

        // The same run dies after step 7: checkpoint 6 is the newest, steps 7 are logged past it, the checkpoint of
        // step 8 was half written and the log's last line was cut mid-write.
        Checkpoints crashed = new Checkpoints(crashedDir, new SafetensorsStore());
        try (MetricsLog log = MetricsLog.open(crashedDir.resolve("metrics.jsonl"))) {
            new Trainer(new EncoderClassifier(config("exact")), task, cfg).runSteps(0, 7, crashed, info, log, quietProgress());
        }
        Files.createDirectories(crashedDir.resolve(".ckpt-00000008.tmp"));
        Files.writeString(crashedDir.resolve(".ckpt-00000008.tmp/model.safetensors"), "half");
        Files.writeString(crashedDir.resolve("metrics.jsonl"), "{\"event\":\"st", java.nio.file.StandardOpenOption.APPEND);

        Trainer resumed = new Trainer(new EncoderClassifier(config("exact")), task, cfg);
        int step = Integer.parseInt(resumed.resume(crashed).get("step"));
        assertEquals(6, step);
        Trainer.Result got;
        try (MetricsLog log = MetricsLog.resume(crashedDir.resolve("metrics.jsonl"), step)) {
            got = resumed.run(step, crashed, info, log, quietProgress());
        }
        assertEquals(expected.attentionFlopsPerExample(), got.attentionFlopsPerExample(), "the totals cover the whole run, not the resumed part");
        assertEquals(listing(straightDir), listing(crashedDir));
        for (String file : listing(straightDir)) {
            Path a = straightDir.resolve(file), b = crashedDir.resolve(file);
            if (Files.isDirectory(a)) continue;
            if (file.equals("metrics.jsonl")) {
                // Step times are wall-clock; everything else in the log must match.
                assertEquals(withoutTimes(Files.readString(a)), withoutTimes(Files.readString(b)));
            } else {
                assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), file);
            }
        }
    }

    private static List<String> listing(Path root) throws java.io.IOException {
        try (var walk = Files.walk(root)) {
            return walk.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    private static String withoutTimes(String log) {
        return log.replaceAll("\"seconds\":[^,}]*", "\"seconds\":_");
    }

    /** Runs the first {@code stop} steps of t's schedule with checkpoints, as if the process died right after. */
    private static void runUntil(Trainer t, Checkpoints ckpt, int stop) throws Exception {
        // A trainer whose config has steps = stop would use a different LR schedule; instead run the full config's
        // schedule through a view that ends early.
        t.runSteps(0, stop, ckpt, Map.of(), MetricsLog.none(), quietProgress());
    }

    @Test
    void twoStraightRunsAreIdentical() throws Exception {
        TaskData task = ContainsTask.of(100, 2);
        for (String attention : new String[] {"exact", "linformer:k=4"}) {
            EncoderClassifier a = new EncoderClassifier(config(attention)), b = new EncoderClassifier(config(attention));
            new Trainer(a, task, train(12)).run(0, null, Map.of(), MetricsLog.none(), quietProgress());
            new Trainer(b, task, train(12)).run(0, null, Map.of(), MetricsLog.none(), quietProgress());
            for (var e : a.namedParameters().entrySet()) assertArrayEquals(e.getValue().data, b.namedParameters().get(e.getKey()).data, attention + " " + e.getKey());
        }
    }

    @Test
    void checkpointRoundTripRestoresWeightsAndMomentsBitForBit() throws Exception {
        TaskData task = ContainsTask.of(60, 4);
        EncoderClassifier a = new EncoderClassifier(config("linformer:k=4"));
        Trainer ta = new Trainer(a, task, train(5));
        Checkpoints ckpt = new Checkpoints(dir.resolve("rt"), new SafetensorsStore());
        ta.run(0, ckpt, Map.of("note", "x"), MetricsLog.none(), quietProgress());
        EncoderClassifier b = new EncoderClassifier(config("linformer:k=4"));
        Trainer tb = new Trainer(b, task, train(5));
        Map<String, String> meta = ckpt.restore(b, tb.optimizer());
        assertEquals("5", meta.get("step"));
        assertEquals("x", meta.get("note"));
        assertEquals(ta.optimizer().steps(), tb.optimizer().steps());
        int i = 0;
        for (var e : a.namedParameters().entrySet()) {
            assertArrayEquals(e.getValue().data, b.namedParameters().get(e.getKey()).data, e.getKey());
            assertArrayEquals(ta.optimizer().firstMoment(i), tb.optimizer().firstMoment(i), "m " + e.getKey());
            assertArrayEquals(ta.optimizer().secondMoment(i), tb.optimizer().secondMoment(i), "v " + e.getKey());
            i++;
        }
    }

    @Test
    void dataOrderIsAFunctionOfTheStepAlone() {
        TaskData task = ContainsTask.of(50, 5);
        DataOrder straight = new DataOrder(task.train(), 9);
        for (int step = 0; step < 12; step++) {
            var expected = straight.batch(step, 8);
            var fresh = new DataOrder(task.train(), 9).batch(step, 8); // a resumed run builds a new order at step t
            for (int j = 0; j < 8; j++) assertSame(expected.get(j), fresh.get(j));
        }
    }

    @Test
    void schedulesWarmUpThenDecay() {
        LrSchedule cos = new LrSchedule(LrSchedule.Kind.COSINE, 1.0, 10, 110, 0.0);
        assertEquals(1.0 / 11, cos.at(0), 1e-12);
        assertEquals(1.0, cos.at(10), 1e-12);
        assertEquals(0.5, cos.at(10 + 99 / 2), 0.02);
        assertEquals(0.0, cos.at(109), 1e-9);
        LrSchedule lin = new LrSchedule(LrSchedule.Kind.LINEAR, 2.0, 0, 101, 0.5);
        assertEquals(1.5, lin.at(50), 1e-9);
    }

    @Test
    void adamWSkipsDecayWhereParametersSaySo() {
        Parameter decayed = new Parameter("w", true, 2), kept = new Parameter("b", false, 2);
        decayed.data[0] = kept.data[0] = 1f;
        AdamW opt = new AdamW(List.of(decayed, kept), new AdamW.Settings(0.9f, 0.999f, 1e-8f, 0.1f));
        opt.step(0.5f); // zero gradients: only weight decay moves anything
        assertEquals(1f - 0.5f * 0.1f, decayed.data[0], 1e-7f);
        assertEquals(1f, kept.data[0]);
        decayed.grad[1] = 3f;
        double norm = AdamW.clipGlobalNorm(List.of(decayed, kept), 1.0);
        assertEquals(3.0, norm, 1e-9);
        assertEquals(1f, decayed.grad[1], 1e-5f);
    }

    @Test
    void timedStepsTrainAsARunDoesAndStayInsideTheRun() throws Exception {
        TaskData task = ContainsTask.of(100, 2);
        EncoderClassifier run = new EncoderClassifier(config("exact")), timed = new EncoderClassifier(config("exact"));
        new Trainer(run, task, train(4, 2)).runSteps(0, 3, null, Map.of(), MetricsLog.none(), quietProgress());
        Trainer stepper = new Trainer(timed, task, train(4, 2));
        for (int step = 0; step < 3; step++) assertTrue(stepper.timedStep(step) > 0);
        for (String name : run.namedParameters().keySet()) {
            assertArrayEquals(run.namedParameters().get(name).data, timed.namedParameters().get(name).data, name);
        }
        assertThrows(IllegalArgumentException.class, () -> stepper.timedStep(4));
        Trainer scheduled = new Trainer(new EncoderClassifier(config("exact")), task, TreeformerTrainingTest.scheduled(10));
        assertThrows(IllegalStateException.class, () -> scheduled.timedStep(0));
    }

    static Progress quietProgress() {
        return new Progress(System.out, false, true, "test");
    }
}
