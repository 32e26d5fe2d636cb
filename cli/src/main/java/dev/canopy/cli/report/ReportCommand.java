package dev.canopy.cli.report;

import static dev.canopy.cli.report.BenchRecords.number;
import static dev.canopy.cli.report.BenchRecords.text;

import dev.canopy.io.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Plots the JSON lines of any bench (PNG, drawn headless) and writes an HTML page that embeds them. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Turn bench JSON lines into PNG plots (time and memory against n; accuracy against FLOPs) and an HTML page.")
public final class ReportCommand implements Runnable {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Files of JSON lines written by the bench commands (other lines are skipped).")
    List<Path> files;

    @Option(names = "--out", description = "Directory for the PNGs and index.html (default: ${DEFAULT-VALUE}).", defaultValue = "out/report")
    Path out;

    @Override
    public void run() {
        try {
            int written = write(BenchRecords.read(files), files.toString(), "", out);
            System.out.println("wrote " + written + " plot(s) and " + out.resolve("index.html"));
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** The plots of these lines and an index.html that shows them after extraHtml (a table, say); returns the plot count. */
    public static int write(BenchRecords records, String source, String extraHtml, Path out) throws IOException {
        System.setProperty("java.awt.headless", "true");  // before any AWT class loads: no display on a server
        List<ReportCharts.Figure> figures = ReportCharts.build(records);
        if (figures.isEmpty()) {
            throw new IllegalArgumentException("bench report: no plottable lines in " + source
                    + " (expected output of bench peers, bench attention, bench kernels, sweep or training results)");
        }
        for (ReportCharts.Figure f : figures) {
            byte[] png = BitmapEncoder.getBitmapBytes(f.chart(), BitmapEncoder.BitmapFormat.PNG);
            AtomicFiles.write(out.resolve(f.file()), ch -> {
                OutputStream o = Channels.newOutputStream(ch);
                o.write(png);
                o.flush();
            });
        }
        AtomicFiles.writeString(out.resolve("index.html"), html(records, figures, source, extraHtml));
        return figures.size();
    }

    private static String html(BenchRecords records, List<ReportCharts.Figure> figures, String source, String extraHtml) {
        StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Canopy benchmark report</title>\n")
                .append("<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}img{max-width:100%}</style></head><body>\n")
                .append("<h1>Canopy benchmark report</h1>\n<p>From: ").append(escape(source)).append("</p>\n").append(extraHtml);
        List<Map<String, Object>> ratios = records.bench("peers_ratio");
        if (!ratios.isEmpty()) {
            h.append("<h2>Canopy against peers</h2>\n<p>speed-up = peer seconds / Canopy seconds (above 1: Canopy is faster); ")
                    .append("memory fraction = Canopy working bytes / peer peak RSS rise.</p>\n<table><tr><th>op</th><th>n</th><th>peer</th>")
                    .append("<th>Canopy s</th><th>peer s</th><th>speed-up</th><th>memory fraction</th></tr>\n");
            for (Map<String, Object> r : ratios) {
                h.append("<tr><td>").append(escape(text(r, "op"))).append("</td><td>").append(ReportCharts.fmt(number(r, "n")))
                        .append("</td><td>").append(escape(text(r, "peer"))).append("</td><td>").append(num(r, "canopy_seconds"))
                        .append("</td><td>").append(num(r, "peer_seconds")).append("</td><td>").append(num(r, "canopy_speedup"))
                        .append("</td><td>").append(num(r, "canopy_memory_fraction")).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        for (Map<String, Object> note : records.bench("peers_note")) {
            h.append("<p><i>").append(escape(text(note, "op") + " n=" + ReportCharts.fmt(number(note, "n")) + ": " + text(note, "message"))).append("</i></p>\n");
        }
        for (ReportCharts.Figure f : figures) {
            h.append("<h2>").append(escape(f.title())).append("</h2>\n<img src=\"").append(escape(f.file())).append("\" alt=\"")
                    .append(escape(f.title())).append("\">\n");
        }
        return h.append("</body></html>\n").toString();
    }

    private static String num(Map<String, Object> line, String key) {
        double x = number(line, key);
        return Double.isNaN(x) ? "" : String.format(Locale.ROOT, "%.4g", x);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
