package dev.canopy.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.data.Batch;
import dev.canopy.nn.Parameter;
import dev.canopy.nn.Pass;
import dev.canopy.nn.SoftmaxCrossEntropy;
import dev.canopy.testing.GradCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Rotary positions in a causal token-level model: gradients through the rotations, and no position table. */
class RotaryModelTest {
    static ModelConfig rotary(String attention, boolean shift) {
        return TokenHeadTest.tiny(attention, true, shift).toBuilder().positions(ModelConfig.Positions.ROTARY).build();
    }

    @ParameterizedTest
    @CsvSource({"exact,false", "exact,true", "topk:k=8,false"})
    void everyParameterGradientMatchesFiniteDifferences(String attention, boolean shift) {
        EncoderClassifier model = new EncoderClassifier(rotary(attention, shift));
        EncoderClassifierTest.randomise(model);
        Batch batch = TokenHeadTest.batch();
        Pass pass = Pass.training(77);
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        java.util.function.DoubleSupplier loss = () -> {
            SequenceClassifier.Forward f = model.forward(batch, pass);
            return ce.forward(f.labels().length, TokenHeadTest.CLASSES, f.logits(), f.labels()).loss();
        };
        for (Parameter p : model.namedParameters().values()) p.zeroGrad();
        SequenceClassifier.Forward fwd = model.forward(batch, pass);
        var saved = ce.forward(fwd.labels().length, TokenHeadTest.CLASSES, fwd.logits(), fwd.labels());
        float[] dLogits = new float[fwd.logits().length];
        ce.backward(saved, 1f, dLogits);
        model.backward(fwd, dLogits);
        GradCheck.assertParameterGradients("rotary " + attention, model.namedParameters(), loss);
    }

    @Test
    void aRotaryModelHasNoPositionTable() {
        EncoderClassifier model = new EncoderClassifier(rotary("exact", false));
        assertTrue(model.namedParameters().keySet().stream().noneMatch(n -> n.contains("positions")));
    }

    @Test
    void rotaryPositionsNeedAnEvenHeadWidth() {
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.builder(9, 8, 5).dim(6).heads(2).positions(ModelConfig.Positions.ROTARY).build());
    }
}
