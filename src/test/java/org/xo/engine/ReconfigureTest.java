package org.xo.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

import org.junit.After;
import org.junit.Assume;
import org.junit.Before;
import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.GroupAddressing;
import org.xo.core.GroupListener;
import org.xo.core.Kind;
import org.xo.core.MalformedDatagramException;
import org.xo.core.RoomIndex;
import org.xo.discovery.KnownNode;
import org.xo.engine.EngineStats.Counter;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/**
 * Settings changed while engines run ({@link XoEngine#reconfigure}): real engines with real UDP multicast on the
 * loopback interface (and on the machine's other multicast interface where it has one), and raw sockets that
 * listen where the datagrams should, or should no longer, go.
 */
public class ReconfigureTest {
    private static final String LOBBY = "lobby@conference.xo";
    /** The rooms whose envelopes the tests' raw listeners decode. */
    private static final RoomIndex HEARD = RoomIndex.of(List.of(LOBBY, "ops@conference.xo", "medics@conference.xo"));
    private static final long WAIT_SECONDS = 10;
    private static final Duration INTERVAL = Duration.ofMillis(200);
    private static final Duration TIMEOUT = Duration.ofMillis(700);

    private final List<AutoCloseable> closing = new ArrayList<>();
    private NetworkInterface lo;
    private int port;
    private int otherPort;

    /** One engine; its listener's calls in order: envelopes, and "lost N" / "returned N" strings. */
    private final class Node {
        final XoEngine engine;
        final LinkedBlockingQueue<Object> heard;
        final List<MuteableTransport> transports = new ArrayList<>();

        Node(EngineConfig config) throws Exception {
            RecordingListener listener = new RecordingListener();
            heard = listener.heard;
            engine = new XoEngine(config, transport(config.udp()), listener);
            engine.start();
            closing.add(engine);
        }

        /** A real transport that records what it sends; the engine gets a new one for new UDP settings. */
        MuteableTransport transport(UdpConfig udp) {
            MuteableTransport t = new MuteableTransport(new UdpMulticastTransport(udp));
            transports.add(t);
            return t;
        }

        List<String> reconfigure(UnaryOperator<EngineConfig.Builder> change) throws IOException {
            return engine.reconfigure(change.apply(like(engine.config())).build(), this::transport);
        }

        Envelope next() throws InterruptedException {
            while (true) {
                Object o = heard.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                assertNotNull("nothing heard within " + WAIT_SECONDS + " s", o);
                if (o instanceof Envelope e) {
                    return e;
                }
                throw new AssertionError("the listener was told: " + o);
            }
        }

        /** Fails on anything the listener hears within the wait. */
        void hearsNothingFor(long millis) throws InterruptedException {
            assertNull(heard.poll(millis, TimeUnit.MILLISECONDS));
        }

        long stat(Counter c) {
            return engine.stats().get(c);
        }
    }

    @Before
    public void setUp() throws Exception {
        lo = Interfaces.resolve("lo");
        port = freeUdpPort();
        otherPort = freeUdpPort();
    }

    @After
    public void tearDown() {
        for (AutoCloseable c : closing) {
            try {
                c.close();
            } catch (Exception e) {
                // the others still close
            }
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** No beacons, and no repair: these tests tell where each envelope went, which repair would fill in. */
    private EngineConfig.Builder quiet(long id) {
        return EngineConfig.builder().nodeId(id).nodeName("node-" + id).udp(UdpConfig.on(lo).withPort(port))
                .discovery(false).repair(false);
    }

    private EngineConfig.Builder beaconing(long id) {
        return quiet(id).discovery(true).beaconInterval(INTERVAL).nodeTimeout(TIMEOUT).dnsSd(false);
    }

    /** A builder holding every setting of {@code c}. */
    private static EngineConfig.Builder like(EngineConfig c) {
        return EngineConfig.builder().nodeId(c.nodeId()).nodeName(c.nodeName()).overlayService(c.overlayService())
                .groupBase(c.groupBase()).udp(c.udp()).payloadBudget(c.pacing().payloadBudget())
                .gamma(c.pacing().gamma()).initialRtt(c.pacing().initialRtt()).maxDelay(c.pacing().maxDelay())
                .compression(c.compression()).historyReplay(c.historyReplay()).discovery(c.discovery())
                .beaconInterval(c.beaconInterval()).nodeTimeout(c.nodeTimeout()).controlGroup(c.controlGroup())
                .dnsSd(c.dnsSd()).repair(c.repair()).logBounds(c.logBounds())
                .repairBytesPerSecond(c.repairBytesPerSecond());
    }

    /** Started nodes, one per configuration, each with the lobby open. */
    private List<Node> inLobby(EngineConfig.Builder... configs) throws Exception {
        List<Node> started = new ArrayList<>();
        for (EngineConfig.Builder config : configs) {
            Node n = new Node(config.build());
            n.engine.openRoom(LOBBY);
            started.add(n);
        }
        return started;
    }

    private static String message(String body) {
        return "<message to=\"" + LOBBY + "\" type=\"groupchat\"><body>" + body + "</body></message>";
    }

    private static String presence(String nick) {
        return "<presence to=\"" + LOBBY + "/" + nick + "\"/>";
    }

    @Test
    public void aReconfiguredEngineIsTheSameRunToItsPeers() throws Exception {
        List<Node> pair = inLobby(beaconing(1), beaconing(2));
        Node a = pair.get(0);
        Node b = pair.get(1);
        Envelope alice = a.engine.publish(LOBBY, "alice", Kind.PRESENCE, presence("alice"));
        String body = "compressible ".repeat(20);
        Envelope before = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message(body));
        assertEquals(alice, b.next());
        assertEquals(before, b.next());
        waitFor(() -> b.engine.directory().node(1).isPresent());
        int epoch = a.engine.originEpoch();
        MuteableTransport aTransport = a.transports.get(0);
        assertTrue("compressed so far", sentWithFlags(aTransport, before, 1));

        List<String> changes = a.reconfigure(c -> c.nodeName("alpha-renamed").compression(false)
                .maxDelay(Duration.ofMillis(5)).historyReplay(2).beaconInterval(Duration.ofMillis(300))
                .nodeTimeout(Duration.ofMillis(1000)));
        assertEquals(List.of("node name: node-1 \u2192 alpha-renamed", "pacing max delay ms: 50 \u2192 5",
                "compression: true \u2192 false", "history replay: 25 \u2192 2", "beacon interval ms: 200 \u2192 300",
                "node timeout ms: 700 \u2192 1000"), changes);
        assertEquals("no new transport for these", 1, a.transports.size());
        assertEquals(epoch, a.engine.originEpoch());

        Envelope after = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message(body));
        assertEquals(after, b.next());
        assertEquals("the same run", before.originEpoch(), after.originEpoch());
        assertEquals("the same stream, beacons have their own", before.seq() + 1, after.seq());
        assertTrue("the next datagrams are not compressed", sentWithFlags(aTransport, after, 0));

        waitFor(() -> b.engine.directory().node(1).map(n -> n.info().name()).orElse("").equals("alpha-renamed"));
        KnownNode seen = b.engine.directory().node(1).orElseThrow();
        assertEquals("the same run in the peer's directory", epoch, seen.info().epoch());
        assertEquals(Duration.ofMillis(300), seen.info().beaconInterval());
        for (int i = 0; i < 3; i++) {
            a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("m" + i));
            b.next();
        }
        Thread.sleep(TIMEOUT.toMillis() * 2); // several sweeps at the peer
        b.hearsNothingFor(100);
        assertEquals(0, b.stat(Counter.NODES_LOST));
        assertEquals(0, b.stat(Counter.NODES_RETURNED));

        // A node that opens the room now gets alice and the last two of her messages: the new history length.
        Node c = new Node(quiet(3).build());
        c.engine.openRoom(LOBBY);
        List<Envelope> replay = List.of(c.next(), c.next(), c.next());
        assertEquals(List.of(alice.seq()), replay.stream().filter(e -> e.kind() == Kind.PRESENCE).map(Envelope::seq)
                .toList());
        assertEquals(List.of(message("m1"), message("m2")), replay.stream().filter(e -> e.kind() == Kind.GROUPCHAT).map(Envelope::stanza).toList());
        c.hearsNothingFor(300);
    }

    /** Whether the datagram that carried {@code e} had exactly these flags (bit 0: DEFLATE). */
    private static boolean sentWithFlags(MuteableTransport t, Envelope e, int flags) throws Exception {
        EnvelopeCodec codec = new EnvelopeCodec(false);
        for (MuteableTransport.Sent sent : t.sent) {
            try {
                if (codec.decode(ByteBuffer.wrap(sent.data()), RoomIndex.of(List.of(LOBBY))).envelopes().contains(e)) {
                    return (sent.data()[3] & 1) == flags;
                }
            } catch (MalformedDatagramException impossible) {
                throw new AssertionError(impossible);
            }
        }
        throw new AssertionError("envelope #" + e.seq() + " was not sent");
    }

    @Test
    public void nodesThatMoveOneAfterTheOtherCatchUpAndDeliverNothingTwice() throws Exception {
        List<Node> pair = inLobby(quiet(1), quiet(2));
        Node a = pair.get(0);
        Node b = pair.get(1);
        Envelope bob = b.engine.publish(LOBBY, "bob", Kind.PRESENCE, presence("bob"));
        Envelope early = b.engine.publish(LOBBY, "bob", Kind.GROUPCHAT, message("before the move"));
        Envelope alice = a.engine.publish(LOBBY, "alice", Kind.PRESENCE, presence("alice"));
        assertEquals(List.of(bob, early), List.of(a.next(), a.next()));
        assertEquals(alice, b.next());

        a.reconfigure(c -> c.udp(c.build().udp().withPort(otherPort)));
        // Between the two moves the nodes cannot hear each other.
        Envelope fromA = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("a moved"));
        Envelope fromB = b.engine.publish(LOBBY, "bob", Kind.GROUPCHAT, message("b not yet"));
        a.hearsNothingFor(300);
        b.hearsNothingFor(0);
        long aDuplicates = a.stat(Counter.ENVELOPES_DUPLICATE);

        b.reconfigure(c -> c.udp(c.build().udp().withPort(otherPort)));
        // b asks for the room's state and repeats its own: each gets what it missed, once.
        assertEquals(fromB, a.next());
        assertEquals(fromA, b.next());
        a.hearsNothingFor(500);
        b.hearsNothingFor(0);
        assertTrue("b's repeated presence and earlier message were dropped as duplicates",
                a.stat(Counter.ENVELOPES_DUPLICATE) >= aDuplicates + 2);

        Envelope later = b.engine.publish(LOBBY, "bob", Kind.GROUPCHAT, message("both moved"));
        assertEquals(later, a.next());
        assertEquals("one run throughout", early.originEpoch(), later.originEpoch());
    }

    @Test
    public void aPortMoveTakesEveryOpenRoomAndLeavesNothingOnTheOldPort() throws Exception {
        Node a = new Node(quiet(1).build());
        Node b = new Node(quiet(2).build());
        List<String> rooms = List.of(LOBBY, "ops@conference.xo", "medics@conference.xo");
        for (String room : rooms) {
            a.engine.openRoom(room);
            b.engine.openRoom(room);
        }
        try (GroupListener oldPort = new GroupListener(a.engine.groupOf(LOBBY), port, lo, HEARD);
             GroupListener newPort = new GroupListener(a.engine.groupOf(LOBBY), otherPort, lo, HEARD)) {
            a.reconfigure(c -> c.udp(c.build().udp().withPort(otherPort)));
            b.reconfigure(c -> c.udp(c.build().udp().withPort(otherPort)));
            assertEquals(otherPort, a.engine.config().udp().port());
            assertEquals(2, a.transports.size());
            int sentByOldTransport = a.transports.get(0).sent.size();
            oldPort.envelopes();
            for (String room : rooms) {
                Envelope sent = a.engine.publish(room, "alice", Kind.GROUPCHAT, "<message><body>hi</body></message>");
                assertEquals(sent, b.next());
                Envelope back = b.engine.publish(room, "bob", Kind.GROUPCHAT, "<message><body>hi</body></message>");
                assertEquals(back, a.next());
            }
            waitFor(() -> newPort.envelopes().stream().anyMatch(e -> e.nick().equals("bob")));
            assertEquals("nothing on the old port", List.of(), oldPort.envelopes());
            assertEquals(Set.of(), a.engine.uncarriedRooms().keySet());
            assertEquals("the old transport sent nothing more", sentByOldTransport, a.transports.get(0).sent.size());
        }
    }

    @Test
    public void aNewGroupBaseMovesEveryRoomToItsNewGroup() throws Exception {
        List<Node> pair = inLobby(quiet(1), quiet(2));
        Node a = pair.get(0);
        Node b = pair.get(1);
        InetAddress oldGroup = a.engine.groupOf(LOBBY);
        InetAddress base = InetAddress.getByName("239.196.0.0");
        try (GroupListener old = new GroupListener(oldGroup, port, lo, HEARD)) {
            a.reconfigure(c -> c.groupBase(base));
            b.reconfigure(c -> c.groupBase(base));
            InetAddress newGroup = a.engine.groupOf(LOBBY);
            assertNotEquals(oldGroup, newGroup);
            assertEquals(239, newGroup.getAddress()[0] & 0xff);
            assertEquals(196, newGroup.getAddress()[1] & 0xfc);
            try (GroupListener moved = new GroupListener(newGroup, port, lo, HEARD)) {
                old.envelopes();
                Envelope sent = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("on the new group"));
                assertEquals(sent, b.next());
                waitFor(() -> moved.envelopes().contains(sent));
                assertEquals(List.of(), old.envelopes());
            }
        }
    }

    @Test
    public void anInterfaceMoveTakesTheRoomsToTheOtherLink() throws Exception {
        NetworkInterface other = Interfaces.defaultMulticast();
        Assume.assumeFalse("this machine has no multicast interface besides loopback", other.isLoopback());
        List<Node> pair = inLobby(quiet(1), quiet(2));
        Node a = pair.get(0);
        Node b = pair.get(1);
        InetAddress group = a.engine.groupOf(LOBBY);
        try (GroupListener onLo = new GroupListener(group, port, lo, HEARD);
             GroupListener onOther = new GroupListener(group, port, other, HEARD)) {
            a.reconfigure(c -> c.udp(new UdpConfig(other, port, 1, UdpConfig.DEFAULT_RECEIVE_BUFFER_BYTES, true)));
            b.reconfigure(c -> c.udp(new UdpConfig(other, port, 1, UdpConfig.DEFAULT_RECEIVE_BUFFER_BYTES, true)));
            onLo.envelopes();
            Envelope sent = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("over " + other.getName()));
            assertEquals(sent, b.next());
            waitFor(() -> onOther.envelopes().contains(sent));
            assertEquals("nothing on loopback any more", List.of(), onLo.envelopes());
        }
    }

    /**
     * A sender moves back and forth between two ports and group bases while it publishes as fast as the receivers
     * keep up (one receiver at each place): every envelope leaves exactly once,
     * through the transport and to the group in place when it was submitted (what the pacer holds for an old group
     * must not go out through the new transport, where nobody listens to that group).
     */
    @Test
    public void portMovesWhilePublishingLoseAndRepeatNothing() throws Exception {
        InetAddress otherBase = InetAddress.getByName("239.196.0.0");
        movesWhilePublishing(quiet(3).udp(UdpConfig.on(lo).withPort(otherPort)).groupBase(otherBase), (c, away) -> c.udp(c.build().udp().withPort(away ? otherPort : port))
                .groupBase(away ? otherBase : GroupAddressing.DEFAULT_BASE));
    }

    /** As above, between two group bases on one transport, the pacing changing too (a new pacer each time). */
    @Test
    public void groupMovesWhilePublishingLoseAndRepeatNothing() throws Exception {
        InetAddress otherBase = InetAddress.getByName("239.196.0.0");
        movesWhilePublishing(quiet(3).groupBase(otherBase), (c, away) -> c.groupBase(away ? otherBase : GroupAddressing.DEFAULT_BASE)
                .maxDelay(Duration.ofMillis(away ? 5 : 50)));
    }

    /** How a test moves the sender: {@code away} to where the receiver "there" listens, else back. */
    private interface Move {
        EngineConfig.Builder apply(EngineConfig.Builder current, boolean away);
    }

    /** The sender starts where the receiver "here" listens (the defaults), the other receiver is configured apart. */
    private void movesWhilePublishing(EngineConfig.Builder elsewhere, Move move) throws Exception {
        // No history: a moving room then repeats nothing of its own, so every envelope is sent once by design.
        List<Node> nodes = inLobby(quiet(2), elsewhere, quiet(1).historyReplay(0));
        Node here = nodes.get(0);
        Node there = nodes.get(1);
        Node a = nodes.get(2);
        AtomicBoolean stop = new AtomicBoolean();
        List<Long> published = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread publisher = new Thread(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    published.add(a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("m" + i)).seq());
                    if (i % 20 == 19) {
                        Thread.sleep(1); // the receivers' socket buffers must not overflow: this test counts loss
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "publisher");
        publisher.start();
        int moves = 4;
        try {
            for (int i = 0; i < moves; i++) {
                boolean away = i % 2 == 0;
                long seen = here.stat(Counter.ENVELOPES_DELIVERED) + there.stat(Counter.ENVELOPES_DELIVERED);
                waitFor(() -> here.stat(Counter.ENVELOPES_DELIVERED) + there.stat(Counter.ENVELOPES_DELIVERED)
                        > seen + 300);
                a.engine.reconfigure(move.apply(like(a.engine.config()), away).build(), a::transport);
            }
            Thread.sleep(100);
        } finally {
            stop.set(true);
            publisher.join();
        }
        assertNull("publishing during the moves failed", failure.get());
        Set<Long> atHere = new HashSet<>();
        Set<Long> atThere = new HashSet<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (collect(here, atHere) + collect(there, atThere) < published.size() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Set<Long> both = new HashSet<>(atHere);
        both.retainAll(atThere);
        assertEquals("sent to both places", Set.of(), both);
        Set<Long> lost = new HashSet<>(published);
        lost.removeAll(atHere);
        lost.removeAll(atThere);
        assertEquals("lost", Set.of(), lost);
        assertEquals(0, here.stat(Counter.ENVELOPES_DUPLICATE) + there.stat(Counter.ENVELOPES_DUPLICATE));
        // In submission (seq) order, the destination changes once per move: nothing submitted before a switch went
        // the new way, nothing submitted after it the old way.
        int switches = 0;
        boolean wasThere = false;
        for (long seq : published) {
            boolean isThere = atThere.contains(seq);
            switches += isThere != wasThere ? 1 : 0;
            wasThere = isThere;
        }
        assertEquals(moves, switches);
        System.out.printf("%d envelopes published during %d moves, %d of them here, %d there; none lost, none"
                + " repeated%n", published.size(), moves, atHere.size(), atThere.size());
    }

    /** Adds the seqs of the groupchats a node heard to {@code into}. @return how many it holds */
    private static int collect(Node n, Set<Long> into) {
        for (Object o; (o = n.heard.poll()) != null; ) {
            if (o instanceof Envelope e && e.kind() == Kind.GROUPCHAT) {
                assertTrue("delivered twice: #" + e.seq(), into.add(e.seq()));
            }
        }
        return into.size();
    }

    @Test
    public void settingsThatCannotApplyLeaveTheEngineAsItWas() throws Exception {
        List<Node> pair = inLobby(beaconing(1), quiet(2));
        Node a = pair.get(0);
        Node b = pair.get(1);
        EngineConfig before = a.engine.config();

        IllegalArgumentException id = assertThrows(IllegalArgumentException.class,
                () -> a.reconfigure(c -> c.nodeId(7)));
        assertTrue(id.getMessage(), id.getMessage().startsWith("The node id cannot change in a running engine"));
        IllegalArgumentException service = assertThrows(IllegalArgumentException.class,
                () -> a.reconfigure(c -> c.overlayService("conference.other")));
        assertTrue(service.getMessage(), service.getMessage().startsWith("The overlay service cannot change"));

        // Another program holds the control group on the new port without sharing it: the new transport cannot
        // hear beacons there, so the change is refused as a whole.
        long fds = OpenFiles.settled();
        try (DatagramChannel holder = DatagramChannel.open(StandardProtocolFamily.INET)) {
            holder.bind(new InetSocketAddress(before.controlGroup(), otherPort));
            IOException refused = assertThrows(IOException.class,
                    () -> a.reconfigure(c -> c.udp(c.build().udp().withPort(otherPort)).compression(false)));
            assertTrue(refused.getMessage(), refused.getMessage().startsWith("Cannot join multicast group "
                    + before.controlGroup().getHostAddress() + " on lo, port " + otherPort));
        }
        assertEquals("the refused transport was closed", fds, OpenFiles.settled());
        assertEquals(before, a.engine.config());
        Envelope still = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("still on the old port"));
        assertEquals(still, b.next());
        assertEquals(Set.of(LOBBY), a.engine.openRooms());
        assertEquals(Set.of(), a.engine.uncarriedRooms().keySet());
        assertTrue("the old transport still sends", a.transports.get(0).sent.stream()
                .anyMatch(s -> s.group().equals(a.engine.groupOf(LOBBY)) && s.bytes() > 0));
        assertFalse(a.transports.get(1).sent.stream().anyMatch(s -> s.bytes() > 0));

        a.engine.close();
        assertThrows(IllegalStateException.class, () -> a.reconfigure(c -> c.compression(false)));
    }

    @Test
    public void discoveryTurnedOffAndOnLosesNobodyHere() throws Exception {
        List<Node> pair = inLobby(beaconing(1), beaconing(2));
        Node a = pair.get(0);
        Node b = pair.get(1);
        waitFor(() -> a.engine.directory().node(2).isPresent());

        a.reconfigure(c -> c.discovery(false));
        assertEquals("this node stopped listening: it forgets, nobody left", List.of(), a.engine.directory().nodes());
        long beaconsSent = a.stat(Counter.BEACONS_SENT);
        Thread.sleep(TIMEOUT.toMillis() * 2);
        assertEquals("no beacons while off", beaconsSent, a.stat(Counter.BEACONS_SENT));
        a.hearsNothingFor(0);

        long requests = a.stat(Counter.STATE_REQUESTS_SENT);
        a.reconfigure(c -> c.discovery(true));
        waitFor(() -> a.engine.directory().node(2).isPresent());
        waitFor(() -> a.stat(Counter.BEACONS_SENT) > beaconsSent);
        assertEquals("listening again, it asks every room for its state", requests + 1,
                a.stat(Counter.STATE_REQUESTS_SENT));
        Thread.sleep(TIMEOUT.toMillis() * 2);
        a.hearsNothingFor(0);
        assertEquals(0, a.stat(Counter.NODES_LOST));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            assertTrue("condition not met within " + WAIT_SECONDS + " s", System.nanoTime() < deadline);
            Thread.sleep(10);
        }
    }
}
