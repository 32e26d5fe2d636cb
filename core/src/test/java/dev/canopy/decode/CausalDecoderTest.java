package dev.canopy.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.data.Batch;
import dev.canopy.data.Sample;
import dev.canopy.model.EncoderClassifier;
import dev.canopy.model.ModelConfig;
import dev.canopy.nn.CounterRng;
import dev.canopy.nn.Parameter;
import dev.canopy.nn.Pass;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Decoding through the KV cache against the full causal forward pass, and the drop-ins that must equal exact. */
class CausalDecoderTest {
    static final int VOCAB = 12, CLASSES = 7, N = 24;

    static EncoderClassifier model(String positions, boolean shift) {
        return model(positions, shift, 2);
    }

    static EncoderClassifier model(String positions, boolean shift, int layers) {
        return model(positions, shift, layers, 2);
    }

    /** One head gives a head width of 16: the sixteen-keys-at-once score kernel's path (two heads of 8 take the plain one). */
    static EncoderClassifier model(String positions, boolean shift, int layers, int heads) {
        ModelConfig c = ModelConfig.builder(VOCAB, N, CLASSES).dim(16).heads(heads).layers(layers).ffnDim(20).pooling(ModelConfig.Pooling.TOKENS)
                .causal(true).shift(shift).positions(ModelConfig.positions(positions)).seed(5).build();
        EncoderClassifier m = new EncoderClassifier(c);
        long i = 0;
        for (Parameter p : m.namedParameters().values()) {
            boolean gain = p.name.endsWith("ln1.weight") || p.name.endsWith("ln2.weight") || p.name.endsWith("ln_final.weight");
            for (int j = 0; j < p.size(); j++) p.data[j] = (gain ? 1f : 0f) + 0.3f * CounterRng.gaussian(17, i++);
        }
        return m;
    }

    static int[] tokens(int n, long seed) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = (int) ((CounterRng.hash(seed, i) >>> 1) % VOCAB);
        return t;
    }

    /** Logits [n, classes] of the full forward pass, every position supervised. */
    static float[] full(EncoderClassifier m, int[] tokens) {
        return m.forward(Batch.of(List.of(Sample.positions(tokens, new int[tokens.length])), false, tokens.length, 1), Pass.INFERENCE).logits();
    }

    static float[] decoded(CausalDecoder d, int[] tokens) {
        float[] out = new float[tokens.length * CLASSES];
        for (int t = 0; t < tokens.length; t++) System.arraycopy(d.step(tokens[t]), 0, out, t * CLASSES, CLASSES);
        return out;
    }

    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, what + ": position " + i / CLASSES + " class " + i % CLASSES);
        }
    }

    @ParameterizedTest
    @CsvSource({"rotary,false,2", "rotary,true,2", "learned,true,2", "sinusoidal,false,2", "rotary,true,1"})
    void exactDecodingEqualsTheFullCausalForwardAtEveryPosition(String positions, boolean shift, int heads) {
        EncoderClassifier m = model(positions, shift, 2, heads);
        int[] t = tokens(N, 3);
        CausalDecoder d = new CausalDecoder(m.config(), m.namedParameters(), CacheAttentionSpec.parse("exact"), N);
        assertClose(full(m, t), decoded(d, t), 1e-5, positions);
        d.reset();
        assertClose(full(m, t), decoded(d, t), 1e-5, positions + " after reset");
    }

    @ParameterizedTest
    @CsvSource({"rotary,false,2", "rotary,true,2", "learned,true,2", "sinusoidal,true,1"})
    void chunkedPrefillEqualsFeedingTokenByToken(String positions, boolean shift, int heads) {
        EncoderClassifier m = model(positions, shift, 2, heads);
        int[] t = tokens(N, 9);
        CausalDecoder one = new CausalDecoder(m.config(), m.namedParameters(), CacheAttentionSpec.parse("exact"), N);
        CausalDecoder chunked = new CausalDecoder(m.config(), m.namedParameters(), CacheAttentionSpec.parse("exact"), N);
        for (int i = 0; i < N - 2; i++) one.feed(t[i]);
        chunked.prefill(t, 0, 1);      // one row
        chunked.prefill(t, 1, 11);     // a chunk after it: the shift and positions carry over
        chunked.prefill(t, 11, N - 2);
        assertEquals(one.position(), chunked.position());
        float[] a = decoded(one, Arrays.copyOfRange(t, N - 2, N)), b = decoded(chunked, Arrays.copyOfRange(t, N - 2, N));
        assertClose(a, b, 1e-5, positions + " prefill");
        CausalDecoder small = new CausalDecoder(m.config(), m.namedParameters(), CacheAttentionSpec.parse("exact"), 8);
        small.prefill(t, 0, N); // would wrap the cache: fed token by token
        assertEquals(N, small.position());
    }

    @ParameterizedTest
    @CsvSource({"topk:k=24,2", "topk:k=100,2", "tf:h=0,2", "tc:h=0,2", "'tf:h=0,local=3',2", "'tc:h=0,local=30',2", "topk:k=24,1", "'tc:h=0,local=5',1", "'tf:h=0,route=mass',2",
        "'tf:h=2,beam=4',2", "'tf:h=3,beam=8,local=2',1"})
    void topKWithKAtLeastTheContextAndTreesOfHeightZeroOrABeamOverEveryLeafEqualExact(String spec, int heads) {
        EncoderClassifier m = model("rotary", true, 2, heads);
        int[] t = tokens(N, 4);
        CausalDecoder exact = new CausalDecoder(m.config(), m.namedParameters(), CacheAttentionSpec.parse("exact"), N);
        CausalDecoder other = new CausalDecoder(m.config(), m.namedParameters(), CacheAttentionSpec.parse(spec), N);
        // Trees are fitted on the first tokens (a prompt), then every later key is routed as it is appended.
        float[] a = decoded(exact, Arrays.copyOf(t, 5)), b = decoded(other, Arrays.copyOf(t, 5));
        other.attention().fit();
        assertTrue(!other.attention().needsFit());
        float[] a2 = decoded(exact, Arrays.copyOfRange(t, 5, N)), b2 = decoded(other, Arrays.copyOfRange(t, 5, N));
        assertClose(a, b, 1e-5, spec);
        assertClose(a2, b2, 1e-5, spec);
    }

    /**
     * One layer, so that the cached keys depend on their own tokens only: with more layers a rolling cache's deeper keys
     * carry what their positions saw before the window (as in any rolling-buffer cache), and no re-run of the window equals it.
     */
    @Test
    void aSlidingWindowWithRotaryPositionsEqualsTheFullForwardOverTheLastWindow() {
        EncoderClassifier m = model("rotary", false, 1);
        int window = 10;
        int[] t = tokens(N, 6);
        for (String spec : List.of("exact", "tc:h=0")) {
            CausalDecoder d = new CausalDecoder(m.config(), m.namedParameters(), CacheAttentionSpec.parse(spec), window);
            if (spec.startsWith("tc")) d.attention().fit();
            float[] last = null;
            for (int tok : t) last = d.step(tok).clone();
            float[] ref = full(m, Arrays.copyOfRange(t, N - window, N));
            assertClose(Arrays.copyOfRange(ref, (window - 1) * CLASSES, window * CLASSES), last, 1e-5, spec + " sliding window");
        }
    }

    @Test
    void treesRouteKeysIntoLeavesAndReadLessThanExact() {
        EncoderClassifier m = model("rotary", true);
        int[] t = tokens(N, 7);
        CausalDecoder exact = new CausalDecoder(m.config(), m.namedParameters(), CacheAttentionSpec.parse("exact"), 12);
        CausalDecoder tf = new CausalDecoder(m.config(), m.namedParameters(), CacheAttentionSpec.parse("tf:h=2"), 12);
        CausalDecoder tc = new CausalDecoder(m.config(), m.namedParameters(), CacheAttentionSpec.parse("tc:h=2,local=3"), 12);
        CausalDecoder beam = new CausalDecoder(m.config(), m.namedParameters(), CacheAttentionSpec.parse("tf:h=3,beam=2"), 12);
        for (int i = 0; i < 12; i++) {
            for (CausalDecoder d : List.of(exact, tf, tc, beam)) d.feed(t[i]);
        }
        for (CausalDecoder d : List.of(tf, tc, beam)) d.attention().fit();
        long beamRead = 0, exactRead = 0;
        for (int i = 12; i < N; i++) { // past the capacity: slots are overwritten and leave their leaves
            float[] e = exact.step(t[i]), f = tf.step(t[i]), c = tc.step(t[i]), b = beam.step(t[i]);
            for (float[] l : List.of(e, f, c, b)) for (float x : l) assertTrue(Float.isFinite(x));
            assertTrue(tf.bytesReadLastStep() < exact.bytesReadLastStep(), "tf reads " + tf.bytesReadLastStep() + " of exact's " + exact.bytesReadLastStep());
            beamRead += beam.bytesReadLastStep();
            exactRead += exact.bytesReadLastStep();
        }
        // Two leaves of eight (and the nodes the descent scored): less than every key, though not at every step.
        assertTrue(beamRead < exactRead, "a beam of 2 of 8 leaves read " + beamRead + " bytes, exact " + exactRead);
    }

    @Test
    void theCacheIsAllocatedOnceAndNeverReallocates() {
        EncoderClassifier m = model("rotary", true);
        CausalDecoder d = new CausalDecoder(m.config(), m.namedParameters(), CacheAttentionSpec.parse("topk:k=4"), 8);
        float[] keys = d.cache().keys(1), values = d.cache().values(1);
        for (int tok : tokens(3 * N, 8)) d.step(tok);
        assertSame(keys, d.cache().keys(1));
        assertSame(values, d.cache().values(1));
        assertEquals(8, d.cache().length());
        assertEquals(2L * 2 * 2 * 8 * 8 * Float.BYTES, d.cache().bytes());
    }

    @Test
    void badModelsAndInputsGetClearErrors() {
        EncoderClassifier learned = model("learned", false);
        var e = assertThrows(IllegalArgumentException.class, () -> new CausalDecoder(learned.config(), learned.namedParameters(), CacheAttentionSpec.parse("exact"), N + 1));
        assertTrue(e.getMessage().contains("learned positions"), e.getMessage());
        EncoderClassifier rotary = model("rotary", false);
        var params = new java.util.HashMap<>(rotary.namedParameters());
        params.remove("head.bias");
        e = assertThrows(IllegalArgumentException.class, () -> new CausalDecoder(rotary.config(), params, CacheAttentionSpec.parse("exact"), N));
        assertTrue(e.getMessage().contains("head.bias"), e.getMessage());
        ModelConfig notCausal = rotary.config().toBuilder().causal(false).build();
        e = assertThrows(IllegalArgumentException.class, () -> new CausalDecoder(notCausal, rotary.namedParameters(), CacheAttentionSpec.parse("exact"), N));
        assertTrue(e.getMessage().contains("not causal"), e.getMessage());
        CausalDecoder d = new CausalDecoder(rotary.config(), rotary.namedParameters(), CacheAttentionSpec.parse("exact"), N);
        e = assertThrows(IllegalArgumentException.class, () -> d.step(VOCAB));
        assertTrue(e.getMessage().contains("vocabulary"), e.getMessage());
        for (String bad : List.of("topk", "topk:k=0", "tf:h=x", "linformer:k=3", "exact:k=2", "tc:h=2,beam=2", "tf:h=2,beam=2,route=tree", "tf:h=2,beam=0")) {
            assertThrows(IllegalArgumentException.class, () -> CacheAttentionSpec.parse(bad), bad);
        }
    }
}
