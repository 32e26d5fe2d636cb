package dev.canopy.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.attention.Attention;
import dev.canopy.cli.CanopyCliTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

public class AbBenchTest {
    /** Where this test's own canopy-core classes come from (a classes folder in the build, or a jar). */
    private static String coreLocation() throws Exception {
        return Path.of(Attention.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** Runs `bench ab` on this test's own core as both builds, tiny shapes, plus extra options; returns its stdout lines. */
    private static String[] abAgainstItself(String... extra) throws Exception {
        String core = coreLocation();
        String[] args = {"bench", "ab", "--a", core, "--b", core, "--attention", "tf:h=2", "--n", "64", "--d", "16", "--per-round", "2", "--warmup", "2"};
        String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.Arrays.stream(extra)).toArray(String[]::new);
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        CanopyCliTest.Run r;
        try {
            r = CanopyCliTest.run(all);
        } finally {
            System.setOut(saved);
        }
        assertEquals(0, r.code(), r.err());
        return bytes.toString(StandardCharsets.UTF_8).strip().split("\n");
    }

    @Test
    void aBuildAgainstItselfGivesIdenticalOutputsAndARatioPerRound() throws Exception {
        String[] lines = abAgainstItself("--rounds", "3");
        assertEquals(4, lines.length, String.join("\n", lines));
        for (int i = 0; i < 3; i++) assertTrue(lines[i].startsWith("{\"bench\":\"ab_round\"") && lines[i].contains("\"b_over_a\":"), lines[i]);
        assertTrue(lines[3].startsWith("{\"bench\":\"ab\"") && lines[3].contains("\"kind\":\"tf:h=2\""), lines[3]);
        assertTrue(lines[3].contains("\"outputs_bit_identical\":1.00000"), "the same build must give the same bits: " + lines[3]);
    }

    @Test
    void withBackwardTheGradientsAreComparedToo() throws Exception {
        String[] lines = abAgainstItself("--rounds", "2", "--backward");
        assertEquals(3, lines.length, String.join("\n", lines));
        assertTrue(lines[2].contains("\"backward\":true") && lines[2].contains("\"outputs_bit_identical\":1.00000"), lines[2]);
    }

    @Test
    void launchesRepeatTheWholeAbInFreshJvmsAndSumThemUp() throws Exception {
        String[] lines = abAgainstItself("--rounds", "2", "--launches", "2");
        assertEquals(2 * 3 + 1, lines.length, String.join("\n", lines));
        assertTrue(lines[2].startsWith("{\"bench\":\"ab\"") && lines[5].startsWith("{\"bench\":\"ab\""), "each launch's own summary is passed through");
        String last = lines[6];
        assertTrue(last.startsWith("{\"bench\":\"ab_launches\"") && last.contains("\"launches\":2"), last);
        assertTrue(last.contains("\"outputs_bit_identical_min\":1.00000"), last);
        String core = coreLocation();
        CanopyCliTest.Run none = CanopyCliTest.run("bench", "ab", "--a", core, "--b", core, "--n", "16", "--launches", "0");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("--launches must be at least 1"), none.err());
    }

    @Test
    void aMissingBuildOrOneWithoutTheApiIsNamed() throws Exception {
        String core = coreLocation();
        CanopyCliTest.Run missing = CanopyCliTest.run("bench", "ab", "--a", "/nonexistent/core.jar", "--b", core, "--n", "16");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--a /nonexistent/core.jar does not exist"), missing.err());
        Path empty = Files.createTempDirectory("canopy-ab");
        CanopyCliTest.Run wrong = CanopyCliTest.run("bench", "ab", "--a", core, "--b", empty.toString(), "--n", "16");
        assertEquals(2, wrong.code());
        assertTrue(wrong.err().contains("does not hold the canopy-core attention API"), wrong.err());
    }
}
