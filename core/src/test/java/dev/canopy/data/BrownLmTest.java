package dev.canopy.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BrownLmTest {
    /** Documents whose text names them ("doc7 doc7 ..."), three genres. */
    static List<BrownCorpus.Document> docs() {
        List<BrownCorpus.Document> docs = new ArrayList<>();
        String[] genres = {"news", "humor", "romance"};
        for (int i = 0; i < 30; i++) {
            docs.add(new BrownCorpus.Document("c" + i, genres[i % 3], ("doc" + i + " ").repeat(40).trim().getBytes(StandardCharsets.UTF_8)));
        }
        return docs;
    }

    static Set<String> names(List<byte[]> streams) {
        Set<String> out = new HashSet<>();
        for (byte[] s : streams) for (String w : new String(s, StandardCharsets.UTF_8).split("\\s+")) if (!w.isEmpty()) out.add(w);
        return out;
    }

    @Test
    void wholeDocumentsAreHeldOutPerGenreAndNoDocumentIsInTwoSplits() {
        BrownLm lm = new BrownLm(docs(), 16, 3);
        Set<String> train = names(lm.streams().train()), valid = names(lm.streams().valid()), test = names(lm.streams().test());
        assertEquals(3, lm.streams().test().size(), "one stream per genre");
        assertEquals(30, train.size() + valid.size() + test.size());
        assertTrue(valid.size() == 3 && test.size() == 3, "one of ten documents per genre in each held-out split: " + valid + " " + test);
        for (String d : test) assertFalse(train.contains(d) || valid.contains(d), d);
    }

    @Test
    void everyPositionPredictsTheNextByte() {
        BrownLm lm = new BrownLm(docs(), 16, 3);
        TaskData task = lm.task(5);
        assertEquals(256, task.classes());
        assertEquals(5, task.test().size());
        for (Sample s : List.of(task.train().get(0), task.train().get(12345), task.test().get(4))) {
            assertEquals(16, s.tokens().length);
            for (int t = 0; t + 1 < 16; t++) assertEquals(s.tokens()[t + 1], Vocab.byteToken((byte) s.targets()[t]));
        }
        assertArrayEquals(task.train().get(777).tokens(), task.train().get(777).tokens(), "training windows are a pure function of the index");
    }

    @Test
    void theUnigramBaselineIsTheHeldOutEntropyUnderTrainingCounts() {
        BrownLm lm = new BrownLm(docs(), 16, 3);
        double bpb = lm.unigramBitsPerByte("test");
        assertTrue(bpb > 2 && bpb < 4, "digits, 'doc' and spaces: " + bpb);
        assertThrows(IllegalArgumentException.class, () -> new BrownLm(docs(), 100_000, 3));
    }
}
