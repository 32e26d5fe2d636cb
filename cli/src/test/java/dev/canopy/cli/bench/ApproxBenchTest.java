package dev.canopy.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.cli.CanopyCliTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

public class ApproxBenchTest {

    /** Runs the command with System.out captured (the benchmarks print JSON lines there). */
    private static String[] runCapturing(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, CanopyCliTest.run(args).code());
        } finally {
            System.setOut(saved);
        }
        return bytes.toString(StandardCharsets.UTF_8).strip().split("\n");
    }

    private static double error(String line) {
        Matcher m = Pattern.compile("\"rel_l2_error\":([0-9.eE+-]+)").matcher(line);
        assertTrue(m.find(), line);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void errorShrinksWithKAndVanishesWhenKCoversEveryKey() {
        String[] lines = runCapturing("bench", "approx", "--attention", "topk", "--k", "2,8,64", "--n", "64", "--d", "16", "--heads", "1",
                "--inputs", "clustered", "--cluster-size", "8");
        assertEquals(3, lines.length, String.join("\n", lines));
        assertTrue(lines[0].contains("\"kind\":\"topk:k=2,chunk=1024\"") && lines[0].contains("\"inputs\":\"clustered\""), lines[0]);
        double e2 = error(lines[0]), e8 = error(lines[1]), e64 = error(lines[2]);
        assertTrue(e2 > e8 && e8 > e64, e2 + " " + e8 + " " + e64);
        assertTrue(e64 < 1e-5, "k = n must be exact, got " + e64);
        assertTrue(lines[2].contains("\"mass_kept\":1.00000"), lines[2]);
    }

    @Test
    void unknownInputDistributionIsNamed() {
        CanopyCliTest.Run r = CanopyCliTest.run("bench", "approx", "--inputs", "uniform", "--n", "16");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown distribution 'uniform'"), r.err());
    }
}
