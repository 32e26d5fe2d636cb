package dev.canopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

public class CanopyCliTest {

    public record Run(int code, String out, String err) {}

    public static Run run(String... args) {
        CommandLine cl = Canopy.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpListsEveryCommandWithADescription() {
        Run r = run("--help");
        assertEquals(0, r.code());
        for (String command : new String[] {"bench", "demo"}) assertTrue(r.out().contains(command), r.out());
        Run bench = run("bench", "--help");
        assertTrue(bench.out().contains("kernels") && bench.out().contains("attention"), bench.out());
    }

    @Test
    void unknownOptionIsOneLineAndExitCode2() {
        Run r = run("bench", "attention", "--no-such-option");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--no-such-option"), r.err());
    }

    @Test
    void badValueIsNamed() {
        Run r = run("bench", "attention", "--n", "0", "--attention", "exact");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--n must be positive"), r.err());
        Run unknown = run("bench", "attention", "--n", "16", "--attention", "nonsense:k=3", "--min-seconds", "0");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown attention 'nonsense'"), unknown.err());
    }
}
