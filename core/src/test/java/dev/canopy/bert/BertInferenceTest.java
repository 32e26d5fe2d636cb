package dev.canopy.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.attention.registry.Attentions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batched inference path against the training-side encoder, sequence by sequence, on random BERTs. */
class BertInferenceTest {
    @TempDir
    Path dir;

    /** Heads of 4 (padded to a vector), intermediate not a multiple of the vector width. */
    static final BertConfig TINY = new BertConfig(30, 16, 2, 4, 24, 40, 2, 1e-12);
    /** MiniLM's head width (2 heads of 32) and positions past one key block. */
    static final BertConfig SMALL_HEADS = new BertConfig(50, 64, 2, 2, 72, 600, 2, 1e-12);

    @Test
    void batchOfMixedLengthsMatchesTheEncoder() throws IOException {
        checkAgainstEncoder(TINY, new int[] {7, 1, 40, 13, 2, 33}, 4096);
    }

    @Test
    void chunkedBatchesMatchTheEncoder() throws IOException {
        // 10 tokens per pass: sequences are grouped into several passes, and the 40-token one runs alone.
        checkAgainstEncoder(TINY, new int[] {3, 4, 40, 5, 5, 9, 1}, 10);
    }

    @Test
    void smallHeadsAndLongSequencesMatchTheEncoder() throws IOException {
        checkAgainstEncoder(SMALL_HEADS, new int[] {130, 600, 17, 513}, 4096);
    }

    private void checkAgainstEncoder(BertConfig c, int[] lengths, int chunkTokens) throws IOException {
        Path file = RandomBert.write(c, new Random(lengths.length * 31L + c.hidden()), dir.resolve("model.safetensors"));
        BertWeights weights = BertWeights.load(file, c);
        BertEncoder encoder = new BertEncoder(weights, Attentions.parse("exact"), FeedForwardSpec.DENSE);
        BertInference inference = new BertInference(InferenceWeights.load(file, c), chunkTokens);
        int[][] batch = randomIds(new Random(5), c, lengths);
        float[][] hidden = inference.hidden(batch);
        float[][] embeddings = inference.embed(batch);
        float[][] pooled = inference.meanPooled(batch);
        for (int s = 0; s < batch.length; s++) {
            float[] expected = encoder.forward(batch[s]).hidden();
            assertArrayEquals(expected, hidden[s], 1e-5f, "hidden states of sequence " + s + " (" + lengths[s] + " tokens)");
            assertArrayEquals(encoder.embed(batch[s]), embeddings[s], 1e-5f, "embedding of sequence " + s);
            float[] mean = new float[c.hidden()];
            for (int i = 0; i < lengths[s]; i++) for (int j = 0; j < c.hidden(); j++) mean[j] += expected[i * c.hidden() + j] / lengths[s];
            assertArrayEquals(mean, pooled[s], 1e-5f, "mean of sequence " + s);
        }
        // The same batch again reuses the workspace and gives the same bits.
        float[][] again = inference.hidden(batch);
        for (int s = 0; s < batch.length; s++) assertArrayEquals(hidden[s], again[s], 0f);
    }

    @Test
    void callsOnSeveralThreadsAtOnceGiveTheBitsOfOneAtATime() throws Exception {
        Path file = RandomBert.write(TINY, new Random(11), dir.resolve("model.safetensors"));
        BertInference inference = new BertInference(InferenceWeights.load(file, TINY), 16);
        int[][][] batches = new int[6][][];
        float[][][] alone = new float[batches.length][][];
        for (int b = 0; b < batches.length; b++) {
            batches[b] = randomIds(new Random(b), TINY, new int[] {3 + b, 12, 1 + 2 * b, 30});
            alone[b] = inference.hidden(batches[b]);
        }
        float[][][] together = new float[batches.length][][];
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        Thread[] threads = new Thread[batches.length];
        for (int b = 0; b < batches.length; b++) {
            int t = b;
            threads[t] = new Thread(() -> {
                try {
                    start.await();
                    for (int rep = 0; rep < 20; rep++) together[t] = inference.hidden(batches[t]);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            threads[t].start();
        }
        start.countDown();
        for (Thread t : threads) t.join();
        for (int b = 0; b < batches.length; b++) {
            for (int s = 0; s < batches[b].length; s++) assertArrayEquals(alone[b][s], together[b][s], 0f, "batch " + b + ", sequence " + s);
        }
    }

    @Test
    void packedWeightsFromMemoryEqualThoseFromTheFile() throws IOException {
        Path file = RandomBert.write(TINY, new Random(3), dir.resolve("model.safetensors"));
        InferenceWeights fromFile = InferenceWeights.load(file, TINY), fromMemory = InferenceWeights.of(BertWeights.load(file, TINY));
        int[][] batch = randomIds(new Random(9), TINY, new int[] {5, 11});
        float[][] a = new BertInference(fromFile).hidden(batch), b = new BertInference(fromMemory).hidden(batch);
        for (int s = 0; s < batch.length; s++) assertArrayEquals(a[s], b[s], 0f);
        assertEquals(fromFile.bytes(), fromMemory.bytes());
    }

    @Test
    void weightsTakeAboutTheirSizeOnDisk() throws IOException {
        Path file = RandomBert.write(SMALL_HEADS, new Random(4), dir.resolve("model.safetensors"));
        long held = InferenceWeights.load(file, SMALL_HEADS).bytes(), disk = Files.size(file);
        // Only the packing pads: intermediate 72 rounds up to whole 32-column panels (MiniLM's sizes need none).
        assertTrue(held <= 1.1 * disk && held > 0.95 * disk, "held " + held + " bytes for a file of " + disk);
    }

    @Test
    void badSequencesAreRejectedWithTheirIndex() throws IOException {
        Path file = RandomBert.write(TINY, new Random(1), dir.resolve("model.safetensors"));
        BertInference inference = new BertInference(InferenceWeights.load(file, TINY));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> inference.hidden(new int[][] {{1, 2}, {}}));
        assertTrue(e.getMessage().startsWith("sequence 1: cannot encode an empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> inference.embed(new int[][] {{1, 30}}));
        assertTrue(e.getMessage().contains("token id 30 is outside the vocabulary of 30"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> inference.embed(new int[][] {new int[41]}));
        assertTrue(e.getMessage().contains("41 tokens exceed the model's 40 positions"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BertInference(InferenceWeights.load(file, TINY), 0));
    }

    static int[][] randomIds(Random rng, BertConfig c, int[] lengths) {
        int[][] batch = new int[lengths.length][];
        for (int s = 0; s < lengths.length; s++) {
            batch[s] = new int[lengths[s]];
            for (int i = 0; i < lengths[s]; i++) batch[s][i] = rng.nextInt(c.vocabSize());
        }
        return batch;
    }
}
