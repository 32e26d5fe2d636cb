package dev.canopy.decode;

import dev.canopy.nn.CounterRng;

/**
 * Picks the next token from logits: temperature 0 is greedy (arg-max); otherwise softmax(logits / temperature),
 * cut to the smallest set of most likely tokens whose probability reaches topP (nucleus sampling), then one draw.
 * Draw i is a pure function of (seed, i), so a seed reproduces a generation. Scratch is allocated once.
 */
public final class Sampler {
    private final double temperature, topP;
    private final long seed;
    private final double[] p;
    private final Integer[] order;
    private long draws;

    /**
     * A sampler over a fixed number of classes.
     *
     * @param classes     logits per call
     * @param temperature 0 for greedy, else > 0
     * @param topP        in (0, 1]
     * @param seed        seed of the draws
     */
    public Sampler(int classes, double temperature, double topP, long seed) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new IllegalArgumentException("--temperature must be a number >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("--top-p must be in (0, 1], got " + topP);
        this.temperature = temperature;
        this.topP = topP;
        this.seed = seed;
        p = new double[classes];
        order = new Integer[classes];
    }

    /**
     * The next token.
     *
     * @param logits one logit per class
     * @return the class drawn
     */
    public int next(float[] logits) {
        int n = p.length, best = 0;
        for (int c = 1; c < n; c++) if (logits[c] > logits[best]) best = c;
        if (temperature == 0) return best;
        double max = logits[best], sum = 0;
        for (int c = 0; c < n; c++) sum += p[c] = Math.exp((logits[c] - max) / temperature);
        for (int c = 0; c < n; c++) {
            p[c] /= sum;
            order[c] = c;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        int kept = 0;
        double mass = 0;
        while (kept < n && mass < topP) mass += p[order[kept++]];
        double u = (CounterRng.hash(seed, draws++) >>> 11) * 0x1.0p-53 * mass, acc = 0;
        for (int i = 0; i < kept; i++) {
            acc += p[order[i]];
            if (u < acc) return order[i];
        }
        return order[kept - 1];
    }
}
