package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverItems;
import org.junit.After;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TestWatcher;
import org.junit.runner.Description;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;
import org.jxmpp.jid.impl.JidCreate;
import org.xo.core.GroupAddressing;
import org.xo.core.OverlayRoom;

/**
 * Multi-hop (issue 3): a chain of network namespaces A – B – C, XO nodes on A and C only, B a plain multicast
 * router (smcroute: 239.192.0.0/14 both ways, ip_forward on). Each node's multicast interface is its chain veth and
 * its TTL 8, so room traffic crosses B with one hop to spare. The test's clients reach the nodes over management
 * links from the root namespace (alice on A, carol on C), which must never carry room traffic.
 * <pre>
 *   root ── mgmt (10.231.M.1 ↔ .2) ── A [node alpha.test]
 *   root ── mgmt (10.231.N.1 ↔ .2) ── C [node gamma.test]
 *   A to-b 10.231.1.1 ── 10.231.1.2 to-a  B  to-c 10.231.2.1 ── 10.231.2.2 to-b C
 * </pre>
 * Root only; skipped elsewhere, but must run (and fails if it cannot) in CI (CI=true).
 */
@RunWith(Parameterized.class)
public class MultiHopIT {
    @Parameters(name = "openfire={0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    @Parameter
    public Openfire openfire;

    private static final String ROOM = "relay";
    private static final String DOMAIN_A = "alpha.test";
    private static final String DOMAIN_C = "gamma.test";
    /** How long a message that must not arrive is waited for. */
    private static final long ABSENCE_WAIT_MS = 3_000;
    /** Test-speed liveness for {@link FastDiscovery} tests: beacons every 300 ms, a node lost after 1.5 s. */
    private static final String[] FAST_BEACONS = {
            "--set", "xo.discovery.beacon-interval-ms=300", "--set", "xo.discovery.node-timeout-ms=1500"};

    /** The test's nodes run with {@link #FAST_BEACONS} instead of the default discovery settings. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    private @interface FastDiscovery {
    }

    private boolean fastDiscovery;

    /** Runs before {@code @Before}: tells {@link #buildChain()} how to start the nodes. */
    @Rule
    public final TestWatcher discoverySpeed = new TestWatcher() {
        @Override
        protected void starting(Description description) {
            fastDiscovery = description.getAnnotation(FastDiscovery.class) != null;
        }
    };

    private NetNs net;
    private NetNs.Link ab;
    private NetNs.Management mgmtA;
    private NetNs.Management mgmtC;
    private int multicastPort;
    private NodeProcess alpha;
    private NodeProcess gamma;
    private XmppTestClient alice;
    private XmppTestClient carol;
    private final List<AutoCloseable> extraClients = new ArrayList<>();

    @BeforeClass
    public static void requireNamespaces() {
        NetNs.requireRootOrSkip();
        NetNs.requireSmcrouteOrSkip();
    }

    @Before
    public void buildChain() throws Exception {
        net = NetNs.create();
        net.namespace("a");
        net.namespace("b");
        net.namespace("c");
        ab = net.link("a", "b");
        NetNs.Link bc = net.link("b", "c");
        mgmtA = net.management("a");
        mgmtC = net.management("c");
        net.multicastRouter("b");
        net.checkIsolation();

        multicastPort = NodeProcess.freePort();
        List<NodeProcess> nodes = NodeProcess.startAll(nodeIn("a", DOMAIN_A, ab.device("a"), mgmtA),
                nodeIn("c", DOMAIN_C, bc.device("c"), mgmtC));
        alpha = nodes.get(0);
        gamma = nodes.get(1);
        for (NodeProcess node : nodes) {
            // ip netns exec must exec java, so stop() (SIGTERM to our child's pid) reaches the node itself.
            assertTrue("node pid " + node.pid() + " is java, not " + node.command(), node.command().endsWith("/java"));
        }
        alice = XmppTestClient.registered(alpha, "alice");
        carol = XmppTestClient.registered(gamma, "carol");
    }

    private NodeProcess.Builder nodeIn(String ns, String domain, String chainDevice, NetNs.Management mgmt) {
        NodeProcess.Builder builder = NodeProcess.builder().openfire(openfire).netns(net.name(ns)).domain(domain)
                .multicastInterface(chainDevice).multicastPort(multicastPort).bind(mgmt.nsAddress())
                .args("--set", "xo.multicast.ttl=8").briskGoodbyes();
        if (fastDiscovery) {
            builder.args(FAST_BEACONS);
        }
        return builder;
    }

    @After
    public void tearDown() {
        List<AutoCloseable> all = new ArrayList<>(extraClients);
        all.addAll(List.of(orNoop(alice), orNoop(carol), orNoop(alpha), orNoop(gamma)));
        NodeProcess.closeAll(all.toArray(AutoCloseable[]::new));
        try {
            orNoop(net).close();
        } catch (Exception e) {
            System.err.println("MultiHopIT cleanup: " + e);
        }
        assertEquals("namespaces left behind", List.of(), NetNs.namespacesOfThisJvm());
    }

    private static AutoCloseable orNoop(AutoCloseable c) {
        return c != null ? c : () -> { };
    }

    @Test
    public void messagesCrossTwoHopsAndStopWhileTheFirstHopIsCut() throws Exception {
        try (LeakProbe probe = new LeakProbe(List.of(mgmtA, mgmtC))) {
            chainScenario();
            probe.assertNothingHeard();
        }
    }

    private void chainScenario() throws Exception {
        alice.join(ROOM, "alice");
        carol.join(ROOM, "carol");
        XmppTestClient.eventually("alice (A) sees carol (C) in the room",
                () -> alice.occupantNicks(ROOM).contains("carol"));
        XmppTestClient.eventually("carol (C) sees alice (A) in the room",
                () -> carol.occupantNicks(ROOM).contains("alice"));

        alice.say(ROOM, "hello from A");
        Message atCarol = carol.awaitMessage(m -> "hello from A".equals(m.getBody()), "alice's message across B");
        assertEquals(ROOM + "@conference." + DOMAIN_C + "/alice", String.valueOf(atCarol.getFrom()));
        carol.say(ROOM, "hello from C");
        Message atAlice = alice.awaitMessage(m -> "hello from C".equals(m.getBody()), "carol's message across B");
        assertEquals(ROOM + "@conference." + DOMAIN_A + "/carol", String.valueOf(atAlice.getFrom()));
        String routes = net.multicastRoutes("b");
        assertTrue("B forwarded the room's group from A to C:\n" + routes + "\n" + net.routerLog("b"),
                routes.lines().anyMatch(l -> l.contains(ab.address("a")) && l.contains("Oifs: to-c")));

        // Cut A–B. Plain UDP: what alice says now is lost for C (a repairing transport would deliver it after
        // the cut, which is why absence is only checked while the link is down). A's room goes on locally.
        ab.down();
        XmppTestClient dave = XmppTestClient.registered(alpha, "dave");
        extraClients.add(dave);
        dave.join(ROOM, "dave");
        alice.say(ROOM, "during the cut");
        dave.awaitMessage(m -> "during the cut".equals(m.getBody()), "alice's message on A during the cut");
        XmppTestClient.eventually("alice sees dave, who joined on A during the cut",
                () -> alice.occupantNicks(ROOM).contains("dave"));
        Thread.sleep(ABSENCE_WAIT_MS);
        assertTrue("C got a message sent while A-B was down",
                carol.messages.stream().noneMatch(m -> "during the cut".equals(m.getBody())));
        assertTrue("the node on A survived sending into a downed link", alpha.isAlive());

        ab.up();
        alice.say(ROOM, "after the cut");
        carol.awaitMessage(m -> "after the cut".equals(m.getBody()), "alice's message after the link came back");
        carol.say(ROOM, "C after the cut");
        alice.awaitMessage(m -> "C after the cut".equals(m.getBody()), "carol's message after the link came back");
        dave.awaitMessage(m -> "C after the cut".equals(m.getBody()), "carol's message at dave after the cut");
        net.checkIsolation();

        // stop() signals the node in its namespace (not just 'ip'): it stops cleanly, and its user leaves on A once the
        // restart grace after its goodbye is over.
        assertEquals(0, gamma.stop());
        assertEquals(NodeProcess.STOPPED_LINE, gamma.stdout().get(gamma.stdout().size() - 1));
        XmppTestClient.eventually("carol left with her node, seen on A across B",
                () -> !alice.occupantNicks(ROOM).contains("carol"));
    }

    /**
     * Discovery (issue 3, in progress): a room that exists only on A is listed by C's conference service, so a
     * user on C can find it before anyone on C has joined.
     */
    @Test
    public void roomCreatedOnAIsListedOnC() throws Exception {
        alice.join(ROOM, "alice");
        alice.say(ROOM, "anyone out there?");
        String expected = ROOM + "@conference." + DOMAIN_C;
        ServiceDiscoveryManager disco = ServiceDiscoveryManager.getInstanceFor(carol.connection);
        List<String> seen = List.of();
        long deadline = System.currentTimeMillis() + XmppTestClient.WAIT_MS;
        while (!seen.contains(expected)) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("C's conference service did not list " + expected + " within "
                        + XmppTestClient.WAIT_MS + " ms; it listed " + seen);
            }
            Thread.sleep(250);
            DiscoverItems items = disco.discoverItems(JidCreate.from("conference." + DOMAIN_C));
            seen = items.getItems().stream().map(i -> i.getEntityID().toString()).toList();
        }
    }

    /**
     * Liveness across hops (issue 3): A–B is cut for longer than the node timeout. Each side sees the other's
     * occupant leave; after the heal each sees the other come back exactly once, in its current state: alice
     * changed her status during the cut, and dave joined and left on A during it (no ghost of him on C).
     */
    @Test
    @FastDiscovery
    public void aFlapAcrossHopsTakesOccupantsAwayAndBringsThemBackOnceInTheirCurrentState() throws Exception {
        String aliceAtC = ROOM + "@conference." + DOMAIN_C + "/alice";
        String daveAtC = ROOM + "@conference." + DOMAIN_C + "/dave";
        String carolAtA = ROOM + "@conference." + DOMAIN_A + "/carol";
        alice.join(ROOM, "alice");
        carol.join(ROOM, "carol");
        XmppTestClient.eventually("carol (C) sees alice (A)", () -> carol.occupantNicks(ROOM).contains("alice"));
        XmppTestClient.eventually("alice (A) sees carol (C)", () -> alice.occupantNicks(ROOM).contains("carol"));

        // Cut A–B for longer than the 1.5 s timeout: each node declares the other lost.
        ab.down();
        long cutAt = System.currentTimeMillis();
        carol.awaitPresence(p -> isFrom(p, aliceAtC) && p.getType() == Presence.Type.unavailable,
                "alice leave when A went silent");
        alice.awaitPresence(p -> isFrom(p, carolAtA) && p.getType() == Presence.Type.unavailable,
                "carol leave when C went silent");
        long detectedMs = System.currentTimeMillis() - cutAt;
        // Smack updates its occupant list in its own presence listener, which may run after ours.
        XmppTestClient.eventually("carol alone at C", () -> carol.occupantNicks(ROOM).equals(List.of("carol")));
        XmppTestClient.eventually("alice alone at A", () -> alice.occupantNicks(ROOM).equals(List.of("alice")));

        // While cut off, A's room goes on: alice changes her status, dave comes and goes.
        alice.room(ROOM).changeAvailabilityStatus("on the roof, back soon", Presence.Mode.away);
        XmppTestClient dave = XmppTestClient.registered(alpha, "dave");
        extraClients.add(dave);
        dave.join(ROOM, "dave");
        XmppTestClient.eventually("alice sees dave join on A during the cut",
                () -> alice.occupantNicks(ROOM).contains("dave"));
        dave.connection.sendStanza(dave.connection.getStanzaFactory().buildPresenceStanza()
                .ofType(Presence.Type.unavailable).to(dave.occupantJid(ROOM, "dave")).build());
        XmppTestClient.eventually("alice sees dave leave on A during the cut",
                () -> !alice.occupantNicks(ROOM).contains("dave"));
        assertEquals("C saw nothing of the cut-off room", List.of("carol"), carol.occupantNicks(ROOM));

        // Heal: from here on, count what each side is told about the other.
        carol.presences.clear();
        alice.presences.clear();
        ab.up();
        long healedAt = System.currentTimeMillis();
        XmppTestClient.eventually("carol sees alice again after the heal",
                () -> carol.occupantNicks(ROOM).contains("alice"));
        XmppTestClient.eventually("alice sees carol again after the heal",
                () -> alice.occupantNicks(ROOM).contains("carol"));
        long returnedMs = System.currentTimeMillis() - healedAt;
        Thread.sleep(2_000); // several beacon intervals: time for a duplicate join or a late ghost to show up

        List<Presence> atCarol = List.copyOf(carol.presences);
        List<Presence> atAlice = List.copyOf(alice.presences);
        assertEquals("available presences of alice at carol after the heal: " + describe(atCarol, aliceAtC),
                1, countAvailable(atCarol, aliceAtC));
        assertEquals("available presences of carol at alice after the heal: " + describe(atAlice, carolAtA),
                1, countAvailable(atAlice, carolAtA));
        assertEquals("no ghost of dave (joined and left on A during the cut) at carol: " + describe(atCarol, daveAtC),
                0, atCarol.stream().filter(p -> isFrom(p, daveAtC)).count());
        assertEquals(List.of("alice", "carol"), carol.occupantNicks(ROOM));
        assertEquals(List.of("alice", "carol"), alice.occupantNicks(ROOM));
        Presence aliceNow = carol.room(ROOM).getOccupantPresence(carol.occupantJid(ROOM, "alice"));
        assertEquals("alice's current mode at carol", Presence.Mode.away, aliceNow.getMode());
        assertEquals("alice's current status at carol", "on the roof, back soon", aliceNow.getStatus());

        alice.say(ROOM, "A after the flap");
        carol.awaitMessage(m -> "A after the flap".equals(m.getBody()), "alice's message after the heal");
        carol.say(ROOM, "C after the flap");
        alice.awaitMessage(m -> "C after the flap".equals(m.getBody()), "carol's message after the heal");

        for (XmppTestClient client : List.of(alice, carol)) {
            Map<String, Long> stats = client.xoStats();
            assertTrue(client.domain + " declared the other node lost: " + stats, stats.get("nodes.lost") >= 1);
            assertTrue(client.domain + " saw the other node return: " + stats, stats.get("nodes.returned") >= 1);
        }
        System.err.println("MultiHopIT flap: both sides saw the other leave " + detectedMs + " ms after the cut"
                + " and come back " + returnedMs + " ms after the heal");
    }

    private static boolean isFrom(Presence p, String occupant) {
        return p.getFrom() != null && occupant.equals(p.getFrom().toString());
    }

    private static long countAvailable(List<Presence> presences, String occupant) {
        return XmppTestClient.entries(presences, p -> isFrom(p, occupant));
    }

    private static String describe(List<Presence> presences, String occupant) {
        return presences.stream().filter(p -> isFrom(p, occupant))
                .map(p -> p.getType() + (p.getMode() != null ? "/" + p.getMode() : "")
                        + (p.getStatus() != null ? " '" + p.getStatus() + "'" : "") + " " + XmppTestClient.role(p))
                .toList().toString();
    }

    /**
     * Listens in the root namespace, on the root side of every management link, for the room's multicast group:
     * anything from the test range heard there leaked out of a node namespace past its chain interface.
     */
    private final class LeakProbe implements AutoCloseable {
        private final DatagramChannel channel;
        private final List<String> heard = new CopyOnWriteArrayList<>();
        private final Thread reader;

        LeakProbe(List<NetNs.Management> links) throws IOException {
            Inet4Address group = new GroupAddressing().groupFor(OverlayRoom.parse(ROOM + "@conference.xo"));
            channel = DatagramChannel.open(StandardProtocolFamily.INET);
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(new InetSocketAddress(multicastPort));
            for (NetNs.Management m : links) {
                channel.join(group, NetworkInterface.getByName(m.rootDevice()));
            }
            reader = new Thread(() -> {
                ByteBuffer buffer = ByteBuffer.allocate(65_536);
                while (channel.isOpen()) {
                    try {
                        buffer.clear();
                        InetSocketAddress from = (InetSocketAddress) channel.receive(buffer);
                        // Only the test range counts: the root namespace's own traffic is not ours to judge.
                        if (from != null && from.getAddress().getHostAddress().startsWith("10.231.")) {
                            heard.add(from + " (" + buffer.position() + " bytes)");
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "leak-probe");
            reader.setDaemon(true);
            reader.start();
        }

        void assertNothingHeard() {
            assertEquals("room traffic on a management link", List.of(), heard);
        }

        @Override
        public void close() throws Exception {
            channel.close();
            reader.join(TimeUnit.SECONDS.toMillis(5));
        }
    }
}
