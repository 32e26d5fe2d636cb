package dev.canopy.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.attention.Attention;
import dev.canopy.data.TaskData;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.testing.ContainsTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer driving a Treeformer schedule (DENSE -> TC with growth -> TF) on a tiny model. */
class TreeformerTrainingTest {
    @TempDir Path dir;

    // TC starts at height 1 and grows to 2 one step later, so the run passes every kind of attention change.
    static final String SCHEDULE = "treeformer:h=2,h0=1,grow=1,dense=3,tc=3,tf=2";
    static final int STEPS = 8;

    @Test
    void passesThroughDenseTcTfAndTheTreesLearnDuringTc() throws Exception {
        TaskData task = ContainsTask.of(100, 3);
        EncoderClassifier model = new EncoderClassifier(TrainerTest.config("exact"));
        Trainer t = new Trainer(model, task, scheduled(STEPS));
        Path metrics = dir.resolve("metrics.jsonl");
        try (MetricsLog log = MetricsLog.open(metrics)) {
            t.runSteps(0, 3, null, Map.of(), log, TrainerTest.quietProgress());
            assertEquals("exact", model.attentions().get(0).spec());
            assertTrue(model.namedParameters().keySet().stream().noneMatch(k -> k.contains(".attn.tree")), "no trees while dense");

            t.runSteps(3, 5, null, Map.of(), log, TrainerTest.quietProgress());
            Attention tc = model.attentions().get(0);
            assertTrue(tc.spec().startsWith("tc:h=2"), tc.spec());
            Map<String, float[]> before = treeSnapshot(model);
            assertFalse(before.isEmpty(), "the TC model has named tree parameters");

            t.runSteps(5, 6, null, Map.of(), log, TrainerTest.quietProgress());
            assertSame(tc, model.attentions().get(0), "no change inside TC once grown");
            Map<String, float[]> after = treeSnapshot(model);
            assertEquals(before.keySet(), after.keySet());
            boolean moved = before.keySet().stream().anyMatch(k -> !java.util.Arrays.equals(before.get(k), after.get(k)));
            assertTrue(moved, "tree hyperplanes learn during TC");

            t.runSteps(6, STEPS, null, Map.of(), log, TrainerTest.quietProgress());
            assertTrue(model.attentions().get(0).spec().startsWith("tf:h=2"), model.attentions().get(0).spec());
            assertEquals(after.keySet(), treeSnapshot(model).keySet(), "TF keeps the trained trees under the same names");
        }
        List<String> phases = Files.readAllLines(metrics).stream().filter(l -> l.contains("\"event\":\"phase\"")).toList();
        assertTrue(phases.stream().anyMatch(l -> l.contains("\"phase\":\"tc\"") && l.contains("layer 0: ") && l.contains("fitted balanced trees")), String.join("\n", phases));
        assertTrue(phases.stream().anyMatch(l -> l.contains("grew trees to height 2")), String.join("\n", phases));
        assertTrue(phases.stream().anyMatch(l -> l.contains("\"phase\":\"tf\"")), String.join("\n", phases));
    }

    @Test
    void resumingInAnyPhaseGivesTheSameWeightsAsAStraightRun() throws Exception {
        TaskData task = ContainsTask.of(100, 2);
        EncoderClassifier straight = new EncoderClassifier(TrainerTest.config("exact"));
        new Trainer(straight, task, scheduled(STEPS)).run(0, null, Map.of(), MetricsLog.none(), TrainerTest.quietProgress());
        // Stops at the TC boundary, before growth, inside TC after growth, at the TF boundary.
        for (int stop : new int[] {3, 4, 5, 6}) {
            Checkpoints ckpt = new Checkpoints(dir.resolve("run" + stop), new SafetensorsStore());
            Trainer first = new Trainer(new EncoderClassifier(TrainerTest.config("exact")), task, scheduled(STEPS).withCheckpointEvery(stop));
            first.runSteps(0, stop, ckpt, Map.of(), MetricsLog.none(), TrainerTest.quietProgress());

            EncoderClassifier resumed = new EncoderClassifier(TrainerTest.config("exact"));
            Trainer second = new Trainer(resumed, task, scheduled(STEPS));
            Map<String, String> meta = second.resume(ckpt);
            assertEquals(Integer.toString(stop), meta.get("step"));
            second.run(stop, null, Map.of(), MetricsLog.none(), TrainerTest.quietProgress());

            assertEquals(straight.namedParameters().keySet(), resumed.namedParameters().keySet(), "stop " + stop);
            for (var e : straight.namedParameters().entrySet()) {
                assertArrayEquals(e.getValue().data, resumed.namedParameters().get(e.getKey()).data, "stop " + stop + ": " + e.getKey());
            }
        }
    }

    @Test
    void aCausalModelTakesDenseThenTfButNotATcPhase() {
        TaskData task = ContainsTask.of(20, 2);
        EncoderClassifier causal = new EncoderClassifier(TrainerTest.config("exact").toBuilder().causal(true).build());
        var e = assertThrows(IllegalArgumentException.class, () -> new Trainer(causal, task, scheduled(STEPS)));
        assertTrue(e.getMessage().contains("causal") && e.getMessage().contains("tc=0"), e.getMessage());
        TrainConfig denseThenTf = TrainerTest.train(STEPS).toBuilder()
                .treeformer(TreeformerSchedule.Options.parse("treeformer:h=2,dense=3,tc=0,tf=5", 1e-3f)).build();
        new Trainer(causal, task, denseThenTf); // both phases take the causal mask
    }

    /** The trainer's steps with the schedule, its phases at the run's learning rate. */
    static TrainConfig scheduled(int steps) {
        TrainConfig plain = TrainerTest.train(steps);
        return plain.toBuilder().treeformer(TreeformerSchedule.Options.parse(SCHEDULE, (float) plain.lr())).build();
    }

    private static Map<String, float[]> treeSnapshot(EncoderClassifier model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (var e : model.namedParameters().entrySet()) {
            if (e.getKey().contains(".attn.")) out.put(e.getKey(), e.getValue().data.clone());
        }
        return out;
    }
}
