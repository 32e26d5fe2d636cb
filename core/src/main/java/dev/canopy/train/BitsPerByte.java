package dev.canopy.train;

import dev.canopy.data.Batch;
import dev.canopy.data.Sample;
import dev.canopy.model.SequenceClassifier;
import dev.canopy.nn.Pass;
import dev.canopy.nn.SoftmaxCrossEntropy;
import java.util.List;

/**
 * Held-out cross-entropy of a byte-level language model in bits per byte: the mean over every supervised position of
 * -log2 p(next byte), from full-sequence inference passes over windows (a window's first bytes see little context,
 * which the sliding-window score through a KV cache avoids).
 */
public final class BitsPerByte {
    private BitsPerByte() {}

    /**
     * Bits per byte over a split's windows.
     *
     * @param model       a token-level model whose classes are byte values
     * @param split       windows with next-byte targets
     * @param batchSize   windows per pass
     * @param padMultiple batches are padded to a multiple of this length
     * @return mean bits per supervised byte, NaN for an empty split
     */
    public static double of(SequenceClassifier model, List<Sample> split, int batchSize, int padMultiple) {
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        double nats = 0;
        long bytes = 0;
        for (int i = 0; i < split.size(); i += batchSize) {
            Batch batch = Batch.of(split.subList(i, Math.min(split.size(), i + batchSize)), model.clsToken(), model.maxLength(), padMultiple);
            SequenceClassifier.Forward fwd = model.forward(batch, Pass.INFERENCE);
            int rows = fwd.labels().length;
            if (rows == 0) continue;
            nats += ce.forward(rows, model.classes(), fwd.logits(), fwd.labels()).loss() * rows;
            bytes += rows;
        }
        return bytes == 0 ? Double.NaN : nats / bytes / Math.log(2);
    }
}
