package org.xo.bench.manet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;

public class TopologyTest {

    /** 0-1-2-3 in a line, 4-5 apart, 6 alone. */
    private static Topology.Snapshot sample() {
        boolean[][] adj = new boolean[7][7];
        link(adj, 0, 1);
        link(adj, 1, 2);
        link(adj, 2, 3);
        link(adj, 4, 5);
        return Topology.Snapshot.of(adj);
    }

    private static void link(boolean[][] adj, int a, int b) {
        adj[a][b] = true;
        adj[b][a] = true;
    }

    @Test
    public void hopsComponentsDiameter() {
        Topology.Snapshot s = sample();
        assertEquals(0, s.hops(2, 2));
        assertEquals(1, s.hops(0, 1));
        assertEquals(3, s.hops(0, 3));
        assertEquals(3, s.hops(3, 0));
        assertEquals(-1, s.hops(0, 4));
        assertTrue(s.isReachable(1, 3));
        assertFalse(s.isReachable(5, 6));
        assertEquals(List.of(List.of(0, 1, 2, 3), List.of(4, 5), List.of(6)), s.components());
        assertTrue(s.isPartitioned());
        assertEquals(3, s.diameter());
        assertEquals((1 + 2 + 2 + 1 + 1 + 1 + 0) / 7.0, s.meanDegree(), 1e-12);
        assertEquals((12 + 2) / 42.0, s.reachablePairs(), 1e-12);
    }

    @Test
    public void fullyConnected() {
        boolean[][] adj = new boolean[3][3];
        link(adj, 0, 1);
        link(adj, 1, 2);
        link(adj, 0, 2);
        Topology.Snapshot s = Topology.Snapshot.of(adj);
        assertFalse(s.isPartitioned());
        assertEquals(1, s.diameter());
        assertEquals(1.0, s.reachablePairs(), 0);
    }

    @Test
    public void traceGraphMatchesDistancesAndBfs() {
        Trace t = Rpgm.generate(Scenario.low());
        Topology topo = new Topology(t);
        assertEquals(Scenario.DEFAULT_RADIO_RANGE, topo.range(), 0);
        for (double time : new double[] {0, 17.5, 100, 299.9}) {
            Topology.Snapshot s = topo.at(time);
            for (int a = 0; a < t.nodes(); a++) {
                for (int b = 0; b < t.nodes(); b++) {
                    boolean within = a != b && t.position(a, time).distance(t.position(b, time)) <= topo.range();
                    assertEquals(within, s.isLinked(a, b));
                    assertEquals(within, s.hops(a, b) == 1);
                    assertEquals(s.hops(a, b), s.hops(b, a));
                    assertEquals(s.isReachable(a, b), topo.isReachable(a, b, time));
                    // triangle inequality of hop counts through any neighbour
                    for (int c = 0; c < t.nodes(); c++) {
                        if (s.isLinked(b, c) && s.hops(a, b) >= 0) {
                            assertTrue(s.hops(a, c) >= 0 && s.hops(a, c) <= s.hops(a, b) + 1);
                        }
                    }
                }
            }
            int covered = s.components().stream().mapToInt(List::size).sum();
            assertEquals(t.nodes(), covered);
            assertEquals(s.components().size() > 1, s.isPartitioned());
        }
    }

    @Test
    public void hugeRangeIsOneHopZeroRangeIsolated() {
        Trace t = Rpgm.generate(Scenario.low());
        Topology.Snapshot all = new Topology(t, 1e6).at(50);
        assertEquals(1, all.diameter());
        assertEquals(t.nodes() - 1, all.meanDegree(), 0);
        Topology.Snapshot none = new Topology(t, 0).at(50);
        assertEquals(t.nodes(), none.components().size());
        assertEquals(0, none.diameter());
    }
}
