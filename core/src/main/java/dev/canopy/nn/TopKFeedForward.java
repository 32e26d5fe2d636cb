package dev.canopy.nn;

import dev.canopy.kernels.KeyLists;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.Sgemm;
import dev.canopy.kernels.SpecialFunctions;
import dev.canopy.kernels.TopKSelect;
import dev.canopy.kernels.VecOps;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Top-k feed-forward (Gupta et al. 2021, section "top-k in feed-forward layers"): the layer act(x·W1^T + b1)·W2 + b2
 * read as a key-value memory, where key j is row j of W1 (with bias b1[j]) and value j is row j of W2. Each token keeps
 * only the k largest pre-activation scores h_j = x·W1[j] + b1[j], applies the activation to those k, and outputs
 * b2 + sum over the kept j of act(h_j)·W2[j]. With k >= dFf it is the dense layer. Spec:
 * {@code topk-ffn:k=K[,chunk=C][,act=gelu|relu]}.
 *
 * <p>Layout (note): both weights are [dFf, dModel], so keys and values are contiguous rows. A PyTorch/ONNX checkpoint
 * stores W1 as [dFf, dModel] (Linear weight, as here) and W2 as [dModel, dFf] (transpose it when loading).
 *
 * <p>Selection is on the activation input, as the paper does for ReLU (where it equals selecting on the output). For
 * GELU, which is not monotone below zero, the paper gives no recipe; selecting on the input is our choice.
 *
 * <p>Forward: tokens in chunks of C rows; the chunk's scores (C x dFf, the only large buffer) come from one sgemm,
 * then each token selects with {@link TopKSelect} (ties: lower j). Saved for backward: the k indices and
 * pre-activations per token. Backward: per token, g_s = dOut·W2[j_s], dh_s = g_s·act'(h_s), dx = sum_s dh_s W1[j_s];
 * weight rows are gathered per key over the tokens that selected it ({@link KeyLists}), so no locks are needed.
 *
 * <p>FLOPs: forward 2·tokens·dFf·dModel (scores) + 2·dModel per selected (output); backward 8·dModel per selected
 * (g, dW2, dx, dW1). Working bytes: 8 per (token, slot) saved, C·dFf·4 for the chunk's scores; backward adds 8 per
 * (token, slot) and the key lists.
 */
public final class TopKFeedForward {

    /** Activation applied to the selected pre-activations. GELU is the exact (erf) form BERT uses. */
    public enum Activation {
        /** max(x, 0). */
        RELU,
        /** x·Φ(x), the exact (erf) form. */
        GELU;

        /**
         * An activation by name.
         *
         * @param name {@code relu} or {@code gelu}, any case
         * @return the activation
         * @throws IllegalArgumentException for any other name
         */
        public static Activation parse(String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "relu" -> RELU;
                case "gelu" -> GELU;
                default -> throw new IllegalArgumentException("topk-ffn: act=" + name + " is not one of relu, gelu");
            };
        }

        /**
         * The activation of one value.
         *
         * @param x a pre-activation
         * @return its activation
         */
        public float apply(float x) {
            return switch (this) {
                case RELU -> x > 0f ? x : 0f;
                case GELU -> (float) (0.5 * x * (1.0 + SpecialFunctions.erf((float) (x / Math.sqrt(2.0)))));
            };
        }

        /**
         * The derivative at one value.
         *
         * @param x a pre-activation
         * @return the activation's derivative there
         */
        public float derivative(float x) {
            return switch (this) {
                case RELU -> x > 0f ? 1f : 0f;
                case GELU -> (float) (0.5 * (1.0 + SpecialFunctions.erf((float) (x / Math.sqrt(2.0)))) + x * Math.exp(-0.5 * (double) x * x) / Math.sqrt(2 * Math.PI));
            };
        }
    }

    /**
     * Parsed {@code topk-ffn:k=K[,chunk=C][,act=gelu|relu]}.
     *
     * @param k          hidden units kept per token
     * @param chunk      tokens scored at once (bounds the score buffer)
     * @param activation applied to the kept pre-activations
     */
    public record Config(int k, int chunk, Activation activation) {
        public static final int DEFAULT_CHUNK = 1024;

        /** Checks that k and chunk are positive. */
        public Config {
            if (k < 1) throw new IllegalArgumentException("topk-ffn: k must be >= 1, got k=" + k);
            if (chunk < 1) throw new IllegalArgumentException("topk-ffn: chunk must be >= 1 tokens, got chunk=" + chunk);
            if (activation == null) throw new IllegalArgumentException("topk-ffn: activation is missing");
        }

        /**
         * Parses a spec.
         *
         * @param spec {@code topk-ffn:k=K[,chunk=C][,act=gelu|relu]}
         * @return the configuration
         * @throws IllegalArgumentException naming the option at fault
         */
        public static Config parse(String spec) {
            if (spec == null || spec.isBlank()) throw new IllegalArgumentException("topk-ffn spec is empty; expected e.g. topk-ffn:k=64");
            String text = spec.trim();
            int colon = text.indexOf(':');
            String name = (colon < 0 ? text : text.substring(0, colon)).trim();
            if (!name.equalsIgnoreCase("topk-ffn")) throw new IllegalArgumentException("feed-forward spec '" + spec + "' is not topk-ffn:k=K[,chunk=C][,act=gelu|relu]");
            Integer k = null;
            int chunk = DEFAULT_CHUNK;
            Activation act = Activation.GELU;
            if (colon >= 0) {
                for (String part : text.substring(colon + 1).split(",")) {
                    if (part.isBlank()) continue;
                    int eq = part.indexOf('=');
                    if (eq <= 0) throw new IllegalArgumentException("topk-ffn spec '" + spec + "': option '" + part.trim() + "' is not of the form key=value");
                    String key = part.substring(0, eq).trim(), value = part.substring(eq + 1).trim();
                    switch (key) {
                        case "k" -> k = integer(key, value);
                        case "chunk" -> chunk = integer(key, value);
                        case "act" -> act = Activation.parse(value);
                        default -> throw new IllegalArgumentException("topk-ffn has no option '" + key + "'; known options: k, chunk, act");
                    }
                }
            }
            if (k == null) throw new IllegalArgumentException("topk-ffn needs option k (hidden units kept per token), e.g. topk-ffn:k=64");
            return new Config(k, chunk, act);
        }

        private static int integer(String key, String value) {
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("topk-ffn: option " + key + "=" + value + " is not an integer");
            }
        }

        /** {@return the spec that parses back to this configuration} */
        public String spec() {
            return "topk-ffn:k=" + k + ",chunk=" + chunk + ",act=" + activation.name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What backward needs: the input by reference and, per token, k slots of (index or -1, pre-activation).
     *
     * @param x             the input, by reference
     * @param tokens        tokens
     * @param idx           [tokens, k] kept unit per slot, or -1
     * @param pre           [tokens, k] their pre-activations
     * @param flops         FLOPs of the forward
     * @param backwardFlops FLOPs of the matching backward
     * @param workingBytes  bytes kept or allocated beyond inputs and outputs
     */
    public record Saved(float[] x, int tokens, int[] idx, float[] pre, long flops, long backwardFlops, long workingBytes) {}

    /** Width of the tokens in and out. */
    public final int dModel;
    /** Hidden units (keys), of which each token keeps k. */
    public final int dFf;
    /** k, chunk and activation. */
    public final Config config;
    /** W1 [dFf, dModel]: row j is key j. */
    public final Parameter keys;
    /** b1 [dFf]. */
    public final Parameter keyBias;
    /** W2 [dFf, dModel]: row j is value j. */
    public final Parameter values;
    /** b2 [dModel]. */
    public final Parameter outBias;

    /**
     * Weights drawn from N(0, 0.02^2) (BERT's initialiser), biases zero.
     *
     * @param name   prefix of the parameters' names
     * @param dModel width of the tokens
     * @param dFf    hidden units
     * @param config k, chunk and activation
     * @param seed   seed of the initialisation
     */
    public TopKFeedForward(String name, int dModel, int dFf, Config config, long seed) {
        if (dModel < 1 || dFf < 1) throw new IllegalArgumentException("topk-ffn needs positive dModel and dFf, got " + dModel + ", " + dFf);
        this.dModel = dModel;
        this.dFf = dFf;
        this.config = config;
        this.keys = new Parameter(name + ".w1", true, dFf, dModel);
        this.keyBias = new Parameter(name + ".b1", false, dFf);
        this.values = new Parameter(name + ".w2", true, dFf, dModel);
        this.outBias = new Parameter(name + ".b2", false, dModel);
        long s1 = CounterRng.mix(seed, 1), s2 = CounterRng.mix(seed, 2);
        for (int i = 0; i < keys.size(); i++) keys.data[i] = 0.02f * CounterRng.gaussian(s1, i);
        for (int i = 0; i < values.size(); i++) values.data[i] = 0.02f * CounterRng.gaussian(s2, i);
    }

    /** {@return keys, key bias, values, output bias} */
    public List<Parameter> parameters() {
        return List.of(keys, keyBias, values, outBias);
    }

    private static final ThreadLocal<TopKSelect[]> SELECT = ThreadLocal.withInitial(() -> new TopKSelect[1]);

    private static TopKSelect selector(int k) {
        TopKSelect[] holder = SELECT.get();
        if (holder[0] == null || holder[0].k() != k) holder[0] = new TopKSelect(k);
        return holder[0];
    }

    /**
     * out[tokens, dModel] = the top-k feed-forward of x[tokens, dModel]. x is kept by reference for backward: leave it unchanged until then.
     *
     * @param x      input [tokens, dModel]
     * @param tokens tokens
     * @param out    written: output [tokens, dModel]
     * @return what backward needs, and the costs
     */
    public Saved forward(float[] x, int tokens, float[] out) {
        check("x", x, tokens);
        check("out", out, tokens);
        int k = Math.min(config.k(), dFf);   // a token can never select more units than exist
        long slots = (long) tokens * k;
        if (slots > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("topk-ffn: tokens*k = " + slots + " exceeds 2^31");
        int chunkRows = Math.min(config.chunk(), tokens);
        if ((long) chunkRows * dFf > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("topk-ffn: chunk*dFf exceeds 2^31 floats; use a smaller chunk");
        int[] idx = new int[(int) slots];
        float[] pre = new float[(int) slots];
        float[] scores = new float[chunkRows * dFf];
        float[] w1 = keys.data, b1 = keyBias.data, w2 = values.data, b2 = outBias.data;
        Activation act = config.activation();
        for (int t0 = 0; t0 < tokens; t0 += chunkRows) {
            int rows = Math.min(chunkRows, tokens - t0);
            final int first = t0;
            Sgemm.matmulTransB(rows, dFf, dModel, x, t0 * dModel, dModel, w1, 0, dModel, scores, 0, dFf, false);
            Parallel.forRanges(rows, 4, (a, b) -> {
                TopKSelect select = selector(k);
                for (int r = a; r < b; r++) {
                    int t = first + r;
                    VecOps.axpy(1f, b1, 0, scores, r * dFf, dFf);
                    int slot = t * k;
                    int count = select.select(scores, r * dFf, dFf, idx, pre, slot);
                    Arrays.fill(idx, slot + count, slot + k, -1);
                    System.arraycopy(b2, 0, out, t * dModel, dModel);
                    for (int s = 0; s < count; s++) {
                        float h = act.apply(pre[slot + s]);
                        if (h != 0f) VecOps.axpy(h, w2, idx[slot + s] * dModel, out, t * dModel, dModel);
                    }
                }
            });
        }
        long selected = (long) tokens * k;
        long flops = 2L * tokens * dFf * dModel + 2L * dModel * selected;
        long saved = 8L * slots;
        long forwardBytes = saved + 4L * chunkRows * dFf;
        long backwardBytes = saved + 8L * slots + KeyLists.bytes(slots, dFf);
        return new Saved(x, tokens, idx, pre, flops, 8L * dModel * selected, Math.max(forwardBytes, backwardBytes));
    }

    /**
     * Writes dx (overwritten) and adds the weight and bias gradients into the parameters' grad arrays.
     *
     * @param saved what the forward returned
     * @param dOut  gradient of the output [tokens, dModel]
     * @param dx    written: gradient of the input [tokens, dModel]
     */
    public void backward(Saved saved, float[] dOut, float[] dx) {
        int tokens = saved.tokens();
        check("dOut", dOut, tokens);
        check("dx", dx, tokens);
        int k = Math.min(config.k(), dFf);   // a token can never select more units than exist
        float[] x = saved.x(), pre = saved.pre();
        int[] idx = saved.idx();
        float[] w1 = keys.data, w2 = values.data;
        Activation act = config.activation();
        float[] aCoef = new float[tokens * k];    // act(h): dW2[j] += a * dOut_t
        float[] dhCoef = new float[tokens * k];   // dLoss/dh: dW1[j] += dh * x_t, db1[j] += dh
        Parallel.forRanges(tokens, 4, (a, b) -> {
            for (int t = a; t < b; t++) {
                Arrays.fill(dx, t * dModel, (t + 1) * dModel, 0f);
                for (int s = 0; s < k; s++) {
                    int slot = t * k + s;
                    int j = idx[slot];
                    if (j < 0) break;
                    float h = pre[slot];
                    aCoef[slot] = act.apply(h);
                    float dAct = act.derivative(h);
                    float dh = dAct == 0f ? 0f : VecOps.dot(dOut, t * dModel, w2, j * dModel, dModel) * dAct;
                    dhCoef[slot] = dh;
                    if (dh != 0f) VecOps.axpy(dh, w1, j * dModel, dx, t * dModel, dModel);
                }
            }
        });
        KeyLists lists = KeyLists.build(idx, 0, tokens, k, dFf);
        float[] gw1 = keys.gradTarget(), gb1 = keyBias.gradTarget(), gw2 = values.gradTarget(), gb2 = outBias.gradTarget();
        Parallel.forRanges(dFf, 8, (a, b) -> {
            for (int j = a; j < b; j++) {
                double biasSum = 0;
                for (int e = lists.offsets[j]; e < lists.offsets[j + 1]; e++) {
                    int slot = lists.entries[e];
                    int t = slot / k;
                    float av = aCoef[slot], dh = dhCoef[slot];
                    if (av != 0f) VecOps.axpy(av, dOut, t * dModel, gw2, j * dModel, dModel);
                    if (dh != 0f) VecOps.axpy(dh, x, t * dModel, gw1, j * dModel, dModel);
                    biasSum += dh;
                }
                gb1[j] += (float) biasSum;
            }
        });
        Parallel.forRanges(dModel, 16, (a, b) -> {
            for (int c = a; c < b; c++) {
                double sum = 0;
                for (int t = 0; t < tokens; t++) sum += dOut[t * dModel + c];
                gb2[c] += (float) sum;
            }
        });
    }

    private void check(String name, float[] a, int tokens) {
        if (tokens < 1) throw new IllegalArgumentException("topk-ffn: tokens must be >= 1, got " + tokens);
        long expected = (long) tokens * dModel;
        if (a == null || a.length != expected) {
            throw new IllegalArgumentException("topk-ffn: " + name + " has " + (a == null ? "no" : a.length) + " floats but [tokens=" + tokens + ", dModel=" + dModel + "] needs " + expected);
        }
    }
}
