package dev.canopy.cli.bench;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.AttentionSpec;
import dev.canopy.cli.options.AttentionList;
import dev.canopy.io.JsonLine;
import dev.canopy.nn.Pass;
import java.util.List;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "attention", mixinStandardHelpOptions = true,
        description = "Time attention forward (and backward) per kind and sequence length.")
public final class AttentionBench implements Runnable {
    @Mixin AttentionShapeOptions dims = new AttentionShapeOptions();
    @Option(names = "--batch", description = "Batch size (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    int batch;
    @Option(names = "--causal", description = "Use a causal mask.")
    boolean causal;
    @Option(names = "--attention", description = "Attention specs, comma-separated, e.g. exact,topk:k=64 (default: ${DEFAULT-VALUE}). Known:%n"
            + "${canopy.attentions}", defaultValue = "exact")
    AttentionList attentions;

    @Option(names = "--n", split = ",", description = "Sequence lengths (default: ${DEFAULT-VALUE}).", defaultValue = "1024,4096")
    List<Integer> lengths;





    @Option(names = "--backward", description = "Also time the backward pass.")
    boolean backward;

    @Option(names = "--min-seconds", description = "Measure each case for at least this long (default: ${DEFAULT-VALUE}).", defaultValue = "1.0")
    double minSeconds;


    @Override
    public void run() {
        List<AttentionSpec> specs = attentions.specs();
        for (int n : lengths) if (n <= 0) throw new IllegalArgumentException("--n must be positive, got " + n);
        if (dims.d <= 0 || dims.heads <= 0 || batch <= 0) throw new IllegalArgumentException("--d, --heads and --batch must be positive");
        if (!(minSeconds >= 0 && minSeconds <= 3600)) throw new IllegalArgumentException("--min-seconds must be in 0..3600, got " + minSeconds);
        int tensors = backward ? 8 : 4; // q, k, v, out (+ dOut, dq, dk, dv)
        for (int n : lengths) {
            long floatsPerPosition = (long) batch * dims.heads * dims.d;
            if (floatsPerPosition * n > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("bench attention --n " + n + ": q of " + floatsPerPosition * n + " floats is over the 2^31 one array holds; --n up to "
                        + (Integer.MAX_VALUE - 16) / floatsPerPosition + " with --d " + dims.d + " --heads " + dims.heads + " --batch " + batch);
            }
            AttentionShape shape = AttentionShape.self(batch, dims.heads, n, dims.d);
            long perPosition = 4L * tensors * floatsPerPosition;
            HeapCheck.require(perPosition * n, "bench attention --n " + n + ": q, k, v, out" + (backward ? " and their gradients" : "")
                    + " (" + tensors + " tensors of " + shape.qSize() + " floats)", "at most --n " + HeapCheck.unitsThatFit(perPosition)
                    + " can fit with --d " + dims.d + " --heads " + dims.heads + " --batch " + batch);
        }
        double peak = FmaPeak.measureGflops();
        System.out.println(FmaPeak.line(peak));
        Random rng = new Random(7);
        for (int n : lengths) {
            AttentionShape shape = AttentionShape.self(batch, dims.heads, n, dims.d);
            float[] q = KernelBench.random(rng, shape.qSize()), k = KernelBench.random(rng, shape.kSize()), v = KernelBench.random(rng, shape.vSize());
            float[] out = new float[shape.outSize()];
            // The backward's arrays only when it runs: without --backward they would double the memory for nothing.
            float[] dOut = backward ? KernelBench.random(rng, shape.outSize()) : null;
            float[] dq = backward ? new float[shape.qSize()] : null, dk = backward ? new float[shape.kSize()] : null, dv = backward ? new float[shape.vSize()] : null;
            AttentionMask mask = causal ? AttentionMask.CAUSAL : AttentionMask.NONE;
            double exactFlops = 4.0 * batch * dims.heads * (double) n * n * dims.d * (causal ? 0.5 : 1.0);
            for (AttentionSpec spec : specs) {
                Attention attention = spec.create(new AttentionSetup(dims.heads, dims.d, n, 1));
                Attention.Saved[] saved = new Attention.Saved[1];
                Timer.Result fwd = Timer.measure(() -> saved[0] = attention.forward(shape, q, k, v, mask, Pass.INFERENCE, out), 1, 3, 50, minSeconds);
                emit("forward", spec.toString(), shape, fwd, saved[0].flops(), saved[0].workingBytes(), exactFlops, peak);
                if (backward) {
                    Attention.Saved s = attention.forward(shape, q, k, v, mask, Pass.INFERENCE, out);
                    Timer.Result bwd = Timer.measure(() -> attention.backward(s, dOut, dq, dk, dv), 1, 3, 50, minSeconds);
                    emit("backward", spec.toString(), shape, bwd, s.backwardFlops(), s.workingBytes(), exactFlops * 2.5, peak);
                }
            }
        }
    }

    private static void emit(String pass, String spec, AttentionShape shape, Timer.Result t, long flops, long workingBytes, double exactFlops, double peak) {
        double gflops = flops / t.median() / 1e9;
        System.out.println(new JsonLine().put("bench", "attention").put("kind", spec).put("pass", pass)
                .put("n", shape.nq()).put("d", shape.d()).put("heads", shape.heads()).put("batch", shape.batch())
                .put("seconds", t.median()).put("flops", flops).put("gflops", gflops).put("peak_fraction", gflops / peak)
                .put("exact_flops_ratio", exactFlops / Math.max(1, flops)).put("working_bytes", workingBytes).put("runs", t.runs()));
    }
}
