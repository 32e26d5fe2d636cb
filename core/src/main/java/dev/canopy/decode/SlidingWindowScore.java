package dev.canopy.decode;

import dev.canopy.data.Vocab;
import java.util.List;

/**
 * Bits per byte of held-out text decoded through the KV cache: every byte of a stream is predicted from all bytes
 * before it that the cache holds (up to its capacity: a sliding window), one decode step per byte, so every byte after
 * the first window is scored with a full context. Streams are scored independently from an empty cache. An attention
 * that must be fitted (trees) is fitted on each stream's first window first, as on a prompt, and the stream is then
 * scored from its start with the fitted trees.
 */
public final class SlidingWindowScore {
    private SlidingWindowScore() {}

    /**
     * What a score measured.
     *
     * @param bitsPerByte     mean -log2 p(byte)
     * @param bytes           bytes scored
     * @param seconds         wall time of the scoring steps
     * @param bytesReadPerToken mean bytes of cache the attention read per step
     */
    public record Score(double bitsPerByte, long bytes, double seconds, double bytesReadPerToken) {}

    /**
     * Scores streams (each cut to its first maxBytes bytes).
     *
     * @param decoder  a decoder of a byte-level model (classes are byte values)
     * @param streams  held-out text
     * @param maxBytes bytes of each stream to score
     * @return the score
     */
    public static Score of(CausalDecoder decoder, List<byte[]> streams, int maxBytes) {
        if (decoder.config().classes() != 256) throw new IllegalArgumentException("bits per byte needs a byte-level model (256 classes), this one has " + decoder.config().classes());
        double nats = 0, read = 0;
        long scored = 0;
        long t0 = System.nanoTime();
        for (byte[] stream : streams) {
            int n = Math.min(stream.length, maxBytes);
            if (n < 2) continue;
            decoder.reset();
            if (decoder.attention().needsFit() || decoder.attention() instanceof TreeCacheAttention) {
                for (int t = 0; t < Math.min(n, decoder.cache().capacity()); t++) decoder.feed(Vocab.byteToken(stream[t]));
                decoder.attention().fit();
                decoder.reset();
            }
            for (int t = 0; t + 1 < n; t++) {
                float[] logits = decoder.step(Vocab.byteToken(stream[t]));
                nats += logSumExp(logits) - logits[stream[t + 1] & 0xFF];
                read += decoder.bytesReadLastStep();
                scored++;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Score(scored == 0 ? Double.NaN : nats / scored / Math.log(2), scored, seconds, scored == 0 ? 0 : read / scored);
    }

    static double logSumExp(float[] x) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : x) max = Math.max(max, v);
        for (float v : x) sum += Math.exp(v - max);
        return max + Math.log(sum);
    }
}
