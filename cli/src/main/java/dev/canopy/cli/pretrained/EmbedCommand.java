package dev.canopy.cli.pretrained;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.bert.FeedForwardSpec;
import dev.canopy.bert.SentenceEncoder;
import dev.canopy.io.Json;
import dev.canopy.io.TextFiles;
import dev.canopy.tokenizer.WordPieceTokenizer;
import dev.canopy.train.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Print one sentence embedding per file as JSON lines: {\"file\", \"tokens\", \"embedding\": [...]}.")
public final class EmbedCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "minilm", description = "minilm, or a directory with model.safetensors, config.json, tokenizer.json (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--attention", defaultValue = "exact", description = "Attention spec, e.g. exact or topk:k=32 (default: ${DEFAULT-VALUE}).")
    AttentionSpec attention;

    @Option(names = "--ffn", defaultValue = "dense", description = "Feed-forward: dense or topk-ffn:k=K (default: ${DEFAULT-VALUE}).")
    String ffn;

    @Option(names = "--max-length", defaultValue = "512", description = "Tokens per text including [CLS]/[SEP]; longer texts are cut with a warning (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "UTF-8 text files, one embedding each.")
    List<Path> files;

    /** Only the first --max-length tokens are embedded; a larger file is the wrong file. */
    static final long MAX_TEXT_BYTES = 256L << 20;

    /** Files embedded per pass: enough tokens for full-speed products, few enough texts held at once. */
    static final int BATCH = 32;

    @Override
    public Integer call() throws IOException {
        // Check what needs no model first, so a typo never waits for an 83 MB download.
        if (maxLength < 2) throw new IllegalArgumentException("--max-length must be at least 2 (room for [CLS] and [SEP]), got " + maxLength);
        for (Path f : files) TextFiles.readUtf8(f, MAX_TEXT_BYTES);  // says what is wrong with which file (missing, a directory, binary, not UTF-8)
        FeedForwardSpec feedForward = FeedForwardSpec.parse(ffn);
        ModelOption m = ModelOption.load(model);
        if (maxLength < 2 || maxLength > m.weights().config().maxPositions()) {
            throw new IllegalArgumentException("--max-length must be in 2.." + m.weights().config().maxPositions() + ", got " + maxLength);
        }
        SentenceEncoder encoder = SentenceEncoder.of(m.weights(), attention, feedForward);
        Progress progress = Progress.onStderr("embed");
        // Files go through the encoder BATCH at a time: exact attention with the dense feed-forward runs a batch as one pass.
        for (int first = 0; first < files.size(); first += BATCH) {
            List<Path> group = files.subList(first, Math.min(files.size(), first + BATCH));
            int[][] ids = new int[group.size()][];
            for (int i = 0; i < group.size(); i++) {
                Path f = group.get(i);
                WordPieceTokenizer.Encoding enc = m.encode(TextFiles.readUtf8(f, MAX_TEXT_BYTES), maxLength);
                if (enc.truncated()) {
                    System.err.println("canopy: warning: " + f + " has " + enc.fullLength() + " tokens; only the first " + maxLength
                            + " (with [CLS]/[SEP]) are embedded");
                }
                ids[i] = enc.ids();
            }
            float[][] embeddings = encoder.embed(ids);
            for (int i = 0; i < group.size(); i++) {
                print(group.get(i), ids[i].length, embeddings[i]);
                progress.items(first + i + 1, files.size());
            }
        }
        return 0;
    }

    private void print(Path f, int tokens, float[] e) {
        // NaN or infinity would print as non-JSON; finite weights can still overflow.
        for (float x : e) {
            if (!Float.isFinite(x)) throw new IllegalStateException(f + ": the embedding came out non-finite (" + x + "); the model's activations overflow");
        }
        StringBuilder line = new StringBuilder(8 * e.length + 100);
        line.append("{\"file\":").append(Json.quote(f.toString())).append(",\"tokens\":").append(tokens)
                .append(",\"attention\":").append(Json.quote(attention.toString())).append(",\"ffn\":").append(Json.quote(ffn)).append(",\"embedding\":[");
        for (int j = 0; j < e.length; j++) line.append(j == 0 ? "" : ",").append(e[j]);
        System.out.println(line.append("]}"));
    }
}
