package dev.canopy.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.testing.ContainsTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Warm start from a model of shorter sequences: its learned positions seed the first rows. */
class PositionPrefixTest {
    @TempDir Path dir;

    static ModelConfig.Builder config(int maxLength) {
        return ModelConfig.builder(10, maxLength, 2).dim(8).heads(2).layers(1).ffnDim(16).seed(3);
    }

    @Test
    void aShorterPositionTableFillsTheFirstRowsAndEverythingElseCopies() throws Exception {
        EncoderClassifier shorter = new EncoderClassifier(config(6).build());
        Trainer trainer = new Trainer(shorter, ContainsTask.of(20, 1), TrainConfig.builder(1, 4, 1e-3).build());
        new Checkpoints(dir, new SafetensorsStore()).save(1, shorter, trainer.optimizer(), Map.of());
        EncoderClassifier longer = new EncoderClassifier(config(12).qkvInit(0.3f).build()); // other values than the checkpoint's
        float[] freshRows = longer.namedParameters().get("embed.positions.weight").data.clone();
        List<String> fresh = Checkpoints.loadMatching(dir, longer, new SafetensorsStore());
        assertEquals(List.of("embed.positions.weight (rows 6..12)"), fresh);
        float[] from = shorter.namedParameters().get("embed.positions.weight").data, to = longer.namedParameters().get("embed.positions.weight").data;
        for (int i = 0; i < to.length; i++) assertEquals(i < 6 * 8 ? from[i] : freshRows[i], to[i], "position value " + i);
        for (var e : shorter.namedParameters().entrySet()) {
            if (!e.getKey().equals("embed.positions.weight")) assertArrayEquals(e.getValue().data, longer.namedParameters().get(e.getKey()).data, e.getKey());
        }
        // The other way (a longer table into a shorter model) is still a size mismatch.
        Path longDir = dir.resolve("long");
        new Checkpoints(longDir, new SafetensorsStore()).save(1, longer, new Trainer(longer, ContainsTask.of(20, 1), TrainConfig.builder(1, 4, 1e-3).build()).optimizer(), Map.of());
        assertThrows(IOException.class, () -> Checkpoints.loadMatching(longDir, new EncoderClassifier(config(6).build()), new SafetensorsStore()));
    }
}
