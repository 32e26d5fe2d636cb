package dev.canopy.cli.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.cli.CanopyCliTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mqar task through train / resume / eval, and its option errors. */
public class MqarCommandTest {
    @TempDir Path dir;

    static final String[] MQAR = {"--task", "mqar", "--n", "32", "--pairs", "4", "--vocab", "20"};

    @Test
    void trainsResumesAndEvaluatesWithItsOwnOptions() throws Exception {
        Path run = dir.resolve("mqar");
        String[] head = {"train", "--attention", "topk:k=4", "--causal", "--out", run.toString(), "--steps", "2"};
        String[] all = new String[head.length + MQAR.length + TrainingCommandsTest.TINY.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(MQAR, 0, all, head.length, MQAR.length);
        System.arraycopy(TrainingCommandsTest.TINY, 0, all, head.length + MQAR.length, TrainingCommandsTest.TINY.length);
        var r = CanopyCliTest.run(all);
        assertEquals(0, r.code(), r.err());
        String task = Files.readString(run.resolve("task.json"));
        assertTrue(task.contains("\"n\":32") && task.contains("\"pairs\":4") && task.contains("\"vocab\":20"), task);
        String model = Files.readString(run.resolve("model.json"));
        assertTrue(model.contains("\"pooling\":\"tokens\"") && model.contains("\"causal\":true") && model.contains("\"max_length\":32"), model);
        // mqar's model defaults: token shift on, q/k/v initialised at 1/sqrt(width) (width 16 here).
        assertTrue(model.contains("\"shift\":true") && model.contains("\"qkv_init\":\"0.25\""), model);
        // Resume and eval rebuild the same generated task from task.json (no mqar options given again).
        var resumed = CanopyCliTest.run("train", "--resume", "--out", run.toString(), "--steps", "3", "--quiet");
        assertEquals(0, resumed.code(), resumed.err());
        var eval = CanopyCliTest.run("eval", "--checkpoint", run.toString(), "--split", "valid");
        assertEquals(0, eval.code(), eval.err());
    }

    @Test
    void theShiftCanBeTurnedOffAndListopsKeepsItsModel() throws Exception {
        Path run = dir.resolve("plain");
        var r = CanopyCliTest.run("train", "--task", "mqar", "--n", "32", "--pairs", "4", "--vocab", "20", "--shift=false", "--qkv-init", "0.02",
                "--preset", "tiny", "--dim", "16", "--heads", "2", "--layers", "1", "--ffn-dim", "16", "--batch", "4", "--steps", "1", "--quiet", "--out", run.toString());
        assertEquals(0, r.code(), r.err());
        String model = Files.readString(run.resolve("model.json"));
        assertTrue(model.contains("\"shift\":false") && model.contains("\"qkv_init\":\"0.02\""), model);
        Path listops = dir.resolve("listops");
        var l = CanopyCliTest.run("train", "--task", "listops", "--preset", "tiny", "--dim", "16", "--heads", "2", "--layers", "1", "--ffn-dim", "16",
                "--batch", "4", "--steps", "1", "--quiet", "--out", listops.toString());
        assertEquals(0, l.code(), l.err());
        String lm = Files.readString(listops.resolve("model.json"));
        assertTrue(lm.contains("\"shift\":false") && lm.contains("\"qkv_init\":\"0.02\"") && lm.contains("\"causal\":false"), lm);
    }

    @Test
    void badOptionsAreOneLineErrorsNamingTheOption() {
        String out = dir.resolve("x").toString();
        var otherTask = CanopyCliTest.run("train", "--task", "listops", "--pairs", "4", "--out", out);
        assertEquals(2, otherTask.code());
        assertTrue(otherTask.err().contains("--pairs"), otherTask.err());
        var pooled = CanopyCliTest.run("train", "--task", "mqar", "--n", "32", "--pairs", "4", "--pooling", "mean", "--out", out);
        assertEquals(2, pooled.code());
        assertTrue(pooled.err().contains("--pooling"), pooled.err());
        var causalTc = CanopyCliTest.run("train", "--task", "mqar", "--n", "32", "--pairs", "4", "--attention", "tc:h=2", "--causal", "--out", out);
        assertEquals(2, causalTc.code());
        assertTrue(causalTc.err().contains("causal"), causalTc.err());
        var shortN = CanopyCliTest.run("train", "--task", "mqar", "--n", "8", "--pairs", "4", "--out", out);
        assertEquals(2, shortN.code());
        assertTrue(shortN.err().contains("--n"), shortN.err());
        var badInit = CanopyCliTest.run("train", "--task", "mqar", "--n", "32", "--pairs", "4", "--qkv-init", "0", "--out", out);
        assertEquals(2, badInit.code());
        assertTrue(badInit.err().contains("--qkv-init"), badInit.err());
        assertFalse(Files.exists(dir.resolve("x").resolve("task.json")), "nothing was started");
    }
}
