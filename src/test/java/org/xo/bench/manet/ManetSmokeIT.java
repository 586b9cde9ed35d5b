package org.xo.bench.manet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.xo.it.NetNs;

/**
 * The MANET experiment in small (issue 4's smoke configuration): 4 nodes, 15 s of the high-connectivity scenario,
 * both systems in one run on real namespaces, nftables, relays, XO nodes, a central Openfire and Smack clients.
 * It checks that the instrument measures rather than what it measures: both systems carry traffic across the
 * emulated network, the range filter and the multicast flooding were exercised, every (message, receiver) pair is
 * accounted for, the report is written, and nothing is left behind. Root only; must run in CI.
 */
public class ManetSmokeIT {
    /** A 4-node trace that needs 3 hops at times, so every path is used. */
    private static final long SEED = 7;
    /** Seed 7 reaches 3 hops within 15 s as well as 30 (15 keeps the suite short). */
    private static final int DURATION_S = 15;

    @Rule
    public final TemporaryFolder folder = new TemporaryFolder();

    @BeforeClass
    public static void requireNamespaces() {
        NetNs.requireNftablesOrSkip();
    }

    @Test
    public void bothSystemsCarryTrafficAcrossTheEmulatedNetworkAndTheReportIsWritten() throws Exception {
        Scenario scenario = Scenario.high().withNodes(4).withDuration(DURATION_S).withSeed(SEED);
        TraceSummary trace = TraceSummary.of(Rpgm.generate(scenario));
        assertEquals("the chosen trace needs 3 hops at its widest", 3, trace.maxDiameter());

        // Ideal routes: this checks the instrument, not how fast babeld converges (RadioNetworkIT covers babeld).
        ScenarioResult result = new ManetExperiment(scenario, RadioNetwork.Routing.IDEAL, 5,
                line -> System.err.println("[manet] " + line)).run();

        int messages = TrafficSchedule.generate(4, DURATION_S, TrafficSchedule.PAPER_RATE, SEED).size();
        assertTrue("a " + DURATION_S + " s schedule sends something", messages > 0);
        for (SystemResult system : List.of(result.xo(), result.cs())) {
            assertEquals(system.label() + ": one outcome per message and receiver", messages * 3, system.pairs());
            long connected = system.deliveries().stream().filter(Delivery::connectedAtSend).count();
            long connectedDelivered = system.deliveries().stream()
                    .filter(d -> d.connectedAtSend() && d.delivered()).count();
            // XO repairs what the radio loses (issue 10): a regression of its delivery shows here; client/server
            // reconnects through the emulated network and gets more slack.
            double floor = system == result.xo() ? 0.95 : 0.8;
            assertTrue(system.label() + " delivered " + connectedDelivered + " of " + connected
                    + " pairs connected at sending", connectedDelivered >= floor * connected);
            assertTrue(system.label() + ": latencies are from generation to arrival",
                    system.deliveries().stream().filter(Delivery::delivered)
                            .allMatch(d -> d.latency() >= 0 && d.latency() <= DURATION_S + 5));
        }
        assertTrue("nodes out of range were filtered: " + result.network(),
                result.network().get("dropped_out_of_range") > 0);
        assertTrue("multicast was flooded by the relays: " + result.network(),
                result.network().get("relay_forwarded") > 0);
        assertEquals("one topology step per trace sample", DURATION_S + 1L,
                (long) result.network().get("topology_steps"));

        Path out = folder.getRoot().toPath();
        ManetReport.writeScenario(out, result);
        Path summary = ManetReport.writeSummary(out, List.of(result));
        assertTrue(Files.readString(summary).contains("| high | client/server |"));
        assertTrue(Files.size(out.resolve("high.png")) > 1000);
        String line = ManetBench.resultLine(result, Long.toString(SEED));
        for (String key : List.of("scenario", "xo_delivery", "cs_delivery", "xo_p50_ms", "xo_p99_ms", "cs_p50_ms",
                "cs_p99_ms")) {
            assertTrue(line, line.contains(" " + key + "="));
        }
        assertEquals("namespaces left behind", List.of(), NetNs.namespacesOfThisJvm());
    }
}
