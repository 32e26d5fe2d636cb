package dev.canopy.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.model.ModelConfig;
import org.junit.jupiter.api.Test;

class ModelMemoryTest {
    static ModelConfig config(int dim, int layers) {
        return ModelConfig.builder(20, 63, 2).dim(dim).heads(1).layers(layers).ffnDim(2 * dim).build();
    }

    @Test
    void aBatchThatCannotFitIsRefusedSayingWhatFits() {
        ModelMemory m = new ModelMemory(config(64, 2));
        long heap = 1L << 30;
        long fits = m.maxBatch(true, heap);
        assertTrue(fits > 100 && fits < 100_000, "max batch " + fits);
        m.check((int) fits, true, heap, "--batch");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.check((int) fits + 1, true, heap, "--batch"));
        assertTrue(e.getMessage().startsWith("--batch " + (fits + 1) + " does not fit in memory") && e.getMessage().contains("at most " + fits + " examples"), e.getMessage());
        assertTrue(m.maxBatch(false, heap) > fits, "inference keeps less than training");
    }

    @Test
    void absurdSizesSaturateInsteadOfWrappingAround() {
        ModelMemory huge = new ModelMemory(config(1 << 29, 1 << 20));
        assertEquals(Long.MAX_VALUE, huge.weights());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> huge.check(1, true, 64L << 30, "--batch"));
        assertTrue(e.getMessage().contains("the model does not fit in memory"), e.getMessage());
        // One batch array [rows, 3 dim] may not pass 2^31 floats, whatever the heap.
        ModelMemory wide = new ModelMemory(config(4096, 1));
        assertTrue(wide.maxBatch(false, Long.MAX_VALUE / 2) <= (Integer.MAX_VALUE - 16) / (63L * 3 * 4096));
    }
}
