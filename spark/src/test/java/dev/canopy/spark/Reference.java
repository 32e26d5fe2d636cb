package dev.canopy.spark;

import dev.canopy.attention.registry.Attentions;
import dev.canopy.bert.BertConfig;
import dev.canopy.bert.BertEncoder;
import dev.canopy.bert.BertWeights;
import dev.canopy.bert.FeedForwardSpec;
import dev.canopy.bert.MiniLm;
import dev.canopy.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Embeddings computed as {@code canopy embed} computes them, in this JVM, without Spark: the reference for equality. */
final class Reference {
    private Reference() {}

    static List<float[]> minilm(List<String> texts, String attention, int maxLength) throws IOException {
        MiniLm m = MiniLm.inCache();
        BertConfig c = BertConfig.read(m.configFile());
        WordPieceTokenizer tokenizer = WordPieceTokenizer.fromJson(m.tokenizerFile());
        BertEncoder encoder = new BertEncoder(BertWeights.load(m.safetensorsFile(), c), Attentions.parse(attention), FeedForwardSpec.DENSE);
        List<float[]> out = new ArrayList<>();
        for (String t : texts) out.add(encoder.embed(tokenizer.encode(t, maxLength).ids()));
        return out;
    }

    /** Largest absolute difference between two vectors of the same length. */
    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new AssertionError("lengths " + a.length + " and " + b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs((double) a[i] - b[i]));
        return d;
    }
}
