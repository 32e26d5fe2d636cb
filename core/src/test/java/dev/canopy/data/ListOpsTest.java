package dev.canopy.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ListOpsTest {
    private static final ListOps.Config TINY = new ListOps.Config(10, 10, 20, 120, 300, 50, 50);

    @Test
    void lengthsAreStrictlyInsideTheRangeAndExamplesAreDistinct() {
        ListOps.Splits s = new ListOps(TINY, 7).generate();
        assertEquals(300, s.train().size());
        assertEquals(50, s.valid().size());
        assertEquals(50, s.test().size());
        Set<String> seen = new HashSet<>();
        for (List<ListOps.Example> split : List.of(s.train(), s.valid(), s.test())) {
            for (ListOps.Example e : split) {
                assertTrue(e.tokens().length > 20 && e.tokens().length < 120, "length " + e.tokens().length);
                assertTrue(seen.add(ListOpsVocab.toText(e.tokens())), "duplicate example");
            }
        }
    }

    @Test
    void labelsMatchAnIndependentEvaluationOfTheTokens() {
        for (ListOps.Example e : new ListOps(TINY, 11).generate().train()) {
            assertEquals(ListOps.evaluate(e.tokens()), e.label(), ListOpsVocab.toText(e.tokens()));
            assertEquals(ListOpsVocab.isOperator(e.tokens()[0]), true, "the root is an operator (a bare digit is too short)");
            assertEquals(ListOpsVocab.CLOSE, e.tokens()[e.tokens().length - 1], "brackets are kept");
        }
    }

    @Test
    void sameSeedSameData_otherSeedOtherData() {
        var a = new ListOps(TINY, 3).generate().train();
        var b = new ListOps(TINY, 3).generate().train();
        var c = new ListOps(TINY, 4).generate().train();
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i).tokens(), b.get(i).tokens());
        assertNotEquals(ListOpsVocab.toText(a.get(0).tokens()), ListOpsVocab.toText(c.get(0).tokens()));
    }

    @Test
    void operatorSemanticsFollowLra() {
        assertEquals(3, ListOps.apply(ListOps.Op.MED, new int[] {4, 3})); // int(median(3, 4)) = int(3.5)
        assertEquals(5, ListOps.apply(ListOps.Op.MED, new int[] {9, 5, 1}));
        assertEquals(2, ListOps.apply(ListOps.Op.SM, new int[] {5, 7}));
        assertEquals(1, ListOps.apply(ListOps.Op.MIN, new int[] {8, 1, 4}));
        assertEquals(8, ListOps.apply(ListOps.Op.MAX, new int[] {8, 1, 4}));
        int[] t = ListOpsVocab.fromText("( ( ( [MAX 2 ) ( ( ( [MIN 7 ) 4 ) ] ) ) ] )"); // LRA's parenthesised form
        assertEquals("[MAX 2 [MIN 7 4 ] ]", ListOpsVocab.toText(t));
        assertEquals(4, ListOps.evaluate(t));
    }

    @Test
    void labelDistributionIsSkewedLikeLras() {
        // LRA's generator gives about 17% zeros and 17% nines (MIN and MAX pull to the ends): a check that the tree
        // sampling probabilities are right, not only the evaluation.
        var train = new ListOps(new ListOps.Config(10, 10, 20, 400, 2000, 0, 0), 5).generate().train();
        int[] counts = new int[10];
        for (var e : train) counts[e.label()]++;
        double zeros = counts[0] / 2000.0, nines = counts[9] / 2000.0, fives = counts[5] / 2000.0;
        assertTrue(zeros > 0.12 && zeros < 0.24, "share of 0: " + zeros);
        assertTrue(nines > 0.12 && nines < 0.24, "share of 9: " + nines);
        assertTrue(fives > 0.04 && fives < 0.13, "share of 5: " + fives);
    }

    @Test
    void badConfigsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new ListOps.Config(10, 10, 100, 101, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> ListOps.preset("huge"));
        assertThrows(IllegalArgumentException.class, () -> ListOpsVocab.fromText("[FOO 1 ]"));
    }
}
