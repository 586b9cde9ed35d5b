package org.xo.bench.manet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.After;
import org.junit.BeforeClass;
import org.junit.Test;
import org.xo.it.NamespaceSockets;
import org.xo.it.NetNs;

/**
 * The emulated radio network on its own, with real sockets in its namespaces: a chain 0 - 1 - 2 where 0 and 2 are
 * out of range of each other. Unicast crosses the chain through the middle node (ideal routes, and babeld), a
 * multicast datagram is heard by neighbours only, and cutting a link cuts the path. Root, nftables and babeld;
 * must run in CI.
 */
public class RadioNetworkIT {
    private static final int PORT = 47_001;
    private static final long WAIT_MS = 1_500;

    private RadioNetwork network;

    @BeforeClass
    public static void requireNamespaces() {
        NetNs.requireNftablesOrSkip();
        NetNs.requireCommandOrSkip("babeld", "-V");
    }

    @After
    public void tearDown() {
        if (network != null) {
            network.close();
        }
        assertEquals("namespaces left behind", List.of(), NetNs.namespacesOfThisJvm());
    }

    private static Topology.Snapshot chain(boolean middleLinkUp) {
        boolean[][] adj = new boolean[3][3];
        adj[0][1] = adj[1][0] = true;
        adj[1][2] = adj[2][1] = middleLinkUp;
        return Topology.Snapshot.of(adj);
    }

    @Test
    public void idealRoutesCarryUnicastAcrossTheChainAndRangeLimitsMulticastToNeighbours() throws Exception {
        network = RadioNetwork.create(3, 0, RadioNetwork.Routing.IDEAL);
        network.apply(chain(true));

        try (DatagramChannel atZero = listen(network.namespace(0), null)) {
            send(network.namespace(2), RadioNetwork.address(0), "two hops");
            assertEquals("two hops", receive(atZero));
        }

        InetAddress group = InetAddress.getByName("239.192.7.7");
        try (DatagramChannel atZero = listen(network.namespace(0), group);
             DatagramChannel atOne = listen(network.namespace(1), group)) {
            send(network.namespace(2), group.getHostAddress(), "one hop only");
            assertEquals("the neighbour hears it", "one hop only", receive(atOne));
            assertNull("a node out of range does not", receive(atZero));
        }
        assertTrue(network.counters().toString(), network.counters().get("dropped_out_of_range") > 0);

        network.apply(chain(false));
        try (DatagramChannel atZero = listen(network.namespace(0), null)) {
            try {
                send(network.namespace(2), RadioNetwork.address(0), "cut off");
            } catch (IOException expected) {
                // "No route to host": the ideal routes know at once
            }
            assertNull("nothing crosses a cut link", receive(atZero));
        }
    }

    @Test
    public void babelFindsTheServerThroughTheMiddleNode() throws Exception {
        network = RadioNetwork.create(3, 0, RadioNetwork.Routing.BABEL);
        network.apply(chain(true));
        assertEquals("nodes without a route to the server", List.of(),
                network.awaitServerRoutes(chain(true), 30_000));
        try (DatagramChannel atServer = listen(network.serverNamespace(), null)) {
            send(network.namespace(2), network.serverAddress(), "via babel");
            assertEquals("via babel", receive(atServer));
        }
    }

    /** A socket in namespace ns on PORT, joined to group on the radio device if group is not null. */
    private static DatagramChannel listen(String ns, InetAddress group) throws IOException {
        return NamespaceSockets.inNamespace(ns, () -> {
            DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(new InetSocketAddress(PORT));
            if (group != null) {
                ch.join(group, NetworkInterface.getByName(RadioNetwork.DEVICE));
            }
            ch.configureBlocking(false);
            return ch;
        });
    }

    private static void send(String ns, String to, String text) throws IOException {
        try (DatagramChannel ch = NamespaceSockets.inNamespace(ns, () -> {
            DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET);
            c.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName(RadioNetwork.DEVICE));
            c.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 8);
            return c;
        })) {
            ch.send(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), new InetSocketAddress(to, PORT));
        }
    }

    /** The next datagram's text, or null if none comes within WAIT_MS. */
    private static String receive(DatagramChannel ch) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (ch.receive(buffer) != null) {
                buffer.flip();
                return StandardCharsets.UTF_8.decode(buffer).toString();
            }
            Thread.sleep(10);
        }
        return null;
    }
}
