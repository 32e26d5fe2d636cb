package dev.canopy.spark.model;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.data.Batch;
import dev.canopy.data.Sample;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.nn.Pass;
import dev.canopy.train.Checkpoints;
import dev.canopy.train.RunDirectory;
import dev.canopy.train.SafetensorsStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A classifier trained by {@code canopy train}, ready to label raw texts: the checkpoint's weights in an
 * {@link EncoderClassifier} with the attention it was trained with (or another, as {@code eval --attention} does),
 * and its task's tokenisation. Read-only after construction; shared by an executor's tasks.
 */
public final class TextClassifierModel {
    /** Batches are padded to a multiple of this, as evaluation does, so shapes repeat. */
    private static final int PAD_MULTIPLE = 16;

    private final EncoderClassifier model;
    private final TaskTokens tokens;
    private final String task;

    private TextClassifierModel(EncoderClassifier model, TaskTokens tokens, String task) {
        this.model = model;
        this.tokens = tokens;
        this.task = task;
    }

    public static TextClassifierModel shared(ClassifierSpec spec) throws IOException {
        TextClassifierModel m = SharedModels.get(spec.modelKey(), () -> open(spec));
        if (spec.maxLength() > m.model.maxLength()) {
            throw new IllegalArgumentException("maxLength " + spec.maxLength() + " exceeds the " + m.model.maxLength() + " tokens the model in " + spec.model() + " was built for");
        }
        return m;
    }

    static TextClassifierModel open(ClassifierSpec spec) throws IOException {
        Path checkpoint = Path.of(spec.model());
        RunDirectory run = RunDirectory.containing(checkpoint);
        RunDirectory.TaskRef ref = run.task();
        TaskTokens tokens = TaskTokens.forTask(ref.task(), run.path().resolve(RunDirectory.TASK));
        ModelConfig config = run.model();
        if (config.twoTower()) throw new IllegalArgumentException(run.path().resolve(RunDirectory.MODEL) + ": a two-tower model takes pairs of documents, not one text");
        // The attention the checkpoint's model has (a scheduled run ends with trees), as eval reads it.
        AttentionSpec trained = Checkpoints.trainedAttention(checkpoint, config, new SafetensorsStore());
        EncoderClassifier model = new EncoderClassifier(config.withAttention(trained));
        Checkpoints.loadWeights(checkpoint, model, new SafetensorsStore());
        if (!spec.attention().isEmpty()) model = model.withAttention(Attentions.parse(spec.attention()));
        return new TextClassifierModel(model, tokens, ref.task());
    }

    public int classes() {
        return model.classes();
    }

    public String task() {
        return task;
    }

    /** Class probabilities for a batch of raw texts (UTF-8 bytes), one outcome per text, in order; maxLength 0 means the model's. */
    public List<Outcome<float[]>> classifyAll(List<byte[]> texts, int maxLength) {
        int max = maxLength == 0 ? model.maxLength() : maxLength;
        List<Outcome<float[]>> out = new ArrayList<>(texts.size());
        List<Sample> good = new ArrayList<>();
        List<Integer> where = new ArrayList<>();
        for (byte[] raw : texts) {
            Outcome<int[]> t = tokenize(raw, max);
            out.add(t.ok() ? null : Outcome.failed(t.error()));
            if (t.ok()) {
                good.add(new Sample(t.value(), 0));
                where.add(out.size() - 1);
            }
        }
        if (good.isEmpty()) return out;
        float[] logits = model.forward(Batch.of(good, model.clsToken(), max, PAD_MULTIPLE), Pass.INFERENCE).logits();
        int c = model.classes();
        for (int i = 0; i < good.size(); i++) out.set(where.get(i), softmax(logits, i * c, c));
        return out;
    }

    private Outcome<int[]> tokenize(byte[] raw, int max) {
        Outcome<String> text = Utf8.decode(raw);
        if (!text.ok()) return Outcome.failed(text.error());
        try {
            int[] t = tokens.tokens(text.value(), max);
            return t.length == 0 ? Outcome.failed("empty text (no tokens)") : Outcome.of(t);
        } catch (IllegalArgumentException e) {
            return Outcome.failed(e.getMessage());
        }
    }

    private static Outcome<float[]> softmax(float[] logits, int off, int c) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < c; k++) max = Math.max(max, logits[off + k]);
        if (!Double.isFinite(max)) return Outcome.failed("the model's outputs are not finite; its weights or activations overflow");
        double sum = 0;
        double[] e = new double[c];
        for (int k = 0; k < c; k++) sum += e[k] = Math.exp(logits[off + k] - max);
        float[] p = new float[c];
        for (int k = 0; k < c; k++) p[k] = (float) (e[k] / sum);
        return Outcome.of(p);
    }
}
