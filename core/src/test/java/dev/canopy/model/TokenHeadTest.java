package dev.canopy.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.canopy.nn.Pass;
import dev.canopy.data.Batch;
import dev.canopy.data.Sample;
import dev.canopy.nn.Parameter;
import dev.canopy.nn.SoftmaxCrossEntropy;
import dev.canopy.testing.GradCheck;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The token-level head (pooling tokens) and causal models: gradients, which positions see which, refusals. */
class TokenHeadTest {
    static final int CLASSES = 5;

    static ModelConfig tiny(String attention, boolean causal) {
        return tiny(attention, causal, false);
    }

    static ModelConfig tiny(String attention, boolean causal, boolean shift) {
        return ModelConfig.builder(9, 8, CLASSES).dim(8).heads(2).layers(2).ffnDim(12).attention(attention).pooling(ModelConfig.Pooling.TOKENS)
                .dropout(0.1f).seed(42).causal(causal).shift(shift).build();
    }

    /** Three rows of different lengths (so the batch pads), some positions unsupervised. */
    static Batch batch() {
        return Batch.of(List.of(
                Sample.positions(new int[] {2, 3, 4, 5, 6, 7, 8, 2}, new int[] {-1, 1, -1, 4, 0, -1, 2, 3}),
                Sample.positions(new int[] {3, 8}, new int[] {2, -1}),
                Sample.positions(new int[] {4, 4, 5, 2, 6}, new int[] {-1, -1, 0, 1, 4})), false, 8, 1);
    }

    @ParameterizedTest
    @CsvSource({"exact,false,false", "exact,true,false", "topk:k=8,true,false", "linformer:k=3,false,false", "exact,true,true", "linformer:k=3,false,true"}) // k = n: selection never flips under the nudges
    void everyParameterGradientMatchesFiniteDifferences(String attention, boolean causal, boolean shift) {
        EncoderClassifier model = new EncoderClassifier(tiny(attention, causal, shift));
        EncoderClassifierTest.randomise(model);
        Batch batch = batch();
        Pass pass = Pass.training(77);
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        java.util.function.DoubleSupplier loss = () -> {
            SequenceClassifier.Forward f = model.forward(batch, pass);
            return ce.forward(f.labels().length, CLASSES, f.logits(), f.labels()).loss();
        };
        for (Parameter p : model.namedParameters().values()) p.zeroGrad();
        SequenceClassifier.Forward fwd = model.forward(batch, pass);
        assertArrayEquals(new int[] {1, 4, 0, 2, 3, 2, 0, 1, 4}, fwd.labels(), "one row per supervised position, in row-major order");
        assertEquals(9 * CLASSES, fwd.logits().length);
        var saved = ce.forward(fwd.labels().length, CLASSES, fwd.logits(), fwd.labels());
        float[] dLogits = new float[fwd.logits().length];
        ce.backward(saved, 1f, dLogits);
        model.backward(fwd, dLogits);
        GradCheck.assertParameterGradients(attention + (causal ? "/causal" : "") + (shift ? "/shift" : ""), model.namedParameters(), loss);
    }

    /** Logits of every position of one row (all supervised) for the given tokens. */
    static float[] logits(EncoderClassifier model, int[] tokens) {
        int[] all = new int[tokens.length];
        java.util.Arrays.fill(all, 0);
        return model.forward(Batch.of(List.of(Sample.positions(tokens, all)), false, tokens.length, 1), Pass.INFERENCE).logits();
    }

    @ParameterizedTest
    @CsvSource({"exact,false", "topk:k=2,false", "tf:h=1,false", "exact,true"})
    void aCausalModelsPositionsDoNotSeeLaterTokens(String attention, boolean shift) {
        int t = 5;
        int[] a = {2, 3, 4, 5, 6, 7, 8, 2}, b = a.clone();
        b[t] = 8;
        for (boolean causal : new boolean[] {true, false}) {
            EncoderClassifier model = new EncoderClassifier(tiny(attention, causal, shift));
            EncoderClassifierTest.randomise(model);
            float[] la = logits(model, a), lb = logits(model, b);
            float before = 0, after = 0;
            for (int i = 0; i < t * CLASSES; i++) before = Math.max(before, Math.abs(la[i] - lb[i]));
            for (int i = t * CLASSES; i < la.length; i++) after = Math.max(after, Math.abs(la[i] - lb[i]));
            assertTrue(after > 1e-3f, attention + ": changing token " + t + " changes later logits");
            if (causal) {
                assertEquals(0f, before, attention + ": causal positions before " + t + " must not change");
            } else {
                assertTrue(before > 1e-3f, attention + ": without the mask earlier positions see token " + t + " (the test can tell)");
            }
        }
    }

    @Test
    void attentionsAndPoolingsThatCannotBeCausalAreRefusedAtConfiguration() {
        for (String attention : new String[] {"tc:h=2", "linformer:k=3"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> tiny(attention, true), attention);
            assertTrue(e.getMessage().contains("causal") && e.getMessage().contains(attention.substring(0, 2)), e.getMessage());
        }
        ModelConfig.Builder clsPooled = ModelConfig.builder(9, 8, 3).dim(8).heads(2).layers(1).ffnDim(12).pooling(ModelConfig.Pooling.CLS);
        var cls = assertThrows(IllegalArgumentException.class, () -> clsPooled.causal(true).build());
        assertTrue(cls.getMessage().contains("CLS"), cls.getMessage());
    }

    @Test
    void modelAndBatchMustAgreeOnWhatIsLabelled() {
        EncoderClassifier tokens = new EncoderClassifier(tiny("exact", false));
        Batch sequences = Batch.of(List.of(new Sample(new int[] {2, 3}, 1)), false, 8, 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> tokens.forward(sequences, Pass.INFERENCE)).getMessage().contains("per-position"));
        EncoderClassifier pooled = new EncoderClassifier(EncoderClassifierTest.tiny("exact", "mean", "learned", false));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> pooled.forward(batch(), Pass.INFERENCE)).getMessage().contains("pooling tokens"));
    }

    @Test
    void configWithTokensAndCausalSurvivesJson() {
        ModelConfig c = tiny("topk:k=3", true, true).toBuilder().qkvInit(0.125f).build();
        assertEquals(c, ModelConfig.fromJson(c.toJson()));
        assertThrows(IllegalArgumentException.class, () -> c.toBuilder().qkvInit(0f).build());
        assertTrue(new EncoderClassifier(c).namedParameters().containsKey("embed.shift.weight"));
        ModelConfig bidirectional = c.toBuilder().causal(false).build();
        assertEquals(bidirectional, ModelConfig.fromJson(bidirectional.toJson()));
        assertEquals(ModelConfig.Pooling.TOKENS, ModelConfig.pooling("tokens"));
    }
}
