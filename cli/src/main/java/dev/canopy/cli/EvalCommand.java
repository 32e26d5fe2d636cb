package dev.canopy.cli;

import dev.canopy.bench.JsonLine;
import dev.canopy.data.Sample;
import dev.canopy.data.TaskData;
import dev.canopy.io.Json;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.train.Checkpoints;
import dev.canopy.train.SafetensorsStore;
import dev.canopy.train.TrainConfig;
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
    @Option(names = "--attention", description = "Evaluate with another attention than the one trained (e.g. topk:k=16 on an exact-trained model).")
    String attention;
    @Option(names = "--batch", defaultValue = "32", description = "Examples per forward pass.")
    int batch;

    @Override
    public Integer call() throws IOException {
        if (checkpoint == null) {
            picocli.CommandLine.usage(this, System.out);
            return 0;
        }
        Path runDir = Files.isRegularFile(checkpoint.resolve(TrainCommand.MODEL_FILE)) ? checkpoint : checkpoint.getParent();
        if (runDir == null || !Files.isRegularFile(runDir.resolve(TrainCommand.MODEL_FILE)) || !Files.isRegularFile(runDir.resolve(TrainCommand.TASK_FILE))) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": no " + TrainCommand.MODEL_FILE + " and " + TrainCommand.TASK_FILE + " here or in the parent; pass a run directory written by 'canopy train'");
        }
        ModelConfig config = ModelConfig.fromJson(Files.readString(runDir.resolve(TrainCommand.MODEL_FILE)));
        if (attention != null) config = config.withAttention(attention);
        Map<String, Object> t = Json.parseObject(Files.readString(runDir.resolve(TrainCommand.TASK_FILE)));
        String task = (String) t.get("task");
        TaskData data = Tasks.load(task, (String) t.get("preset"), ((Number) t.get("data_seed")).longValue(), MqarOptions.from(t));
        List<Sample> samples = switch (split) {
            case "test" -> data.test();
            case "valid" -> data.valid();
            default -> throw new IllegalArgumentException("--split must be valid or test, got " + split);
        };
        EncoderClassifier model = new EncoderClassifier(config);
        if (model.scheduled()) {
            // A Treeformer-scheduled run: rebuild the attention of the checkpoint's phase so its trees load too.
            TrainConfig train = TrainConfig.fromJson(Files.readString(runDir.resolve(TrainCommand.TRAIN_FILE)));
            new Trainer(model, data, train).attentionAfter(Checkpoints.stepOf(checkpoint, new SafetensorsStore()));
        }
        Map<String, String> meta = Checkpoints.loadWeights(checkpoint, model, new SafetensorsStore());
        long t0 = System.nanoTime();
        double acc = Trainer.accuracy(model, samples, batch, 16);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.println(new JsonLine().put("event", "eval").put("task", task).put("split", split).put("attention", config.attention())
                .put("step", meta.getOrDefault("step", "?")).put("examples", samples.size()).put("accuracy", acc)
                .put("majority_accuracy", data.majorityAccuracy(samples)).put("seconds", seconds));
        return 0;
    }
}
