package dev.canopy.cli.report;

import static dev.canopy.cli.report.BenchRecords.number;
import static dev.canopy.cli.report.BenchRecords.text;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Turns benchmark lines into charts: time and memory against n (one line per attention or peer), GFLOP/s of the
 * kernels, and accuracy against FLOPs when training results are present. On the line charts, when the same point
 * appears more than once (several runs concatenated), the last one wins; the scatter charts (accuracy against FLOPs and
 * against training time) keep every run, so seeds of one attention, whose FLOPs are equal, stay separate points.
 */
public final class ReportCharts {
    private static final int WIDTH = 900, HEIGHT = 560;

    record Figure(String file, String title, Chart<?, ?> chart) {}

    private ReportCharts() {}

    static List<Figure> build(BenchRecords records) {
        List<Figure> figures = new ArrayList<>();
        peers(records, figures);
        attention(records, figures);
        kernels(records, figures);
        accuracy(records, figures);
        sweep(records, figures);
        return figures;
    }

    /** bench peers: per operation, seconds and memory against n, one line per contender. */
    private static void peers(BenchRecords records, List<Figure> figures) {
        Map<String, List<Map<String, Object>>> byOp = group(records.bench("peers"), l -> text(l, "op"));
        byOp.forEach((op, lines) -> {
            Map<String, Map<Double, Double>> time = series(lines, l -> text(l, "contender"), "seconds");
            if (distinctN(lines) == 1) {
                // One size only: bars of the best rate the lines carry (higher is better), else of seconds.
                String metric = lines.stream().anyMatch(l -> number(l, "gflops") > 0) ? "gflops"
                        : lines.stream().anyMatch(l -> number(l, "tokens_per_second") > 0) ? "tokens_per_second" : "seconds";
                Map<String, Map<Double, Double>> values = series(lines, l -> text(l, "contender"), metric);
                if (!values.isEmpty()) {
                    figures.add(new Figure("peers_" + op + "_" + metric + ".png", op + ": " + metric + " (n=" + fmt(firstN(lines)) + ")",
                            bars(op + " " + metric + ", n=" + fmt(firstN(lines)), metric, values)));
                }
            } else {
                figures.add(new Figure("peers_" + op + "_time.png", op + ": seconds against n",
                        lines(op + ": time per call (median)", "n (sequence length)", "seconds", time)));
            }
            Map<String, Map<Double, Double>> memory = new LinkedHashMap<>();
            for (Map<String, Object> l : lines) {
                boolean accounted = !Double.isNaN(number(l, "working_bytes"));
                String name = text(l, "contender") + (accounted ? " (working bytes, accounted)" : " (peak RSS rise, measured)");
                double bytes = accounted ? number(l, "working_bytes") : number(l, "peak_rss_rise_bytes");
                if (bytes > 0) memory.computeIfAbsent(name, k -> new TreeMap<>()).put(number(l, "n"), bytes / (1 << 20));
            }
            if (!memory.isEmpty() && distinctN(lines) > 1) {
                figures.add(new Figure("peers_" + op + "_memory.png", op + ": memory against n",
                        lines(op + ": memory beyond inputs and outputs", "n (sequence length)", "MiB", memory)));
            }
        });
    }

    /** bench attention: per pass, seconds and working memory against n, one line per attention. */
    private static void attention(BenchRecords records, List<Figure> figures) {
        List<Map<String, Object>> all = records.bench("attention");
        // Runs of different shapes (heads, d, batch) must not share a line: name the shape when the input mixes them.
        Function<Map<String, Object>, String> shape =
                l -> "heads=" + text(l, "heads") + " d=" + text(l, "d") + " batch=" + text(l, "batch");
        boolean mixed = all.stream().map(shape).distinct().count() > 1;
        Function<Map<String, Object>, String> label =
                l -> mixed ? text(l, "kind") + " (" + shape.apply(l) + ")" : text(l, "kind");
        Map<String, List<Map<String, Object>>> byPass = group(all, l -> text(l, "pass"));
        byPass.forEach((pass, lines) -> {
            figures.add(new Figure("attention_" + pass + "_time.png", "attention " + pass + ": seconds against n",
                    lines("attention " + pass + ": time per call (median)", "n (sequence length)", "seconds", series(lines, label, "seconds"))));
            Map<String, Map<Double, Double>> memory = new LinkedHashMap<>();
            series(lines, label, "working_bytes").forEach((k, points) -> {
                Map<Double, Double> mib = new TreeMap<>();
                points.forEach((n, b) -> mib.put(n, b / (1 << 20)));
                memory.put(k, mib);
            });
            figures.add(new Figure("attention_" + pass + "_memory.png", "attention " + pass + ": working memory against n",
                    lines("attention " + pass + ": working memory (accounted)", "n (sequence length)", "MiB", memory)));
        });
    }

    /** bench kernels: sgemm GFLOP/s against size, one line per layout. */
    private static void kernels(BenchRecords records, List<Figure> figures) {
        List<Map<String, Object>> lines = records.bench("sgemm");
        if (lines.isEmpty()) return;
        Map<String, Map<Double, Double>> gflops = new LinkedHashMap<>();
        for (Map<String, Object> l : lines) gflops.computeIfAbsent(text(l, "kind"), k -> new TreeMap<>()).put(number(l, "m"), number(l, "gflops"));
        figures.add(new Figure("kernels_sgemm_gflops.png", "sgemm: GFLOP/s against size",
                lines("Canopy sgemm (square)", "size", "GFLOP/s", gflops)));
    }

    /** Training results: any line with an accuracy and a FLOP count, every run a point, one series per attention. */
    private static void accuracy(BenchRecords records, List<Figure> figures) {
        Map<String, List<double[]>> points = new LinkedHashMap<>();
        for (Map<String, Object> l : records.lines()) {
            double acc = firstNumber(l, "accuracy", "test_accuracy", "eval_accuracy", "val_accuracy");
            double flops = firstNumber(l, "attention_flops", "train_flops", "flops");
            if (Double.isNaN(acc) || Double.isNaN(flops) || flops <= 0) continue;
            String name = !text(l, "attention").isEmpty() ? text(l, "attention") : !text(l, "kind").isEmpty() ? text(l, "kind") : "run";
            points.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[] {flops, acc});
        }
        if (points.isEmpty()) return;
        XYChart chart = chart("accuracy against attention FLOPs", "FLOPs", "accuracy", points, false);
        chart.getStyler().setYAxisLogarithmic(false);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        figures.add(new Figure("accuracy_vs_flops.png", "accuracy against FLOPs", chart));
    }

    /** sweep cells: mean test accuracy over seeds against n, and every cell's accuracy against its training time. */
    private static void sweep(BenchRecords records, List<Figure> figures) {
        List<Map<String, Object>> cells = records.bench("sweep");
        if (cells.isEmpty()) return;
        Map<String, Map<Double, List<Double>>> byN = new LinkedHashMap<>();
        Map<String, List<double[]>> byTime = new LinkedHashMap<>();
        for (Map<String, Object> c : cells) {
            String name = text(c, "attention");
            byN.computeIfAbsent(name, k -> new TreeMap<>()).computeIfAbsent(number(c, "n"), k -> new ArrayList<>()).add(number(c, "accuracy"));
            byTime.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[] {number(c, "train_seconds"), number(c, "accuracy")});
        }
        Map<String, Map<Double, Double>> means = new LinkedHashMap<>();
        byN.forEach((name, points) -> points.forEach((n, accs) ->
                means.computeIfAbsent(name, k -> new TreeMap<>()).put(n, accs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN))));
        XYChart vsN = lines("test accuracy against sequence length (mean over seeds)", "n", "accuracy", means, true);
        vsN.getStyler().setYAxisLogarithmic(false);
        figures.add(new Figure("sweep_accuracy_vs_n.png", "accuracy against n", vsN));
        XYChart vsTime = chart("test accuracy against training time (one point per run)", "training seconds", "accuracy", byTime, false);
        vsTime.getStyler().setYAxisLogarithmic(false).setXAxisLogarithmic(false); // a resumed, finished cell may report 0 s
        vsTime.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        figures.add(new Figure("sweep_accuracy_vs_time.png", "accuracy against training time", vsTime));
    }

    private static XYChart lines(String title, String x, String y, Map<String, Map<Double, Double>> series) {
        return lines(title, x, y, series, true);
    }

    /** One point per x (sorted) for each series. */
    private static XYChart lines(String title, String x, String y, Map<String, Map<Double, Double>> series, boolean log2X) {
        Map<String, List<double[]>> points = new LinkedHashMap<>();
        series.forEach((name, byX) -> points.put(name, byX.entrySet().stream().map(e -> new double[] {e.getKey(), e.getValue()}).toList()));
        return chart(title, x, y, points, log2X);
    }

    /** Each series' (x, y) points as given. log2X: sizes that double from point to point; otherwise a log10 axis (FLOPs span decades). */
    static XYChart chart(String title, String x, String y, Map<String, List<double[]>> series, boolean log2X) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y).build();
        var styler = chart.getStyler();
        // x: sizes double from point to point, so plot log2(x) on a linear axis and label the ticks with x itself;
        // XChart's own log axis labels only powers of ten. y: a log axis with labels between the decades too.
        styler.setYAxisLogarithmic(true).setYAxisLogarithmicDecadeOnly(false).setYAxisDecimalPattern("#,##0.####");
        // Ticks between powers of two stay unlabelled: a blank, since XChart cannot lay out an empty label (n = 48 crashed it).
        if (log2X) chart.setCustomXAxisTickLabelsFormatter(v -> Math.abs(v - Math.rint(v)) < 1e-6 ? fmt(Math.pow(2, Math.rint(v))) : " ");
        else styler.setXAxisLogarithmic(true).setXAxisLogarithmicDecadeOnly(true); // labels between decades overlap
        styler.setLegendPosition(Styler.LegendPosition.OutsideE); // inside, the legend hid points (top-left is where accuracy plots put them)
        styler.setChartBackgroundColor(Color.WHITE).setPlotBackgroundColor(Color.WHITE);
        styler.setPlotGridLinesColor(new Color(220, 220, 220));
        styler.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        styler.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        styler.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        styler.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        styler.setMarkerSize(8);
        series.forEach((name, points) -> {
            if (points.isEmpty()) return;
            double[] xs = points.stream().mapToDouble(p -> log2X ? Math.log(p[0]) / Math.log(2) : p[0]).toArray();
            double[] ys = points.stream().mapToDouble(p -> p[1]).toArray();
            XYSeries s = chart.addSeries(name, xs, ys);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineStyle(new BasicStroke(2f));
        });
        return chart;
    }

    private static CategoryChart bars(String title, String y, Map<String, Map<Double, Double>> series) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("contender").yAxisTitle(y).build();
        chart.getStyler().setLegendVisible(false).setChartBackgroundColor(Color.WHITE).setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        chart.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        List<String> names = new ArrayList<>();
        List<Number> values = new ArrayList<>();
        series.forEach((name, points) -> {
            names.add(name);
            values.add(points.values().iterator().next());
        });
        chart.addSeries(y, names, values);
        return chart;
    }

    private static Map<String, Map<Double, Double>> series(List<Map<String, Object>> lines, Function<Map<String, Object>, String> name, String y) {
        Map<String, Map<Double, Double>> out = new LinkedHashMap<>();
        for (Map<String, Object> l : lines) {
            double n = number(l, "n"), v = number(l, y);
            if (Double.isNaN(n) || Double.isNaN(v) || v <= 0) continue;  // log axes: no zeros
            out.computeIfAbsent(name.apply(l), k -> new TreeMap<>()).put(n, v);
        }
        return out;
    }

    private static Map<String, List<Map<String, Object>>> group(List<Map<String, Object>> lines, Function<Map<String, Object>, String> key) {
        Map<String, List<Map<String, Object>>> out = new LinkedHashMap<>();
        for (Map<String, Object> l : lines) out.computeIfAbsent(key.apply(l), k -> new ArrayList<>()).add(l);
        return out;
    }

    private static long distinctN(List<Map<String, Object>> lines) {
        return lines.stream().mapToDouble(l -> number(l, "n")).distinct().count();
    }

    private static double firstN(List<Map<String, Object>> lines) {
        return number(lines.getFirst(), "n");
    }

    private static double firstNumber(Map<String, Object> l, String... keys) {
        for (String k : keys) if (!Double.isNaN(number(l, k))) return number(l, k);
        return Double.NaN;
    }

    static String fmt(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e6 ? Long.toString((long) x) : String.format(Locale.ROOT, "%.3g", x);
    }
}
