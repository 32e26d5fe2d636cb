package dev.canopy.cli.bench;

import dev.canopy.cli.train.TrainedLm;
import dev.canopy.data.BrownLm;
import dev.canopy.data.Vocab;
import dev.canopy.decode.CacheAttentionSpec;
import dev.canopy.decode.CausalDecoder;
import dev.canopy.decode.SlidingWindowScore;
import dev.canopy.io.JsonLine;
import dev.canopy.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench decode}: decode speed of a trained causal model with every attention over a full KV cache of each
 * context length. Per context the cache is filled once with held-out text by the chunked exact prefill (its time is
 * reported: what a prompt of that length costs before the first byte), and every attention then continues from a copy
 * of it: trees are fitted on the cached keys (fit time reported), and the attentions take turns, --steps bytes each,
 * until each has decoded for --min-seconds. A plain streaming read measures the machine's memory bandwidth in the same
 * run, so exact decode (a streaming read of the cache) is reported as a fraction of it. With --score-bytes the same configuration's
 * bits per byte on held-out text is measured too. JSON lines.
 */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = "Decode speed (tokens/s), cache memory, cache bytes read per token and bits per byte of a causal language model per context and attention (JSON lines).")
public final class DecodeBench implements Runnable {
    private static final int WARMUP_STEPS = 300;
    @Option(names = "--checkpoint", required = true, description = "A brown-lm run directory or checkpoint.")
    Path checkpoint;
    @Option(names = "--context", split = ",", defaultValue = "4096,16384,65536", description = "Cache lengths (default: ${DEFAULT-VALUE}).")
    List<Integer> contexts;
    @Option(names = "--attention", defaultValue = "exact,topk:k=64,tf:h=6,local=64", description = "Decode attentions, comma-separated: " + CacheAttentionSpec.KNOWN + " (default: ${DEFAULT-VALUE}).")
    String attentions;
    @Option(names = "--steps", defaultValue = "32", description = "Bytes an attention decodes in its turn; the attentions take turns (default: ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--min-seconds", defaultValue = "2", description = "Decode with each attention for at least this long in all, after as long again of warm-up (default: ${DEFAULT-VALUE}).")
    double minSeconds;
    @Option(names = "--score-bytes", defaultValue = "0", description = "Also score this many bytes of each held-out genre stream through the cache (bits per byte); 0 skips it (default: ${DEFAULT-VALUE}).")
    int scoreBytes;
    @Option(names = "--bandwidth-mib", defaultValue = "512", description = "Size of the streaming read that measures the memory bandwidth, in MiB (default: ${DEFAULT-VALUE}).")
    int bandwidthMib;

    @Override
    public void run() {
        try {
            bench();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void bench() throws IOException {
        List<CacheAttentionSpec> specs = CacheAttentionSpec.parseList(attentions);
        for (int c : contexts) if (c < 2) throw new IllegalArgumentException("--context must be at least 2, got " + c);
        if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        if (!(minSeconds >= 0 && minSeconds <= 600)) throw new IllegalArgumentException("--min-seconds must be in 0..600, got " + minSeconds);
        if (bandwidthMib < 1) throw new IllegalArgumentException("--bandwidth-mib must be at least 1, got " + bandwidthMib);
        if (scoreBytes < 0) throw new IllegalArgumentException("--score-bytes must be >= 0, got " + scoreBytes);
        TrainedLm lm = TrainedLm.load(checkpoint);
        ModelConfig config = lm.model().config();
        BrownLm data = lm.data();
        byte[] text = heldOutText(data, contexts.stream().mapToInt(Integer::intValue).max().orElse(0) + steps + 16);
        double bandwidth = StreamBandwidth.measureGBps((long) bandwidthMib << 20, 5);
        System.out.println(new JsonLine().put("event", "bandwidth").put("stream_read_gb_per_second", bandwidth).put("bytes", (long) bandwidthMib << 20)
                .put("how", "vectorised sum (four independent sums per thread) over a " + bandwidthMib + " MiB float array split over the shared pool's threads, best of 5 passes"));
        warmUp(config, lm, specs, text);
        for (int context : contexts) {
            HeapCheck.require((specs.size() + 1L) * 2 * config.layers() * config.dim() * context * Float.BYTES,
                    "bench decode --context " + context + ": a KV cache per attention and the prefilled one", "use a shorter --context or fewer attentions");
            CausalDecoder full = new CausalDecoder(config, lm.model().namedParameters(), CacheAttentionSpec.parse("exact"), context);
            int[] prompt = new int[context];
            for (int i = 0; i < context; i++) prompt[i] = Vocab.byteToken(text[i]);
            long t0 = System.nanoTime();
            full.prefill(prompt, 0, context);
            double fillSeconds = (System.nanoTime() - t0) / 1e9;
            List<Contender> cs = new ArrayList<>();
            for (CacheAttentionSpec spec : specs) {
                CausalDecoder d = new CausalDecoder(config, lm.model().namedParameters(), spec, context);
                d.continueFrom(full);
                long f0 = System.nanoTime();
                if (d.attention().needsFit()) d.attention().fit();
                Contender c = new Contender(spec, d, (System.nanoTime() - f0) / 1e9, context);
                // Warm-up by count and time: C2 compiles the top-k selection only after some thousand calls (seconds on a busy machine).
                long w0 = System.nanoTime();
                for (int i = 0; i < WARMUP_STEPS || System.nanoTime() - w0 < minSeconds * 1e9; i++) c.step(text);
                cs.add(c);
            }
            // Alternating rounds of --steps bytes each, so a machine that slows down for a while slows every attention alike.
            do {
                for (Contender c : cs) c.timeRound(text, steps);
            } while (cs.stream().anyMatch(c -> c.seconds < minSeconds));
            for (Contender c : cs) {
                CausalDecoder d = c.decoder;
                double perToken = c.read / (double) c.done, tps = c.done / c.seconds;
                JsonLine line = new JsonLine().put("event", "decode").put("context", context).put("attention", c.spec.toString())
                        .put("tokens_per_second", tps).put("ms_per_token", 1e3 / tps).put("cache_bytes", d.cache().bytes())
                        .put("cache_bytes_read_per_token", perToken).put("fraction_of_cache_read", perToken / d.cache().bytes())
                        .put("read_gb_per_second", perToken * tps / 1e9).put("fraction_of_stream_bandwidth", perToken * tps / 1e9 / bandwidth)
                        .put("fit_seconds", c.fitSeconds).put("prefill_seconds", fillSeconds);
                if (scoreBytes > 0) {
                    d.reset();
                    SlidingWindowScore.Score s = SlidingWindowScore.of(d, data.heldOut("test"), scoreBytes);
                    line.put("bits_per_byte", s.bitsPerByte()).put("scored_bytes", s.bytes());
                }
                System.out.println(line);
            }
        }
    }

    /** One attention's decoder over its copy of the cache, and what its timed rounds have decoded so far. */
    private static final class Contender {
        final CacheAttentionSpec spec;
        final CausalDecoder decoder;
        final double fitSeconds;
        int at; // position in the held-out text
        long read, done;
        double seconds;

        Contender(CacheAttentionSpec spec, CausalDecoder decoder, double fitSeconds, int at) {
            this.spec = spec;
            this.decoder = decoder;
            this.fitSeconds = fitSeconds;
            this.at = at;
        }

        void step(byte[] text) {
            decoder.step(Vocab.byteToken(text[at++ % text.length]));
        }

        void timeRound(byte[] text, int steps) {
            long s0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                step(text);
                read += decoder.bytesReadLastStep();
            }
            seconds += (System.nanoTime() - s0) / 1e9;
            done += steps;
        }
    }

    /**
     * Runs every attention for a while on a small cache first: C2 compiles the top-k selection only after thousands of
     * calls, which the warm-up of a long context (a few hundred slow steps) would not reach.
     */
    private void warmUp(ModelConfig config, TrainedLm lm, List<CacheAttentionSpec> specs, byte[] text) {
        int context = 1024, at = 0;
        int[] prompt = new int[context];
        for (int i = 0; i < context; i++) prompt[i] = Vocab.byteToken(text[i % text.length]);
        for (CacheAttentionSpec spec : specs) {
            CausalDecoder d = new CausalDecoder(config, lm.model().namedParameters(), spec, context);
            d.prefill(prompt, 0, context);
            if (d.attention().needsFit()) d.attention().fit();
            long t0 = System.nanoTime();
            for (int i = 0; i < WARMUP_STEPS * 4 && System.nanoTime() - t0 < 4 * minSeconds * 1e9; i++) d.step(Vocab.byteToken(text[at++ % text.length]));
        }
    }

    /** The held-out test streams back to back, repeated until at least n bytes. */
    private static byte[] heldOutText(BrownLm data, int n) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        while (out.size() < n) for (byte[] s : data.heldOut("test")) out.writeBytes(s);
        return out.toByteArray();
    }
}
