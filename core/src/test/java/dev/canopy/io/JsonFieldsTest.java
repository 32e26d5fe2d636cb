package dev.canopy.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonFieldsTest {
    @TempDir Path dir;

    @Test
    void readsTypedFields() throws IOException {
        Path f = dir.resolve("task.json");
        Files.writeString(f, "{\"task\":\"listops\",\"seed\":7,\"lr\":\"0.005\",\"clip\":1.5,\"pair\":true}\n");
        JsonFields j = JsonFields.read(f);
        assertEquals("listops", j.string("task"));
        assertEquals(7, j.integer("seed"));
        assertEquals(0.005, j.real("lr"));
        assertEquals(1.5, j.real("clip"));
        assertTrue(j.bool("pair", false));
        assertEquals("dense", j.string("ffn", "dense"));
    }

    @Test
    void everyProblemNamesTheFile() throws IOException {
        Map<String, String> cases = Map.of(
                "", "empty",
                "{\"task\":\"listops\",\"data_se", "truncated",
                "[1,2]", "got an array",
                "{\"task\":5}", "\"task\" must be a string, got a number 5",
                "{\"seed\":\"x\"}", "\"seed\" must be a whole number",
                "{\"lr\":\"abc\"}", "\"lr\" must be a number, got \"abc\"",
                "{}", "\"task\" is missing");
        for (var c : cases.entrySet()) {
            Path f = dir.resolve("run.json");
            Files.writeString(f, c.getKey());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                JsonFields j = JsonFields.read(f);
                if (c.getKey().contains("seed")) j.integer("seed");
                else if (c.getKey().contains("lr")) j.real("lr");
                else j.string("task");
            }, c.getKey());
            assertTrue(e.getMessage().startsWith(f.toString() + ": ") && e.getMessage().contains(c.getValue()), c.getKey() + " -> " + e.getMessage());
        }
    }

    @Test
    void aBuildersRejectionIsPrefixedWithTheFile() {
        JsonFields j = JsonFields.parse("{\"n\":-1}", "model.json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> j.as(f -> {
            if (f.integer("n") < 0) throw new IllegalArgumentException("n must be >= 0");
            return f;
        }));
        assertEquals("model.json: n must be >= 0", e.getMessage());
    }

    @Test
    void textFilesSayWhatIsWrongWithWhichFile() throws IOException {
        Path binary = dir.resolve("a.bin"), latin = dir.resolve("b.txt");
        Files.write(binary, new byte[] {'h', 'i', 0, 1});
        Files.write(latin, new byte[] {'c', 'a', 'f', (byte) 0xe9, '!'});
        assertMessage(binary, "a.bin is a binary file");
        assertMessage(latin, "b.txt is not valid UTF-8 text (first bad byte at offset 3)");
        assertMessage(dir, "is a directory");
        assertMessage(dir.resolve("none"), "none");
        if (Files.exists(Path.of("/dev/null"))) assertMessage(Path.of("/dev/null"), "/dev/null is not a regular file");
    }

    private static void assertMessage(Path file, String fragment) {
        IOException e = assertThrows(IOException.class, () -> TextFiles.readUtf8(file, 1 << 20));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}
