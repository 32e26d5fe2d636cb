package dev.canopy.attention.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionFamily;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.nn.Pass;
import dev.canopy.testing.GradCheck;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The checks every registered attention passes: its spec round-trips, padded keys are ignored, the causal mask works
 * where the registry says the family takes it and is refused with a message that says so where it does not, the backward matches finite differences, and the accounting is filled.
 * A new attention adds one row to {@link #ROWS}.
 */
class AttentionContractTest {

    /** An example spec per family, and whether its output is smooth in q and k (tree routing is not). */
    record Row(String spec, boolean smoothInQk) {}

    static final Map<String, Row> ROWS = Map.of(
            "exact", new Row("exact", true),
            "topk", new Row("topk:k=3", true),
            "tf", new Row("tf:h=1", false),
            "tc", new Row("tc:h=1", false),
            "linformer", new Row("linformer:k=4", true),
            "local", new Row("local:w=2", true));

    static Stream<String> families() {
        return Attentions.FAMILIES.stream().map(AttentionFamily::name);
    }

    private static final AttentionShape SHAPE = new AttentionShape(2, 2, 7, 7, 6, 5);
    private static final AttentionSetup SETUP = new AttentionSetup(2, 6, 7, 3);

    @Test
    void everyFamilyHasAContractRowAndAUsageLine() {
        for (AttentionFamily f : Attentions.FAMILIES) {
            assertTrue(ROWS.containsKey(f.name()), "add a row for " + f.name() + " to AttentionContractTest.ROWS");
            assertTrue(Attentions.known().contains(f.options().usage()), f.name());
            assertTrue(Attentions.help().contains(f.summary()), f.name());
        }
        assertEquals(Attentions.FAMILIES.size(), ROWS.size(), "a row for a family that is not registered");
    }

    @ParameterizedTest
    @MethodSource("families")
    void specRoundTrips(String family) {
        Attention a = Attentions.create(ROWS.get(family).spec(), SETUP);
        assertEquals(a.spec(), Attentions.create(a.spec(), SETUP).spec(), "the canonical spec parses back to itself");
        assertEquals(family, Attentions.parse(a.spec()).name());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Attentions.parse(family + ":nosuch=1")).getMessage().contains("'nosuch'"));
    }

    @ParameterizedTest
    @MethodSource("families")
    void paddedKeysAreIgnored(String family) {
        Attention a = Attentions.create(ROWS.get(family).spec(), SETUP);
        Random rng = new Random(1);
        float[] q = GradCheck.random(rng, SHAPE.qSize(), 1f), k = GradCheck.random(rng, SHAPE.kSize(), 1f), v = GradCheck.random(rng, SHAPE.vSize(), 1f);
        boolean[] pad = new boolean[SHAPE.batch() * SHAPE.nk()];
        for (int j = 5; j < 7; j++) pad[j] = true; // item 0 has 5 real keys, item 1 all 7
        AttentionMask mask = AttentionMask.padding(pad);
        float[] out = new float[SHAPE.outSize()];
        a.forward(SHAPE, q, k, v, mask, Pass.INFERENCE, out);
        float[] k2 = k.clone(), v2 = v.clone();
        for (int h = 0; h < SHAPE.heads(); h++) {
            for (int j = 5; j < 7; j++) {
                for (int c = 0; c < SHAPE.d(); c++) k2[(h * SHAPE.nk() + j) * SHAPE.d() + c] += 3f;
                for (int c = 0; c < SHAPE.dv(); c++) v2[(h * SHAPE.nk() + j) * SHAPE.dv() + c] += 3f;
            }
        }
        float[] out2 = new float[SHAPE.outSize()];
        a.forward(SHAPE, q, k2, v2, mask, Pass.INFERENCE, out2);
        assertArrayEquals(out, out2, 1e-5f, family + ": changing padded keys changed the output");
    }

    @ParameterizedTest
    @MethodSource("families")
    void causalMaskWorksOrIsRefused(String family) {
        Attention a = Attentions.create(ROWS.get(family).spec(), SETUP);
        Random rng = new Random(2);
        float[] q = GradCheck.random(rng, SHAPE.qSize(), 1f), k = GradCheck.random(rng, SHAPE.kSize(), 1f), v = GradCheck.random(rng, SHAPE.vSize(), 1f);
        float[] out = new float[SHAPE.outSize()];
        if (!Attentions.family(family).causal()) {
            // The registry says a causal model cannot use it: the forward must refuse the mask, and say why.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.forward(SHAPE, q, k, v, AttentionMask.CAUSAL, Pass.INFERENCE, out));
            assertTrue(e.getMessage().contains("causal"), family + " refuses the causal mask without saying so: " + e.getMessage());
            return;
        }
        a.forward(SHAPE, q, k, v, AttentionMask.CAUSAL, Pass.INFERENCE, out);
        // Query 3 must not see keys 4..6: change them and its output stays.
        float[] k2 = k.clone(), v2 = v.clone();
        for (int p = 0; p < SHAPE.pairs(); p++) {
            for (int j = 4; j < 7; j++) {
                for (int c = 0; c < SHAPE.d(); c++) k2[(p * SHAPE.nk() + j) * SHAPE.d() + c] -= 2f;
                for (int c = 0; c < SHAPE.dv(); c++) v2[(p * SHAPE.nk() + j) * SHAPE.dv() + c] -= 2f;
            }
        }
        float[] out2 = new float[SHAPE.outSize()];
        a.forward(SHAPE, q, k2, v2, AttentionMask.CAUSAL, Pass.INFERENCE, out2);
        for (int p = 0; p < SHAPE.pairs(); p++) {
            for (int i = 0; i <= 3; i++) {
                for (int c = 0; c < SHAPE.dv(); c++) {
                    int at = (p * SHAPE.nq() + i) * SHAPE.dv() + c;
                    assertEquals(out[at], out2[at], 1e-5f, family + ": query " + i + " saw a later key");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void backwardMatchesFiniteDifferencesAndAccountingIsFilled(String family) {
        Row row = ROWS.get(family);
        Attention a = Attentions.create(row.spec(), SETUP);
        Random rng = new Random(3);
        float[] q = GradCheck.random(rng, SHAPE.qSize(), 1f), k = GradCheck.random(rng, SHAPE.kSize(), 1f), v = GradCheck.random(rng, SHAPE.vSize(), 1f);
        float[] w = GradCheck.random(rng, SHAPE.outSize(), 1f);
        boolean[] pad = new boolean[SHAPE.batch() * SHAPE.nk()];
        pad[6] = true;
        AttentionMask mask = AttentionMask.padding(pad);
        float[] out = new float[SHAPE.outSize()];
        Attention.Saved saved = a.forward(SHAPE, q, k, v, mask, Pass.INFERENCE, out); // fits data-initialised trees once
        assertTrue(saved.flops() > 0 && saved.backwardFlops() > 0 && saved.workingBytes() > 0, family + ": accounting " + saved);
        float[] dq = new float[SHAPE.qSize()], dk = new float[SHAPE.kSize()], dv = new float[SHAPE.vSize()];
        a.backward(saved, w, dq, dk, dv);
        java.util.function.DoubleSupplier loss = () -> {
            float[] o = new float[SHAPE.outSize()];
            a.forward(SHAPE, q, k, v, mask, Pass.INFERENCE, o);
            return GradCheck.dot(o, w);
        };
        GradCheck.assertClose(family + " dv", GradCheck.numerical(v, loss, 1e-2f), dv, 2e-2, 2e-3);
        if (row.smoothInQk()) {
            GradCheck.assertClose(family + " dq", GradCheck.numerical(q, loss, 1e-2f), dq, 2e-2, 2e-3);
            GradCheck.assertClose(family + " dk", GradCheck.numerical(k, loss, 1e-2f), dk, 2e-2, 2e-3);
        }
    }
}
