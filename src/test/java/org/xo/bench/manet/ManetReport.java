package org.xo.bench.manet;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Writes the results of the MANET benchmark as files: per scenario a CSV of every (message, receiver) outcome, a CSV
 * of the delivery CDF and a PNG in the style of Figure 3 of the XO paper (cumulative delivery ratio over delivery
 * delay, XO red and solid, client/server blue and dashed, truncated at {@value #PLOT_SECONDS} s); for all scenarios
 * a {@code summary.md} with one table row per scenario and system.
 *
 * <p>Delivery figures count (message, receiver) pairs, so the CDF ends at the delivery ratio, not at 1.
 */
public final class ManetReport {

    static {
        // The benchmark runs on machines without a display; AWT reads this once, at its first use.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** The paper's Figure 3 stops its x axis at 20 s; later deliveries still count in the CSVs and the table. */
    static final double PLOT_SECONDS = 20;
    private static final int CHART_WIDTH = 800;
    private static final int CHART_HEIGHT = 500;
    private static final String NO_VALUE = "–";

    private ManetReport() {
    }

    /** Writes everything for one scenario into dir (created if missing); returns the files written. */
    public static List<Path> writeScenario(Path dir, ScenarioResult result) throws IOException {
        Files.createDirectories(dir);
        String name = result.label();
        Path deliveries = dir.resolve(name + "-deliveries.csv");
        Files.writeString(deliveries, deliveriesCsv(result));
        Path cdf = dir.resolve(name + "-cdf.csv");
        Files.writeString(cdf, cdfCsv(result));
        Path png = dir.resolve(name + ".png");
        ChartUtils.saveChartAsPNG(png.toFile(), chart(result), CHART_WIDTH, CHART_HEIGHT);
        return List.of(deliveries, cdf, png);
    }

    /** Writes dir/summary.md covering all results (a table row per scenario and system) and returns its path. */
    public static Path writeSummary(Path dir, List<ScenarioResult> results) throws IOException {
        Files.createDirectories(dir);
        StringBuilder md = new StringBuilder();
        md.append("# MANET benchmark: XO versus client/server (Figure 3)\n\n");
        md.append("Each scenario runs XO (serverless multicast chat) and the client/server baseline (a central XMPP "
                + "MUC server) in the same run, on the same seeded mobility trace and the same traffic schedule. "
                + "Delivery counts (message, receiver) pairs: sent messages times the other nodes. A pair is "
                + "reachable when the receiver was in the sender's connected component in the topology the network "
                + "carried when the message was generated or in a later one; \"within 1 s while connected\" "
                + "considers the pairs connected at sending. "
                + "Undelivered pairs are split by cause: partitioned (never reachable after sending: no system "
                + "could deliver), cut off at sending (reachable only later: needs repair), connected at sending "
                + "(radio loss, the protocol). The plotted CDF is the fraction of all pairs delivered within a "
                + "delay, truncated at ")
                .append(seconds(PLOT_SECONDS)).append(" s like the paper's figure.\n\n");
        md.append("| scenario | system | sent pairs | delivered | delivery | reachable delivery "
                + "| within 1 s while connected | p50 ms | p99 ms | lost: partitioned | lost: cut off at sending "
                + "| lost: connected at sending |\n");
        md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ScenarioResult result : results) {
            tableRow(md, result.label(), result.xo());
            tableRow(md, result.label(), result.cs());
        }
        for (ScenarioResult result : results) {
            String name = result.label();
            md.append("\n## ").append(name).append("\n\n");
            md.append(undeliveredComparison(result)).append("\n\n");
            md.append("Client/server routing: ").append(result.routing()).append(".\n\n");
            md.append("Trace: `").append(result.trace().format()).append("`\n\n");
            md.append("Network counters: ").append(counters(result.network())).append("\n\n");
            md.append("![").append(name).append("](").append(name).append(".png)\n");
        }
        Path summary = dir.resolve("summary.md");
        Files.writeString(summary, md);
        return summary;
    }

    /** Figure 3 for one scenario; package-private so the test can check what the PNG cannot tell. */
    static JFreeChart chart(ScenarioResult result) {
        XYSeriesCollection curves = new XYSeriesCollection();
        curves.addSeries(stepCurve(result.xo()));
        curves.addSeries(stepCurve(result.cs()));

        NumberAxis delay = new NumberAxis("message delivery delay (s)");
        delay.setRange(0, PLOT_SECONDS);
        NumberAxis ratio = new NumberAxis("cumulative delivery ratio");
        ratio.setRange(0, 1);

        // One path per curve keeps the dash pattern running across the many short steps of a CDF.
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        renderer.setDrawSeriesLineAsPath(true);
        renderer.setSeriesPaint(0, Color.RED);
        renderer.setSeriesStroke(0, new BasicStroke(2f));
        renderer.setSeriesPaint(1, Color.BLUE);
        renderer.setSeriesStroke(1, new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {8f, 6f}, 0f));

        XYPlot plot = new XYPlot(curves, delay, ratio, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);

        Scenario scenario = result.scenario();
        String title = String.format(Locale.ROOT, "%s connectivity: %d nodes, %s s%s", scenario.name(),
                scenario.nodes(), seconds(scenario.duration()),
                result.label().equals(scenario.name()) ? "" : " (" + result.label() + ")");
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /**
     * The CDF as a staircase: from (0, 0), at each distinct latency up to {@value #PLOT_SECONDS} s a horizontal run
     * at the previous value then a rise to the new one, and a horizontal run to {@value #PLOT_SECONDS} s.
     */
    private static XYSeries stepCurve(SystemResult system) {
        XYSeries curve = new XYSeries(system.label() + " (" + percent(system.deliveryRatio()) + ")", false, true);
        curve.add(0, 0);
        double current = 0;
        for (double[] point : cdf(system)) {
            if (point[0] > PLOT_SECONDS) {
                break;
            }
            curve.add(point[0], current);
            curve.add(point[0], point[1]);
            current = point[1];
        }
        curve.add(PLOT_SECONDS, current);
        return curve;
    }

    /**
     * (latency, cumulative delivery) at each distinct delivered latency, ascending. Equal to
     * {@link SystemResult#cumulativeDelivery(double)} at those latencies, but counted in one pass over the sorted
     * latencies instead of one scan of all pairs per latency.
     */
    private static List<double[]> cdf(SystemResult system) {
        double[] latencies = system.sortedLatencies();
        List<double[]> points = new ArrayList<>();
        for (int i = 0; i < latencies.length; i++) {
            boolean lastOfItsValue = i + 1 == latencies.length || latencies[i + 1] != latencies[i];
            if (lastOfItsValue) {
                points.add(new double[] {latencies[i], (i + 1) / (double) system.pairs()});
            }
        }
        return points;
    }

    private static String deliveriesCsv(ScenarioResult result) {
        StringBuilder csv = new StringBuilder(
                "system,message,sender,receiver,sent_s,latency_s,connected_at_send,reachable_after\n");
        for (SystemResult system : List.of(result.xo(), result.cs())) {
            for (Delivery d : system.deliveries()) {
                csv.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%.3f,%s,%b,%b\n", system.system(), d.message(),
                        d.sender(), d.receiver(), d.sentAt(),
                        d.delivered() ? String.format(Locale.ROOT, "%.3f", d.latency()) : "",
                        d.connectedAtSend(), d.reachableAfter()));
            }
        }
        return csv.toString();
    }

    private static String cdfCsv(ScenarioResult result) {
        StringBuilder csv = new StringBuilder("system,latency_s,cumulative_delivery\n");
        for (SystemResult system : List.of(result.xo(), result.cs())) {
            for (double[] point : cdf(system)) {
                csv.append(String.format(Locale.ROOT, "%s,%.3f,%.6f\n", system.system(), point[0], point[1]));
            }
        }
        return csv.toString();
    }

    private static void tableRow(StringBuilder md, String scenario, SystemResult system) {
        md.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %s | %s | %s | %s | %s | %d | %d | %d |\n",
                scenario,
                system.label(), system.pairs(), system.delivered(), percent(system.deliveryRatio()),
                percent(system.reachableDeliveryRatio()), percent(system.connectedWithin(1)),
                millis(system.latencyPercentile(50)), millis(system.latencyPercentile(99)),
                system.undeliveredPartitioned(), system.undeliveredCutOffAtSend(),
                system.undeliveredConnectedAtSend()));
    }

    private static String undeliveredComparison(ScenarioResult result) {
        SystemResult xo = result.xo();
        SystemResult cs = result.cs();
        int xoLeft = xo.undelivered();
        int csLeft = cs.undelivered();
        if (xoLeft == 0) {
            return String.format(Locale.ROOT, "%s left none undelivered, %s %d.", xo.label(), cs.label(), csLeft);
        }
        String counts = String.format(Locale.ROOT, "%s left %d undelivered, %s %d", xo.label(), xoLeft, cs.label(),
                csLeft);
        if (csLeft >= xoLeft) {
            return String.format(Locale.ROOT, "%s: %d/%d = %.1f times fewer.", counts, csLeft, xoLeft,
                    csLeft / (double) xoLeft);
        }
        // "0.5 times fewer" would read as a win; say plainly that XO lost more.
        return String.format(Locale.ROOT, "%s: %s left more.", counts, xo.label());
    }

    private static String counters(Map<String, Long> network) {
        if (network.isEmpty()) {
            return "none.";
        }
        List<String> entries = new ArrayList<>();
        network.forEach((name, value) -> entries.add(name + ": " + value));
        return String.join(", ", entries) + ".";
    }

    private static String percent(double ratio) {
        return String.format(Locale.ROOT, "%.1f %%", 100 * ratio);
    }

    private static String millis(double seconds) {
        return Double.isNaN(seconds) ? NO_VALUE : String.format(Locale.ROOT, "%.1f", 1000 * seconds);
    }

    /** Seconds without trailing zeros: 300 s, 20 s, 0.5 s. */
    private static String seconds(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }
}
