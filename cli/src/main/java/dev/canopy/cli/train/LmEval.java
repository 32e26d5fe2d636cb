package dev.canopy.cli.train;

import dev.canopy.attention.registry.Attentions;
import dev.canopy.data.BrownLm;
import dev.canopy.decode.CacheAttentionSpec;
import dev.canopy.decode.CausalDecoder;
import dev.canopy.decode.SlidingWindowScore;
import dev.canopy.io.JsonLine;
import dev.canopy.train.BitsPerByte;
import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code eval --checkpoint RUN} for a language model: bits per byte on the held-out split next to a unigram model's.
 * Without --context the split's windows go through the full causal forward pass (the trained attention, or
 * --attention); with --context N the held-out streams are decoded byte by byte through a KV cache of N positions (a
 * sliding window), with any decode attention.
 */
public final class LmEval {
    private LmEval() {}

    static void run(Path checkpoint, String split, String attention, Integer context, int maxBytes, int batch) throws IOException {
        if (!split.equals("test") && !split.equals("valid")) throw new IllegalArgumentException("--split must be valid or test, got " + split);
        CacheAttentionSpec spec = context == null || attention == null ? null : CacheAttentionSpec.parse(attention);
        if (context != null && context < 1) throw new IllegalArgumentException("--context must be at least 1, got " + context);
        if (maxBytes < 2) throw new IllegalArgumentException("--max-bytes must be at least 2, got " + maxBytes);
        TrainedLm lm = TrainedLm.load(checkpoint);
        BrownLm data = lm.data();
        JsonLine line = new JsonLine().put("event", "eval").put("task", BrownLm.NAME).put("split", split).put("step", lm.step());
        if (context == null) {
            var task = data.task(Tasks.lmHeldOutWindows(Preset.parse(lm.task().preset())));
            var model = lm.model();
            if (attention != null) model = model.withAttention(Attentions.parse(attention));
            long t0 = System.nanoTime();
            double bpb = BitsPerByte.of(model, split.equals("test") ? task.test() : task.valid(), batch, 16);
            line.put("mode", "windows").put("attention", model.attentions().get(0).spec()).put("context", model.config().maxLength())
                    .put("bits_per_byte", bpb).put("seconds", (System.nanoTime() - t0) / 1e9);
        } else {
            CausalDecoder decoder = new CausalDecoder(lm.model().config(), lm.model().namedParameters(), spec == null ? CacheAttentionSpec.parse("exact") : spec, context);
            SlidingWindowScore.Score s = SlidingWindowScore.of(decoder, data.heldOut(split), maxBytes);
            line.put("mode", "sliding").put("attention", decoder.attention().spec()).put("context", context).put("bits_per_byte", s.bitsPerByte())
                    .put("bytes", s.bytes()).put("cache_bytes_read_per_token", s.bytesReadPerToken()).put("tokens_per_second", s.bytes() / s.seconds())
                    .put("seconds", s.seconds());
        }
        System.out.println(line.put("unigram_bits_per_byte", data.unigramBitsPerByte(split)));
    }
}
