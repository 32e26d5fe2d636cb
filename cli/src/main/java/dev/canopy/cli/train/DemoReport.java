package dev.canopy.cli.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The demo's outputs besides the terminal table: a PNG of accuracy against attention FLOPs and an HTML page embedding it. */
public final class DemoReport {
    private DemoReport() {}

    /** One trained attention's numbers. */
    record Row(String attention, double accuracy, double flopsPerExample, double flopRatio, double tokensPerSecond,
               long attentionBytes, long heapBytes, double trainSeconds) {}

    static void writePng(Path file, String title, List<Row> rows, double chance) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title)
                .xAxisTitle("attention FLOPs per example (forward, log scale)").yAxisTitle("test accuracy").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(12);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        double minX = Double.MAX_VALUE, maxX = 0;
        for (Row r : rows) {
            double x = Math.max(1, r.flopsPerExample());
            XYSeries s = chart.addSeries(r.attention() + String.format(Locale.ROOT, " (%.1f%%)", 100 * r.accuracy()), new double[] {x}, new double[] {r.accuracy()});
            s.setMarker(SeriesMarkers.CIRCLE);
            minX = Math.min(minX, x);
            maxX = Math.max(maxX, x);
        }
        if (maxX > 0) {
            XYSeries base = chart.addSeries("chance (most frequent answer)", new double[] {minX / 2, maxX * 2}, new double[] {chance, chance});
            base.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            base.setMarker(SeriesMarkers.NONE);
            base.setLineColor(Color.GRAY);
            base.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        }
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".plot-", ".png");
        BitmapEncoder.saveBitmap(chart, Files.newOutputStream(tmp), BitmapEncoder.BitmapFormat.PNG);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static void writeHtml(Path file, String pngName, String table, String command, String setup) throws IOException {
        String html = """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>Canopy demo: attention on associative recall</title>
                <style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222} pre{background:#f6f6f6;padding:1em;overflow-x:auto}</style>
                </head><body>
                <h1>Canopy demo: every attention on the same recall task</h1>
                <p>Command: <code>%s</code></p>
                <p>%s</p>
                <img src="%s" alt="accuracy against attention FLOPs" width="900">
                <h2>Table</h2>
                <pre>%s</pre>
                </body></html>
                """.formatted(escape(command), escape(setup), pngName, escape(table));
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".report-", ".html");
        Files.writeString(tmp, html, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
