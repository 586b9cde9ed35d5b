package org.xo.bench.manet;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.stream.Collectors;

import javax.imageio.ImageIO;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Checks the files {@link ManetReport} writes for a hand-made three-node result: XO delivers 5 of 6 pairs (one of
 * them after 30 s, beyond the plot), client/server 2 of 6.
 */
public class ManetReportTest {

    @Rule
    public final TemporaryFolder folder = new TemporaryFolder();

    private static final double NEVER = Double.NaN;

    private static ScenarioResult highResult() {
        Scenario scenario = Scenario.high().withNodes(3);
        SystemResult xo = new SystemResult("xo", "XO", List.of(
                new Delivery(0, 0, 1, 12.5, 0.1, true, true),
                new Delivery(0, 0, 2, 12.5, 0.25, true, true),
                new Delivery(1, 1, 0, 40, 0.25, true, true),
                new Delivery(1, 1, 2, 40, 1.5, false, true),
                new Delivery(2, 2, 0, 75.25, 30.0, false, true),
                new Delivery(2, 2, 1, 75.25, NEVER, false, false)));
        SystemResult cs = new SystemResult("cs", "client/server", List.of(
                new Delivery(0, 0, 1, 12.5, 0.4, true, true),
                new Delivery(0, 0, 2, 12.5, NEVER, true, true),
                new Delivery(1, 1, 0, 40, 2.0, true, true),
                new Delivery(1, 1, 2, 40, NEVER, false, true),
                new Delivery(2, 2, 0, 75.25, NEVER, false, true),
                new Delivery(2, 2, 1, 75.25, NEVER, false, false)));
        Map<String, Long> network = new LinkedHashMap<>();
        network.put("out_of_range", 17L);
        network.put("bit_errors", 0L);
        return new ScenarioResult(scenario.name(), scenario, "ideal", TraceSummary.of(Rpgm.generate(scenario)), xo, cs,
                network);
    }

    /** XO delivers everything, client/server nothing: the edge cases of the summary. */
    private static ScenarioResult lowResult() {
        Scenario scenario = Scenario.low().withNodes(3);
        SystemResult xo = new SystemResult("xo", "XO", List.of(
                new Delivery(0, 0, 1, 1, 0.05, true, true),
                new Delivery(0, 0, 2, 1, 0.07, true, true)));
        SystemResult cs = new SystemResult("cs", "client/server", List.of(
                new Delivery(0, 0, 1, 1, NEVER, true, true),
                new Delivery(0, 0, 2, 1, NEVER, false, false)));
        return new ScenarioResult(scenario.name(), scenario, "ideal", TraceSummary.of(Rpgm.generate(scenario)), xo, cs,
                Map.of());
    }

    @Test
    public void writesThreeFilesNamedAfterTheScenarioIntoANewDirectory() throws IOException {
        Path dir = folder.getRoot().toPath().resolve("out/manet");
        List<Path> files = ManetReport.writeScenario(dir, highResult());
        assertEquals(List.of(dir.resolve("high-deliveries.csv"), dir.resolve("high-cdf.csv"),
                dir.resolve("high.png")), files);
        for (Path file : files) {
            assertTrue(file + " missing", Files.size(file) > 0);
        }
    }

    @Test
    public void deliveriesCsvHasOneRowPerPairXoFirst() throws IOException {
        Path dir = folder.getRoot().toPath();
        ManetReport.writeScenario(dir, highResult());
        List<String> lines = Files.readAllLines(dir.resolve("high-deliveries.csv"));
        assertEquals("system,message,sender,receiver,sent_s,latency_s,connected_at_send,reachable_after",
                lines.get(0));
        assertEquals(1 + 12, lines.size());
        for (int row = 1; row <= 6; row++) {
            assertTrue(lines.get(row), lines.get(row).startsWith("xo,"));
            assertTrue(lines.get(row + 6), lines.get(row + 6).startsWith("cs,"));
        }
        assertEquals("xo,0,0,1,12.500,0.100,true,true", lines.get(1));
        assertEquals("xo,2,2,0,75.250,30.000,false,true", lines.get(5));
        assertEquals("cs,0,0,2,12.500,,true,true", lines.get(8));
    }

    @Test
    public void cdfCsvHasOneRowPerDistinctLatencyAndEndsAtTheDeliveryRatio() throws IOException {
        Path dir = folder.getRoot().toPath();
        ScenarioResult result = highResult();
        ManetReport.writeScenario(dir, result);
        List<String> lines = Files.readAllLines(dir.resolve("high-cdf.csv"));
        assertEquals("system,latency_s,cumulative_delivery", lines.get(0));
        Map<String, List<String[]>> rows = lines.subList(1, lines.size()).stream().map(line -> line.split(","))
                .collect(Collectors.groupingBy(cells -> cells[0]));
        // XO's two 0.25 s deliveries share a row; the 30 s one is kept although the plot stops at 20 s.
        assertEquals(4, rows.get("xo").size());
        assertEquals(2, rows.get("cs").size());
        assertEquals(List.of("xo", "xo", "xo", "xo", "cs", "cs"),
                lines.subList(1, lines.size()).stream().map(line -> line.split(",")[0]).toList());
        for (SystemResult system : List.of(result.xo(), result.cs())) {
            List<String[]> systemRows = rows.get(system.system());
            double previousLatency = -1;
            for (String[] cells : systemRows) {
                double latency = Double.parseDouble(cells[1]);
                assertTrue(latency > previousLatency);
                assertEquals(system.cumulativeDelivery(latency), Double.parseDouble(cells[2]), 1e-6);
                previousLatency = latency;
            }
            String[] last = systemRows.get(systemRows.size() - 1);
            assertEquals(system.deliveryRatio(), Double.parseDouble(last[2]), 1e-6);
        }
        assertArrayEquals(new String[] {"xo", "0.250", "0.500000"}, rows.get("xo").get(1));
    }

    @Test
    public void pngIsAnEightHundredByFiveHundredChartWithARedAndABlueCurve() throws IOException {
        Path dir = folder.getRoot().toPath();
        ManetReport.writeScenario(dir, highResult());
        Path png = dir.resolve("high.png");
        byte[] magic = Arrays.copyOf(Files.readAllBytes(png), 8);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, magic);
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image);
        assertEquals(800, image.getWidth());
        assertEquals(500, image.getHeight());
        assertTrue("no red pixel", anyPixel(image, rgb -> red(rgb) > 200 && green(rgb) < 80 && blue(rgb) < 80));
        assertTrue("no blue pixel", anyPixel(image, rgb -> blue(rgb) > 200 && red(rgb) < 80 && green(rgb) < 80));
    }

    @Test
    public void chartFollowsFigureThree() {
        JFreeChart chart = ManetReport.chart(highResult());
        assertEquals("high connectivity: 3 nodes, 300 s", chart.getTitle().getText());
        XYPlot plot = chart.getXYPlot();
        assertEquals("message delivery delay (s)", plot.getDomainAxis().getLabel());
        assertEquals(0, plot.getDomainAxis().getLowerBound(), 0);
        assertEquals(20, plot.getDomainAxis().getUpperBound(), 0);
        assertEquals("cumulative delivery ratio", plot.getRangeAxis().getLabel());
        assertEquals(0, plot.getRangeAxis().getLowerBound(), 0);
        assertEquals(1, plot.getRangeAxis().getUpperBound(), 0);

        XYSeriesCollection curves = (XYSeriesCollection) plot.getDataset();
        XYSeries xo = curves.getSeries(0);
        XYSeries cs = curves.getSeries(1);
        assertEquals("XO (83.3 %)", xo.getKey());
        assertEquals("client/server (33.3 %)", cs.getKey());
        // A staircase from (0, 0) rising at each distinct latency up to 20 s, then flat to 20 s: the 30 s delivery
        // is cut off.
        assertCurve(xo, new double[][] {{0, 0}, {0.1, 0}, {0.1, 1 / 6.0}, {0.25, 1 / 6.0}, {0.25, 3 / 6.0},
                {1.5, 3 / 6.0}, {1.5, 4 / 6.0}, {20, 4 / 6.0}});
        assertCurve(cs, new double[][] {{0, 0}, {0.4, 0}, {0.4, 1 / 6.0}, {2.0, 1 / 6.0}, {2.0, 2 / 6.0},
                {20, 2 / 6.0}});

        assertEquals(Color.RED, plot.getRenderer().getSeriesPaint(0));
        assertEquals(Color.BLUE, plot.getRenderer().getSeriesPaint(1));
        assertNull(((BasicStroke) plot.getRenderer().getSeriesStroke(0)).getDashArray());
        assertNotNull(((BasicStroke) plot.getRenderer().getSeriesStroke(1)).getDashArray());
    }

    @Test
    public void summaryHasATableRowPerScenarioAndSystemAndComparesUndelivered() throws IOException {
        Path dir = folder.getRoot().toPath().resolve("report");
        ScenarioResult high = highResult();
        Path summary = ManetReport.writeSummary(dir, List.of(high, lowResult()));
        assertEquals(dir.resolve("summary.md"), summary);
        String md = Files.readString(summary);

        assertTrue(md, md.startsWith("# "));
        assertTrue(md, md.contains("| scenario | system | sent pairs | delivered | delivery | reachable delivery "
                + "| within 1 s while connected | p50 ms | p99 ms | lost: partitioned | lost: cut off at sending "
                + "| lost: connected at sending |"));
        List<String> rows = md.lines().filter(line -> line.matches("\\| (high|low) \\|.*")).toList();
        assertEquals(4, rows.size());
        // XO high: 5 of 6; reachable 5 of 5; connected 3, all within 1 s; p50 0.25 s; p99 30 s; 1 lost to partition.
        assertEquals("| high | XO | 6 | 5 | 83.3 % | 100.0 % | 100.0 % | 250.0 | 30000.0 | 1 | 0 | 0 |", rows.get(0));
        assertEquals("| high | client/server | 6 | 2 | 33.3 % | 40.0 % | 33.3 % | 400.0 | 2000.0 | 1 | 2 | 1 |",
                rows.get(1));
        assertEquals("| low | client/server | 2 | 0 | 0.0 % | 0.0 % | 0.0 % | – | – | 1 | 0 | 1 |", rows.get(3));

        assertTrue(md, md.contains("XO left 1 undelivered, client/server 4: 4/1 = 4.0 times fewer."));
        assertTrue(md, md.contains("XO left none undelivered, client/server 2."));
        assertTrue(md, md.contains(high.trace().format()));
        assertTrue(md, md.contains("Client/server routing: ideal."));
        assertTrue(md, md.contains("out_of_range: 17, bit_errors: 0"));
        assertTrue(md, md.contains("![high](high.png)"));
        assertTrue(md, md.contains("![low](low.png)"));
        assertTrue(md, md.contains("20 s"));
    }

    private static void assertCurve(XYSeries curve, double[][] expected) {
        assertEquals(curve.getKey() + " points", expected.length, curve.getItemCount());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(curve.getKey() + " x" + i, expected[i][0], curve.getX(i).doubleValue(), 1e-12);
            assertEquals(curve.getKey() + " y" + i, expected[i][1], curve.getY(i).doubleValue(), 1e-12);
        }
    }

    private static boolean anyPixel(BufferedImage image, IntPredicate colour) {
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if (colour.test(image.getRGB(x, y))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static int red(int rgb) {
        return (rgb >> 16) & 0xff;
    }

    private static int green(int rgb) {
        return (rgb >> 8) & 0xff;
    }

    private static int blue(int rgb) {
        return rgb & 0xff;
    }
}
