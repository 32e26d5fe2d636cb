package dev.canopy.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Warm start from a model of shorter sequences: its learned positions seed the first rows. */
class PositionPrefixTest {
    @TempDir Path dir;

    static ModelConfig config(int maxLength) {
        return new ModelConfig(10, maxLength, 8, 2, 1, 16, "exact", ModelConfig.Positions.LEARNED, ModelConfig.Pooling.MEAN, 2, 0f, false, 3);
    }

    @Test
    void aShorterPositionTableFillsTheFirstRowsAndEverythingElseCopies() throws Exception {
        EncoderClassifier shorter = new EncoderClassifier(config(6));
        Trainer trainer = new Trainer(shorter, dev.canopy.testing.ContainsTask.of(20, 1), TrainConfig.defaults(1, 4, 1e-3, 1));
        new Checkpoints(dir, new SafetensorsStore()).save(1, shorter, trainer.optimizer(), Map.of());
        EncoderClassifier longer = new EncoderClassifier(config(12).withQkvInit(0.3f)); // other values than the checkpoint's
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
        new Checkpoints(longDir, new SafetensorsStore()).save(1, longer, new Trainer(longer, dev.canopy.testing.ContainsTask.of(20, 1), TrainConfig.defaults(1, 4, 1e-3, 1)).optimizer(), Map.of());
        assertThrows(java.io.IOException.class, () -> Checkpoints.loadMatching(longDir, new EncoderClassifier(config(6)), new SafetensorsStore()));
    }
}
