package dev.canopy.cli.train;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.cli.pretrained.DropinEval;
import dev.canopy.data.BrownLm;
import dev.canopy.data.Sample;
import dev.canopy.data.TaskData;
import dev.canopy.io.JsonLine;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.train.Checkpoints;
import dev.canopy.train.ModelMemory;
import dev.canopy.train.RunDirectory;
import dev.canopy.train.SafetensorsStore;
import dev.canopy.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code eval --checkpoint RUN}: accuracy of a trained run's newest checkpoint on its task's validation or test split.
 * The subcommands evaluate other things (e.g. {@code eval dropin}, the pretrained model with other attentions).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a trained checkpoint (--checkpoint RUN) or, through a subcommand, models and attentions on real data (JSON lines).",
        subcommands = {DropinEval.class})
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", description = "Run directory (its newest checkpoint) or one ckpt-NNNNNNNN directory.")
    Path checkpoint;
    @Option(names = "--split", defaultValue = "test", description = "valid or test (default: ${DEFAULT-VALUE}).")
    String split;
    @Option(names = "--attention", description = "Evaluate with another attention than the one trained (e.g. topk:k=16 on an exact-trained model); "
            + "with --context, a decode attention over the cache.")
    String attention; // parsed below: a model attention, or with --context a decode attention
    @Option(names = "--batch", defaultValue = "32", description = "Examples per forward pass.")
    int batch;
    @Option(names = "--context", description = "brown-lm: score the held-out text byte by byte through a KV cache of this many positions (a sliding window), "
            + "with --attention exact, topk:k=K, tf:h=H or tc:h=H; without it, bits per byte of the held-out windows.")
    Integer context;
    @Option(names = "--max-bytes", defaultValue = "8192", description = "brown-lm with --context: bytes of each held-out genre stream to score (default: ${DEFAULT-VALUE}).")
    int maxBytes;

    @Override
    public Integer call() throws IOException {
        if (checkpoint == null) {
            picocli.CommandLine.usage(this, System.out);
            return 0;
        }
        if (batch < 1) throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        if (!split.equals("test") && !split.equals("valid")) throw new IllegalArgumentException("--split must be valid or test, got " + split);
        if (!Files.exists(checkpoint)) throw new IllegalArgumentException("--checkpoint " + checkpoint + ": no such directory");
        RunDirectory run = RunDirectory.containing(checkpoint);
        RunDirectory.TaskRef ref = run.task();
        if (ref.task().equals(BrownLm.NAME)) {
            LmEval.run(checkpoint, split, attention, context, maxBytes, batch);
            return 0;
        }
        if (context != null) throw new IllegalArgumentException("--context applies to language models (task " + BrownLm.NAME + "); " + run.path() + " was trained on " + ref.task());
        TaskData data = Tasks.load(run, ref);
        List<Sample> samples = split.equals("test") ? data.test() : data.valid();
        ModelConfig config = run.model();
        // The attention the checkpoint's model has (a scheduled run ends with trees); --attention may replace it below.
        AttentionSpec trained = Checkpoints.trainedAttention(checkpoint, config, new SafetensorsStore());
        config = config.withAttention(trained);
        new ModelMemory(config).check(Math.min(batch, Math.max(1, samples.size())), false, Runtime.getRuntime().maxMemory(), "--batch", run.path().resolve(RunDirectory.MODEL).toString());
        EncoderClassifier model = new EncoderClassifier(config);
        Map<String, String> meta = Checkpoints.loadWeights(checkpoint, model, new SafetensorsStore());
        AttentionSpec other = attention == null ? null : Attentions.parse(attention);
        if (other != null) model = model.withAttention(other);
        long t0 = System.nanoTime();
        double acc = Trainer.accuracy(model, samples, batch, 16);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.println(new JsonLine().put("event", "eval").put("task", ref.task()).put("split", split).put("attention", (other != null ? other : trained).toString())
                .put("step", meta.getOrDefault("step", "?")).put("examples", samples.size()).put("accuracy", acc)
                .put("majority_accuracy", data.majorityAccuracy(samples)).put("seconds", seconds));
        return 0;
    }
}
