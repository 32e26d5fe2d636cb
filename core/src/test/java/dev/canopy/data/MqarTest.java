package dev.canopy.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MqarTest {
    static Mqar generator(int n, int pairs, int vocab, long seed) {
        return new Mqar(new Mqar.Config(n, pairs, vocab, 50, 5, 5), seed);
    }

    @Test
    void pairsComeFirstAndEveryKeyIsQueriedOnceForItsValue() {
        int n = 64, pairs = 6, vocab = 40;
        int keyEnd = Mqar.FIRST_TOKEN + (vocab - 2) / 2; // keys [2, 21), values [21, 40)
        Mqar g = generator(n, pairs, vocab, 3);
        for (int i = 0; i < 20; i++) {
            Sample s = g.example(0, i);
            int[] tok = s.tokens(), tgt = s.targets();
            assertEquals(n, tok.length);
            java.util.Map<Integer, Integer> valueOf = new java.util.HashMap<>();
            Set<Integer> values = new HashSet<>();
            for (int j = 0; j < pairs; j++) {
                int k = tok[2 * j], v = tok[2 * j + 1];
                assertTrue(k >= Mqar.FIRST_TOKEN && k < keyEnd, "key " + k);
                assertTrue(v >= keyEnd && v < vocab, "value " + v);
                assertNull(valueOf.put(k, v), "keys are distinct");
                assertTrue(values.add(v), "values are distinct");
                assertEquals(-1, tgt[2 * j]);
                assertEquals(-1, tgt[2 * j + 1]);
            }
            Set<Integer> queried = new HashSet<>();
            for (int t = 2 * pairs; t < n; t++) {
                assertTrue(tok[t] >= Mqar.FIRST_TOKEN && tok[t] < vocab, "filler is a real token, never PAD or CLS");
                if (tgt[t] < 0) continue;
                assertEquals(0, (t - 2 * pairs) % 2, "queries sit at even offsets of the query region");
                assertEquals(valueOf.get(tok[t]), tgt[t], "a query's target is its key's value");
                assertTrue(queried.add(tok[t]));
            }
            assertEquals(valueOf.keySet(), queried, "every key is queried exactly once");
        }
    }

    @Test
    void theAnswerIsNotWrittenAfterItsQuery() {
        // With 4 values a written answer would show at once; filler matches the answer by chance only (1 in 8 here).
        int n = 40, pairs = 4, vocab = 10;
        Mqar g = generator(n, pairs, vocab, 5);
        int queries = 0, next = 0, later = 0, laterPositions = 0;
        for (int i = 0; i < 500; i++) {
            Sample s = g.example(0, i);
            for (int t = 2 * pairs; t < n; t++) {
                if (s.targets()[t] < 0) continue;
                queries++;
                if (t + 1 < n && s.tokens()[t + 1] == s.targets()[t]) next++;
                for (int u = t + 1; u < n; u++, laterPositions++) if (s.tokens()[u] == s.targets()[t]) later++;
            }
        }
        assertEquals(500 * pairs, queries);
        assertTrue(next < 0.2 * queries, "answer right after its query in " + next + " of " + queries);
        assertTrue(later < 0.2 * laterPositions, "answer somewhere after its query at " + later + " of " + laterPositions + " positions");
    }

    @Test
    void queryOffsetsFollowAPowerLaw() {
        // 208 slots: uniform offsets would put half the queries in the first 104; 1/g weights put ~87% there.
        int n = 424, pairs = 4;
        Mqar g = generator(n, pairs, 64, 9);
        int early = 0, total = 0;
        for (int i = 0; i < 300; i++) {
            Sample s = g.example(0, i);
            for (int t = 2 * pairs; t < n; t++) {
                if (s.targets()[t] < 0) continue;
                total++;
                if ((t - 2 * pairs) / 2 < 104) early++;
            }
        }
        assertTrue(early > 0.75 * total, early + " of " + total + " queries in the first half of the slots");
        assertTrue(early < total, "some queries are far away");
    }

    @Test
    void examplesAreAFunctionOfSeedSplitAndIndex() {
        Mqar a = generator(64, 4, 30, 1), b = generator(64, 4, 30, 1), c = generator(64, 4, 30, 2);
        assertArrayEquals(a.example(0, 7).tokens(), b.example(0, 7).tokens());
        assertArrayEquals(a.example(0, 7).targets(), b.example(0, 7).targets());
        assertFalse(java.util.Arrays.equals(a.example(0, 7).tokens(), a.example(0, 8).tokens()));
        assertFalse(java.util.Arrays.equals(a.example(0, 7).tokens(), a.example(1, 7).tokens()), "splits differ");
        assertFalse(java.util.Arrays.equals(a.example(0, 7).tokens(), c.example(0, 7).tokens()), "seeds differ");
        TaskData task = a.task();
        assertTrue(task.tokenLevel());
        assertEquals(30, task.classes());
        assertEquals(64, task.maxLength());
        assertEquals(50, task.train().size());
        assertArrayEquals(a.example(2, 3).tokens(), task.test().get(3).tokens());
    }

    @Test
    void badOptionsAreRefusedNamingTheOption() {
        var tooFewKeys = assertThrows(IllegalArgumentException.class, () -> new Mqar.Config(256, 32, 60, 1, 1, 1));
        assertTrue(tooFewKeys.getMessage().contains("--vocab"), tooFewKeys.getMessage());
        var tooShort = assertThrows(IllegalArgumentException.class, () -> new Mqar.Config(100, 32, 512, 1, 1, 1));
        assertTrue(tooShort.getMessage().contains("--n"), tooShort.getMessage());
        var noPairs = assertThrows(IllegalArgumentException.class, () -> new Mqar.Config(100, 0, 512, 1, 1, 1));
        assertTrue(noPairs.getMessage().contains("--pairs"), noPairs.getMessage());
    }
}
