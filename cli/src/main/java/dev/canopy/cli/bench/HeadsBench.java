package dev.canopy.cli.bench;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.ExactAttention;
import dev.canopy.io.JsonLine;
import dev.canopy.kernels.PackedSelfAttention;
import dev.canopy.nn.Pass;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Exact attention at small head widths beside d = 64 at a reference length, every shape timed in the same rounds
 * (one timed batch of calls per shape per round, shapes in turn), so a machine shared with other jobs slows them
 * alike and the ratio to the reference holds. Kinds: the training kernel's forward and backward
 * ({@link ExactAttention}) and the inference path's packed forward ({@link PackedSelfAttention}, one sequence).
 */
@Command(name = "heads", mixinStandardHelpOptions = true,
        description = "GFLOP/s of exact attention at small head widths against d=64 at a reference length, shapes alternating (JSON lines).")
public final class HeadsBench implements Runnable {
    @Option(names = "--d", split = ",", description = "Head widths (default: ${DEFAULT-VALUE}).", defaultValue = "16,32")
    List<Integer> widths;

    @Option(names = "--n", split = ",", description = "Sequence lengths (default: ${DEFAULT-VALUE}).", defaultValue = "128,256,512,1024")
    List<Integer> lengths;

    @Option(names = "--heads", description = "Heads (default: ${DEFAULT-VALUE}).", defaultValue = "8")
    int heads;

    @Option(names = "--ref-n", description = "Length of the d=64 reference (default: ${DEFAULT-VALUE}).", defaultValue = "4096")
    int refN;

    @Option(names = "--rounds", description = "Rounds; each times every shape once (default: ${DEFAULT-VALUE}).", defaultValue = "7")
    int rounds;

    @Option(names = "--round-ms", description = "Calls per shape and round are repeated for at least this long (default: ${DEFAULT-VALUE}).", defaultValue = "150")
    int roundMillis;

    /** One timed operation: its name, shape, FLOPs per call. */
    private record Case(String kind, String pass, int d, int n, double flops, Runnable op) {}

    @Override
    public void run() {
        for (int d : widths) if (d < 1 || d > 256) throw new IllegalArgumentException("--d must be in 1..256, got " + d);
        for (int n : lengths) if (n < 1 || n > 65536) throw new IllegalArgumentException("--n must be in 1..65536, got " + n);
        if (heads < 1 || heads > 64) throw new IllegalArgumentException("--heads must be in 1..64, got " + heads);
        if (refN < 1 || refN > 65536) throw new IllegalArgumentException("--ref-n must be in 1..65536, got " + refN);
        if (rounds < 1 || roundMillis < 1) throw new IllegalArgumentException("--rounds and --round-ms must be positive");
        double peak = FmaPeak.measureGflops();
        System.out.println(FmaPeak.line(peak));
        Random rng = new Random(7);
        List<Case> cases = new ArrayList<>(exactCases(64, refN, rng));
        for (int d : widths) {
            for (int n : lengths) {
                cases.addAll(exactCases(d, n, rng));
                cases.add(packedCase(d, n, rng));
            }
        }
        for (Case c : cases) for (int i = 0; i < 3; i++) c.op().run();  // compile before the rounds
        double[][] seconds = new double[cases.size()][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < cases.size(); i++) seconds[i][r] = timeOnce(cases.get(i).op());
        }
        double refForward = cases.getFirst().flops() / Timer.median(seconds[0]) / 1e9;
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            double gflops = c.flops() / Timer.median(seconds[i]) / 1e9;
            System.out.println(new JsonLine().put("bench", "heads").put("kind", c.kind()).put("pass", c.pass()).put("d", c.d()).put("n", c.n())
                    .put("heads", heads).put("seconds", Timer.median(seconds[i])).put("gflops", gflops).put("peak_fraction", gflops / peak)
                    .put("of_d64_forward_at_ref_n", gflops / refForward).put("rounds", rounds));
        }
    }

    private List<Case> exactCases(int d, int n, Random rng) {
        AttentionShape s = AttentionShape.self(1, heads, n, d);
        float[] q = KernelBench.random(rng, s.qSize()), k = KernelBench.random(rng, s.kSize()), v = KernelBench.random(rng, s.vSize());
        float[] out = new float[s.outSize()], dOut = KernelBench.random(rng, s.outSize());
        float[] dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        ExactAttention exact = new ExactAttention();
        Attention.Saved saved = exact.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out);
        double flops = 4.0 * heads * n * (double) n * d;
        List<Case> cs = new ArrayList<>();
        cs.add(new Case("exact", "forward", d, n, flops, () -> exact.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out)));
        cs.add(new Case("exact", "backward", d, n, 2.5 * flops, () -> exact.backward(saved, dOut, dq, dk, dv)));
        return cs;
    }

    private Case packedCase(int d, int n, Random rng) {
        PackedSelfAttention.Layout layout = PackedSelfAttention.Layout.fused(heads, d);
        float[] qkv = KernelBench.random(rng, n * layout.ld()), out = new float[n * layout.ldOut()];
        int[] starts = {0, n};
        return new Case("packed", "forward", d, n, 4.0 * heads * n * (double) n * d, () -> PackedSelfAttention.forward(starts, layout, qkv, out));
    }

    /** Seconds per call, over as many calls as fill the round's time. */
    private double timeOnce(Runnable op) {
        long t0 = System.nanoTime(), limit = roundMillis * 1_000_000L;
        int calls = 0;
        long elapsed;
        do {
            op.run();
            calls++;
            elapsed = System.nanoTime() - t0;
        } while (elapsed < limit);
        return elapsed * 1e-9 / calls;
    }

}
