package dev.canopy.cli.bench;

import dev.canopy.io.Json;
import dev.canopy.io.JsonLine;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * One attention forward (or forward and backward) from two builds of canopy-core, side by side in one JVM, in
 * alternating rounds. On a shared
 * machine whose speed drifts by 20% or more from one minute to the next, two separate benchmark runs cannot resolve a
 * 5% change; rounds that alternate A and B within seconds, compared round by round, can. Each build is loaded by its
 * own class loader (so each has its own statics and worker pool) and driven through the public attention API by
 * reflection, so any two revisions with that API can be compared. Prints one JSON line per round and a summary.
 *
 * <p>One JVM is not enough either: each launch compiles the two builds its own way, and the same two jars measured
 * 0.972 (B faster in 18 of 20 rounds) in one launch and 1.026-1.067 (B faster in none) in four others. With
 * {@code --launches N} the whole A/B runs in N fresh JVMs, one after another, and a last line sums them up.
 *
 * <p>Build the jars with, e.g., {@code git worktree add /tmp/a REV && (cd /tmp/a && mvn -q -pl core package -DskipTests)};
 * a directory of compiled classes works as well.
 */
@Command(name = "ab", mixinStandardHelpOptions = true,
        description = "A/B of one attention forward (with --backward: forward and backward) from two canopy-core builds (jars or class folders) in one JVM, alternating rounds (JSON lines).")
public final class AbBench implements Runnable {
    /** The entry point a launch runs, by name: bench sits below the package that holds it. */
    private static final String CANOPY_MAIN = "dev.canopy.cli.Canopy";

    @Mixin AttentionShapeOptions dims = new AttentionShapeOptions();
    @Option(names = "--batch", description = "Batch size (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    int batch;
    @Option(names = "--a", required = true, description = "Build A: a canopy-core jar or classes folder.")
    Path a;

    @Option(names = "--b", required = true, description = "Build B: a canopy-core jar or classes folder.")
    Path b;

    @Option(names = "--attention", description = "Attention spec (default: ${DEFAULT-VALUE}).", defaultValue = "exact")
    String kind;

    @Option(names = "--n", description = "Sequence length (default: ${DEFAULT-VALUE}).", defaultValue = "4096")
    int n;

    @Option(names = "--backward", description = "Time the forward and the backward together, as a training step runs them.")
    boolean backward;

    @Option(names = "--rounds", description = "Rounds, each timing A then B or B then A (default: ${DEFAULT-VALUE}).", defaultValue = "20")
    int rounds;

    @Option(names = "--per-round", description = "Forwards timed per build and round; the round keeps their median (default: ${DEFAULT-VALUE}).", defaultValue = "30")
    int perRound;

    @Option(names = "--warmup", description = "Untimed forwards per build before the rounds (default: ${DEFAULT-VALUE}).", defaultValue = "300")
    int warmup;

    @Option(names = "--launches", description = "Fresh JVMs to repeat the whole A/B in, one after another; each compiles the builds its own "
            + "way, which alone moved results by 5%% (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    int launches;


    @Override
    public void run() {
        if (n <= 0 || dims.d <= 0 || dims.heads <= 0 || batch <= 0) throw new IllegalArgumentException("--n, --d, --heads and --batch must be positive");
        if (rounds < 1 || perRound < 1 || warmup < 0) throw new IllegalArgumentException("--rounds and --per-round must be at least 1, --warmup at least 0");
        if (launches < 1) throw new IllegalArgumentException("--launches must be at least 1, got " + launches);
        if (!Files.exists(a)) throw new IllegalArgumentException("--a " + a + " does not exist (a canopy-core jar or classes folder)");
        if (!Files.exists(b)) throw new IllegalArgumentException("--b " + b + " does not exist (a canopy-core jar or classes folder)");
        if (launches > 1) {
            runLaunches();
            return;
        }
        long size = (long) batch * dims.heads * n * dims.d;
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("q, k, v of " + size + " floats each are more than one array holds");
        int tensors = backward ? 12 : 5; // q, k, v and each build's output; with the backward dOut and each build's dq, dk, dv too
        HeapCheck.require(tensors * 4 * size, "bench ab --n " + n + ": q, k, v and both builds' outputs" + (backward ? " and gradients" : "") + " (" + tensors + " tensors of " + size + " floats)",
                "at most --n " + HeapCheck.unitsThatFit((long) tensors * 4 * batch * dims.heads * dims.d) + " can fit with --d " + dims.d + " --heads " + dims.heads + " --batch " + batch);
        Random rng = new Random(7);
        float[] q = gaussian(rng, (int) size), k = gaussian(rng, (int) size), v = gaussian(rng, (int) size);
        Build[] builds = {Build.load("--a", a, kind, batch, dims.heads, n, dims.d), Build.load("--b", b, kind, batch, dims.heads, n, dims.d)};
        float[] dOut = backward ? gaussian(rng, (int) size) : null;
        float[][][] outs = new float[2][backward ? 4 : 1][(int) size]; // each build's out, then dq, dk, dv
        for (int i = 0; i < warmup; i++) for (int s = 0; s < 2; s++) builds[s].run(q, k, v, dOut, outs[s]);
        double[][] medians = new double[2][rounds];
        double[] ratios = new double[rounds];
        int bFaster = 0;
        for (int r = 0; r < rounds; r++) {
            for (int turn = 0; turn < 2; turn++) {
                int s = r % 2 == 0 ? turn : 1 - turn; // who goes first alternates, so neither always runs on a warmer cache
                double[] times = new double[perRound];
                for (int i = 0; i < perRound; i++) {
                    long t0 = System.nanoTime();
                    builds[s].run(q, k, v, dOut, outs[s]);
                    times[i] = (System.nanoTime() - t0) * 1e-9;
                }
                medians[s][r] = Timer.median(times);
            }
            ratios[r] = medians[1][r] / medians[0][r];
            if (ratios[r] < 1) bFaster++;
            System.out.println(new JsonLine().put("bench", "ab_round").put("kind", kind).put("n", n).put("round", r)
                    .put("a_seconds", medians[0][r]).put("b_seconds", medians[1][r]).put("b_over_a", ratios[r]));
        }
        int same = 0;
        for (int t = 0; t < outs[0].length; t++) {
            for (int i = 0; i < size; i++) if (Float.floatToIntBits(outs[0][t][i]) == Float.floatToIntBits(outs[1][t][i])) same++;
        }
        double[] sorted = ratios.clone();
        Arrays.sort(sorted);
        System.out.println(new JsonLine().put("bench", "ab").put("kind", kind).put("n", n).put("d", dims.d).put("heads", dims.heads).put("batch", batch)
                .put("a", a.toString()).put("b", b.toString()).put("rounds", rounds).put("per_round", perRound)
                .put("a_median_seconds", Timer.median(medians[0])).put("b_median_seconds", Timer.median(medians[1]))
                .put("b_over_a_median", Timer.median(ratios)).put("b_over_a_min", sorted[0]).put("b_over_a_max", sorted[rounds - 1])
                .put("backward", backward).put("b_faster_rounds", bFaster).put("outputs_bit_identical", (double) same / (outs[0].length * size)));
    }

    /**
     * The A/B again in `launches` child JVMs started like this one (same java, JVM options and class path), their lines
     * passed through, then one line over the launches' summaries.
     */
    private void runLaunches() {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow(() -> new IllegalStateException("cannot tell which java runs this JVM")));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), CANOPY_MAIN, "bench", "ab", "--launches", "1",
                "--a", a.toString(), "--b", b.toString(), "--attention", kind, "--n", String.valueOf(n), "--d", String.valueOf(dims.d),
                "--heads", String.valueOf(dims.heads), "--batch", String.valueOf(batch), "--rounds", String.valueOf(rounds),
                "--per-round", String.valueOf(perRound), "--warmup", String.valueOf(warmup)));
        if (backward) command.add("--backward");
        double[] ratios = new double[launches];
        double identical = 1;
        int bFaster = 0;
        for (int launch = 0; launch < launches; launch++) {
            Map<String, Object> summary = launch(command, launch);
            ratios[launch] = ((Number) summary.get("b_over_a_median")).doubleValue();
            identical = Math.min(identical, ((Number) summary.get("outputs_bit_identical")).doubleValue());
            if (ratios[launch] < 1) bFaster++;
        }
        double[] sorted = ratios.clone();
        Arrays.sort(sorted);
        System.out.println(new JsonLine().put("bench", "ab_launches").put("kind", kind).put("n", n).put("d", dims.d).put("heads", dims.heads).put("batch", batch)
                .put("a", a.toString()).put("b", b.toString()).put("launches", launches).put("rounds", rounds).put("backward", backward)
                .put("b_over_a_median_of_launches", Timer.median(ratios)).put("b_over_a_min_launch", sorted[0]).put("b_over_a_max_launch", sorted[launches - 1])
                .put("b_faster_launches", bFaster).put("outputs_bit_identical_min", identical));
    }

    /** Runs one child JVM, echoing its output; returns its summary line. */
    private static Map<String, Object> launch(List<String> command, int launch) {
        try {
            Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String summary = null;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    System.out.println(line);
                    if (line.startsWith("{\"bench\":\"ab\"")) summary = line;
                }
            }
            int code = child.waitFor();
            if (code != 0 || summary == null) throw new IllegalStateException("launch " + launch + " of the A/B failed (exit code " + code + "); its errors are above");
            return Json.parseObject(summary);
        } catch (IOException e) {
            throw new IllegalStateException("could not start launch " + launch + " of the A/B: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for launch " + launch + " of the A/B", e);
        }
    }

    private static float[] gaussian(Random rng, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rng.nextGaussian();
        return x;
    }


    /** One build's attention, created and called through reflection on its own class loader. */
    private record Build(Object attention, Method forward, Method backward, Object shape, Object mask, Object pass) {
        static Build load(String option, Path location, String kind, int batch, int heads, int n, int d) {
            if (!Files.exists(location)) throw new IllegalArgumentException(option + " " + location + " does not exist (a canopy-core jar or classes folder)");
            URL url;
            try {
                url = location.toUri().toURL();
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException(option + " " + location + " is not a usable path: " + e.getMessage());
            }
            ClassLoader loader = new URLClassLoader(new URL[] {url}, ClassLoader.getPlatformClassLoader());
            try {
                Class<?> setupType = loader.loadClass("dev.canopy.attention.AttentionSetup");
                Class<?> shapeType = loader.loadClass("dev.canopy.attention.AttentionShape");
                Class<?> maskType = loader.loadClass("dev.canopy.attention.AttentionMask");
                // Older builds kept Pass and the registry in dev.canopy.attention: A/B must still load them.
                Class<?> passType = firstClass(loader, "dev.canopy.nn.Pass", "dev.canopy.attention.Pass");
                Object setup = setupType.getConstructor(int.class, int.class, int.class, long.class).newInstance(heads, d, n, 1L);
                Object attention = firstClass(loader, "dev.canopy.attention.registry.Attentions", "dev.canopy.attention.Attentions").getMethod("create", String.class, setupType).invoke(null, kind, setup);
                Class<?> attentionType = loader.loadClass("dev.canopy.attention.Attention");
                Method forward = attentionType.getMethod("forward", shapeType, float[].class, float[].class, float[].class, maskType, passType, float[].class);
                Method backward = attentionType.getMethod("backward", loader.loadClass("dev.canopy.attention.Attention$Saved"), float[].class, float[].class, float[].class, float[].class);
                Object shape = shapeType.getMethod("self", int.class, int.class, int.class, int.class).invoke(null, batch, heads, n, d);
                return new Build(attention, forward, backward, shape, maskType.getField("NONE").get(null), passType.getField("INFERENCE").get(null));
            } catch (ClassNotFoundException | NoSuchMethodException | NoSuchFieldException e) {
                throw new IllegalArgumentException(option + " " + location + " does not hold the canopy-core attention API this command drives (missing "
                        + e.getMessage() + ")");
            } catch (InvocationTargetException e) {
                throw new IllegalArgumentException(option + " " + location + ": " + e.getCause().getMessage());
            } catch (ReflectiveOperationException e) {
                throw new IllegalArgumentException(option + " " + location + ": " + e);
            }
        }

        private static Class<?> firstClass(ClassLoader loader, String name, String olderName) throws ClassNotFoundException {
            try {
                return loader.loadClass(name);
            } catch (ClassNotFoundException e) {
                return loader.loadClass(olderName);
            }
        }

        /** The forward into out[0]; with dOut, the backward too, into out[1], out[2] and out[3] (dq, dk, dv). */
        void run(float[] q, float[] k, float[] v, float[] dOut, float[][] out) {
            try {
                Object saved = forward.invoke(attention, shape, q, k, v, mask, pass, out[0]);
                if (dOut != null) backward.invoke(attention, saved, dOut, out[1], out[2], out[3]);
            } catch (InvocationTargetException e) {
                throw new IllegalStateException((dOut == null ? "forward" : "forward and backward") + " failed: " + e.getCause(), e.getCause());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
