package dev.canopy.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
    @TempDir Path dir;

    static String step(int s) {
        return "{\"event\":\"step\",\"step\":" + s + ",\"loss\":1.0}";
    }

    static final String EVAL2 = "{\"event\":\"eval\",\"step\":2,\"split\":\"valid\",\"accuracy\":0.5}";
    static final String MARK2 = MetricsLog.checkpointLine(2).toString();

    @Test
    void resumeCutsTheLogBackToTheCheckpointsMarker() throws Exception {
        Path log = dir.resolve("metrics.jsonl");
        // Steps 3 and 4 ran after checkpoint 2, the last line was cut by the crash (and holds half a UTF-8 character).
        byte[] tail = "{\"event\":\"phase\",\"message\":\"\u00e9".getBytes(StandardCharsets.UTF_8);
        Files.writeString(log, String.join("\n", step(1), step(2), EVAL2, MARK2, step(3), step(4)) + "\n");
        Files.write(log, java.util.Arrays.copyOf(tail, tail.length - 1), java.nio.file.StandardOpenOption.APPEND);
        try (MetricsLog m = MetricsLog.resume(log, 2)) {
            m.write(new dev.canopy.io.JsonLine().put("event", "step").put("step", 3));
        }
        assertEquals(List.of(step(1), step(2), EVAL2, MARK2, "{\"event\":\"step\",\"step\":3}"), Files.readAllLines(log));
    }

    @Test
    void aLogWithoutTheMarkerIsCutAfterTheStepsOwnLinesAndGetsIt() {
        // Written before markers existed, or the crash came between the checkpoint and its marker.
        assertEquals(List.of(step(1), step(2), EVAL2, MARK2), MetricsLog.upToCheckpoint(List.of(step(1), step(2), EVAL2, step(3)), 2));
        List<String> unrelated = List.of("{\"event\":\"step\",\"step\":9}");
        assertEquals(unrelated, MetricsLog.upToCheckpoint(unrelated, 2), "nothing matches step 2: the log is kept whole");
        assertEquals(List.of(), MetricsLog.upToCheckpoint(List.of(step(1)), 0), "a run starting over starts a new log");
    }
}
