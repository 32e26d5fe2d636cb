package dev.canopy.cli.bench;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.io.JsonLine;
import dev.canopy.nn.Pass;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * How far an approximate attention's output is from exact attention, per budget k, on synthetic inputs whose score
 * distributions are shaped like trained attention (peaked) or deliberately flat.
 *
 * <p>Inputs, per (batch, head) pair, d = head width:
 * <ul>
 *   <li>{@code clustered}: keys fall into n / cluster-size clusters. Cluster centres are drawn from N(0, I_d); each key
 *   is its centre plus N(0, spread^2 I_d) noise, and each query is the centre of a random cluster plus the same noise.
 *   A query's own cluster then scores about |centre|^2 / sqrt(d) = sqrt(d) above the rest, so with d = 64 and
 *   spread 0.5 its ~cluster-size keys hold most of the softmax mass (about 87% with the defaults; see mass_kept): a
 *   few dozen keys dominate each row, as in trained heads.</li>
 *   <li>{@code gaussian}: q, k iid N(0, 1): scores/sqrt(d) ~ N(0, 1), a flat softmax spread over most keys, the worst
 *   case for top-k.</li>
 * </ul>
 * Values are iid N(0, 1) in both. The error is ||out - exact|| / ||exact|| over the whole output (L2, all heads).
 * {@code mass_kept} is the mean, over up to --mass-rows evenly spaced query rows per head, of the exact softmax
 * probability held by the row's k highest-scoring visible keys (scores in double): how peaked the inputs are, and what
 * top-k with that k could keep at best.
 */
@Command(name = "approx", mixinStandardHelpOptions = true,
        description = "Relative L2 error of an approximate attention against exact attention, per k (JSON lines).")
public final class ApproxBench implements Runnable {
    @Mixin AttentionShapeOptions dims = new AttentionShapeOptions();
    @Option(names = "--causal", description = "Use a causal mask.")
    boolean causal;
    @Option(names = "--attention", description = "Attention family taking option k, e.g. topk (default: ${DEFAULT-VALUE}); extra options may follow, e.g. topk:chunk=256.", defaultValue = "topk")
    String kind;

    @Option(names = "--k", split = ",", description = "Budgets k to try (default: ${DEFAULT-VALUE}).", defaultValue = "8,16,32,64,128")
    List<Integer> ks;

    @Option(names = "--n", description = "Sequence length (default: ${DEFAULT-VALUE}).", defaultValue = "4096")
    int n;



    @Option(names = "--inputs", split = ",", description = "Input distributions: clustered, gaussian (default: ${DEFAULT-VALUE}).", defaultValue = "clustered,gaussian")
    List<String> inputs;

    @Option(names = "--cluster-size", description = "Keys per cluster for clustered inputs (default: ${DEFAULT-VALUE}).", defaultValue = "32")
    int clusterSize;

    @Option(names = "--spread", description = "Noise standard deviation around cluster centres (default: ${DEFAULT-VALUE}).", defaultValue = "0.5")
    double spread;

    @Option(names = "--mass-rows", description = "Query rows per head sampled for mass_kept (default: ${DEFAULT-VALUE}).", defaultValue = "256")
    int massRows;


    @Option(names = "--seed", description = "Input seed (default: ${DEFAULT-VALUE}).", defaultValue = "7")
    long seed;


    @Override
    public void run() {
        if (n <= 0 || dims.d <= 0 || dims.heads <= 0) throw new IllegalArgumentException("--n, --d and --heads must be positive, got " + n + ", " + dims.d + ", " + dims.heads);
        if (clusterSize <= 0) throw new IllegalArgumentException("--cluster-size must be positive, got " + clusterSize);
        if (!(spread >= 0)) throw new IllegalArgumentException("--spread must be >= 0, got " + spread);
        if (kind.contains(",") && !kind.contains(":")) throw new IllegalArgumentException("--attention takes one attention family, got '" + kind + "'");
        for (int k : ks) if (k <= 0) throw new IllegalArgumentException("--k values must be positive, got " + k);
        if (massRows < 1) throw new IllegalArgumentException("--mass-rows must be positive, got " + massRows);
        for (String in : inputs) {
            if (!in.equals("clustered") && !in.equals("gaussian")) throw new IllegalArgumentException("--inputs: unknown distribution '" + in + "'; known: clustered, gaussian");
        }
        AttentionShape shape = AttentionShape.self(1, dims.heads, n, dims.d);
        // q, k, v, the exact output and the approximation's: five tensors at once.
        HeapCheck.require(5L * 4 * shape.qSize(), "bench approx --n " + n + ": q, k, v and two outputs (5 tensors of " + shape.qSize() + " floats)",
                "at most --n " + HeapCheck.unitsThatFit(5L * 4 * dims.heads * dims.d) + " can fit with --d " + dims.d + " --heads " + dims.heads);
        Attentions.create(kind.contains(":") ? kind + ",k=" + ks.get(0) : kind + ":k=" + ks.get(0), new AttentionSetup(dims.heads, dims.d, n, seed)); // a bad spec fails before the inputs are drawn
        AttentionMask mask = causal ? AttentionMask.CAUSAL : AttentionMask.NONE;
        AttentionSetup setup = new AttentionSetup(dims.heads, dims.d, n, seed);
        for (String in : inputs) {
            float[][] qkv = switch (in) {
                case "clustered" -> clustered(shape, new Random(seed));
                case "gaussian" -> gaussian(shape, new Random(seed));
                default -> throw new IllegalArgumentException("--inputs: unknown distribution '" + in + "'; known: clustered, gaussian");
            };
            float[] exact = new float[shape.outSize()];
            Attentions.create("exact", setup).forward(shape, qkv[0], qkv[1], qkv[2], mask, Pass.INFERENCE, exact);
            double[] massKept = massKept(shape, qkv[0], qkv[1], mask);
            for (int ki = 0; ki < ks.size(); ki++) {
                int k = ks.get(ki);
                String spec = kind.contains(":") ? kind + ",k=" + k : kind + ":k=" + k;
                Attention attention = Attentions.create(spec, setup);
                float[] out = new float[shape.outSize()];
                attention.forward(shape, qkv[0], qkv[1], qkv[2], mask, Pass.INFERENCE, out);
                System.out.println(new JsonLine().put("bench", "approx").put("kind", attention.spec()).put("inputs", in)
                        .put("n", n).put("d", dims.d).put("heads", dims.heads).put("causal", causal).put("k", k)
                        .put("rel_l2_error", relativeError(out, exact)).put("mass_kept", massKept[ki]));
            }
        }
    }

    static double relativeError(float[] approx, float[] exact) {
        double diff = 0, norm = 0;
        for (int i = 0; i < exact.length; i++) {
            double e = exact[i];
            diff += (approx[i] - e) * (approx[i] - e);
            norm += e * e;
        }
        return Math.sqrt(diff / Math.max(norm, Double.MIN_NORMAL));
    }

    /** For each k in --k: mean exact probability mass on the k best visible keys of sampled rows. */
    private double[] massKept(AttentionShape s, float[] q, float[] k, AttentionMask mask) {
        int rows = Math.min(massRows, s.nq());
        double[] kept = new double[ks.size()];
        double scale = 1.0 / Math.sqrt(s.d());
        for (int pair = 0; pair < s.pairs(); pair++) {
            for (int r = 0; r < rows; r++) {
                int i = (int) ((long) r * s.nq() / rows);
                int visible = mask.keyLimit(s, i);
                double[] p = new double[visible];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    double dot = 0;
                    for (int x = 0; x < s.d(); x++) dot += (double) q[(pair * s.nq() + i) * s.d() + x] * k[(pair * s.nk() + j) * s.d() + x];
                    p[j] = dot * scale;
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j < visible; j++) sum += p[j] = Math.exp(p[j] - max);
                Arrays.sort(p);
                for (int ki = 0; ki < ks.size(); ki++) {
                    double top = 0;
                    for (int x = 0; x < Math.min(ks.get(ki), visible); x++) top += p[visible - 1 - x];
                    kept[ki] += visible == 0 ? 0 : top / sum;
                }
            }
        }
        for (int ki = 0; ki < kept.length; ki++) kept[ki] /= (double) rows * s.pairs();
        return kept;
    }

    private float[][] clustered(AttentionShape s, Random rng) {
        int clusters = Math.max(1, s.nk() / clusterSize);
        float[] q = new float[s.qSize()], k = new float[s.kSize()];
        float[] centres = new float[clusters * dims.d];
        for (int pair = 0; pair < s.pairs(); pair++) {
            for (int x = 0; x < centres.length; x++) centres[x] = (float) rng.nextGaussian();
            for (int j = 0; j < s.nk(); j++) {
                int c = rng.nextInt(clusters);
                for (int x = 0; x < dims.d; x++) k[(pair * s.nk() + j) * dims.d + x] = centres[c * dims.d + x] + (float) (spread * rng.nextGaussian());
            }
            for (int i = 0; i < s.nq(); i++) {
                int c = rng.nextInt(clusters);
                for (int x = 0; x < dims.d; x++) q[(pair * s.nq() + i) * dims.d + x] = centres[c * dims.d + x] + (float) (spread * rng.nextGaussian());
            }
        }
        return new float[][] {q, k, KernelBench.random(rng, s.vSize())};
    }

    private static float[][] gaussian(AttentionShape s, Random rng) {
        return new float[][] {KernelBench.random(rng, s.qSize()), KernelBench.random(rng, s.kSize()), KernelBench.random(rng, s.vSize())};
    }
}
