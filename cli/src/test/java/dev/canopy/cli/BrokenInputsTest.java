package dev.canopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.cli.pretrained.TinyBert;
import dev.canopy.cli.train.TrainingCommandsTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds every command broken inputs (bad options, sizes that cannot fit, damaged run files and checkpoints, files
 * that are not text) and checks each answer: a non-zero exit and one line naming the problem, never a stack trace.
 */
public class BrokenInputsTest {
    @TempDir static Path dir;
    static Path run, text, binary, latin1, tinyBert;

    static final String[] TINY = TrainingCommandsTest.TINY;

    @BeforeAll
    static void setUp() throws IOException {
        run = dir.resolve("run");
        var r = CanopyCliTest.run(TrainingCommandsTest.args(new String[] {"train", "--task", "listops", "--out", run.toString()}, "--steps", "1"));
        assertEquals(0, r.code(), r.err());
        text = Files.writeString(dir.resolve("text.txt"), "hello world");
        binary = Files.write(dir.resolve("binary.txt"), new byte[] {'h', 'i', 0, 7, 0});
        latin1 = Files.write(dir.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xe9});
        tinyBert = TinyBert.write(dir.resolve("bert"), 8, 0.5f);
    }

    /** A copy of the trained run with one file replaced (relative path, new content; null deletes it). */
    static Path damaged(String file, String content) throws IOException {
        Path copy = Files.createTempDirectory(dir, "damaged-");
        try (var walk = Files.walk(run)) {
            for (Path p : walk.toList()) {
                Path target = copy.resolve(run.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
        if (content == null) Files.delete(copy.resolve(file));
        else Files.writeString(copy.resolve(file), content);
        return copy;
    }

    static void expectOneLine(String... args) {
        CanopyCliTest.Run r = CanopyCliTest.run(args);
        String all = String.join(" ", args);
        assertNotEquals(0, r.code(), all + "\n" + r.out() + r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), all + " ->\n" + r.err());
        assertTrue(err.startsWith("canopy: "), all + " -> " + err);
        assertFalse(err.contains("Exception") || err.contains("Error:"), all + " -> " + err);
        assertFalse(r.err().contains("\tat ") || r.out().contains("\tat "), all + " -> " + r.err());
        // A renamed option would fail as unknown and test nothing else: only the case about unknown options may.
        if (!all.contains("--no-such-option")) assertFalse(err.contains("Unknown option"), all + " -> " + err);
    }

    /** command with the tiny model's options, the given option replacing the tiny value of the same name. */
    static String[] tiny(String command, String option, String value) {
        List<String> a = new ArrayList<>(List.of(command.split(" ")));
        for (int i = 0; i < TINY.length; i++) {
            if (TINY[i].equals(option)) i++;
            else a.add(TINY[i]);
        }
        a.addAll(List.of(option, value));
        return a.toArray(String[]::new);
    }

    @Test
    void optionsAndSizes() {
        String out = dir.resolve("never").toString();
        String[][] cases = {
                {"--no-such-option"}, {"nosuch"}, {"bench", "nosuch"},
                {"bench", "kernels", "--size", "0"}, {"bench", "kernels", "--size", "50000"}, {"bench", "kernels", "--size", "30000"},
                {"bench", "kernels", "--rows", "-1"}, {"bench", "kernels", "--size", "abc"},
                {"bench", "attention", "--n", "0"}, {"bench", "attention", "--n", "100000000", "--d", "1"},
                {"bench", "attention", "--n", "30000000", "--d", "64", "--heads", "1"}, {"bench", "attention", "--n", "30000000", "--d", "64"},
                {"bench", "attention", "--n", "64", "--attention", "topk:k=0"}, {"bench", "attention", "--n", "64", "--attention", "nosuch"},
                {"bench", "attention", "--n", "64", "--min-seconds", "NaN"}, {"bench", "attention", "--batch", "0"},
                {"bench", "approx", "--n", "0"}, {"bench", "approx", "--k", "0"}, {"bench", "approx", "--spread", "NaN"},
                {"bench", "approx", "--inputs", "uniform"}, {"bench", "approx", "--attention", "nosuch"}, {"bench", "approx", "--n", "100000000", "--d", "64"},
                {"bench", "ab", "--a", "/no/such.jar", "--b", "/no/such.jar"}, {"bench", "ab"}, {"bench", "ab", "--a", "x", "--b", "y", "--launches", "0"},
                {"bench", "peers", "--ops", "nosuch"}, {"bench", "peers", "--n", "0"}, {"bench", "peers", "--size", "0"},
                {"bench", "report", "/no/such.jsonl"}, {"bench", "report", dir.toString()}, {"bench", "report", binary.toString()},
                {"demo", "--steps", "0"}, {"demo", "--batch", "0"}, {"demo", "--lr", "-1"}, {"demo", "--preset", "huge"}, {"demo", "--pretrain-steps", "0"},
                {"demo", "--pretrain-lr", "NaN"}, {"demo", "--pretrain-batch", "-1"}, {"demo", "--pretrain-n", "4096", "--n", "1024"}, {"demo", "--n", "0"},
                {"demo", "--preset", "tiny", "--batch", "100000000", "--out", out}, {"demo", "--attention", ",", "--out", out}, {"demo", "--schedule", "treeformer:h=99", "--out", out},
                tiny("train --out " + out, "--lr", "-1"), tiny("train --out " + out, "--warmup", "-5"), tiny("train --out " + out, "--attention", "topk:k=0"),
                tiny("train --out " + out, "--dim", "100000"), tiny("train --out " + out, "--batch", "100000000"),
                tiny("train --out " + out, "--layers", "100000"), tiny("train --out " + out, "--steps", "0"), tiny("train --out " + out, "--lr", "NaN"),
                tiny("train --out " + out, "--clip", "-1"), tiny("train --out " + out, "--dropout", "1.5"), tiny("train --out " + out, "--decay", "step"), tiny("train --out " + out, "--schedule", "treeformer:dense=5"), tiny("train --attention tf:h=2 --out " + out, "--schedule", "treeformer:h=2"),
                tiny("train --out " + out, "--ffn", "topk-ffn:k=0"), tiny("train --out " + out, "--positions", "spiral"), tiny("train --out " + out, "--task", "imdb"),
                tiny("train --out " + out, "--preset", "huge"), tiny("train --out " + text, "--steps", "1"), tiny("train --out " + out, "--init-from", "/no/such"),
                tiny("train --out " + out, "--heads", "3"), tiny("train --out " + out, "--weight-decay", "-1"),
                {"train", "--resume", "--out", out}, {"train", "--resume", "--out", run.toString(), "--steps", "0"},
                {"eval", "--checkpoint", "/no/such"}, {"eval", "--checkpoint", run.toString(), "--split", "train"},
                {"eval", "--checkpoint", run.toString(), "--batch", "0"}, {"eval", "--checkpoint", run.toString(), "--attention", "nosuch"},
                {"eval", "--checkpoint", text.toString()},
                {"eval", "dropin", "--limit", "-1"}, {"eval", "dropin", "--folds", "1"}, {"eval", "dropin", "--attention", "topk:k=0"},
                {"eval", "dropin", "--model", "/no/such"},
                {"lra", "imdb"}, {"lra", "listops", "--preset", "huge"}, {"lra", "listops", "--lr", "-1"},
                {"convert", "gpt2"},
                {"embed", "/no/such.txt"}, {"embed", dir.toString()}, {"embed", binary.toString()}, {"embed", latin1.toString()},
                {"embed", "--ffn", "sparse:k=3", text.toString()}, {"embed", "--max-length", "1", text.toString()},
                {"embed", "--model", "/no/such", text.toString()}, {"embed", "--model", tinyBert.toString(), "--max-length", "100", text.toString()},
                {"embed", "--model", tinyBert.toString(), "--max-length", "16", "--attention", "topk:k=0", text.toString()},
        };
        for (String[] c : cases) expectOneLine(c);
        if (Files.exists(Path.of("/dev/null"))) expectOneLine("embed", "/dev/null");
        assertFalse(Files.exists(Path.of(out)), "a rejected command wrote " + out);
    }

    @Test
    void aDivergingRunEndsWithOneLineAndExitCode1() {
        String[] args = TrainingCommandsTest.args(new String[] {"train", "--task", "listops", "--out", dir.resolve("diverged").toString()},
                "--steps", "3", "--lr", "1e30", "--clip", "0");
        expectOneLine(args);
        assertEquals(1, CanopyCliTest.run(args[0], "--resume", "--out", dir.resolve("diverged").toString(), "--quiet").code());
    }

    @Test
    void damagedRunFiles() throws IOException {
        String[][] files = {
                {"task.json", "{\"task\":5,\"preset\":\"tiny\",\"data_seed\":1}"}, {"task.json", "{\"task\":\"listops\",\"preset\":\"tiny\"}"},
                {"task.json", ""}, {"task.json", "{\"task\":\"listops\",\"pre"}, {"task.json", "[1,2]"}, {"task.json", "{\"task\":\"imdb\",\"preset\":\"tiny\",\"data_seed\":1}"},
                {"task.json", "{\"task\":\"listops\",\"preset\":\"tiny\",\"data_seed\":\"1\"}"}, {"task.json", null},
                {"model.json", ""}, {"model.json", "{\"vocab\":17,"}, {"model.json", "[]"}, {"model.json", "{\"vocab\":\"many\"}"}, {"model.json", null},
                {"train.json", ""}, {"train.json", "{\"steps\":"}, {"train.json", "[{}]"}, {"train.json", "\"text\""},
        };
        for (String[] f : files) {
            Path broken = damaged(f[0], f[1]);
            if (!f[0].equals("train.json")) expectOneLine("eval", "--checkpoint", broken.toString(), "--split", "valid"); // eval needs no train.json
            expectOneLine("train", "--resume", "--out", broken.toString(), "--quiet");
        }
        // Values that parse but that the model rejects are named with their file too.
        String model = Files.readString(run.resolve("model.json"));
        for (String changed : List.of(model.replace("\"attention\":\"exact\"", "\"attention\":\"topk:k=0\""), model.replace("\"dim\":16", "\"dim\":-16"),
                model.replace("\"dropout\":\"0.0\"", "\"dropout\":\"abc\""), model.replace("\"layers\":1", "\"layers\":1000000"))) {
            Path broken = damaged("model.json", changed);
            expectOneLine("eval", "--checkpoint", broken.toString());
            expectOneLine("train", "--resume", "--out", broken.toString(), "--quiet");
        }
        String train = Files.readString(run.resolve("train.json"));
        for (String changed : List.of(train.replace("\"lr\":\"0.005\"", "\"lr\":\"abc\""), train.replace("\"lr\":\"0.005\"", "\"lr\":\"-1\""),
                train.replace("\"batch\":4", "\"batch\":100000000"))) {
            expectOneLine("train", "--resume", "--out", damaged("train.json", changed).toString(), "--quiet");
        }
    }

    @Test
    void damagedCheckpointsAndModels() throws IOException {
        String ckpt = "ckpt-00000001/" + dev.canopy.train.Checkpoints.MODEL;
        for (String content : new String[] {"", "not a safetensors file at all", "\u0010\0\0\0\0\0\0\0{\"a\":"}) {
            Path broken = damaged(ckpt, content);
            expectOneLine("eval", "--checkpoint", broken.toString());
            expectOneLine("train", "--resume", "--out", broken.toString(), "--quiet");
        }
        expectOneLine("eval", "--checkpoint", damaged(ckpt, null).toString());
        // Checkpoints that parse but hold NaN weights, or lack the step metadata a resume needs.
        for (String key : new String[] {"weights", "step", "adam_steps"}) {
            Path broken = damaged("task.json", Files.readString(run.resolve("task.json")));
            String file = key.equals("adam_steps") ? "ckpt-00000001/" + dev.canopy.train.Checkpoints.OPTIMIZER : ckpt;
            var f = dev.canopy.io.Safetensors.open(broken.resolve(file));
            var meta = new java.util.TreeMap<>(f.metadata());
            List<dev.canopy.io.NamedTensor> tensors = new ArrayList<>();
            for (String name : f.names()) {
                float[] data = f.floats(name);
                if (key.equals("weights")) java.util.Arrays.fill(data, Float.NaN);
                tensors.add(new dev.canopy.io.NamedTensor(name, f.info(name).shape(), data));
            }
            if (key.equals("step")) meta.remove("step");
            if (key.equals("adam_steps")) meta.put("adam_steps", "abc");
            dev.canopy.io.Safetensors.write(broken.resolve(file), tensors, meta);
            if (key.equals("weights")) expectOneLine("eval", "--checkpoint", broken.toString());
            expectOneLine("train", "--resume", "--out", broken.toString(), "--quiet");
        }
        Path nan = TinyBert.write(dir.resolve("nan-bert"), 8, Float.NaN);
        Path huge = TinyBert.write(dir.resolve("huge-bert"), 8, 1e30f); // finite weights whose activations overflow
        Path small = TinyBert.write(dir.resolve("small-vocab-bert"), 4, 0.5f);
        Path sparse = TinyBert.write(dir.resolve("sparse-ids-bert"), 8, 0.5f); // as many tokens as rows, but one id past them
        Files.writeString(sparse.resolve("tokenizer.json"), Files.readString(sparse.resolve("tokenizer.json")).replace("\"world\":5", "\"world\":20"));
        for (Path m : List.of(nan, huge, small, sparse)) expectOneLine("embed", "--model", m.toString(), "--max-length", "16", text.toString());
        CanopyCliTest.Run ok = CanopyCliTest.run("embed", "--model", tinyBert.toString(), "--max-length", "16", text.toString());
        assertEquals(0, ok.code(), ok.err());
    }
}
