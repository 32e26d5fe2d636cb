package dev.canopy.cli.train;

import dev.canopy.data.Vocab;
import dev.canopy.decode.CacheAttentionSpec;
import dev.canopy.decode.CausalDecoder;
import dev.canopy.decode.Sampler;
import dev.canopy.io.JsonLine;
import dev.canopy.model.ModelConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code generate}: reads a prompt, runs it through a trained causal byte-level model into its KV cache, then samples
 * --tokens bytes one at a time, writing each to stdout as soon as it exists. The attention over the cache is any
 * decode attention (trees are fitted on the prompt's keys). A summary line (JSON) goes to stderr.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate bytes from a trained causal language model (canopy train --task brown-lm), decoding through a KV cache with exact, top-k or tree attention.")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "Run directory (its newest checkpoint) or one ckpt-NNNNNNNN directory.")
    Path checkpoint;
    @Option(names = "--prompt-file", required = true, description = "The prompt: a file of bytes (UTF-8 text).")
    Path promptFile;
    @Option(names = "--tokens", defaultValue = "200", description = "Bytes to generate (default: ${DEFAULT-VALUE}).")
    int tokens;
    @Option(names = "--attention", defaultValue = "exact", description = "Attention over the cache: " + CacheAttentionSpec.KNOWN + " (default: ${DEFAULT-VALUE}).")
    String attention;
    @Option(names = "--context", description = "Positions the cache holds; older ones slide out, and a longer prompt is read from its last this many bytes (default: the prompt plus --tokens).")
    Integer context;
    @Option(names = "--temperature", defaultValue = "0.8", description = "Sampling temperature; 0 is greedy (default: ${DEFAULT-VALUE}).")
    double temperature;
    @Option(names = "--top-p", defaultValue = "0.95", description = "Nucleus sampling: draw from the most likely bytes holding this much probability (default: ${DEFAULT-VALUE}).")
    double topP;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the sampling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        CacheAttentionSpec spec = CacheAttentionSpec.parse(attention);
        if (tokens < 1) throw new IllegalArgumentException("--tokens must be at least 1, got " + tokens);
        if (!Files.isRegularFile(promptFile)) throw new IllegalArgumentException("--prompt-file " + promptFile + ": no such file");
        byte[] prompt = Files.readAllBytes(promptFile);
        if (prompt.length == 0) throw new IllegalArgumentException("--prompt-file " + promptFile + " is empty; the model needs at least one byte to continue");
        Sampler sampler = new Sampler(256, temperature, topP, seed); // checks --temperature and --top-p before the model loads
        TrainedLm lm = TrainedLm.load(checkpoint);
        ModelConfig config = lm.model().config();
        if (config.classes() != 256) throw new IllegalArgumentException(lm.run().path() + ": the model predicts " + config.classes() + " classes, not bytes");
        long needed = (long) prompt.length + tokens;
        int capacity = context != null ? context : (int) Math.min(Integer.MAX_VALUE, needed);
        if (config.positions() == ModelConfig.Positions.LEARNED && needed > config.maxLength()) {
            throw new IllegalArgumentException("the prompt's " + prompt.length + " bytes plus --tokens " + tokens + " exceed the model's " + config.maxLength() + " learned positions");
        }
        CausalDecoder decoder = new CausalDecoder(config, lm.model().namedParameters(), spec, capacity);
        long t0 = System.nanoTime();
        // A prompt longer than the cache is read from its last `capacity` bytes: the window the model would keep anyway,
        // and it fits the cache, so the chunked prefill applies.
        int skip = Math.max(0, prompt.length - capacity);
        if (skip > 0) System.err.println("canopy generate: the prompt's " + prompt.length + " bytes exceed --context " + capacity + "; reading its last " + capacity);
        int[] ids = new int[prompt.length - skip];
        for (int i = 0; i < ids.length; i++) ids[i] = Vocab.byteToken(prompt[skip + i]);
        decoder.prefill(ids, 0, ids.length - 1); // chunked and exact; the decode attention starts with the first new byte
        if (decoder.attention().needsFit()) decoder.attention().fit(); // trees: fitted on the prompt's keys
        float[] logits = decoder.step(ids[ids.length - 1]);
        double prefill = (System.nanoTime() - t0) / 1e9;
        PrintStream out = System.out;
        double firstByte = 0;
        long t1 = System.nanoTime();
        for (int i = 0; i < tokens; i++) {
            int b = sampler.next(logits);
            out.write(b);
            out.flush();
            if (i == 0) firstByte = (System.nanoTime() - t0) / 1e9;
            if (i + 1 < tokens) logits = decoder.step(Vocab.byteToken((byte) b));
        }
        double seconds = (System.nanoTime() - t1) / 1e9;
        out.println();
        System.err.println(new JsonLine().put("event", "generate").put("attention", decoder.attention().spec()).put("prompt_bytes", prompt.length)
                .put("tokens", tokens).put("context", capacity).put("prefill_seconds", prefill).put("first_byte_seconds", firstByte)
                .put("tokens_per_second", tokens / Math.max(seconds, 1e-9)).put("cache_bytes", decoder.cache().bytes()));
        return 0;
    }
}
