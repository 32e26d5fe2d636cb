package dev.canopy.bert;

import dev.canopy.io.NamedTensor;
import dev.canopy.io.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A random BERT of any shape, written as a model.safetensors file with Hugging Face names. */
final class RandomBert {
    private RandomBert() {}

    static Path write(BertConfig c, Random rng, Path file) throws IOException {
        int h = c.hidden(), ff = c.intermediate();
        List<NamedTensor> t = new ArrayList<>();
        t.add(tensor("embeddings.word_embeddings.weight", rng, 1, c.vocabSize(), h));
        t.add(tensor("embeddings.position_embeddings.weight", rng, 0.5, c.maxPositions(), h));
        t.add(tensor("embeddings.token_type_embeddings.weight", rng, 0.5, c.typeVocabSize(), h));
        t.add(scale("embeddings.LayerNorm.weight", rng, h));
        t.add(tensor("embeddings.LayerNorm.bias", rng, 0.1, h));
        for (int l = 0; l < c.layers(); l++) {
            String p = "encoder.layer." + l + ".";
            for (String s : List.of("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense")) {
                t.add(tensor(p + s + ".weight", rng, 0.6 / Math.sqrt(h / 16.0), h, h));
                t.add(tensor(p + s + ".bias", rng, 0.1, h));
            }
            t.add(scale(p + "attention.output.LayerNorm.weight", rng, h));
            t.add(tensor(p + "attention.output.LayerNorm.bias", rng, 0.1, h));
            t.add(tensor(p + "intermediate.dense.weight", rng, 0.5 / Math.sqrt(h / 16.0), ff, h));
            t.add(tensor(p + "intermediate.dense.bias", rng, 0.1, ff));
            t.add(tensor(p + "output.dense.weight", rng, 0.3 / Math.sqrt(ff / 24.0), h, ff));
            t.add(tensor(p + "output.dense.bias", rng, 0.1, h));
            t.add(scale(p + "output.LayerNorm.weight", rng, h));
            t.add(tensor(p + "output.LayerNorm.bias", rng, 0.1, h));
        }
        Safetensors.write(file, t, Map.of());
        return file;
    }

    private static NamedTensor tensor(String name, Random rng, double scale, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        return new NamedTensor(name, shape, v);
    }

    private static NamedTensor scale(String name, Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + (rng.nextDouble() * 2 - 1) * 0.2);
        return new NamedTensor(name, new int[] {n}, v);
    }
}
