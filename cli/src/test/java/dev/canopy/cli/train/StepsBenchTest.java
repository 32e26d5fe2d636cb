package dev.canopy.cli.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.cli.CanopyCliTest;
import dev.canopy.cli.bench.Timer;
import dev.canopy.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** bench steps: alternating rounds of training steps, and each attention's speed-up over the first. */
class StepsBenchTest {
    private static final List<String> TASK = List.of("--task", "mqar", "--n", "32", "--pairs", "4", "--vocab", "20", "--steps", "20");

    @Test
    void printsEveryRoundAndASpeedUpThatIsTheMedianOfTheRoundsRatios() {
        List<String> args = new ArrayList<>(List.of("bench", "steps", "--attention", "exact,topk:k=4", "--rounds", "3", "--round-seconds", "0.001", "--warmup-steps", "1"));
        args.addAll(TASK);
        for (String a : TrainingCommandsTest.TINY) if (!a.equals("--quiet")) args.add(a); // the bench has no progress to quieten
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        CanopyCliTest.Run r;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            r = CanopyCliTest.run(args.toArray(String[]::new));
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, r.code(), r.err());
        List<Map<String, Object>> lines = new ArrayList<>();
        for (String line : printed.toString(StandardCharsets.UTF_8).split("\n")) if (line.startsWith("{")) lines.add(Json.parseObject(line));
        double[][] medians = new double[2][3];
        Map<String, Object> speedup = null;
        for (Map<String, Object> line : lines) {
            if (line.get("bench").equals("steps")) {
                int attention = line.get("attention").equals("exact") ? 0 : 1;
                medians[attention][((Number) line.get("round")).intValue() - 1] = ((Number) line.get("median_s")).doubleValue();
                assertEquals(1, ((Number) line.get("steps")).intValue(), "a round of 1 ms takes one step");
            }
            if (line.get("bench").equals("steps_speedup")) speedup = line;
        }
        assertEquals(2 + 6 + 1, lines.size(), "FMA peak before and after, six rounds, one speed-up: " + lines);
        assertNotNull(speedup);
        assertEquals("topk:k=4", speedup.get("attention"));
        assertEquals("exact", speedup.get("reference"));
        double[] ratios = new double[3];
        for (int i = 0; i < 3; i++) ratios[i] = medians[0][i] / medians[1][i];
        assertEquals(Timer.median(ratios), ((Number) speedup.get("speedup")).doubleValue(), 1e-5 * Timer.median(ratios));
    }

    @Test
    void badOptionsAreOneLineErrorsBeforeAnyStep() {
        String[][] bad = {{"--rounds", "0"}, {"--round-seconds", "-1"}, {"--warmup-steps", "-2"}, {"--warmup-steps", "19", "--rounds", "2"},
                {"--schedule", "treeformer:h=2,dense=3,tc=0,tf=5"}, {"--init-from", "no/such/run{seed}"}, {"--batch", "100000000"}};
        String[] expected = {"--rounds", "--round-seconds", "--warmup-steps", "--steps 20", "--schedule", "no/such/run1", "--batch 100000000"};
        for (int i = 0; i < bad.length; i++) {
            List<String> args = new ArrayList<>(List.of("bench", "steps", "--attention", "exact,topk:k=4"));
            args.addAll(TASK);
            args.addAll(List.of(bad[i]));
            var r = CanopyCliTest.run(args.toArray(String[]::new));
            assertEquals(2, r.code(), String.join(" ", bad[i]) + ": " + r.err());
            assertTrue(r.err().contains(expected[i]) && r.err().strip().lines().count() == 1, r.err());
        }
    }
}
