package dev.canopy.train;

import dev.canopy.data.Sample;
import dev.canopy.nn.CounterRng;
import java.util.ArrayList;
import java.util.List;

/**
 * Which examples form the batch of each step: position p of the run's example stream is example
 * perm_e[p mod N] of epoch e = p / N, with a permutation drawn from (seed, epoch). The stream is a pure function of
 * the step, so resuming at step t needs no saved generator state and sees exactly the batches a straight run sees.
 */
public final class DataOrder {
    private final List<Sample> examples;
    private final long seed;
    private int cachedEpoch = -1;
    private int[] perm;

    public DataOrder(List<Sample> examples, long seed) {
        this.examples = examples;
        this.seed = seed;
    }

    public List<Sample> batch(int step, int batchSize) {
        List<Sample> out = new ArrayList<>(batchSize);
        int n = examples.size();
        for (int i = 0; i < batchSize; i++) {
            long p = (long) step * batchSize + i;
            int epoch = (int) (p / n);
            out.add(examples.get(permutation(epoch)[(int) (p % n)]));
        }
        return out;
    }

    private int[] permutation(int epoch) {
        if (epoch != cachedEpoch) {
            int n = examples.size();
            perm = new int[n];
            for (int i = 0; i < n; i++) perm[i] = i;
            long s = CounterRng.mix(seed, epoch);
            for (int i = n - 1; i > 0; i--) { // Fisher-Yates with counter-based draws
                int j = (int) ((CounterRng.hash(s, i) >>> 1) % (i + 1));
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            cachedEpoch = epoch;
        }
        return perm;
    }
}
