package dev.canopy.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Test sentences: plain English words in varied lengths, reproducible from a seed. */
final class Texts {
    private Texts() {}

    private static final String[] WORDS = ("the a tree grows in the quiet forest where rivers meet under old stone bridges and children "
            + "read long books about distant islands while the wind carries seeds across fields of barley near small towns").split(" ");

    static List<String> sentences(int count, int minWords, int maxWords, long seed) {
        Random rng = new Random(seed);
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int n = minWords + rng.nextInt(maxWords - minWords + 1);
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < n; w++) sb.append(w == 0 ? "" : " ").append(WORDS[rng.nextInt(WORDS.length)]);
            out.add(sb.append('.').toString());
        }
        return out;
    }
}
