package dev.canopy.testing;

import dev.canopy.data.Sample;
import dev.canopy.data.TaskData;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A tiny classification task for trainer tests: label = whether token 3 occurs anywhere in the sequence. */
public final class ContainsTask {
    private ContainsTask() {}

    /** count sequences of 4-15 tokens from a vocabulary of 10, the first three quarters for training. */
    public static TaskData of(int count, long seed) {
        Random rng = new Random(seed);
        List<Sample> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int n = 4 + rng.nextInt(12);
            int[] t = new int[n];
            for (int j = 0; j < n; j++) t[j] = 4 + rng.nextInt(6);
            boolean has = rng.nextBoolean();
            if (has) t[rng.nextInt(n)] = 3;
            all.add(new Sample(t, has ? 1 : 0));
        }
        return new TaskData("contains", 10, 2, 16, false, all.subList(0, count * 3 / 4), all.subList(count * 3 / 4, count), List.of());
    }
}
