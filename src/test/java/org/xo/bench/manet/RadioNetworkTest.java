package org.xo.bench.manet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;

/** The emulated network's pure parts: ideal routes from a graph, and the nftables filter text. */
public class RadioNetworkTest {
    private static final String SERVER = "10.231.1.2";

    /** 0 - 1 - 2, and 3 alone. */
    private static Topology.Snapshot chainAndLoner() {
        boolean[][] adj = new boolean[4][4];
        adj[0][1] = adj[1][0] = true;
        adj[1][2] = adj[2][1] = true;
        return Topology.Snapshot.of(adj);
    }

    @Test
    public void neighboursAreOnLinkFartherNodesGoThroughTheFirstHopAndOthersAreUnreachable() {
        Topology.Snapshot s = chainAndLoner();
        assertEquals("route replace 10.231.250.2/32 dev r0", RadioNetwork.route(s, 0, 1, SERVER));
        assertEquals("route replace 10.231.250.3/32 via 10.231.250.2 dev r0", RadioNetwork.route(s, 0, 2, SERVER));
        assertEquals("route replace unreachable 10.231.250.4/32", RadioNetwork.route(s, 0, 3, SERVER));
        assertNull("no route to oneself", RadioNetwork.route(s, 1, 1, SERVER));
    }

    @Test
    public void theServerIsReachedThroughTheGatewayEvenFromItsNeighbours() {
        Topology.Snapshot s = chainAndLoner();
        assertNull("the gateway has the wired link", RadioNetwork.route(s, 0, 4, SERVER));
        assertEquals("route replace 10.231.1.2/32 via 10.231.250.1 dev r0", RadioNetwork.route(s, 1, 4, SERVER));
        assertEquals("route replace 10.231.1.2/32 via 10.231.250.2 dev r0", RadioNetwork.route(s, 2, 4, SERVER));
        assertEquals("route replace unreachable 10.231.1.2/32", RadioNetwork.route(s, 3, 4, SERVER));
    }

    @Test
    public void shortestPathTiesGoToTheLowestNode() {
        boolean[][] adj = new boolean[4][4];
        for (int[] e : new int[][] {{0, 2}, {0, 1}, {1, 3}, {2, 3}}) {
            adj[e[0]][e[1]] = adj[e[1]][e[0]] = true;
        }
        assertEquals("route replace 10.231.250.4/32 via 10.231.250.2 dev r0",
                RadioNetwork.route(Topology.Snapshot.of(adj), 0, 3, SERVER));
    }

    @Test
    public void withoutBitErrorsTheFilterOnlyDropsWhatIsOutOfRange() {
        String filter = RadioNetwork.filter(0);
        assertTrue(filter, filter.contains("ether saddr != @neighbours counter name \"out_of_range\" drop"));
        assertFalse(filter, filter.contains("numgen"));
    }

    @Test
    public void bitErrorsDropEachSizeBucketWithTheProbabilityOfItsMidpointFrame() {
        String filter = RadioNetwork.filter(Scenario.BER);
        Matcher rule = Pattern.compile("meta length (\\d+)-(\\d+) numgen random mod 1000000 < (\\d+)")
                .matcher(filter);
        int buckets = 0;
        int expectedLow = 0;
        while (rule.find()) {
            int low = Integer.parseInt(rule.group(1));
            int high = Integer.parseInt(rule.group(2));
            assertEquals("buckets tile the lengths without gaps", expectedLow, low);
            assertEquals(RadioNetwork.LOSS_BUCKET - 1, high - low);
            long expected = Math.round(Loss.probability(Scenario.BER, (low + high) / 2 + 14) * 1_000_000);
            assertEquals(expected, Long.parseLong(rule.group(3)));
            expectedLow = high + 1;
            buckets++;
        }
        assertTrue("covers a full 1500-byte packet: " + expectedLow, expectedLow > 1500);
        assertEquals(24, buckets);
        // A 1500-byte frame loses about 11 %, a small one under 1 %.
        assertTrue(filter, filter.contains("meta length 1472-1535 numgen random mod 1000000 < 11"));
    }
}
