package dev.canopy.cli.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

public class EvalTest {
    @Test
    void mailsKeepSubjectAndBody() {
        String mail = "From x\r\nReceived: y\r\nsubject: Win money\r\nTo: z\r\n\r\nHello\r\nthere";
        assertEquals("Subject: Win money\n\nHello\nthere", EvalCorpora.subjectAndBody(mail));
    }

    @Test
    void roundRobinBalancesGroups() {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        groups.put("a", List.of("a1", "a2", "a3", "a4"));
        groups.put("b", List.of("b1"));
        groups.put("c", List.of("c1", "c2"));
        List<String> ids = EvalCorpora.roundRobin(groups, 5).stream().map(p -> p[0]).toList();
        assertEquals(List.of("a1", "b1", "c1", "a2", "c2"), ids);
        assertEquals(7, EvalCorpora.roundRobin(groups, 0).size());
    }

    @Test
    void percentileInterpolatesAndCosineIsScaleFree() {
        assertEquals(1.4, Metrics.percentile(new double[] {5, 1, 3, 2, 4}, 10), 1e-12);
        assertEquals(1.0, Metrics.cosine(new float[] {1, 2}, new float[] {2, 4}), 1e-12);
        assertEquals(0.0, Metrics.cosine(new float[] {1, 0}, new float[] {0, 3}), 1e-12);
    }

    @Test
    void probeAndNearestNeighbourSeparateClustersAndFailOnNoise() {
        Random rng = new Random(3);
        int n = 80, d = 6;
        float[][] x = new float[n][d], noise = new float[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) (rng.nextGaussian() * 0.3 + (j == 0 ? (y[i] == 1 ? 1 : -1) : 0));
                noise[i][j] = (float) rng.nextGaussian();
            }
        }
        assertEquals(1.0, Metrics.probeAccuracy(x, x, y, 5, 1), 0.03);
        assertEquals(1.0, Metrics.nearestNeighbourAccuracy(x, y), 0.05);
        // Labels unrelated to the features: the probe must be near chance, so the metric can fail.
        double chance = Metrics.probeAccuracy(noise, noise, y, 5, 1);
        assertEquals(0.5, chance, 0.2);
        // A probe fitted on one view and tested on another that lost the signal drops to chance too.
        double frozen = Metrics.probeAccuracy(x, noise, y, 5, 1);
        assertEquals(0.5, frozen, 0.2);
    }
}
