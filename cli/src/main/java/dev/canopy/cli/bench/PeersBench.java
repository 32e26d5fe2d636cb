package dev.canopy.cli.bench;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.bert.BertConfig;
import dev.canopy.bert.BertEncoder;
import dev.canopy.bert.BertInference;
import dev.canopy.bert.BertWeights;
import dev.canopy.bert.FeedForwardSpec;
import dev.canopy.bert.InferenceWeights;
import dev.canopy.bert.MiniLm;
import dev.canopy.io.JsonLine;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.PackedSelfAttention;
import dev.canopy.kernels.Sgemm;
import dev.canopy.nn.Pass;
import dev.canopy.peers.OrtPeer;
import dev.canopy.peers.PeerOp;
import dev.canopy.peers.ProcessMemory;
import dev.canopy.peers.TorchPeer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Canopy side by side with PyTorch (through DJL) and ONNX Runtime on the same inputs in one process. Contenders
 * of a case run alternately, one timed run each per round (a block of back-to-back calls, --run-ms long), so a noisy
 * machine slows them all alike and the ratios hold.
 */
@Command(name = "peers", mixinStandardHelpOptions = true,
        description = "Time Canopy against PyTorch (DJL) and ONNX Runtime: sgemm, exact attention forward (ONNX Runtime both as an unfused graph "
                + "and as its fused MultiHeadAttention), forward+backward, top-k, MiniLM embeddings.")
public final class PeersBench implements Runnable {
    @Mixin AttentionShapeOptions dims = new AttentionShapeOptions();
    private static final Set<String> OPS = Set.of("sgemm", "attention", "backward", "topk", "minilm");
    private static final Set<String> PEERS = Set.of("pytorch", "onnxruntime");

    @Option(names = "--ops", split = ",", description = "Operations among sgemm, attention, backward, topk, minilm (default: ${DEFAULT-VALUE}).",
            defaultValue = "sgemm,attention,backward,topk,minilm")
    List<String> ops;

    @Option(names = "--peers", split = ",", description = "Peers among pytorch, onnxruntime (default: ${DEFAULT-VALUE}).", defaultValue = "pytorch,onnxruntime")
    List<String> peers;

    @Option(names = "--n", split = ",", description = "Sequence lengths for attention (default: ${DEFAULT-VALUE}).", defaultValue = "1024,4096,16384")
    List<Integer> lengths;

    @Option(names = "--size", description = "Square sgemm size (default: ${DEFAULT-VALUE}).", defaultValue = "1024")
    int size;



    @Option(names = "--topk", description = "Keys kept per query in top-k attention (default: ${DEFAULT-VALUE}).", defaultValue = "64")
    int topK;

    @Option(names = "--score-budget-mib", description = "Peers that materialise scores do so in query chunks of at most this many MiB (default: ${DEFAULT-VALUE}).",
            defaultValue = "1024")
    long scoreBudgetMib;

    @Option(names = "--backward-max-n", description = "Longest n for the PyTorch autograd backward, which keeps every probability (default: ${DEFAULT-VALUE}).",
            defaultValue = "4096")
    int backwardMaxN;

    @Option(names = "--min-seconds", description = "Measure each contender for at least this long (default: ${DEFAULT-VALUE}).", defaultValue = "1.0")
    double minSeconds;

    @Option(names = "--settle-ms", description = "Idle pause before each timed run, so the previous engine's worker threads "
            + "(OpenMP and ONNX Runtime spin-wait after their work) have stopped spinning on the cores (default: ${DEFAULT-VALUE}).",
            defaultValue = "250")
    int settleMillis;

    @Option(names = "--run-ms", description = "Each timed run repeats the operation back to back for about this long (at least once) and "
            + "counts the time per call: after the settle pause the cores start from idle, and on a virtual machine the first "
            + "milliseconds run slower, which a single short call would mostly measure; 0 times one call per run (default: ${DEFAULT-VALUE}).",
            defaultValue = "100")
    int runMillis;

    @Option(names = "--min-runs", description = "Timed runs per contender at least (default: ${DEFAULT-VALUE}).", defaultValue = "3")
    int minRuns;

    @Option(names = "--max-runs", description = "Timed runs per contender at most (default: ${DEFAULT-VALUE}).", defaultValue = "50")
    int maxRuns;

    @Option(names = "--minilm-tokens", split = ",", description = "Tokens per sequence for the MiniLM embedding throughput (default: ${DEFAULT-VALUE}).",
            defaultValue = "128,512")
    List<Integer> minilmTokens;

    @Option(names = "--minilm-batch", split = ",", description = "Sequences per call for the MiniLM embedding throughput (default: ${DEFAULT-VALUE}).",
            defaultValue = "1,32")
    List<Integer> minilmBatch;


    private boolean rssMeasured;
    private TorchPeer torch;
    private OrtPeer ort;
    private final Random rng = new Random(7);

    @Override
    public void run() {
        validate();
        rssMeasured = ProcessMemory.available();
        try {
            if (peers.contains("pytorch")) torch = new TorchPeer();
            if (peers.contains("onnxruntime")) ort = new OrtPeer(Parallel.threads());
            System.out.println(new JsonLine().put("bench", "peers_setup").put("threads", Parallel.threads())
                    .put("pytorch", torch == null ? null : torch.version()).put("onnxruntime", ort == null ? null : ort.version())
                    .put("rss_measured", rssMeasured).put("score_budget_mib", scoreBudgetMib));
            if (ops.contains("sgemm")) sgemm();
            if (ops.contains("minilm")) minilm();
            for (int n : lengths) {
                AttentionShape shape = AttentionShape.self(1, dims.heads, n, dims.d);
                if (ops.contains("attention")) attentionForward(shape);
                if (ops.contains("backward")) attentionBackward(shape);
                if (ops.contains("topk")) topk(shape);
            }
        } finally {
            if (torch != null) torch.close();
            if (ort != null) ort.close();
        }
    }

    private void validate() {
        for (String op : ops) if (!OPS.contains(op)) throw new IllegalArgumentException("--ops: unknown operation '" + op + "'; known: " + OPS);
        for (String p : peers) if (!PEERS.contains(p)) throw new IllegalArgumentException("--peers: unknown peer '" + p + "'; known: " + PEERS);
        for (int n : lengths) if (n <= 0) throw new IllegalArgumentException("--n must be positive, got " + n);
        if (size <= 0 || size > 16384) throw new IllegalArgumentException("--size must be in 1..16384, got " + size);
        if (dims.d <= 0 || dims.heads <= 0) throw new IllegalArgumentException("--d and --heads must be positive, got d=" + dims.d + " heads=" + dims.heads);
        if (scoreBudgetMib <= 0) throw new IllegalArgumentException("--score-budget-mib must be positive, got " + scoreBudgetMib);
        for (int t : minilmTokens) if (t < 2 || t > 512) throw new IllegalArgumentException("--minilm-tokens must be in 2..512 (the model's positions), got " + t);
        for (int b : minilmBatch) if (b < 1 || b > 1024) throw new IllegalArgumentException("--minilm-batch must be in 1..1024, got " + b);
        if (minRuns <= 0 || maxRuns < minRuns) throw new IllegalArgumentException("need 0 < --min-runs <= --max-runs, got " + minRuns + ", " + maxRuns);
        if (topK < 1) throw new IllegalArgumentException("--topk must be at least 1, got " + topK);
        if (settleMillis < 0) throw new IllegalArgumentException("--settle-ms must be >= 0, got " + settleMillis);
        if (backwardMaxN < 0) throw new IllegalArgumentException("--backward-max-n must be >= 0, got " + backwardMaxN);
        if (runMillis < 0 || runMillis > 60_000) throw new IllegalArgumentException("--run-ms must be in 0..60000, got " + runMillis);
        if (!(minSeconds >= 0 && minSeconds <= 3600)) throw new IllegalArgumentException("--min-seconds must be in 0..3600, got " + minSeconds);
        for (int n : lengths) {
            long perPosition = (long) dims.heads * dims.d;
            if (perPosition * n > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("--n " + n + ": q of " + perPosition * n + " floats is over the 2^31 one array holds; --n up to " + (Integer.MAX_VALUE - 16) / perPosition);
            }
            // q, k, v and Canopy's output and its gradients, before any peer makes its own copies.
            HeapCheck.require(8 * 4 * perPosition * n, "bench peers --n " + n + ": q, k, v, outputs and gradients (8 tensors of " + perPosition * n + " floats)",
                    "at most --n " + HeapCheck.unitsThatFit(8 * 4 * perPosition) + " can fit with --d " + dims.d + " --heads " + dims.heads);
        }
    }

    /** One side of a comparison: how to run it once, and how to get its results for the agreement check. */
    private record Contender(String name, String kind, Runnable op, Supplier<float[][]> outputs, long workingBytes, AutoCloseable owner) {
        static Contender peer(String name, PeerOp op) {
            return new Contender(name, op.formulation(), op::run, op::outputs, -1, op);
        }
    }

    private void sgemm() {
        int m = size, n = size, k = size;
        float[] a = random(m * k), b = random(k * n), c = new float[m * n];
        List<Contender> cs = new ArrayList<>();
        cs.add(new Contender("canopy", "Sgemm.matmul", () -> Sgemm.matmul(m, n, k, a, b, c), () -> {
            Sgemm.matmul(m, n, k, a, b, c);
            return new float[][] {c};
        }, -1, null));
        if (torch != null) cs.add(Contender.peer("pytorch", torch.matmul(m, n, k, a, b)));
        if (ort != null) cs.add(Contender.peer("onnxruntime", ort.matmul(m, n, k, a, b)));
        compare("sgemm", size, 2.0 * m * n * k, cs);
    }

    private void attentionForward(AttentionShape s) {
        float[] q = random(s.qSize()), k = random(s.kSize()), v = random(s.vSize()), out = new float[s.outSize()];
        Attention exact = Attentions.create("exact", new AttentionSetup(s.heads(), s.d(), s.nq(), 1));
        long working = exact.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out).workingBytes();
        List<Contender> cs = new ArrayList<>();
        cs.add(new Contender("canopy", "exact", () -> exact.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out), () -> {
            exact.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out);
            return new float[][] {out};
        }, working, null));
        if (s.nq() == s.nk() && s.d() == s.dv()) cs.add(packedAttention(s, q, k, v));
        if (torch != null) cs.add(Contender.peer("pytorch", torch.attention(s, q, k, v, budget())));
        if (ort != null) {
            cs.add(Contender.peer("onnxruntime", ort.attention(s, q, k, v, budget())));
            cs.add(Contender.peer("onnxruntime-mha", ort.fusedAttention(s, q, k, v)));
        }
        compare("attention_forward", s.nq(), exactFlops(s), cs);
    }

    /**
     * The inference path's attention kernel (what embed runs) on the same inputs, laid out once, untimed, as the
     * token-major Q|K|V rows a fused projection writes: the layout ONNX Runtime's MultiHeadAttention reads too.
     */
    private static Contender packedAttention(AttentionShape s, float[] q, float[] k, float[] v) {
        int heads = s.heads(), d = s.d(), n = s.nq(), w = heads * d, tokens = s.batch() * n;
        PackedSelfAttention.Layout layout = PackedSelfAttention.Layout.fused(heads, d);
        float[][] tokenMajor = {OrtPeer.toTokenMajor(q, s.batch(), heads, n, d), OrtPeer.toTokenMajor(k, s.batch(), heads, n, d),
                OrtPeer.toTokenMajor(v, s.batch(), heads, n, d)};
        float[] qkv = new float[tokens * 3 * w], out = new float[tokens * w];
        for (int t = 0; t < tokens; t++) {
            for (int x = 0; x < 3; x++) System.arraycopy(tokenMajor[x], t * w, qkv, (3 * t + x) * w, w);
        }
        int[] starts = new int[s.batch() + 1];
        for (int b = 0; b < s.batch(); b++) starts[b + 1] = (b + 1) * n;
        Runnable run = () -> PackedSelfAttention.forward(starts, layout, qkv, out);
        return new Contender("canopy-packed", "PackedSelfAttention (the inference path), token-major Q|K|V rows", run, () -> {
            run.run();
            return new float[][] {OrtPeer.toHeadMajor(out, s.batch(), heads, n, d)};
        }, -1, null);
    }

    private void attentionBackward(AttentionShape s) {
        float[] q = random(s.qSize()), k = random(s.kSize()), v = random(s.vSize()), dOut = random(s.outSize());
        float[] out = new float[s.outSize()], dq = new float[s.qSize()], dk = new float[s.kSize()], dv = new float[s.vSize()];
        Attention exact = Attentions.create("exact", new AttentionSetup(s.heads(), s.d(), s.nq(), 1));
        Runnable canopy = () -> exact.backward(exact.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out), dOut, dq, dk, dv);
        long working = exact.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out).workingBytes();
        List<Contender> cs = new ArrayList<>();
        cs.add(new Contender("canopy", "exact forward+backward", canopy, () -> {
            canopy.run();
            return new float[][] {dq, dk, dv};
        }, working, null));
        if (torch != null && s.nq() <= backwardMaxN) {
            cs.add(Contender.peer("pytorch", torch.attentionForwardBackward(s, q, k, v, dOut)));
        } else if (torch != null) {
            note("attention_forward_backward", s.nq(), "pytorch skipped: autograd keeps every probability, about "
                    + (8L * s.pairs() * s.nq() * s.nk() >> 20) + " MiB; raise --backward-max-n to run it");
        }
        compare("attention_forward_backward", s.nq(), 3.5 * exactFlops(s), cs);
    }

    private void topk(AttentionShape s) {
        float[] q = random(s.qSize()), k = random(s.kSize()), v = random(s.vSize()), out = new float[s.outSize()];
        List<Contender> cs = new ArrayList<>();
        String spec = "topk:k=" + topK;
        try {
            Attention topk = Attentions.create(spec, new AttentionSetup(s.heads(), s.d(), s.nq(), 1));
            long working = topk.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out).workingBytes();
            cs.add(new Contender("canopy", spec, () -> topk.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out), () -> {
                topk.forward(s, q, k, v, AttentionMask.NONE, Pass.INFERENCE, out);
                return new float[][] {out};
            }, working, null));
        } catch (IllegalArgumentException e) {
            note("topk_forward", s.nq(), "canopy " + spec + " not available in this build (" + e.getMessage() + "); peers run alone");
        }
        if (torch != null) cs.add(Contender.peer("pytorch", torch.topk(s, q, k, v, topK, budget())));
        double flops = 2.0 * s.pairs() * s.nq() * s.nk() * s.d() + 4.0 * s.pairs() * s.nq() * topK * s.dv();
        compare("topk_forward", s.nq(), flops, cs);
    }

    /**
     * all-MiniLM-L6-v2 on batches of sequences: Canopy's inference path ({@link BertInference}, exact attention, dense
     * feed-forward) against ONNX Runtime running the original ONNX file on the same ids; at batch 1 also the
     * training-side {@link BertEncoder}, the path embed used before. Token ids are fixed pseudo-random words between
     * [CLS] and [SEP]. First a line on the weights' memory: Canopy's packed weights against the safetensors file.
     */
    private void minilm() {
        if (ort == null) {
            note("minilm_forward", minilmTokens.getFirst(), "needs --peers onnxruntime");
            return;
        }
        MiniLm model = MiniLm.inCache();
        Path onnx, safetensors;
        BertConfig config;
        BertInference inference;
        long heapBefore = usedHeapAfterGc();
        try {
            onnx = model.onnxFile();
            safetensors = model.safetensorsFile();
            config = BertConfig.read(model.configFile());
            inference = new BertInference(InferenceWeights.load(safetensors, config));
        } catch (IOException | RuntimeException e) {
            note("minilm_forward", minilmTokens.getFirst(), "MiniLM not available (" + e.getMessage() + "); skipped");
            return;
        }
        long heapRise = usedHeapAfterGc() - heapBefore;
        try {
            long disk = Files.size(safetensors), held = inference.weights().bytes();
            System.out.println(new JsonLine().put("bench", "peers_weights").put("op", "minilm").put("safetensors_bytes", disk)
                    .put("canopy_weight_bytes", held).put("canopy_heap_rise_bytes", heapRise).put("canopy_fraction_of_disk", (double) held / disk)
                    .put("onnx_bytes", Files.size(onnx)));
        } catch (IOException e) {
            throw new UncheckedIOException("reading the size of " + safetensors + ": " + e.getMessage(), e);
        }
        BertEncoder encoder = null;
        for (int tokens : minilmTokens) {
            for (int batchSize : minilmBatch) {
                int[][] batch = new int[batchSize][tokens];
                for (int[] ids : batch) {
                    ids[0] = 101;  // [CLS]
                    ids[tokens - 1] = 102;  // [SEP]
                    for (int i = 1; i < tokens - 1; i++) ids[i] = 1996 + rng.nextInt(20000);  // ordinary word pieces
                }
                List<Contender> cs = new ArrayList<>();
                cs.add(new Contender("canopy", "BertInference: packed batch, fused QKV, exact attention", () -> inference.hidden(batch),
                        () -> new float[][] {flatten(inference.hidden(batch))}, inference.workspaceBytes(batch), null));
                if (batchSize == 1) {
                    if (encoder == null) {
                        try {
                            encoder = new BertEncoder(BertWeights.load(safetensors, config), Attentions.parse("exact"), FeedForwardSpec.DENSE);
                        } catch (IOException e) {
                            throw new UncheckedIOException("reading " + safetensors + ": " + e.getMessage(), e);
                        }
                    }
                    BertEncoder e = encoder;
                    cs.add(new Contender("canopy-encoder", "BertEncoder (training-side layers), one sequence", () -> e.forward(batch[0]),
                            () -> new float[][] {e.forward(batch[0]).hidden()}, -1, null));
                }
                try {
                    cs.add(Contender.peer("onnxruntime", ort.bert(onnx, batch)));
                } catch (IOException e) {
                    throw new UncheckedIOException("reading " + onnx + ": " + e.getMessage(), e);
                }
                compare("minilm_forward", tokens, Double.NaN, cs, batchSize);
            }
        }
    }

    private static long usedHeapAfterGc() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    private static float[] flatten(float[][] rows) {
        int total = 0;
        for (float[] r : rows) total += r.length;
        float[] out = new float[total];
        int at = 0;
        for (float[] r : rows) {
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }

    /** Whether a contender is ours: "canopy", or a variant named "canopy-...". */
    private static boolean isCanopy(Contender c) {
        return c.name().equals("canopy") || c.name().startsWith("canopy-");
    }

    /**
     * Warms every contender up, checks the peers' results against Canopy's, then times them in alternating rounds
     * and prints one line per contender and one ratio line per (Canopy contender, peer).
     */
    private void compare(String op, int n, double flops, List<Contender> cs) {
        compare(op, n, flops, cs, 1);
    }

    /** As above; batch is the number of sequences one run processes (reported, with texts per second, for MiniLM). */
    private void compare(String op, int n, double flops, List<Contender> cs, int batch) {
        try {
            boolean hasCanopy = !cs.isEmpty() && cs.getFirst().name().equals("canopy");
            float[][] reference = hasCanopy ? copy(cs.getFirst().outputs().get()) : null;
            double[] maxDiff = new double[cs.size()], fractionOff = new double[cs.size()];
            long[] peakRise = new long[cs.size()];
            int[] calls = new int[cs.size()];
            for (int i = 0; i < cs.size(); i++) {
                // The warm-up run counts for memory: pooling allocators (ONNX Runtime's arena) grow only there.
                ProcessMemory.resetPeak();
                long before = ProcessMemory.residentBytes();
                cs.get(i).op().run();
                peakRise[i] = ProcessMemory.peakResidentBytes() - before;
                if (reference != null && i > 0) {
                    float[][] got = cs.get(i).outputs().get();
                    maxDiff[i] = maxAbsDiff(reference, got);
                    fractionOff[i] = fractionOver(reference, got, 1e-4);
                }
            }
            for (int i = 0; i < cs.size(); i++) calls[i] = callsPerRun(cs.get(i).op());
            double[][] times = new double[cs.size()][maxRuns];
            double[] total = new double[cs.size()];
            int rounds = 0;
            while (rounds < maxRuns && (rounds < minRuns || Arrays.stream(total).min().orElse(0) < minSeconds)) {
                for (int i = 0; i < cs.size(); i++) {
                    settle();
                    ProcessMemory.resetPeak();
                    long before = ProcessMemory.residentBytes();
                    long t0 = System.nanoTime();
                    for (int c = 0; c < calls[i]; c++) cs.get(i).op().run();
                    double t = (System.nanoTime() - t0) * 1e-9 / calls[i];
                    peakRise[i] = Math.max(peakRise[i], ProcessMemory.peakResidentBytes() - before);
                    times[i][rounds] = t;
                    total[i] += t * calls[i];
                }
                rounds++;
            }
            double[] median = new double[cs.size()];
            for (int i = 0; i < cs.size(); i++) {
                Contender c = cs.get(i);
                median[i] = Timer.median(Arrays.copyOf(times[i], rounds));
                JsonLine line = new JsonLine().put("bench", "peers").put("op", op).put("contender", c.name()).put("kind", c.kind())
                        .put("n", n);
                if (op.startsWith("attention") || op.startsWith("topk")) line.put("d", dims.d).put("heads", dims.heads);
                line.put("seconds", median[i]).put("gflops", flops / median[i] / 1e9).put("runs", rounds).put("calls_per_run", calls[i]);
                if (rssMeasured) line.put("peak_rss_rise_bytes", peakRise[i]);  // else VmHWM is the whole process's peak
                if (c.workingBytes() >= 0) line.put("working_bytes", c.workingBytes());
                if (op.equals("minilm_forward")) {
                    line.put("batch", batch).put("texts_per_second", batch / median[i]).put("tokens_per_second", (double) batch * n / median[i]);
                }
                // top-k: a near-tie at the k-th score can select a different key under other rounding; that shows
                // as a large max difference on a small fraction of the outputs
                if (reference != null && i > 0) line.put("max_abs_diff_vs_canopy", maxDiff[i]).put("fraction_off_by_1e-4", fractionOff[i]);
                System.out.println(line);
            }
            // One ratio per (Canopy contender, peer): "canopy" first, then any "canopy-..." variant of ours.
            for (int o = 0; o < cs.size() && hasCanopy; o++) {
                if (!isCanopy(cs.get(o))) continue;
                long canopyMemory = cs.get(o).workingBytes() >= 0 ? cs.get(o).workingBytes() : peakRise[o];
                for (int i = 0; i < cs.size(); i++) {
                    if (isCanopy(cs.get(i))) continue;
                    JsonLine ratio = new JsonLine().put("bench", "peers_ratio").put("op", op).put("n", n).put("peer", cs.get(i).name());
                    if (o > 0) ratio.put("canopy", cs.get(o).name());
                    if (op.equals("minilm_forward")) ratio.put("batch", batch);
                    ratio.put("canopy_seconds", median[o]).put("peer_seconds", median[i]).put("canopy_speedup", median[i] / median[o]);
                    if (rssMeasured && peakRise[i] > 0) ratio.put("canopy_memory_fraction", (double) canopyMemory / peakRise[i]);
                    System.out.println(ratio);
                }
            }
        } finally {
            for (Contender c : cs) {
                if (c.owner() != null) {
                    try {
                        c.owner().close();
                    } catch (Exception e) {
                        throw new IllegalStateException("closing " + c.name() + " failed: " + e.getMessage(), e);
                    }
                }
            }
        }
    }

    private long budget() {
        return scoreBudgetMib << 20;
    }

    private double exactFlops(AttentionShape s) {
        return 4.0 * s.pairs() * s.nq() * s.nk() * s.d();
    }

    private static void note(String op, int n, String message) {
        System.out.println(new JsonLine().put("bench", "peers_note").put("op", op).put("n", n).put("message", message));
    }

    private static float[][] copy(float[][] a) {
        float[][] c = new float[a.length][];
        for (int i = 0; i < a.length; i++) c[i] = a[i].clone();
        return c;
    }

    private static double maxAbsDiff(float[][] expected, float[][] actual) {
        if (expected.length != actual.length) return Double.NaN;
        double max = 0;
        for (int t = 0; t < expected.length; t++) {
            if (expected[t].length != actual[t].length) return Double.NaN;
            for (int i = 0; i < expected[t].length; i++) max = Math.max(max, Math.abs(expected[t][i] - actual[t][i]));
        }
        return max;
    }

    private static double fractionOver(float[][] expected, float[][] actual, double tolerance) {
        long over = 0, total = 0;
        for (int t = 0; t < Math.min(expected.length, actual.length); t++) {
            for (int i = 0; i < Math.min(expected[t].length, actual[t].length); i++) {
                if (Math.abs(expected[t][i] - actual[t][i]) > tolerance) over++;
                total++;
            }
        }
        return total == 0 ? Double.NaN : (double) over / total;
    }


    private float[] random(int n) {
        return KernelBench.random(rng, n);
    }

    /** Back-to-back calls per timed run: as many as fit in --run-ms on untimed calls. */
    private int callsPerRun(Runnable op) {
        if (runMillis == 0) return 1;
        int calls = 0;
        for (int pass = 0; pass < 2; pass++) { // the first pass warms up (JIT, caches, pools); the second counts
            long t0 = System.nanoTime(), budget = runMillis * 1_000_000L;
            calls = 0;
            do {
                op.run();
                calls++;
            } while (System.nanoTime() - t0 < budget && calls < 10_000);
        }
        return calls;
    }

    private void settle() {
        if (settleMillis <= 0) return;
        try {
            Thread.sleep(settleMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
