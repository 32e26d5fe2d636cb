package dev.canopy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** The shared lane reductions give each vector exactly the bits a reduction of that vector alone gives. */
class LaneReduceTest {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = LaneReduce.LANES;

    @Test
    void slotsArePermutation() {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < L; i++) seen.add(LaneReduce.slot(i));
        assertEquals(L, seen.size());
        for (int s : seen) assertEquals(true, s >= 0 && s < L);
    }

    @Test
    void sumsHaveVecOpsSumBitsAndMaximaReduceLanesValues() {
        Random rng = new Random(11);
        float[] park = new float[LaneReduce.parkSize()], vectors = new float[L * L];
        for (int trial = 0; trial < 2_000; trial++) { // enough calls for C2 to compile both paths
            for (int i = 0; i < vectors.length; i++) vectors[i] = value(rng);
            for (int i = 0; i < L; i++) System.arraycopy(vectors, i * L, park, LaneReduce.slot(i) * L, L);
            LaneReduce.sums(park, L * L);
            for (int i = 0; i < L; i++) {
                float expected = VecOps.sum(FloatVector.fromArray(S, vectors, i * L));
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(park[L * L + i]), "sum of vector " + i + " (trial " + trial + ")");
            }
            for (int i = 0; i < L; i++) System.arraycopy(vectors, i * L, park, LaneReduce.slot(i) * L, L);
            LaneReduce.maxima(park, L * L);
            for (int i = 0; i < L; i++) {
                float expected = FloatVector.fromArray(S, vectors, i * L).reduceLanes(VectorOperators.MAX);
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(park[L * L + i]), "max of vector " + i + " (trial " + trial + ")");
            }
        }
    }

    /** Mostly ordinary values of mixed magnitude (so the summation order shows in the bits), some infinities and zeros. */
    static float value(Random rng) {
        return switch (rng.nextInt(40)) {
            case 0 -> Float.NEGATIVE_INFINITY;
            case 1 -> -0f;
            case 2 -> 0f;
            default -> (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(7) - 3));
        };
    }
}
