package dev.canopy.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.cli.CanopyCliTest;
import dev.canopy.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The peers bench at toy sizes: every line is JSON, every contender agrees with Canopy, ratios are printed. */
public class PeersBenchTest {

    static List<Map<String, Object>> runBench(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            CanopyCliTest.Run r = CanopyCliTest.run(args);
            assertEquals(0, r.code(), r.err());
        } finally {
            System.setOut(saved);
        }
        return bytes.toString(StandardCharsets.UTF_8).lines().map(Json::parseObject).toList();
    }

    @Test
    void smallRunPrintsOneLinePerContenderAndRatios() {
        List<Map<String, Object>> lines = runBench("bench", "peers", "--ops", "sgemm,attention,backward,topk", "--size", "48", "--n", "40",
                "--d", "8", "--heads", "2", "--topk", "5", "--min-seconds", "0", "--min-runs", "1", "--max-runs", "2");
        List<Map<String, Object>> results = lines.stream().filter(l -> "peers".equals(l.get("bench"))).toList();
        // sgemm: 3 contenders; attention forward: 5 (Canopy's training and inference kernels, PyTorch, ONNX Runtime's
        // graph and its fused MultiHeadAttention); forward+backward and top-k: canopy and pytorch
        assertEquals(12, results.size(), lines.toString());
        for (Map<String, Object> l : results) {
            assertTrue(((Number) l.get("seconds")).doubleValue() > 0, l.toString());
            if (!"canopy".equals(l.get("contender"))) {
                double diff = ((Number) l.get("max_abs_diff_vs_canopy")).doubleValue();
                assertTrue(diff < 1e-4, "peer disagrees with Canopy: " + l);
            }
        }
        // one ratio per peer, and three more for the inference kernel against the attention forward's peers
        assertEquals(10, lines.stream().filter(l -> "peers_ratio".equals(l.get("bench"))).count(), lines.toString());
        assertTrue(results.stream().anyMatch(l -> "onnxruntime-mha".equals(l.get("contender"))), lines.toString());
    }

    @Test
    void unknownOperationIsNamed() {
        CanopyCliTest.Run r = CanopyCliTest.run("bench", "peers", "--ops", "sgemm,flash");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown operation 'flash'"), r.err());
        r = CanopyCliTest.run("bench", "peers", "--ops", "minilm", "--minilm-batch", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--minilm-batch must be in 1..1024, got 0"), r.err());
    }
}
