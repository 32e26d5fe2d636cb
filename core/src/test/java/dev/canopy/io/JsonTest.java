package dev.canopy.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesValuesEscapesAndNesting() {
        Object v = Json.parse(" {\"a\": [1, -2.5e1, true, false, null], \"b\": {\"c\": \"x\\n\\u00e9\\\"\"}} ");
        assertEquals(Map.of("a", java.util.Arrays.asList(1L, -25.0, true, false, null), "b", Map.of("c", "x\né\"")), v);
        assertEquals(List.of(), Json.parse("[]"));
        assertEquals("a\"b\\c\u0001", Json.parse(Json.quote("a\"b\\c\u0001")));
    }

    @Test
    void rejectsMalformedInputWithAPosition() {
        for (String bad : List.of("", "{", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "\"unterminated", "tru", "{\"a\":1}x", "{\"a\":1,\"a\":2}", "01x")) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
            assertEquals(true, ex.getMessage().contains("at character"), ex.getMessage());
        }
    }
}
