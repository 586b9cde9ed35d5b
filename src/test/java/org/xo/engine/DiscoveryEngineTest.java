package org.xo.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.Kind;
import org.xo.core.RoomIndex;
import org.xo.discovery.Beacon;
import org.xo.discovery.KnownNode;
import org.xo.discovery.NodeInfo;
import org.xo.discovery.RoomInfo;
import org.xo.engine.EngineStats.Counter;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/**
 * Beacons, directory and lost nodes between engines with real UDP multicast on the loopback interface. Short
 * intervals (200 ms beacons, 700 ms timeout) keep it fast; nothing here asserts speed.
 */
public class DiscoveryEngineTest {
    private static final String LOBBY = "lobby@conference.xo";
    private static final long WAIT_SECONDS = 10;
    private static final Duration INTERVAL = Duration.ofMillis(200);
    /** Well above the interval: a starved JVM (two test JVMs on two cores) can miss a few beacons in a row. */
    private static final Duration TIMEOUT = Duration.ofMillis(1_500);

    private final List<Node> nodes = new ArrayList<>();
    private NetworkInterface lo;
    private int port;

    /** One engine; its listener's calls in order: envelopes, and node events as strings (see RecordingListener). */
    private final class Node {
        final XoEngine engine;
        final MuteableTransport transport;
        final LinkedBlockingQueue<Object> heard;

        Node(long id, Duration interval) throws Exception {
            this(id, interval, EngineConfig.DEFAULT_RESTART_GRACE);
        }

        Node(long id, Duration interval, Duration restartGrace) throws Exception {
            EngineConfig config = EngineConfig.builder().nodeId(id).nodeName("node-" + id)
                    .udp(UdpConfig.on(lo).withPort(port)).beaconInterval(interval).nodeTimeout(interval.equals(INTERVAL)
                            ? TIMEOUT : EngineConfig.DEFAULT_NODE_TIMEOUT).restartGrace(restartGrace).dnsSd(false)
                    .build();
            transport = new MuteableTransport(new UdpMulticastTransport(config.udp()));
            RecordingListener listener = new RecordingListener();
            heard = listener.heard;
            engine = new XoEngine(config, transport, listener);
            engine.start();
            nodes.add(this);
        }

        Object next() throws InterruptedException {
            Object o = heard.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull("nothing heard within " + WAIT_SECONDS + " s", o);
            return o;
        }

        /** @return the next listener call that is not an envelope of a kind in {@code skip} */
        Object nextSkipping(Kind... skip) throws InterruptedException {
            while (true) {
                Object o = next();
                if (!(o instanceof Envelope e) || !List.of(skip).contains(e.kind())) {
                    return o;
                }
            }
        }

        long stat(Counter c) {
            return engine.stats().get(c);
        }
    }

    @Before
    public void setUp() throws Exception {
        lo = Interfaces.resolve("lo");
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
    }

    @After
    public void tearDown() {
        nodes.forEach(n -> n.engine.close());
    }

    private static String presence(String nick, String show) {
        return "<presence to=\"" + LOBBY + "/" + nick + "\">" + (show == null ? "" : "<show>" + show + "</show>")
                + "</presence>";
    }

    private static String message(String body) {
        return "<message to=\"" + LOBBY + "\" type=\"groupchat\"><body>" + body + "</body></message>";
    }

    private static String subject(String text) {
        return "<message to=\"" + LOBBY + "\" type=\"groupchat\"><subject>" + text + "</subject></message>";
    }

    @Test
    public void roomOpenedOnOneNodeIsListedOnTheOthersUntilItsNodeLeaves() throws Exception {
        Node a = new Node(1, INTERVAL);
        Node b = new Node(2, INTERVAL);
        Node c = new Node(3, INTERVAL);
        a.engine.openRoom(LOBBY);
        a.engine.publish(LOBBY, "alice", Kind.PRESENCE, presence("alice", null));
        a.engine.publish(LOBBY, "anna", Kind.PRESENCE, presence("anna", null));
        a.engine.publish(LOBBY, "alice", Kind.SUBJECT, subject("Convoy plans"));
        c.engine.openRoom(LOBBY);
        c.engine.publish(LOBBY, "carl", Kind.PRESENCE, presence("carl", null));

        // b has not opened the room: it knows it from the beacons alone.
        waitFor(() -> lobbyAt(b) != null && lobbyAt(b).occupants() == 3 && lobbyAt(b).nodes().size() == 2);
        RoomInfo lobby = lobbyAt(b);
        assertEquals("Convoy plans", lobby.subject());
        assertEquals(List.of(1L, 3L), lobby.nodes());
        assertEquals(a.engine.groupOf(LOBBY), lobby.group());
        assertEquals(port, lobby.port());
        KnownNode known = b.engine.directory().node(1).orElseThrow();
        assertEquals("node-1", known.info().name());
        assertEquals(a.engine.originEpoch(), known.info().epoch());
        assertEquals(INTERVAL, known.info().beaconInterval());

        // A node that closes says goodbye: dropped at once, its occupants' nodes are told (the occupants wait for
        // its restart: see aNodeThatSaidGoodbyeKeepsItsOccupantsForItsNewRunWithinTheGrace).
        int epoch = a.engine.originEpoch();
        a.engine.close();
        waitFor(() -> b.engine.directory().node(1).isEmpty());
        assertEquals(List.of(3L), lobbyAt(b).nodes());
        assertEquals(1, lobbyAt(b).occupants());
        assertEquals("goodbye 1/" + epoch, c.nextSkipping(Kind.PRESENCE, Kind.SUBJECT));
        assertEquals("goodbye 1/" + epoch, b.next());
        assertEquals(Set.of(), c.engine.remoteNicks(LOBBY, 1));
        assertTrue(b.stat(Counter.BEACONS_RECEIVED) >= 2);
        assertEquals(0, b.stat(Counter.BEACONS_MALFORMED));
        assertTrue(a.stat(Counter.BEACONS_SENT) >= 2);
    }

    /**
     * A node that stops in order says goodbye, and its occupants stay on the other nodes for the restart grace: its new
     * run announces alice again (delivered as usual: the listener keeps her), anna does not, and she leaves when the
     * grace ends. A goodbye with a zero grace loses the node at once, as a silent one.
     */
    @Test
    public void aNodeThatSaidGoodbyeKeepsItsOccupantsForItsNewRunWithinTheGrace() throws Exception {
        Node a = new Node(1, INTERVAL);
        Node b = new Node(2, INTERVAL, Duration.ofSeconds(3));
        Node c = new Node(3, INTERVAL, Duration.ZERO);
        for (Node n : List.of(a, b, c)) {
            n.engine.openRoom(LOBBY);
        }
        a.engine.publish(LOBBY, "alice", Kind.PRESENCE, presence("alice", null));
        a.engine.publish(LOBBY, "anna", Kind.PRESENCE, presence("anna", null));
        for (Node n : List.of(b, c)) {
            assertEquals(Kind.PRESENCE, ((Envelope) n.next()).kind());
            assertEquals(Kind.PRESENCE, ((Envelope) n.next()).kind());
            waitFor(() -> n.engine.directory().node(1).isPresent());
        }

        int endedEpoch = a.engine.originEpoch();
        a.engine.close();
        assertEquals("goodbye 1/" + endedEpoch, b.next());
        assertEquals("a zero grace: lost at once", "lost 1", c.next());
        assertEquals(Set.of(), b.engine.remoteNicks(LOBBY, 1));

        Node a2 = new Node(1, INTERVAL);
        a2.engine.openRoom(LOBBY);
        Envelope aliceAgain = a2.engine.publish(LOBBY, "alice", Kind.PRESENCE, presence("alice", null));
        List<Object> heard = new ArrayList<>();
        Object o;
        do {
            o = b.next();
            heard.add(o);
        } while (!"grace ended 1".equals(o));
        assertEquals("the new run is back, announces alice, then the grace ends: " + heard,
                List.of("returned 1", aliceAgain, "grace ended 1"), heard);
        assertEquals(Set.of("alice"), b.engine.remoteNicks(LOBBY, 1));
        assertEquals(1, b.stat(Counter.NODES_RESTART_GRACES));
        assertEquals(1, b.stat(Counter.NODES_RESTART_GRACES_ENDED));
        assertEquals("no grace where it is zero", 0, c.stat(Counter.NODES_RESTART_GRACES));
    }

    /** A node that said goodbye, came back and then went silent is lost as any silent node: no grace ends later. */
    @Test
    public void aLossAfterTheGoodbyeEndsTheGraceWithTheNode() throws Exception {
        Node a = new Node(1, INTERVAL);
        Node b = new Node(2, INTERVAL, Duration.ofSeconds(3));
        a.engine.openRoom(LOBBY);
        b.engine.openRoom(LOBBY);
        a.engine.publish(LOBBY, "alice", Kind.PRESENCE, presence("alice", null));
        b.next();
        waitFor(() -> b.engine.directory().node(1).isPresent());
        a.engine.close();
        assertTrue(((String) b.next()).startsWith("goodbye 1/"));

        Node a2 = new Node(1, INTERVAL);
        assertEquals("returned 1", b.next());
        a2.transport.muted = true;
        assertEquals("lost 1", b.next());
        assertNull("no grace left to end", b.heard.poll(4, TimeUnit.SECONDS));
        assertEquals(0, b.stat(Counter.NODES_RESTART_GRACES_ENDED));
    }

    private static RoomInfo lobbyAt(Node n) {
        return n.engine.directory().rooms().stream().filter(r -> r.room().equals(LOBBY)).findFirst().orElse(null);
    }

    @Test
    public void silentNodeIsLostAndItsCurrentOccupantsComeBackOnceWhenItReturns() throws Exception {
        Node a = new Node(1, INTERVAL);
        Node b = new Node(2, INTERVAL);
        a.engine.openRoom(LOBBY);
        b.engine.openRoom(LOBBY);
        Envelope alice = a.engine.publish(LOBBY, "alice", Kind.PRESENCE, presence("alice", null));
        a.engine.publish(LOBBY, "bob", Kind.PRESENCE, presence("bob", null));
        Envelope m1 = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("one"));
        a.engine.publish(LOBBY, "bob", Kind.LEAVE, "<presence type=\"unavailable\"/>");
        for (int i = 0; i < 4; i++) {
            b.next();
        }
        waitFor(() -> b.engine.directory().node(1).isPresent());
        waitFor(() -> a.engine.directory().node(2).isPresent()); // or a has nobody to lose below
        assertEquals(Set.of("alice"), b.engine.remoteNicks(LOBBY, 1));

        // a goes out of range: b hears nothing from it past the timeout.
        a.transport.muted = true;
        assertEquals("lost 1", b.next());
        assertTrue(b.engine.directory().node(1).isEmpty());
        assertEquals(Set.of(), b.engine.remoteNicks(LOBBY, 1));
        assertEquals(1, b.stat(Counter.NODES_LOST));
        // Meanwhile, out of range, alice goes away and writes: nobody hears it now.
        Envelope aliceAway = a.engine.publish(LOBBY, "alice", Kind.PRESENCE, presence("alice", "away"));
        Envelope m2 = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("two"));
        waitFor(() -> a.stat(Counter.NODES_LOST) == 1); // a lost b too

        a.transport.muted = false;
        assertEquals("returned 1", b.next());
        List<Object> after = new ArrayList<>();
        Object o;
        while ((o = b.heard.poll(1500, TimeUnit.MILLISECONDS)) != null) {
            after.add(o);
        }
        assertEquals("alice's current presence once, the message b missed once, nothing else: " + after,
                Set.of(aliceAway, m2), Set.copyOf(after));
        assertEquals(2, after.size());
        assertFalse(after.contains(alice));
        assertFalse(after.contains(m1));
        assertEquals(Set.of("alice"), b.engine.remoteNicks(LOBBY, 1));
        assertEquals(1, b.stat(Counter.NODES_RETURNED));
        assertTrue(b.engine.directory().node(1).isPresent());
        assertTrue("b asked for the room state again", b.stat(Counter.STATE_REQUESTS_SENT) >= 2);
    }

    @Test
    public void restartedNodeReplacesItsOldOccupants() throws Exception {
        Node a = new Node(1, INTERVAL);
        Node b = new Node(2, INTERVAL);
        a.engine.openRoom(LOBBY);
        b.engine.openRoom(LOBBY);
        a.engine.publish(LOBBY, "alice", Kind.PRESENCE, presence("alice", null));
        b.next();
        waitFor(() -> b.engine.directory().node(1).isPresent());

        // a crashes (no goodbye) and comes back at once as a new run: alice is gone, carol is there.
        a.transport.muted = true;
        a.engine.close();
        Node a2 = new Node(1, INTERVAL);
        a2.engine.openRoom(LOBBY);
        Envelope carol = a2.engine.publish(LOBBY, "carol", Kind.PRESENCE, presence("carol", null));
        assertEquals("lost 1", b.next());
        assertEquals("returned 1", b.next());
        assertEquals(carol, b.next());
        assertNull(b.heard.poll(1000, TimeUnit.MILLISECONDS));
        assertEquals(Set.of("carol"), b.engine.remoteNicks(LOBBY, 1));
        assertEquals(a2.engine.originEpoch(), b.engine.directory().node(1).orElseThrow().info().epoch());
    }

    @Test
    public void aNodeThatStartsLearnsTheOthersBridgesFromTheirAnswersNotFromTheirNextBeacons() throws Exception {
        Duration slow = Duration.ofSeconds(15); // no periodic beacon within the wait (10 s)
        String bridge = LOBBY + ">lobby@muc.example.org";
        Node a = new Node(1, slow);
        a.engine.advertiseGateways(Set.of(bridge));
        waitFor(() -> a.stat(Counter.BEACONS_SENT) >= 2); // at start, then at once for the bridge
        Node b = new Node(2, slow);
        waitFor(() -> b.engine.directory().node(1).map(n -> n.info().gateways().equals(Set.of(bridge)))
                .orElse(false));
        assertTrue("a answered b's first beacon", a.stat(Counter.BEACONS_SENT) >= 3);
    }

    @Test
    public void malformedBeaconsAreCountedAndDropped() throws Exception {
        Node b = new Node(2, INTERVAL);
        EnvelopeCodec codec = new EnvelopeCodec(true);
        try (DatagramChannel out = DatagramChannel.open(StandardProtocolFamily.INET)) {
            out.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
            InetSocketAddress control = new InetSocketAddress(b.engine.config().controlGroup(), port);
            String[] bodies = {"XO1 nope", "XO1 1000\nlobby@conference.xo\t10.1.1.1\t1\t1\t", ""};
            for (int i = 0; i < bodies.length; i++) {
                Envelope e = new Envelope(77, 1, i + 1, 0, "xo-control@conference.xo", "mallory", Kind.BEACON,
                        bodies[i]);
                out.send(ByteBuffer.wrap(codec.encode(List.of(e))), control);
            }
            Envelope foreign = new Envelope(78, 1, 1, 0, "xo-control@other.overlay", "x", Kind.BEACON, "XO1 1000");
            out.send(ByteBuffer.wrap(codec.encode(List.of(foreign))), control);
            Envelope good = new Envelope(77, 1, 9, 0, "xo-control@conference.xo", "mallory", Kind.BEACON,
                    "XO1 1000\nlobby@conference.xo\t239.192.1.1\t1\t1\t");
            out.send(ByteBuffer.wrap(codec.encode(List.of(good))), control);
        }
        waitFor(() -> b.engine.directory().node(77).isPresent());
        assertEquals(3, b.stat(Counter.BEACONS_MALFORMED));
        assertEquals(4, b.stat(Counter.BEACONS_RECEIVED));
        assertTrue(b.engine.directory().node(78).isEmpty());
        assertNull("beacons never reach the listener as room events", b.heard.poll(100, TimeUnit.MILLISECONDS));
    }

    /**
     * The discovery budget: ten rooms, each with occupants and a 64-character subject, at the default 10 s interval.
     * Only the periodic beacon's size matters (changes add one beacon each, rate-limited).
     */
    @Test
    public void tenRoomsCostLessThanAHundredBytesPerSecond() throws Exception {
        Node a = new Node(1, EngineConfig.DEFAULT_BEACON_INTERVAL);
        String[] names = {"lobby", "ops-north", "ops-south", "logistics", "medical", "convoy-7", "air-support",
            "intel-brief", "comms-check", "command"};
        for (int i = 0; i < names.length; i++) {
            String room = names[i] + "@conference.xo";
            a.engine.openRoom(room);
            for (int k = 0; k <= i % 4; k++) {
                a.engine.publish(room, "user" + k + "-" + i, Kind.PRESENCE, "<presence/>");
            }
            String text = SUBJECTS[i].substring(0, 64);
            a.engine.publish(room, "user0-" + i, Kind.SUBJECT, "<message type=\"groupchat\"><subject>" + text
                    + "</subject></message>");
        }
        assertEquals(10, a.engine.advertisedRooms().size());
        // The change beacon that carries all ten rooms (the others went out while rooms were being opened).
        waitFor(() -> a.transport.sent.stream().anyMatch(s -> s.group().equals(a.engine.config().controlGroup())
                && s.bytes() > 300));
        Thread.sleep(400); // a last change beacon, if the subjects were still being set
        MuteableTransport.Sent last = a.transport.sent.stream()
                .filter(s -> s.group().equals(a.engine.config().controlGroup())).reduce((x, y) -> y).orElseThrow();
        Envelope beacon = new EnvelopeCodec(false).decode(ByteBuffer.wrap(last.data()), RoomIndex.EMPTY).envelopes()
                .get(0);
        assertEquals(Kind.BEACON, beacon.kind());
        NodeInfo info = Beacon.decode(1, 1, "n", beacon.stanza());
        assertEquals(10, info.rooms().size());
        assertTrue(info.rooms().stream().allMatch(r -> r.subject().length() == 64 && r.occupants() >= 1));
        int beaconBytes = last.bytes();
        double perSecond = beaconBytes / (double) EngineConfig.DEFAULT_BEACON_INTERVAL.toSeconds();
        System.out.printf("Beacon traffic, 10 rooms at the default %d s interval: %d bytes per beacon datagram "
                + "(compressed XO datagram) = %.1f bytes/s; %.1f bytes/s with IPv4+UDP headers%n",
                EngineConfig.DEFAULT_BEACON_INTERVAL.toSeconds(), beaconBytes, perSecond,
                (beaconBytes + 28) / (double) EngineConfig.DEFAULT_BEACON_INTERVAL.toSeconds());
        assertTrue("beacon traffic " + perSecond + " bytes/s", perSecond <= 100);
    }

    /** Distinct, unrelated subjects: compression gets no help from a shared template. */
    private static final String[] SUBJECTS = {
        "Morning sync: fuel status, vehicle 3 tyre, who takes the 14:00 shift?",
        "North sector patrol, checkpoint Kilo reopened after the bridge survey",
        "South team: water purification unit offline, spare filter on the way",
        "Resupply manifest v4 - batteries (BA-5590) x40, MREs x200, diesel 2 kl",
        "Casualty collection point moved to the school gym; triage tags in box B",
        "Convoy 7 departs 05:30 sharp; radio silence until phase line Oregon.",
        "Helicopter window 16:10-16:40, LZ Falcon, smoke green on approach only",
        "Daily intel summary posted; note the new roadblock near Qala-i-Naw",
        "Net check every hour on the hour; report signal strength 1-5 please",
        "Commander's intent updated: hold the ridge, avoid the market until 18h",
    };

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            assertTrue("condition not met within " + WAIT_SECONDS + " s", System.nanoTime() < deadline);
            Thread.sleep(10);
        }
    }
}
