package dev.canopy.cli.pretrained;

import dev.canopy.bert.BertConfig;
import dev.canopy.io.NamedTensor;
import dev.canopy.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A BERT directory (model.safetensors, config.json, tokenizer.json) small enough to write in a test. */
public final class TinyBert {
    private TinyBert() {}

    static final int HIDDEN = 4, FFN = 8, POSITIONS = 16;
    static final String[] TOKENS = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world"};

    /** configVocab rows of word embeddings; every weight is scale times a N(0, 1) draw (NaN or 1e38 break it). */
    public static Path write(Path dir, int configVocab, float scale) throws IOException {
        Files.createDirectories(dir);
        BertConfig c = new BertConfig(configVocab, HIDDEN, 1, 1, FFN, POSITIONS, 2, 1e-12);
        Files.writeString(dir.resolve("config.json"), c.toJson());
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < TOKENS.length; i++) vocab.append(i == 0 ? "" : ",").append('"').append(TOKENS[i]).append("\":").append(i);
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"vocab\":{" + vocab + "}}}");
        Random rng = new Random(3);
        List<NamedTensor> t = new ArrayList<>();
        String l = "encoder.layer.0.";
        add(t, rng, scale, "embeddings.word_embeddings.weight", configVocab, HIDDEN);
        add(t, rng, scale, "embeddings.position_embeddings.weight", POSITIONS, HIDDEN);
        add(t, rng, scale, "embeddings.token_type_embeddings.weight", 2, HIDDEN);
        for (String n : new String[] {"embeddings.LayerNorm", l + "attention.output.LayerNorm", l + "output.LayerNorm"}) {
            add(t, rng, scale, n + ".weight", HIDDEN);
            add(t, rng, scale, n + ".bias", HIDDEN);
        }
        for (String n : new String[] {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
            add(t, rng, scale, l + n + ".weight", HIDDEN, HIDDEN);
            add(t, rng, scale, l + n + ".bias", HIDDEN);
        }
        add(t, rng, scale, l + "intermediate.dense.weight", FFN, HIDDEN);
        add(t, rng, scale, l + "intermediate.dense.bias", FFN);
        add(t, rng, scale, l + "output.dense.weight", HIDDEN, FFN);
        add(t, rng, scale, l + "output.dense.bias", HIDDEN);
        Safetensors.write(dir.resolve("model.safetensors"), t, java.util.Map.of());
        return dir;
    }

    private static void add(List<NamedTensor> t, Random rng, float scale, String name, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        float[] data = new float[n];
        for (int i = 0; i < n; i++) data[i] = scale * (float) rng.nextGaussian();
        t.add(new NamedTensor(name, shape, data));
    }
}
