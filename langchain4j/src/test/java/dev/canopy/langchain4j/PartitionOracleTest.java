package dev.canopy.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.langchain4j.model.embedding.onnx.UntruncatedBiEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Our part boundaries against langchain4j's own partition function, on random token lists. */
class PartitionOracleTest {

    @Test
    void partsEqualLangChain4jsOnRandomTokenLists() {
        Random rng = new Random(7);
        for (int round = 0; round < 3000; round++) {
            int size = 1 + rng.nextInt(round < 1500 ? 8 : 600);
            int n = rng.nextInt(4 * size + 3);
            double continuation = rng.nextDouble(); // from no "##" at all to words longer than a part
            List<String> tokens = new ArrayList<>(n + 2);
            tokens.add("[CLS]");
            for (int i = 0; i < n; i++) tokens.add(rng.nextDouble() < continuation ? "##p" + i : "w" + i);
            tokens.add("[SEP]");

            List<Integer> expected = UntruncatedBiEncoder.partition(tokens, size).stream().map(List::size).toList();
            List<Integer> actual = new LongTexts.Partitions(size).parts(n, k -> tokens.get(k + 1).startsWith("##"))
                    .stream().map(LongTexts.Part::length).toList();
            assertEquals(expected, actual, "size " + size + ", tokens " + tokens);
        }
    }
}
