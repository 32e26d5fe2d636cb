package dev.canopy.cli.pretrained;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.cli.CanopyCliTest;
import org.junit.jupiter.api.Test;

/** Argument errors of the model commands are one line, exit 2, and never start a model download. */
public class MiniLmCommandsTest {

    @Test
    void helpListsTheModelCommands() {
        CanopyCliTest.Run r = CanopyCliTest.run("--help");
        for (String c : new String[] {"convert", "embed", "eval"}) assertTrue(r.out().contains(c), r.out());
        assertTrue(CanopyCliTest.run("eval", "--help").out().contains("dropin"));
    }

    @Test
    void badArgumentsFailFastWithOneLine() {
        expectError(CanopyCliTest.run("convert", "gpt2"), "unknown model 'gpt2'");
        expectError(CanopyCliTest.run("embed", "/no/such/file.txt"), "/no/such/file.txt");
        expectError(CanopyCliTest.run("eval", "dropin", "--limit", "-1"), "--limit");
        expectError(CanopyCliTest.run("eval", "dropin", "--attention", "topk:k=0"), "k must be >= 1");
    }

    @Test
    void badFeedForwardSpecFailsBeforeLoadingAModel() throws Exception {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("canopy-embed", ".txt");
        try {
            java.nio.file.Files.writeString(f, "hello");
            expectError(CanopyCliTest.run("embed", "--ffn", "sparse:k=3", f.toString()), "unknown feed-forward");
        } finally {
            java.nio.file.Files.delete(f);
        }
    }

    private static void expectError(CanopyCliTest.Run r, String fragment) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(fragment), r.err());
    }
}
