package dev.canopy.train;

import dev.canopy.attention.Attention;
import dev.canopy.attention.tree.KeySample;
import dev.canopy.attention.tree.TfAttention;
import dev.canopy.nn.Pass;
import dev.canopy.io.JsonLine;
import dev.canopy.data.Batch;
import dev.canopy.data.Sample;
import dev.canopy.data.TaskData;
import dev.canopy.kernels.Parallel;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.SequenceClassifier;
import dev.canopy.nn.CounterRng;
import dev.canopy.nn.Parameter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The training loop: batches in a seeded order, forward, softmax cross-entropy, backward, global-norm clipping,
 * AdamW with a warm-up + decay schedule, periodic evaluation and checkpoints. Everything random is derived from
 * (seed, step), so a run resumed from a checkpoint continues bit-for-bit as the straight run would have.
 *
 * <p>With a Treeformer schedule in the config ({@code --schedule treeformer:h=4,dense=..,tc=..,tf=..}) the model is trained
 * in its phases: at each change the schedule builds every layer's new attention (trees fitted or grown on that layer's keys for
 * the step's batch), AdamW tracks the new tree parameters from zero moments, and the phase's learning rates (scaled by
 * the run's warm-up/decay shape) apply, the trees' own rate to the attention parameters.
 */
public final class Trainer {
    private final BatchGradients gradients = new BatchGradients();
    private final SequenceClassifier model;
    private final TaskData task;
    private final TrainConfig config;
    private List<Parameter> params;
    private final AdamW optimizer;
    private final DataOrder order;
    private final LrSchedule schedule;
    private final TreeformerSchedule trees;      // null unless the config has a Treeformer schedule
    private final List<String> treeLog = new ArrayList<>();
    private Set<Parameter> treeParams = Set.of(); // identity set: the attentions' own parameters
    // Training totals of the steps before the checkpoint this trainer resumed from (carried in its metadata), so a
    // resumed run reports the whole run's attention FLOPs, not only its last segment's.
    private long flopsBefore, examplesBefore;
    private double lossBefore = Double.NaN; // the checkpoint's last step loss: a resume with no step left still reports it
    static final String FLOPS_KEY = "train_attention_flops", EXAMPLES_KEY = "train_examples", LOSS_KEY = "train_last_loss";

    /**
     * A trainer for one model on one task; the optimiser starts with zero moments.
     *
     * @param model  the model, trained in place
     * @param task   training and validation splits
     * @param config steps, batch, optimiser and schedule
     */
    public Trainer(SequenceClassifier model, TaskData task, TrainConfig config) {
        this.model = model;
        this.task = task;
        this.config = config;
        this.params = new ArrayList<>(model.namedParameters().values());
        this.optimizer = new AdamW(params, config.adamW());
        this.order = new DataOrder(task.train(), CounterRng.mix(config.seed(), 0xDA7A));
        this.schedule = config.lrSchedule();
        if (config.treeformer() != null && !(model instanceof EncoderClassifier)) throw new IllegalArgumentException("a Treeformer schedule needs an encoder classifier");
        if (config.treeformer() != null && config.treeformer().tcSteps() > 0 && ((EncoderClassifier) model).config().causal()) {
            throw new IllegalArgumentException("a causal model cannot take a Treeformer schedule with a TC phase (TC cannot be causal); use tc=0 for dense then TF");
        }
        this.trees = config.treeformer() == null ? null : new TreeformerSchedule(config.treeformer(), treeLog::add);
    }

    /**
     * Resumes from the newest checkpoint: a scheduled model first gets the attention it had when the checkpoint was
     * written (the phase follows from the step; the trees' values then come from the checkpoint). Returns its metadata.
     *
     * @param checkpoints the run's checkpoints
     * @return the newest checkpoint's metadata, or an empty map if there is none
     * @throws IOException if a checkpoint cannot be read
     */
    public Map<String, String> resume(Checkpoints checkpoints) throws IOException {
        int step = checkpoints.latestStep().orElseThrow(() -> new IOException("no checkpoint to resume from in " + checkpoints.runDir()));
        attentionAfter(step);
        Map<String, String> meta = checkpoints.restore(model, optimizer);
        // Checkpoints written before the totals were carried lack them; their runs report the resumed segment only.
        Path file = checkpoints.latest().orElseThrow().resolve(Checkpoints.MODEL);
        flopsBefore = meta.containsKey(FLOPS_KEY) ? Checkpoints.count(meta, FLOPS_KEY, file) : 0;
        examplesBefore = meta.containsKey(EXAMPLES_KEY) ? Checkpoints.count(meta, EXAMPLES_KEY, file) : 0;
        try {
            lossBefore = meta.containsKey(LOSS_KEY) ? Double.parseDouble(meta.get(LOSS_KEY)) : Double.NaN;
        } catch (NumberFormatException e) {
            throw new IOException(file + ": checkpoint metadata \"" + LOSS_KEY + "\" is \"" + meta.get(LOSS_KEY) + "\", not a number");
        }
        return meta;
    }

    /**
     * Gives a scheduled model the attention it has after {@code completedSteps} steps (before loading a checkpoint
     * written then, whose tensors include the trees); a no-op for other models.
     *
     * @param completedSteps steps already trained
     */
    public void attentionAfter(int completedSteps) {
        if (trees == null || completedSteps <= 0) return;
        applySchedule(completedSteps - 1);
        treeLog.clear();
    }

    /**
     * Gives every layer the schedule's attention for this step (trees fitted or grown on keys that layer produces on
     * this step's batch), then points the optimiser at the new parameter set (new trees start with zero moments).
     */
    private void applySchedule(int step) {
        EncoderClassifier ec = (EncoderClassifier) model;
        // Keys of every layer from one inference pass of the current model, taken at most once and only if a fit needs them.
        List<List<KeySample>> keys = new ArrayList<>();
        int layers = ec.attentions().size();
        List<Attention> next = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            int layer = l, logged = treeLog.size();
            next.add(trees.attentionFor(step, ec.attentions().get(l), ec.attentionSetup(l), () -> {
                if (keys.isEmpty()) keys.add(keysOfStep(ec, step));
                return keys.get(0).get(layer);
            }));
            for (int i = logged; i < treeLog.size(); i++) treeLog.set(i, "layer " + l + ": " + treeLog.get(i)); // every layer logs its own change
        }
        Set<Parameter> attentionParams = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int l = 0; l < layers; l++) {
            if (next.get(l) != ec.attentions().get(l)) ec.setAttention(l, next.get(l));
            attentionParams.addAll(next.get(l).parameters());
        }
        treeParams = attentionParams;
        params = new ArrayList<>(model.namedParameters().values());
        optimizer.track(params);
    }

    /** {@return the optimiser, whose moments checkpoints save} */
    public AdamW optimizer() { return optimizer; }

    /**
     * What a run measured. trainSeconds and trainTokens leave out the first few (JIT warm-up) steps; tokensPerSecond is their ratio.
     * attentionFlopsPerExample is the training cost: forward plus backward attention FLOPs, averaged over every example of the run (a resumed run includes the steps before its checkpoint).
     *
     * @param steps                    steps trained
     * @param finalLoss                mean loss of the last steps
     * @param trainSeconds             training time after warm-up
     * @param trainTokens              tokens trained on after warm-up
     * @param tokensPerSecond          their ratio
     * @param attentionFlopsPerExample attention FLOPs (forward and backward) per example
     * @param attentionWorkingBytes    largest attention working memory
     * @param peakHeapBytes            largest heap use seen
     * @param validAccuracy            accuracy on the validation split
     */
    public record Result(int steps, double finalLoss, double trainSeconds, long trainTokens, double tokensPerSecond,
                         double attentionFlopsPerExample, long attentionWorkingBytes, long peakHeapBytes, double validAccuracy) {}

    /**
     * Trains from step {@code startStep} (0, or the step a restored checkpoint recorded) to config.steps().
     * checkpoints may be null (no checkpoints); log and progress may be no-ops.
     *
     * @param startStep      the first step to train
     * @param checkpoints    where checkpoints go, or null
     * @param checkpointInfo metadata written with each checkpoint
     * @param log            receives one line of metrics per step
     * @param progress       receives progress updates
     * @return what the run measured
     * @throws IOException if a checkpoint cannot be written
     */
    public Result run(int startStep, Checkpoints checkpoints, Map<String, String> checkpointInfo, MetricsLog log, Progress progress) throws IOException {
        return runSteps(startStep, config.steps(), checkpoints, checkpointInfo, log, progress);
    }

    /** Runs steps [startStep, endStep) of the configured schedule; endStep < steps() stops early (as a crash would). */
    Result runSteps(int startStep, int endStep, Checkpoints checkpoints, Map<String, String> checkpointInfo, MetricsLog log, Progress progress) throws IOException {
        if (startStep < 0 || startStep > endStep || endStep > config.steps()) throw new IllegalArgumentException("cannot run steps " + startStep + ".." + endStep + " of " + config.steps());
        resetPeakHeap();
        long tokens = 0;
        double seconds = 0, lossEma = Double.NaN, lastLoss = lossBefore;
        long flopsSum = flopsBefore, examples = examplesBefore, workingBytes = 0;
        double validAccuracy = Double.NaN;
        // Speed is measured after a short warm-up, so the JIT compiling the kernels does not count against whichever
        // attention happens to run first in a process.
        int warmupSteps = Math.min(10, (endStep - startStep) / 5);
        for (int step = startStep; step < endStep; step++) {
            Stepped stepped = step(step, log, progress);
            BatchGradients.Step part = stepped.batch();
            double loss = part.loss(), lr = stepped.lr(), gradNorm = stepped.gradNorm(), dt = stepped.seconds();
            if (step >= startStep + warmupSteps) {
                seconds += dt;
                tokens += part.realTokens();
            }
            flopsSum += part.attentionFlops();
            examples += part.examples();
            workingBytes = Math.max(workingBytes, part.workingBytes());
            lastLoss = loss;
            lossEma = Double.isNaN(lossEma) ? loss : 0.95 * lossEma + 0.05 * loss;
            int done = step + 1;
            log.write(new JsonLine().put("event", "step").put("step", done).put("loss", loss).put("lr", lr)
                    .put("grad_norm", gradNorm).put("tokens", part.realTokens()).put("seconds", dt));
            progress.update(done, config.steps(), lossEma, tokens / Math.max(seconds, 1e-9));
            if (config.evalEvery() > 0 && done % config.evalEvery() == 0 && done < config.steps() && !task.valid().isEmpty()) {
                double acc = accuracy(model, task.valid(), config.batchSize(), config.padMultiple());
                log.write(new JsonLine().put("event", "eval").put("step", done).put("split", "valid").put("accuracy", acc));
            }
            if (checkpoints != null && (done == config.steps() || (config.checkpointEvery() > 0 && done % config.checkpointEvery() == 0))) {
                Map<String, String> info = new LinkedHashMap<>(withAttention(checkpointInfo));
                info.put(FLOPS_KEY, Long.toString(flopsSum));
                info.put(EXAMPLES_KEY, Long.toString(examples));
                info.put(LOSS_KEY, Double.toString(loss));
                checkpoints.save(done, model, optimizer, info);
                log.write(MetricsLog.checkpointLine(done)); // where a resume from this checkpoint cuts the log
            }
        }
        if (!task.valid().isEmpty()) {
            validAccuracy = accuracy(model, task.valid(), config.batchSize(), config.padMultiple());
            log.write(new JsonLine().put("event", "eval").put("step", config.steps()).put("split", "valid").put("accuracy", validAccuracy));
        }
        double perExample = examples == 0 ? 0 : flopsSum / (double) examples;
        return new Result(endStep, lastLoss, seconds, tokens, tokens / Math.max(seconds, 1e-9), perExample, workingBytes, peakHeap(), validAccuracy);
    }

    /** One optimiser step as it ran: the batch's loss and costs, the gradient norm before clipping, the rate, the wall time. */
    private record Stepped(BatchGradients.Step batch, double gradNorm, double lr, double seconds) {}

    /** Step `step` of the schedule: a scheduled attention change (logged), the batch's gradients, clipping, the update. */
    private Stepped step(int step, MetricsLog log, Progress progress) throws IOException {
        long t0 = System.nanoTime();
        if (trees != null && trees.changesAt(step)) {
            applySchedule(step);
            for (String line : treeLog) {
                log.write(new JsonLine().put("event", "phase").put("step", step).put("phase", trees.phase(step).name().toLowerCase(java.util.Locale.ROOT)).put("message", line));
                progress.note(line);
            }
            treeLog.clear();
        }
        refitTrees(step);
        for (Parameter p : params) p.zeroGrad();
        BatchGradients.Step part = gradients.run(model, params, order.batch(step, config.batchSize()), config.batchParts(), config.padMultiple(),
                CounterRng.mix(config.seed(), 1_000_000L + step), step);
        double gradNorm = AdamW.clipGlobalNorm(params, config.clipNorm());
        double lr = schedule.at(step);
        if (trees == null) {
            optimizer.step((float) lr);
        } else {
            // The phase's rates are peaks; the run's warm-up and decay shape scales them.
            double shape = lr / config.lr();
            lr = trees.learningRate(step) * shape;
            float modelLr = (float) lr, treeLr = (float) (trees.treeLearningRate(step) * shape);
            Set<Parameter> tp = treeParams;
            optimizer.step(p -> tp.contains(p) ? treeLr : modelLr);
        }
        return new Stepped(part, gradNorm, lr, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * At the start of every refitEvery-th step (never step 0, whose first forward fits them), refits the trees of the TF
     * layers that ask for it to their keys in an inference pass over the step's batch: a resumed run refits at the same
     * steps, from the same model and batch, as a straight one.
     */
    private void refitTrees(int step) {
        if (step == 0 || !(model instanceof EncoderClassifier ec)) return;
        List<KeySample> keys = null;
        List<Attention> layers = ec.attentions();
        for (int l = 0; l < layers.size(); l++) {
            if (!(layers.get(l) instanceof TfAttention tf) || tf.refitEvery() == 0 || step % tf.refitEvery() != 0) continue;
            if (keys == null) keys = keysOfStep(ec, step);
            tf.refit(keys.get(l));
        }
    }

    /** Every layer's keys in an inference pass of the current model over step's batch, for fitting its trees. */
    private List<KeySample> keysOfStep(EncoderClassifier ec, int step) {
        return ec.sampleKeys(Batch.of(order.batch(step, config.batchSize()), model.clsToken(), model.maxLength(), config.padMultiple()));
    }

    /**
     * Trains step `step` of the schedule outside a run (no log, checkpoint or evaluation) and returns its wall time:
     * for benchmarks that time several attentions' steps in turn. A scheduled run changes attention between phases, so
     * it cannot be timed this way.
     *
     * @param step the step, from 0; steps are taken in order, as a run takes them
     * @return the step's seconds
     * @throws IllegalArgumentException if the step is past the configured steps
     * @throws IllegalStateException    if the run has a Treeformer schedule
     */
    public double timedStep(int step) {
        if (trees != null) throw new IllegalStateException("a run with a Treeformer schedule cannot be timed step by step");
        if (step < 0 || step >= config.steps()) throw new IllegalArgumentException("step " + step + " is outside the run's " + config.steps() + " steps");
        try {
            return step(step, MetricsLog.none(), null).seconds();
        } catch (IOException e) { // only a scheduled step writes to the log, and none() writes nowhere
            throw new UncheckedIOException(e);
        }
    }

    /** The checkpoint's metadata names the attention the model has now (a scheduled run changes it). */
    private Map<String, String> withAttention(Map<String, String> info) {
        if (!(model instanceof EncoderClassifier ec) || ec.attentions().isEmpty()) return info;
        Map<String, String> all = new LinkedHashMap<>(info);
        all.put(Checkpoints.ATTENTION, ec.attentions().get(0).spec());
        return all;
    }

    /**
     * Accuracy of the model's arg-max prediction on a split (inference passes, no dropout): the fraction of examples
     * right, or for a token-level model the fraction of supervised positions right.
     *
     * @param model       the model
     * @param split       the examples
     * @param batchSize   examples per pass
     * @param padMultiple batches are padded to a multiple of this length
     * @return the fraction predicted right
     */
    public static double accuracy(SequenceClassifier model, List<Sample> split, int batchSize, int padMultiple) {
        return evaluate(model, split, batchSize, padMultiple).accuracy();
    }

    /**
     * Accuracy plus what inference cost: attention FLOPs per example and the largest attention working memory.
     *
     * @param accuracy                 fraction predicted right
     * @param attentionFlopsPerExample attention FLOPs per example
     * @param attentionWorkingBytes    largest attention working memory
     * @param seconds                  wall time
     */
    public record Evaluation(double accuracy, double attentionFlopsPerExample, long attentionWorkingBytes, double seconds) {}

    /**
     * Runs the model over a split in inference passes.
     *
     * @param model       the model
     * @param split       the examples
     * @param batchSize   examples per pass
     * @param padMultiple batches are padded to a multiple of this length
     * @return accuracy, attention cost and time
     */
    public static Evaluation evaluate(SequenceClassifier model, List<Sample> split, int batchSize, int padMultiple) {
        if (split.isEmpty()) return new Evaluation(Double.NaN, 0, 0, 0);
        long t0 = System.nanoTime();
        int batches = Math.ceilDiv(split.size(), batchSize);
        // Batches run side by side, one per thread, when the model allows it (as training parts do); the sums are
        // taken in batch order, so the result does not depend on the threads.
        int side = model.splitsBatches() ? Math.max(1, Math.min(Parallel.threads(), batches)) : 1;
        long correct = 0, total = 0;
        double flops = 0;
        long bytes = 0;
        for (int first = 0; first < batches; first += side) {
            int count = Math.min(side, batches - first), from = first;
            BatchScore[] scores = new BatchScore[count];
            Parallel.forEach(count, i -> scores[i] = score(model, split, (from + i) * batchSize, batchSize, padMultiple));
            for (BatchScore b : scores) {
                correct += b.correct();
                total += b.rows();
                flops += b.flops();
                bytes = Math.max(bytes, b.bytes());
            }
        }
        return new Evaluation(total == 0 ? Double.NaN : correct / (double) total, flops / split.size(), bytes, (System.nanoTime() - t0) / 1e9);
    }

    /** One inference batch's rows predicted right out of its rows, and what its attention cost. */
    private record BatchScore(long correct, long rows, long flops, long bytes) {}

    private static BatchScore score(SequenceClassifier model, List<Sample> split, int i, int batchSize, int padMultiple) {
        Batch batch = Batch.of(split.subList(i, Math.min(split.size(), i + batchSize)), model.clsToken(), model.maxLength(), padMultiple);
        SequenceClassifier.Forward fwd = model.forward(batch, Pass.INFERENCE);
        float[] logits = fwd.logits();
        // NaN logits would compare false against each other and silently pick class 0 for every example.
        for (float x : logits) {
            if (!Float.isFinite(x)) throw new IllegalStateException("the model's outputs are not finite (" + x + ") on examples " + i + ".."
                    + (i + batch.size() - 1) + "; its weights or activations overflow, so no accuracy can be given");
        }
        int c = model.classes();
        int[] labels = fwd.labels();
        long correct = 0;
        for (int r = 0; r < labels.length; r++) {
            int best = 0;
            for (int k = 1; k < c; k++) if (logits[r * c + k] > logits[r * c + best]) best = k;
            if (best == labels[r]) correct++;
        }
        return new BatchScore(correct, labels.length, fwd.attentionFlops(), fwd.attentionWorkingBytes());
    }

    private static void resetPeakHeap() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) if (pool.getType() == MemoryType.HEAP) pool.resetPeakUsage();
    }

    /** Sum of the heap pools' peak usage since the run started (includes garbage not yet collected). */
    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) if (pool.getType() == MemoryType.HEAP) sum += pool.getPeakUsage().getUsed();
        return sum;
    }
}
