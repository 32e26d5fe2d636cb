package dev.canopy.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CacheAttentionSpecTest {
    @Test
    void readsEveryFormWithItsDefaults() {
        CacheAttentionSpec topk = CacheAttentionSpec.parse("topk:k=64");
        assertEquals("topk", topk.name());
        assertEquals(64, topk.k());
        CacheAttentionSpec tf = CacheAttentionSpec.parse("tf:h=6,local=32");
        assertEquals(6, tf.height());
        assertEquals(32, tf.local());
        assertEquals(1, tf.beam());
        assertEquals(1, tf.seed());
        assertFalse(tf.byMass());
        CacheAttentionSpec tc = CacheAttentionSpec.parse("tc:h=4,route=mass,seed=7");
        assertTrue(tc.byMass());
        assertEquals(7, tc.seed());
    }

    @Test
    void aBeamRoutesByMassUnlessTheTreeIsAskedFor() {
        assertTrue(CacheAttentionSpec.parse("tf:h=6,beam=4").byMass());
        assertTrue(CacheAttentionSpec.parse("tf:h=6,beam=4,route=mass").byMass());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CacheAttentionSpec.parse("tf:h=6,beam=4,route=tree"));
        assertTrue(e.getMessage().contains("route=tree"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "foo|unknown",
            "topk|needs option k",
            "topk:k=0|k=0",
            "tf:h=17|h=17",
            "tf:h=3,bogus=1|bogus",
            "tc:h=3,beam=2|beam",
            "tf:h=3,route=sideways|sideways",
            "tf:h=3,local=-1|local=-1",
            "tf:h=x|h=x"})
    void rejectsBadSpecsNamingThePart(String spec, String named) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CacheAttentionSpec.parse(spec));
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }
}
