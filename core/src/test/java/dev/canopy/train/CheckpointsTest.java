package dev.canopy.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.data.TaskData;
import dev.canopy.io.NamedTensor;
import dev.canopy.io.Safetensors;
import dev.canopy.io.SafetensorsFile;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.testing.ContainsTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a resume does with checkpoints a crash or a hand left damaged: clear one-line errors, no leftovers. */
class CheckpointsTest {
    @TempDir Path dir;
    final TaskData task = ContainsTask.of(40, 3);

    /** A run directory with the checkpoint of a 2-step run. */
    private Checkpoints trainedRun() throws IOException {
        Checkpoints ckpt = new Checkpoints(dir.resolve("run"), new SafetensorsStore());
        Trainer t = new Trainer(new EncoderClassifier(TrainerTest.config("exact")), task, TrainerTest.train(2));
        t.run(0, ckpt, Map.of("task", "contains"), MetricsLog.none(), TrainerTest.quietProgress());
        return ckpt;
    }

    private Map<String, String> restore(Checkpoints ckpt) throws IOException {
        Trainer t = new Trainer(new EncoderClassifier(TrainerTest.config("exact")), task, TrainerTest.train(2));
        return t.resume(ckpt);
    }

    /** Rewrites one file of the newest checkpoint with changed metadata or tensors. */
    private static void rewrite(Checkpoints ckpt, String file, Consumer<Map<String, String>> meta, Consumer<Map<String, float[]>> tensors) throws IOException {
        Path path = ckpt.latest().orElseThrow().resolve(file);
        SafetensorsFile f = Safetensors.open(path);
        Map<String, String> m = new LinkedHashMap<>(f.metadata());
        Map<String, float[]> t = new LinkedHashMap<>();
        for (String name : f.names()) t.put(name, f.floats(name));
        meta.accept(m);
        tensors.accept(t);
        List<NamedTensor> list = new ArrayList<>();
        t.forEach((name, data) -> list.add(new NamedTensor(name, new int[] {data.length}, data)));
        Safetensors.write(path, list, m);
    }

    @Test
    void stepOrAdamStepsMissingOrNotANumberIsAnErrorNamingTheFile() throws IOException {
        record Case(String file, String key, String value, String message) {}
        for (Case c : List.of(new Case(Checkpoints.MODEL, "step", null, "has no \"step\""),
                new Case(Checkpoints.MODEL, "step", "abc", "\"step\" is \"abc\""),
                new Case(Checkpoints.MODEL, "step", "7", "says step 7"),
                new Case(Checkpoints.OPTIMIZER, "adam_steps", null, "has no \"adam_steps\""),
                new Case(Checkpoints.OPTIMIZER, "adam_steps", "-3", "\"adam_steps\" is \"-3\""))) {
            Checkpoints ckpt = trainedRun();
            rewrite(ckpt, c.file(), m -> {
                if (c.value() == null) m.remove(c.key());
                else m.put(c.key(), c.value());
            }, t -> {});
            IOException e = assertThrows(IOException.class, () -> restore(ckpt), c.toString());
            assertTrue(e.getMessage().contains(c.file()) && e.getMessage().contains(c.message()), e.getMessage());
        }
    }

    @Test
    void nonFiniteWeightsOrMomentsAreRejectedWithTheTensorsName() throws IOException {
        Checkpoints ckpt = trainedRun();
        rewrite(ckpt, Checkpoints.MODEL, m -> {}, t -> t.replaceAll((name, data) -> {
            float[] nan = new float[data.length];
            java.util.Arrays.fill(nan, Float.NaN);
            return nan;
        }));
        IOException e = assertThrows(IOException.class, () -> restore(ckpt));
        assertTrue(e.getMessage().contains(Checkpoints.MODEL) && e.getMessage().contains("non-finite"), e.getMessage());
        IOException eval = assertThrows(IOException.class,
                () -> Checkpoints.loadWeights(ckpt.runDir(), new EncoderClassifier(TrainerTest.config("exact")), new SafetensorsStore()));
        assertTrue(eval.getMessage().contains("non-finite"), eval.getMessage());

        Checkpoints other = new Checkpoints(dir.resolve("moments"), new SafetensorsStore());
        new Trainer(new EncoderClassifier(TrainerTest.config("exact")), task, TrainerTest.train(2))
                .run(0, other, Map.of(), MetricsLog.none(), TrainerTest.quietProgress());
        rewrite(other, Checkpoints.OPTIMIZER, m -> {}, t -> t.values().iterator().next()[0] = Float.POSITIVE_INFINITY);
        IOException moments = assertThrows(IOException.class, () -> restore(other));
        assertTrue(moments.getMessage().contains(Checkpoints.OPTIMIZER) && moments.getMessage().contains("Infinity"), moments.getMessage());
    }

    @Test
    void aTemporaryLeftByACrashMidWriteIsRemovedOnResume() throws IOException {
        Checkpoints ckpt = trainedRun();
        Path crashed = ckpt.runDir().resolve(".ckpt-00000004-8123456");  // the name the old writer chose
        Path crashedNew = ckpt.runDir().resolve(".ckpt-00000004.tmp");
        for (Path p : List.of(crashed, crashedNew)) {
            Files.createDirectories(p);
            Files.writeString(p.resolve(Checkpoints.MODEL), "half a file");
        }
        restore(ckpt);
        assertFalse(Files.exists(crashed));
        assertFalse(Files.exists(crashedNew));
        assertEquals(2, ckpt.latestStep().orElseThrow());
    }
}
