package dev.canopy.cli.bench;

import dev.canopy.io.JsonLine;
import dev.canopy.kernels.Sgemm;
import java.util.List;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = "Time sgemm in its three layouts against the measured FMA peak, and the row kernels (GB/s).")
public final class KernelBench implements Runnable {
    @Option(names = "--size", split = ",", description = "Square sgemm sizes (default: ${DEFAULT-VALUE}).", defaultValue = "256,1024,2048")
    List<Integer> sizes;

    @Option(names = "--rows", description = "Rows for the softmax/layernorm/gelu benchmarks (default: ${DEFAULT-VALUE}; 0 skips them).", defaultValue = "4096")
    int rows;

    @Option(names = "--cols", description = "Columns for the softmax/layernorm/gelu benchmarks (default: ${DEFAULT-VALUE}).", defaultValue = "1024")
    int cols;


    @Override
    public void run() {
        if (rows != 0) RowKernelBench.validate(rows, cols);
        for (int size : sizes) {
            if (size <= 0) throw new IllegalArgumentException("--size must be positive, got " + size);
            long floats = (long) size * size;
            if (floats > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("--size " + size + ": a " + size + " x " + size + " matrix is over the 2^31 floats one array holds; --size up to 46340 fits");
            HeapCheck.require(3 * 4 * floats, "bench kernels --size " + size + ": three " + size + " x " + size + " matrices",
                    "at most --size " + (long) Math.sqrt(HeapCheck.unitsThatFit(12)) + " can fit");
        }
        double peak = FmaPeak.measureGflops();
        System.out.println(FmaPeak.line(peak));
        Random rng = new Random(1);
        for (int size : sizes) {
            int m = size, n = size, k = size;
            float[] a = random(rng, m * k), b = random(rng, k * n), c = new float[m * n];
            for (String layout : new String[] {"nn", "nt", "tn"}) {
                Runnable op = switch (layout) {
                    case "nn" -> () -> Sgemm.matmul(m, n, k, a, b, c);
                    case "nt" -> () -> Sgemm.matmulTransB(m, n, k, a, b, c);
                    default -> () -> Sgemm.matmulTransA(m, n, k, a, b, c);
                };
                Timer.Result t = Timer.measure(op, 3, 5, 200, 1.0);
                double gflops = 2.0 * m * n * k / t.median() / 1e9;
                System.out.println(new JsonLine().put("bench", "sgemm").put("kind", layout).put("m", m).put("n", n).put("k", k)
                        .put("seconds", t.median()).put("gflops", gflops).put("peak_fraction", gflops / peak).put("runs", t.runs()));
            }
        }
        if (rows != 0) RowKernelBench.run(rows, cols);
    }

    static float[] random(Random rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rng.nextGaussian();
        return a;
    }
}
