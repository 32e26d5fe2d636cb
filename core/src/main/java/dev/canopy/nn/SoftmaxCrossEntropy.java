package dev.canopy.nn;

import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.RowOps;
import java.util.Arrays;

/**
 * Softmax followed by the negative log-likelihood of integer labels, averaged over the rows that count.
 * logits are [rows, classes]; labels are the first rows entries of an int[]. Rows whose label equals the ignore label
 * contribute neither loss nor gradient; when every row is ignored the loss and gradient are 0.
 *
 * <p>Only the per-row log-sum-exp is saved; backward recomputes the probabilities from the logits, so no
 * [rows, classes] probability array is kept alive, and dlogits may be written over the logits themselves.
 */
public final class SoftmaxCrossEntropy {
    /** Use as the ignore label to count every row. */
    public static final int NO_IGNORE = Integer.MIN_VALUE;

    /** Rows with this label are skipped; {@link #NO_IGNORE} counts every row. */
    public final int ignoreLabel;

    /**
     * loss is the mean over counted rows; logSumExp is per row ([rows]); counted = rows not ignored.
     *
     * @param rows      rows of logits
     * @param classes   classes per row
     * @param logits    the logits, by reference
     * @param labels    the labels, by reference
     * @param logSumExp per-row log of the softmax denominator
     * @param counted   rows not ignored
     * @param loss      mean loss over the counted rows
     */
    public record Saved(int rows, int classes, float[] logits, int[] labels, float[] logSumExp, int counted, double loss) {}

    /** Every row counts. */
    public SoftmaxCrossEntropy() {
        this(NO_IGNORE);
    }

    /**
     * Rows whose label equals ignoreLabel (e.g. -100 for padding, as PyTorch) are skipped.
     *
     * @param ignoreLabel the label of rows to skip
     */
    public SoftmaxCrossEntropy(int ignoreLabel) {
        this.ignoreLabel = ignoreLabel;
    }

    /**
     * Computes the mean loss. A label outside [0, classes) that is not the ignore label throws, naming row and label.
     *
     * @param rows    rows
     * @param classes classes per row
     * @param logits  [rows, classes]
     * @param labels  [rows]
     * @return the loss and what backward needs
     */
    public Saved forward(int rows, int classes, float[] logits, int[] labels) {
        String layer = "SoftmaxCrossEntropy";
        Checks.rows(rows, layer);
        Checks.positive(layer, "classes", classes);
        Checks.size(layer, "logits [" + rows + ", " + classes + "]", logits, (long) rows * classes);
        if (labels == null || labels.length < rows) {
            throw new IllegalArgumentException(layer + ": labels has " + (labels == null ? 0 : labels.length) + " entries, needs " + rows);
        }
        int counted = 0;
        for (int r = 0; r < rows; r++) {
            int label = labels[r];
            if (label == ignoreLabel) continue;
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException(layer + ": label " + label + " at row " + r + " is outside [0, " + classes + ")");
            }
            counted++;
        }
        float[] lse = new float[rows];
        Parallel.forRanges(rows, Math.max(1, Elementwise.GRAIN / classes), (r0, r1) -> {
            for (int r = r0; r < r1; r++) lse[r] = RowOps.logSumExp(logits, r * classes, classes);
        });
        double total = 0;
        for (int r = 0; r < rows; r++) {
            if (labels[r] != ignoreLabel) total += (double) lse[r] - logits[r * classes + labels[r]];
        }
        double loss = counted == 0 ? 0 : total / counted;
        return new Saved(rows, classes, logits, labels, lse, counted, loss);
    }

    /**
     * dlogits [rows, classes] = dLoss · (softmax(logits) - onehot(label)) / counted, zero on ignored rows (overwritten;
     * may be the logits array itself). dLoss is the gradient of the final objective with respect to the mean loss (1 for
     * a plain loss).
     *
     * @param saved   what the forward returned
     * @param dLoss   gradient of the objective with respect to the mean loss
     * @param dLogits written: gradient of the logits, [rows, classes]
     */
    public void backward(Saved saved, float dLoss, float[] dLogits) {
        int rows = saved.rows(), classes = saved.classes();
        Checks.size("SoftmaxCrossEntropy", "dLogits [" + rows + ", " + classes + "]", dLogits, (long) rows * classes);
        float[] logits = saved.logits(), lse = saved.logSumExp();
        int[] labels = saved.labels();
        float scale = saved.counted() == 0 ? 0f : dLoss / saved.counted();
        Parallel.forRanges(rows, Math.max(1, Elementwise.GRAIN / classes), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int off = r * classes;
                if (labels[r] == ignoreLabel || scale == 0f) {
                    Arrays.fill(dLogits, off, off + classes, 0f);
                    continue;
                }
                RowOps.expShifted(logits, off, dLogits, off, classes, lse[r]);
                RowOps.scale(dLogits, off, scale, dLogits, off, classes);
                dLogits[off + labels[r]] -= scale;
            }
        });
    }
}
