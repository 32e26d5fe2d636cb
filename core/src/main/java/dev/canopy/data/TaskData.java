package dev.canopy.data;

import java.util.List;

/**
 * A classification task ready to train on: its splits, vocabulary size, number of classes and the longest
 * sequence (per document) the model must accept.
 */
public record TaskData(String name, int vocabSize, int classes, int maxLength, boolean pair,
                       List<Sample> train, List<Sample> valid, List<Sample> test) {

    public TaskData {
        if (train.isEmpty()) throw new IllegalArgumentException("task " + name + " has no training examples");
        for (List<Sample> split : List.of(train, valid, test)) {
            for (Sample s : split) {
                if (s.label() < 0 || s.label() >= classes) throw new IllegalArgumentException("task " + name + ": label " + s.label() + " outside 0.." + (classes - 1));
                if (s.isPair() != pair) throw new IllegalArgumentException("task " + name + ": mixes single and paired examples");
            }
        }
    }

    /** Accuracy of always predicting the most frequent training label, measured on the given split. */
    public double majorityAccuracy(List<Sample> split) {
        int[] counts = new int[classes];
        for (Sample s : train) counts[s.label()]++;
        int best = 0;
        for (int c = 1; c < classes; c++) if (counts[c] > counts[best]) best = c;
        if (split.isEmpty()) return Double.NaN;
        int hit = 0;
        for (Sample s : split) if (s.label() == best) hit++;
        return hit / (double) split.size();
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
