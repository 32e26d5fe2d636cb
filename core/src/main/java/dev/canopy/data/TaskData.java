package dev.canopy.data;

import java.util.List;

/**
 * A classification task ready to train on: its splits, vocabulary size, number of classes and the longest
 * sequence (per document) the model must accept. A token-level task (every example carries per-position targets)
 * classifies positions: classes is then what each supervised position can be.
 *
 * <p>Splits may be generated on demand (a list whose get(i) builds example i); validation reads only the first
 * example of such a split, so building the task stays cheap.
 */
public record TaskData(String name, int vocabSize, int classes, int maxLength, boolean pair,
                       List<Sample> train, List<Sample> valid, List<Sample> test) {

    public TaskData {
        if (train.isEmpty()) throw new IllegalArgumentException("task " + name + " has no training examples");
        boolean tokenLevel = train.get(0).tokenLevel();
        for (List<Sample> split : List.of(train, valid, test)) {
            for (Sample s : split instanceof Generated ? split.subList(0, Math.min(1, split.size())) : split) {
                if (s.label() < 0 || s.label() >= classes) throw new IllegalArgumentException("task " + name + ": label " + s.label() + " outside 0.." + (classes - 1));
                if (s.isPair() != pair) throw new IllegalArgumentException("task " + name + ": mixes single and paired examples");
                if (s.tokenLevel() != tokenLevel) throw new IllegalArgumentException("task " + name + ": mixes token-level and sequence-level examples");
                if (tokenLevel) {
                    for (int t : s.targets()) {
                        if (t < Sample.UNSUPERVISED || t >= classes) throw new IllegalArgumentException("task " + name + ": target " + t + " outside -1.." + (classes - 1));
                    }
                }
            }
        }
    }

    /** A split whose examples are built when asked for (TaskData checks only its first). */
    public interface Generated {}

    /** Whether examples label positions (per-position targets) rather than whole sequences. */
    public boolean tokenLevel() {
        return train.get(0).tokenLevel();
    }

    /**
     * Accuracy of always predicting the most frequent training label, measured on the given split (token-level: the
     * most frequent target over supervised positions, counted at the split's supervised positions; the training
     * counts then come from at most the first 1,000 training examples).
     */
    public double majorityAccuracy(List<Sample> split) {
        int[] counts = new int[classes];
        if (tokenLevel()) {
            for (Sample s : train.subList(0, Math.min(train.size(), 1000))) for (int t : s.targets()) if (t >= 0) counts[t]++;
        } else {
            for (Sample s : train) counts[s.label()]++;
        }
        int best = 0;
        for (int c = 1; c < classes; c++) if (counts[c] > counts[best]) best = c;
        if (split.isEmpty()) return Double.NaN;
        long hit = 0, total = 0;
        for (Sample s : split) {
            if (s.tokenLevel()) {
                for (int t : s.targets()) {
                    if (t < 0) continue;
                    total++;
                    if (t == best) hit++;
                }
            } else {
                total++;
                if (s.label() == best) hit++;
            }
        }
        return total == 0 ? Double.NaN : hit / (double) total;
    }

    /** The ListOps task for a generator config and seed. */
    public static TaskData listOps(ListOps.Config config, long seed) {
        ListOps.Splits s = new ListOps(config, seed).generate();
        return new TaskData("listops", ListOpsVocab.SIZE, 10, config.maxLength() - 1, false,
                toSamples(s.train()), toSamples(s.valid()), toSamples(s.test()));
    }

    private static List<Sample> toSamples(List<ListOps.Example> examples) {
        return examples.stream().map(e -> new Sample(e.tokens(), e.label())).toList();
    }
}
