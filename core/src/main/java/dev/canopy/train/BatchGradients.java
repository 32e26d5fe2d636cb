package dev.canopy.train;

import dev.canopy.data.Batch;
import dev.canopy.data.Sample;
import dev.canopy.kernels.Parallel;
import dev.canopy.kernels.VecOps;
import dev.canopy.model.SequenceClassifier;
import dev.canopy.nn.CounterRng;
import dev.canopy.nn.Parameter;
import dev.canopy.nn.Pass;
import dev.canopy.nn.SoftmaxCrossEntropy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One training step's loss and gradients over a batch split into parts that run side by side, one per core: data
 * parallelism inside the process. Small models gain most, since their kernels are too short to split well. Each part
 * runs forward and backward on one thread, adding into gradients of its own; the parts' gradients are then summed
 * into the parameters' in part order. A run therefore depends on the number of parts (the config records it), never on
 * the number of threads. One part is the whole-batch step. A model whose attentions cannot take parts concurrently
 * (tree attentions before their trees are fitted) runs one.
 */
final class BatchGradients {
    private static final SoftmaxCrossEntropy LOSS = new SoftmaxCrossEntropy();
    private final List<Map<Parameter, float[]>> partGradients = new ArrayList<>(); // parts 1.. ; part 0 adds into grad

    /**
     * What a step computed.
     *
     * @param loss           mean loss over every supervised row of the batch
     * @param examples       examples in the batch
     * @param realTokens     unpadded tokens
     * @param attentionFlops attention FLOPs of the forward and backward passes
     * @param workingBytes   largest working memory one attention call reported
     * @param parts          how many parts the batch ran as
     */
    record Step(double loss, int examples, long realTokens, long attentionFlops, long workingBytes, int parts) {}

    /**
     * Forward, loss and backward over samples, leaving dLoss/dParameter added into each parameter's grad.
     *
     * @param model       the model
     * @param params      every parameter the backward passes reach
     * @param samples     the batch
     * @param parts       parts to split it into (at most one per sample; 1 when the model cannot take parts)
     * @param padMultiple each part is padded to a multiple of this length
     * @param seed        the training pass's seed (part i > 0 draws its dropout from a seed mixed with i)
     * @param step        the step, for the error when the loss is not finite
     * @return the loss and what the step cost
     * @throws IllegalStateException if the loss is not finite (before any gradient is computed)
     */
    Step run(SequenceClassifier model, List<Parameter> params, List<Sample> samples, int parts, int padMultiple, long seed, int step) {
        int n = model.splitsBatches() ? Math.max(1, Math.min(parts, samples.size())) : 1, size = samples.size();
        Batch[] batches = new Batch[n];
        for (int i = 0; i < n; i++) batches[i] = Batch.of(samples.subList(i * size / n, (i + 1) * size / n), model.clsToken(), model.maxLength(), padMultiple);
        SequenceClassifier.Forward[] forwards = new SequenceClassifier.Forward[n];
        SoftmaxCrossEntropy.Saved[] losses = new SoftmaxCrossEntropy.Saved[n];
        // Several parts run side by side (each one's kernels then stay on its thread); a lone part runs here, its kernels parallel.
        Parallel.forEach(n, i -> {
            forwards[i] = model.forward(batches[i], Pass.training(i == 0 ? seed : CounterRng.mix(seed, i)));
            losses[i] = LOSS.forward(forwards[i].labels().length, model.classes(), forwards[i].logits(), forwards[i].labels());
        });
        // The batch's loss is the mean over all its counted rows: each part's mean weighs by its share of them.
        long counted = 0;
        double sum = 0;
        for (SoftmaxCrossEntropy.Saved s : losses) {
            counted += s.counted();
            sum += s.loss() * s.counted();
        }
        double loss = counted == 0 ? 0 : sum / counted;
        if (!Double.isFinite(loss)) throw new IllegalStateException("loss is " + loss + " at step " + step + "; lower --lr or raise --clip");
        long total = counted;
        ensurePartGradients(params, n);
        Parallel.forEach(n, i -> {
            float[] dLogits = new float[forwards[i].logits().length];
            LOSS.backward(losses[i], n == 1 ? 1f : (float) ((double) losses[i].counted() / total), dLogits);
            if (i == 0) model.backward(forwards[0], dLogits);
            else Parameter.withGradients(partGradients.get(i - 1), () -> model.backward(forwards[i], dLogits));
        });
        for (int i = 1; i < n; i++) {
            Map<Parameter, float[]> part = partGradients.get(i - 1);
            for (Parameter p : params) VecOps.axpy(1f, part.get(p), 0, p.grad, 0, p.size());
        }
        long tokens = 0, flops = 0, bytes = 0;
        for (int i = 0; i < n; i++) {
            tokens += batches[i].realTokens();
            flops += forwards[i].attentionFlops() + forwards[i].attentionBackwardFlops();
            bytes = Math.max(bytes, forwards[i].attentionWorkingBytes());
        }
        return new Step(loss, size, tokens, flops, bytes, n);
    }

    /** Zeroed gradients for parts 1 .. n-1, one array per parameter (kept across steps; a schedule may add parameters). */
    private void ensurePartGradients(List<Parameter> params, int n) {
        while (partGradients.size() < n - 1) partGradients.add(new IdentityHashMap<>());
        for (int i = 0; i < n - 1; i++) {
            Map<Parameter, float[]> part = partGradients.get(i);
            part.keySet().retainAll(new HashSet<>(params)); // parameters keep identity equality
            for (Parameter p : params) {
                float[] g = part.get(p);
                if (g == null) part.put(p, new float[p.size()]);
                else Arrays.fill(g, 0f);
            }
        }
    }
}
