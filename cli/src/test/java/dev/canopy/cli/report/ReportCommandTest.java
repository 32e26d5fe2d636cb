package dev.canopy.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.cli.CanopyCliTest;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;

public class ReportCommandTest {
    @TempDir
    Path dir;

    @Test
    void plotsPeersAttentionAndTrainingLines() throws Exception {
        Path input = dir.resolve("bench.jsonl");
        Files.writeString(input, String.join("\n",
                "canopy: building (first run, or sources changed)...",
                "{\"bench\":\"peers\",\"op\":\"attention_forward\",\"contender\":\"canopy\",\"n\":1024,\"seconds\":0.05,\"working_bytes\":600000}",
                "{\"bench\":\"peers\",\"op\":\"attention_forward\",\"contender\":\"canopy\",\"n\":4096,\"seconds\":0.7,\"working_bytes\":700000}",
                "{\"bench\":\"peers\",\"op\":\"attention_forward\",\"contender\":\"pytorch\",\"n\":1024,\"seconds\":0.1,\"peak_rss_rise_bytes\":69000000}",
                "{\"bench\":\"peers\",\"op\":\"attention_forward\",\"contender\":\"pytorch\",\"n\":4096,\"seconds\":1.2,\"peak_rss_rise_bytes\":1100000000}",
                "{\"bench\":\"peers_ratio\",\"op\":\"attention_forward\",\"n\":1024,\"peer\":\"pytorch\",\"canopy_speedup\":2.0}",
                "{\"bench\":\"attention\",\"kind\":\"exact\",\"pass\":\"forward\",\"n\":1024,\"seconds\":0.05,\"working_bytes\":600000}",
                "{\"bench\":\"attention\",\"kind\":\"exact\",\"pass\":\"forward\",\"n\":2048,\"seconds\":0.2,\"working_bytes\":650000}",
                "{\"run\":\"listops\",\"attention\":\"exact\",\"accuracy\":0.37,\"attention_flops\":1.5e12}",
                "{\"run\":\"listops\",\"attention\":\"topk:k=64\",\"accuracy\":0.36,\"attention_flops\":4e11}", ""));
        Path out = dir.resolve("report");
        CanopyCliTest.Run r = CanopyCliTest.run("bench", "report", input.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        for (String png : new String[] {"peers_attention_forward_time.png", "peers_attention_forward_memory.png",
                "attention_forward_time.png", "attention_forward_memory.png", "accuracy_vs_flops.png"}) {
            BufferedImage image = ImageIO.read(out.resolve(png).toFile());
            assertTrue(image != null && image.getWidth() >= 600 && image.getHeight() >= 400, png);
        }
        String html = Files.readString(out.resolve("index.html"));
        assertTrue(html.contains("<img src=\"peers_attention_forward_time.png\""), html);
        assertTrue(html.contains("<td>pytorch</td>"), html);
    }

    @Test
    void seedsWithEqualFlopsStaySeparatePointsOnTheScatterCharts() {
        List<Map<String, Object>> lines = new ArrayList<>();
        for (int seed = 1; seed <= 3; seed++) {
            lines.add(Map.of("bench", "sweep", "attention", "tf:h=4", "n", 1024.0, "seed", (double) seed,
                    "accuracy", 0.88 + 0.01 * seed, "attention_flops", 3.6e7, "train_seconds", 0.0));
        }
        Map<String, XYChart> charts = new HashMap<>();
        for (ReportCharts.Figure f : ReportCharts.build(new BenchRecords(lines))) {
            if (f.chart() instanceof XYChart xy) charts.put(f.file(), xy);
        }
        // Equal FLOPs (and, for resumed cells, equal seconds): three runs, three points each.
        assertEquals(3, charts.get("accuracy_vs_flops.png").getSeriesMap().get("tf:h=4").getYData().length);
        assertEquals(3, charts.get("sweep_accuracy_vs_time.png").getSeriesMap().get("tf:h=4").getYData().length);
        assertEquals(1, charts.get("sweep_accuracy_vs_n.png").getSeriesMap().get("tf:h=4").getYData().length); // the mean
    }

    @Test
    void brokenLineIsNamedWithFileAndLine() throws Exception {
        Path input = dir.resolve("broken.jsonl");
        Files.writeString(input, "{\"bench\":\"peers\"}\n{\"bench\": oops}\n");
        CanopyCliTest.Run r = CanopyCliTest.run("bench", "report", input.toString(), "--out", dir.resolve("r").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("broken.jsonl line 2"), r.err());
    }

    @Test
    void missingFileAndNothingToPlotAreErrors() throws Exception {
        CanopyCliTest.Run missing = CanopyCliTest.run("bench", "report", dir.resolve("nope.jsonl").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no such file"), missing.err());
        Path empty = dir.resolve("empty.jsonl");
        Files.writeString(empty, "{\"bench\":\"fma_peak\",\"gflops\":200}\n");
        CanopyCliTest.Run nothing = CanopyCliTest.run("bench", "report", empty.toString(), "--out", dir.resolve("r").toString());
        assertEquals(2, nothing.code());
        assertTrue(nothing.err().contains("no plottable lines"), nothing.err());
    }
}
