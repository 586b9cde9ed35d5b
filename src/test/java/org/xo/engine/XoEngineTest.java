package org.xo.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.apache.log4j.AppenderSkeleton;
import org.apache.log4j.Level;
import org.apache.log4j.Logger;
import org.apache.log4j.spi.LoggingEvent;
import org.apache.log4j.spi.ThrowableInformation;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.GroupAddressing;
import org.xo.core.Kind;
import org.xo.core.Limits;
import org.xo.core.OverlayRoom;
import org.xo.engine.EngineStats.Counter;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/** Engines with real UDP multicast transports on the loopback interface, all on one port as nodes on one host. */
public class XoEngineTest {
    private static final String LOBBY = "lobby@conference.xo";
    private static final long WAIT_SECONDS = 10;

    private final List<Node> nodes = new ArrayList<>();
    private NetworkInterface lo;
    private int port;

    /** One engine and what its listener heard. */
    private static final class Node {
        final XoEngine engine;
        final LinkedBlockingQueue<Envelope> heard = new LinkedBlockingQueue<>();

        Node(EngineConfig config, boolean failFirst) throws Exception {
            boolean[] failed = {!failFirst};
            engine = new XoEngine(config, new UdpMulticastTransport(config.udp()), e -> {
                heard.add(e);
                if (!failed[0]) {
                    failed[0] = true;
                    throw new IllegalStateException("listener failure on purpose");
                }
            });
            engine.start();
        }

        Envelope next() throws InterruptedException {
            Envelope e = heard.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull("nothing heard within " + WAIT_SECONDS + " s", e);
            return e;
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

    private Node node(long id) throws Exception {
        // These tests count datagrams and envelopes exactly: no beacons (DiscoveryEngineTest covers them), no repair
        // digests (RepairTest covers them).
        return node(EngineConfig.builder().nodeId(id).udp(UdpConfig.on(lo).withPort(port)).discovery(false)
                .repair(false).build(), false);
    }

    private Node node(EngineConfig config, boolean failFirst) throws Exception {
        Node n = new Node(config, failFirst);
        nodes.add(n);
        return n;
    }

    private static String message(String body) {
        return "<message to=\"" + LOBBY + "\" type=\"groupchat\"><body>" + body + "</body></message>";
    }

    @Test
    public void publishedEventReachesTheOtherNodeExactlyOnce() throws Exception {
        Node a = node(1);
        Node b = node(2);
        a.engine.openRoom("lobby");
        b.engine.openRoom(LOBBY);
        assertEquals(Set.of(LOBBY), a.engine.openRooms());

        Envelope sent = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("hello \u4f1a\u8bae"));
        assertEquals(sent, b.next());
        assertNull("delivered once", b.heard.poll(500, TimeUnit.MILLISECONDS));
        assertNull("a node never hears itself", a.heard.poll(100, TimeUnit.MILLISECONDS));
        waitFor(() -> a.stat(Counter.ENVELOPES_OWN) >= 2); // loopback returns its own state request and message
        assertEquals(1, b.stat(Counter.ENVELOPES_DELIVERED));
        assertEquals(1, a.stat(Counter.STATE_REQUESTS_SENT));

        Envelope second = a.engine.publish("lobby", "alice", Kind.GROUPCHAT, message("again"));
        assertEquals(sent.seq() + 1, second.seq());
        assertEquals(second, b.next());
    }

    @Test
    public void eachRoomIsAStreamOfItsOwnForTheWholeRun() throws Exception {
        Node a = node(1);
        Node b = node(2);
        String dev = "dev@conference.xo";
        b.engine.openRoom(LOBBY);
        b.engine.openRoom(dev);
        a.engine.openRoom(LOBBY); // its state request is seq 1 of a's lobby stream
        a.engine.openRoom(dev);
        Envelope lobby2 = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("one"));
        Envelope dev2 = a.engine.publish(dev, "alice", Kind.GROUPCHAT, message("two"));
        assertEquals(2, lobby2.seq());
        assertEquals(2, dev2.seq());
        assertEquals(Set.of(lobby2, dev2), Set.of(b.next(), b.next()));
        assertEquals(lobby2.originEpoch(), dev2.originEpoch());
        assertNotEquals(lobby2.overlayId(), dev2.overlayId());

        a.engine.closeRoom(dev);
        a.engine.openRoom(dev); // the same run goes on with the room's stream: state request 3
        Envelope dev4 = a.engine.publish(dev, "alice", Kind.GROUPCHAT, message("three"));
        assertEquals(4, dev4.seq());
        assertEquals(dev4, b.next());
        assertEquals("no seq was skipped in any stream", 0, b.stat(Counter.STREAM_GAPS));
    }

    @Test
    public void lateJoinerReceivesTheRoomStateOnce() throws Exception {
        Node a = node(1);
        Node b = node(2);
        a.engine.openRoom(LOBBY);
        b.engine.openRoom(LOBBY);
        Envelope alice = a.engine.publish(LOBBY, "alice", Kind.PRESENCE, "<presence to=\"" + LOBBY + "/alice\"/>");
        Envelope m1 = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("one"));
        Envelope m2 = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("two"));
        Envelope bob = b.engine.publish(LOBBY, "bob", Kind.PRESENCE, "<presence to=\"" + LOBBY + "/bob\"/>");
        Envelope subject = b.engine.publish(LOBBY, "bob", Kind.SUBJECT,
                "<message to=\"" + LOBBY + "\" type=\"groupchat\"><subject>Plans</subject></message>");
        Envelope m3 = b.engine.publish(LOBBY, "bob", Kind.GROUPCHAT, message("three"));
        Envelope carl = b.engine.publish(LOBBY, "carl", Kind.PRESENCE, "<presence/>");
        b.engine.publish(LOBBY, "carl", Kind.LEAVE, "<presence type=\"unavailable\"/>");
        assertEquals(Set.of("bob"), b.engine.localNicks(LOBBY));
        for (int i = 0; i < 3; i++) {
            b.next();
        }
        for (int i = 0; i < 5; i++) {
            a.next();
        }

        // a may also have answered b's request, if its events were recorded before that request arrived.
        long aRepliesBefore = a.stat(Counter.STATE_REPLIES_SENT);
        long bRepliesBefore = b.stat(Counter.STATE_REPLIES_SENT);
        Node c = node(3);
        c.engine.openRoom(LOBBY);
        List<Envelope> replay = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            replay.add(c.next());
        }
        assertNull("each event once, even though both nodes repeat the subject",
                c.heard.poll(500, TimeUnit.MILLISECONDS));
        assertEquals(Set.of(alice, m1, m2, bob, subject, m3), new HashSet<>(replay));
        assertTrue("carl left", !replay.contains(carl));
        List<Envelope> fromA = replay.stream().filter(e -> e.originNode() == 1).toList();
        assertEquals("a node repeats presences before messages, oldest first", List.of(alice, m1, m2), fromA);
        assertEquals(aRepliesBefore + 1, a.stat(Counter.STATE_REPLIES_SENT));
        assertEquals(bRepliesBefore + 1, b.stat(Counter.STATE_REPLIES_SENT));
        assertTrue(a.stat(Counter.ENVELOPES_DUPLICATE) + b.stat(Counter.ENVELOPES_DUPLICATE) >= 1);
    }

    @Test
    public void roomsThatShareAGroupAreFilteredByAddress() throws Exception {
        String[] twins = collidingRooms();
        Node a = node(1);
        Node b = node(2);
        a.engine.openRoom(twins[0]);
        a.engine.openRoom(twins[1]);
        b.engine.openRoom(twins[0]);
        assertEquals(a.engine.groupOf(twins[0]), a.engine.groupOf(twins[1]));

        a.engine.publish(twins[1], "alice", Kind.GROUPCHAT, "<message><body>other room</body></message>");
        waitFor(() -> b.stat(Counter.ENVELOPES_OTHER_ROOM) >= 1);
        Envelope wanted = a.engine.publish(twins[0], "alice", Kind.GROUPCHAT, "<message><body>this room</body></message>");
        assertEquals(wanted, b.next());
        assertNull(b.heard.poll(300, TimeUnit.MILLISECONDS));

        // Closing one of two rooms on a group keeps the group: a still hears b in the other room.
        a.engine.closeRoom(twins[1]);
        Envelope fromB = b.engine.publish(twins[0], "bob", Kind.GROUPCHAT, "<message><body>still here</body></message>");
        assertEquals(fromB, a.next());

        // Reference counting: two opens need two closes.
        b.engine.openRoom(twins[0]);
        b.engine.closeRoom(twins[0]);
        assertEquals(Set.of(twins[0]), b.engine.openRooms());
        b.engine.closeRoom(twins[0]);
        assertEquals(Set.of(), b.engine.openRooms());
        a.engine.publish(twins[0], "alice", Kind.GROUPCHAT, "<message><body>gone</body></message>");
        assertNull(b.heard.poll(500, TimeUnit.MILLISECONDS));
    }

    /**
     * 1,000 rooms on each of two engines, with the kernel's default of 20 memberships a socket: one message in each
     * room crosses. Prints how long the opens took and how many file descriptors they took.
     */
    @Test
    public void aThousandRoomsAreCarriedBetweenTwoEngines() throws Exception {
        Node a = node(1);
        Node b = node(2);
        List<String> rooms = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            rooms.add("room" + i + "@conference.xo");
        }
        long fdsBefore = OpenFiles.settled();
        long t0 = System.nanoTime();
        for (String room : rooms) {
            assertTrue(a.engine.openRoom(room));
        }
        long openMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        long fds = OpenFiles.settled() - fdsBefore;
        long groups = rooms.stream().map(a.engine::groupOf).distinct().count();
        System.out.printf("1000 rooms (%d groups) opened on one engine in %d ms, with %d more file descriptors%n",
                groups, openMillis, fds);
        assertEquals("one descriptor per group", groups, fds);
        for (String room : rooms) {
            assertTrue(b.engine.openRoom(room));
        }
        assertEquals(Map.of(), a.engine.uncarriedRooms());

        for (String room : rooms) {
            a.engine.publish(room, "alice", Kind.GROUPCHAT, "<message><body>hello " + room + "</body></message>");
        }
        Set<String> heardIn = new HashSet<>();
        for (int i = 0; i < rooms.size(); i++) {
            Envelope e = b.next();
            assertEquals(Kind.GROUPCHAT, e.kind());
            assertTrue("once per room: " + e.room(), heardIn.add(e.room()));
        }
        assertEquals(new HashSet<>(rooms), heardIn);
        assertNull(b.heard.poll(300, TimeUnit.MILLISECONDS));
    }

    /** Another program holds the overlay port without SO_REUSEADDR: a real reason for a join to fail. */
    @Test
    public void aRoomWhoseGroupCannotBeJoinedStaysLocalSaysWhyOnceAndIsCarriedWhenAnOpenSucceeds() throws Exception {
        Node a = node(1);
        Node b = node(2);
        try (EngineWarnings warnings = new EngineWarnings();
             DatagramChannel holder = DatagramChannel.open(StandardProtocolFamily.INET)) {
            holder.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[4]), port));
            assertFalse(a.engine.openRoom(LOBBY));
            assertEquals(Set.of(LOBBY), a.engine.openRooms());
            String reason = a.engine.uncarriedRooms().get(LOBBY);
            assertTrue(reason, reason.startsWith("Cannot join multicast group "
                    + a.engine.groupOf(LOBBY).getHostAddress() + " on lo, port " + port + ": "));
            assertNull("dropped, not thrown at the server",
                    a.engine.publish(LOBBY, "alice", Kind.PRESENCE, "<presence/>"));
            assertNull(a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("unheard")));
            assertEquals(2, a.stat(Counter.PUBLISH_UNCARRIED));
            assertEquals(0, a.stat(Counter.PUBLISH_REJECTED));
            assertEquals(0, a.stat(Counter.DATAGRAMS_SENT));
            assertFalse("tried again on the next open, in vain while the port is held", a.engine.openRoom(LOBBY));
            assertEquals(2, a.stat(Counter.ROOMS_UNCARRIED));
            assertEquals(Map.of(LOBBY, reason), a.engine.uncarriedRooms());
            assertEquals("one warning for the room, with its cause: " + warnings.lines, 1, warnings.lines.size());
            assertTrue(warnings.lines.get(0), warnings.lines.get(0).startsWith("Room " + LOBBY + " stays on this node"));
            assertTrue(warnings.lines.get(0), warnings.lines.get(0).endsWith(" (cause: " + reason + ")"));
        }
        b.engine.openRoom(LOBBY);
        assertTrue(a.engine.openRoom(LOBBY));
        assertEquals(Map.of(), a.engine.uncarriedRooms());
        Envelope sent = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("heard"));
        assertEquals(sent, b.next());
        assertEquals("the dropped events took no seq, the state request one", 2, sent.seq());

        // Three opens, three closes.
        a.engine.closeRoom(LOBBY);
        a.engine.closeRoom(LOBBY);
        assertEquals(Set.of(LOBBY), a.engine.openRooms());
        a.engine.closeRoom(LOBBY);
        assertEquals(Set.of(), a.engine.openRooms());
    }

    @Test
    public void aRoomClosedAndOpenedAgainGetsTheOtherNodesOccupantsAgain() throws Exception {
        Node a = node(1);
        Node b = node(2);
        b.engine.openRoom(LOBBY);
        a.engine.openRoom(LOBBY);
        Envelope bob = b.engine.publish(LOBBY, "bob", Kind.PRESENCE, "<presence/>");
        assertEquals(bob, a.next());
        a.engine.closeRoom(LOBBY); // its last local occupant left
        a.engine.openRoom(LOBBY); // and one came back: b repeats its state for the new request
        Envelope again = a.next();
        assertEquals("bob's presence passes again, as the reopened room no longer shows him", bob, again);
    }

    @Test
    public void rejectsInvalidPublicationsAndCountsThem() throws Exception {
        Node a = node(1);
        a.engine.openRoom(LOBBY);
        String tooLong = "x".repeat(Limits.MAX_STANZA_BYTES + 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, tooLong));
        assertTrue(e.getMessage(), e.getMessage().contains("stanza is 60001 bytes"));
        assertThrows(IllegalArgumentException.class,
                () -> a.engine.publish(LOBBY, "n".repeat(256), Kind.GROUPCHAT, ""));
        assertThrows(IllegalArgumentException.class,
                () -> a.engine.publish(LOBBY, "alice", Kind.STATE_REQUEST, ""));
        assertThrows(IllegalArgumentException.class,
                () -> a.engine.publish("bad/room@conference.xo", "alice", Kind.GROUPCHAT, ""));
        assertThrows(IllegalStateException.class,
                () -> a.engine.publish("closed", "alice", Kind.GROUPCHAT, ""));
        assertEquals(5, a.stat(Counter.PUBLISH_REJECTED));
        // No seq was spent on a rejected publication.
        assertEquals(2, a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, "<m/>").seq());
    }

    @Test
    public void listenerFailureIsCountedAndDeliveryGoesOn() throws Exception {
        Node a = node(1);
        Node b = node(EngineConfig.builder().nodeId(2).udp(UdpConfig.on(lo).withPort(port)).discovery(false).build(),
                true);
        a.engine.openRoom(LOBBY);
        b.engine.openRoom(LOBBY);
        Envelope first = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("1"));
        Envelope second = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("2"));
        assertEquals(first, b.next());
        assertEquals(second, b.next());
        assertEquals(1, b.stat(Counter.LISTENER_ERRORS));
    }

    @Test
    public void closeSendsWhatThePacerHolds() throws Exception {
        Node b = node(2);
        b.engine.openRoom(LOBBY);
        // A pacer that would hold a partial datagram for 10 s: only close() can send it in time.
        Node a = node(EngineConfig.builder().nodeId(1).udp(UdpConfig.on(lo).withPort(port)).discovery(false)
                .initialRtt(Duration.ofSeconds(5)).maxDelay(Duration.ofSeconds(10)).build(), false);
        a.engine.openRoom(LOBBY); // its state request leaves at once (the group was idle); what follows is paced
        long datagrams = a.stat(Counter.DATAGRAMS_SENT);
        Envelope e = a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, message("bye"));
        assertEquals("held", datagrams, a.stat(Counter.DATAGRAMS_SENT));
        a.engine.close();
        assertEquals(e, b.next());
        assertThrows(IllegalStateException.class, () -> a.engine.publish(LOBBY, "alice", Kind.GROUPCHAT, "x"));
    }

    @Test
    public void aNodeOfAnotherWireVersionIsDroppedCountedAndNamedOnce() throws Exception {
        Node b = node(2);
        b.engine.openRoom(LOBBY);
        // A version 1 header: magic, version 1, no flags, key 0, one envelope, payload length 0.
        byte[] v1 = {'X', 'O', 1, 0, 0, 1, 0, 0};
        try (EngineWarnings warnings = new EngineWarnings();
             DatagramChannel out = DatagramChannel.open(StandardProtocolFamily.INET)) {
            out.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
            for (int i = 0; i < 3; i++) {
                out.send(ByteBuffer.wrap(v1), new InetSocketAddress(b.engine.groupOf(LOBBY), port));
            }
            waitFor(() -> b.stat(Counter.DROPPED_VERSION) == 3);
            assertEquals(warnings.lines.toString(), 1, warnings.lines.size());
            assertTrue(warnings.lines.get(0), warnings.lines.get(0).contains("speaks another XO wire version "
                    + "(wire version 1, this node speaks 2)"));
        }
    }

    @Test
    public void survivesAFloodOfMalformedDatagrams() throws Exception {
        Node b = node(2);
        b.engine.openRoom(LOBBY);
        InetAddress group = b.engine.groupOf(LOBBY);
        waitFor(() -> b.stat(Counter.ENVELOPES_OWN) == 1); // its own state request came back
        long receivedBefore = b.stat(Counter.DATAGRAMS_RECEIVED);

        EnvelopeCodec codec = new EnvelopeCodec(false);
        Random random = new Random(42);
        Map<Counter, Integer> sentByReason = new HashMap<>();
        int sent = 0;
        long lost = 0;
        java.util.function.LongSupplier arrived = () -> b.stat(Counter.DATAGRAMS_RECEIVED) - receivedBefore;
        try (DatagramChannel out = DatagramChannel.open(StandardProtocolFamily.INET)) {
            out.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
            InetSocketAddress target = new InetSocketAddress(group, port);
            for (int i = 0; i < 100_000; i++) {
                Envelope valid = new Envelope(99, 7, 1 + i, 0, LOBBY, "mallory", Kind.GROUPCHAT, message("m" + i));
                Garbage g = garbage(random, codec.encode(List.of(valid)), i);
                if (i % 100 == 0 || g.reason == Counter.DROPPED_OVERSIZED) {
                    // Pace: keep few datagrams in flight, or a full socket buffer makes the kernel drop.
                    lost = awaitCatchUp(sent, lost, g.reason == Counter.DROPPED_OVERSIZED ? 0 : 200, arrived);
                }
                out.send(ByteBuffer.wrap(g.bytes), target);
                sentByReason.merge(g.reason, 1, Integer::sum);
                sent++;
            }
            int total = sent;
            waitForQuiet(() -> b.stat(Counter.DATAGRAMS_RECEIVED) - receivedBefore >= total,
                    () -> b.stat(Counter.DATAGRAMS_RECEIVED));

            long dropped = b.engine.stats().droppedTotal();
            assertEquals("every received garbage datagram is dropped and counted",
                    b.stat(Counter.DATAGRAMS_RECEIVED) - receivedBefore, dropped);
            assertTrue("accounted " + dropped + " of " + sent + ": " + b.engine.stats(), dropped >= sent * 95L / 100);
            for (Map.Entry<Counter, Integer> r : sentByReason.entrySet()) {
                long counted = b.stat(r.getKey());
                assertTrue(r.getKey().key() + " counted " + counted + " of " + r.getValue(),
                        counted <= r.getValue() && counted >= r.getValue() * 90L / 100);
            }
            assertNull(b.heard.poll(100, TimeUnit.MILLISECONDS));
            assertEquals(0, b.stat(Counter.ENVELOPES_DELIVERED));

            Envelope valid = new Envelope(99, 7, 1_000_000, 0, LOBBY, "mallory", Kind.GROUPCHAT, message("ok"));
            out.send(ByteBuffer.wrap(codec.encode(List.of(valid))), target);
            assertEquals(valid, b.next());
        }
    }

    @Test
    public void configHasSensibleDefaultsAndValidates() {
        EngineConfig c = EngineConfig.builder().nodeId(0xABCL).udp(UdpConfig.on(lo)).build();
        assertEquals("node-abc", c.nodeName());
        assertEquals("conference.xo", c.overlayService());
        assertEquals(GroupAddressing.DEFAULT_BASE, c.groupBase());
        assertEquals(1400, c.pacing().payloadBudget());
        assertEquals(2.0, c.pacing().gamma(), 0);
        assertEquals(Duration.ofMillis(1), c.pacing().initialRtt());
        assertEquals(Duration.ofMillis(50), c.pacing().maxDelay());
        assertTrue(c.compression());
        assertEquals(25, c.historyReplay());
        assertTrue(c.discovery());
        assertEquals(Duration.ofSeconds(10), c.beaconInterval());
        assertEquals(Duration.ofSeconds(35), c.nodeTimeout());
        assertEquals("239.192.255.250", c.controlGroup().getHostAddress());
        assertTrue(c.dnsSd());
        assertTrue(c.repair());
        assertEquals(new org.xo.sync.RoomLog.Bounds(10_000, 5_000, Duration.ofHours(72)), c.logBounds());
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder().repairBytesPerSecond(100).build());
        assertFalse("never without discovery", EngineConfig.builder().discovery(false).dnsSd(true).build().dnsSd());
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder()
                .beaconInterval(Duration.ofSeconds(10)).nodeTimeout(Duration.ofSeconds(19)).build());
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder()
                .beaconInterval(Duration.ofMillis(10)).build());
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder()
                .controlGroup(InetAddress.getByName("10.0.0.1")).build());
        assertNotEquals(EngineConfig.builder().build().nodeId(), EngineConfig.builder().build().nodeId());
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder().historyReplay(-1).build());
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder().payloadBudget(0).build());
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder().overlayService("a/b").build());
        assertEquals(EngineConfig.DEFAULT_RESTART_GRACE, c.restartGrace());
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder()
                .restartGrace(Duration.ofSeconds(-1)).build());
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder()
                .restartGrace(EngineConfig.MAX_RESTART_GRACE.plusSeconds(1)).build());
        assertEquals(List.of("datagrams.sent", "datagrams.received", "datagrams.split", "bytes.sent", "bytes.received",
                "envelopes.sent", "envelopes.received", "envelopes.delivered", "envelopes.duplicate", "envelopes.own",
                "envelopes.other-room", "envelopes.unknown-kind", "envelopes.ambiguous-room", "stream.gaps",
                "stream.holds-broken", "dropped.foreign", "dropped.version",
                "dropped.flags", "dropped.truncated", "dropped.oversized", "dropped.bad-field", "dropped.compression",
                "publish.rejected", "publish.uncarried", "rooms.uncarried", "listener.errors", "state.requests.sent", "state.replies.sent", "send.errors",
                "beacons.sent", "beacons.received", "beacons.malformed", "nodes.lost", "nodes.returned",
                "nodes.restart-graces", "nodes.restart-graces-ended", "dnssd.peers",
                "dnssd.removed", "dnssd.malformed", "dnssd.updates", "dnssd.failures", "dropped.unsealed",
                "dropped.unknown-key", "dropped.unauthenticated", "dropped.replayed", "dropped.stale", "dropped.sealed",
                "guard.rate-limited", "guard.requests.rate-limited", "guard.origins.forgotten",
                "guard.state-requests.coalesced", "guard.seq-jumps", "guard.runs-held", "guard.goodbyes.doubted",
                "guard.goodbyes.refuted", "guard.directory.full", "guard.room-occupants.full", "guard.streams.forgotten",
                "stream.repair.digests.sent",
                "stream.repair.digests.received", "stream.repair.nacks.sent", "stream.repair.nacks.received",
                "stream.repair.nacks.suppressed", "stream.repair.nacks.capped", "stream.repair.answers.sent",
                "stream.repair.rate-limited", "stream.repair.events.repaired", "stream.repair.abandoned",
                "stream.repair.dropped-malformed", "stream.repair.presences-superseded", "stream.log.pruned",
                "stream.log.errors"),
                new ArrayList<>(new EngineStats().snapshot().keySet()));
        assertNull("no overlay key unless one is given", c.overlayKeys());
        assertFalse("DNS-SD's clear records are not used on a keyed overlay", EngineConfig.builder().udp(UdpConfig.on(lo))
                .dnsSd(true).overlayKeys(org.xo.security.OverlayKeys.of(org.xo.security.OverlayKeys.randomSecret()))
                .build().dnsSd());
    }

    private record Garbage(byte[] bytes, Counter reason) {
    }

    /** This process's open file descriptors (Linux). */
    /**
     * The engine's warnings, each with its cause's message, as the tests' SLF4J binding (log4j 1.2, configured by
     * src/test/resources/log4j.properties) receives them.
     */
    private static final class EngineWarnings extends AppenderSkeleton implements AutoCloseable {
        final List<String> lines = new CopyOnWriteArrayList<>();

        EngineWarnings() {
            Logger.getLogger(XoEngine.class).addAppender(this);
        }

        @Override
        protected void append(LoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
                ThrowableInformation cause = event.getThrowableInformation();
                lines.add(event.getRenderedMessage()
                        + (cause == null ? "" : " (cause: " + cause.getThrowable().getMessage() + ")"));
            }
        }

        @Override
        public boolean requiresLayout() {
            return false;
        }

        @Override
        public void close() {
            Logger.getLogger(XoEngine.class).removeAppender(this);
        }
    }

    /** Datagrams that are malformed by construction, one class after the other. */
    private static Garbage garbage(Random r, byte[] valid, int i) {
        if (i % 1000 == 999) {
            byte[] huge = new byte[Limits.MAX_DATAGRAM_BYTES + 1 + r.nextInt(100)];
            System.arraycopy(valid, 0, huge, 0, valid.length);
            return new Garbage(huge, Counter.DROPPED_OVERSIZED);
        }
        switch (i % 6) {
            case 0: {
                byte[] b = new byte[1 + r.nextInt(300)];
                r.nextBytes(b);
                b[0] = (byte) ('X' + 1 + r.nextInt(100));
                return new Garbage(b, Counter.DROPPED_FOREIGN);
            }
            case 1: {
                byte[] b = valid.clone();
                b[2] = (byte) (r.nextBoolean() ? 1 : 3 + r.nextInt(253)); // v1 as well: mixed versions do not mix
                return new Garbage(b, Counter.DROPPED_VERSION);
            }
            case 2: {
                byte[] b = valid.clone();
                b[3] = (byte) (0x02 << r.nextInt(6)); // bits 1-6: bit 7 alone marks a sealed datagram
                return new Garbage(b, Counter.DROPPED_FLAGS);
            }
            case 3:
                // Inside the header: past it, a cut envelope is a length that overruns the datagram (BAD_FIELD).
                return new Garbage(java.util.Arrays.copyOf(valid, 3 + r.nextInt(13)), Counter.DROPPED_TRUNCATED);
            case 4: {
                byte[] b = java.util.Arrays.copyOf(valid, valid.length + 1 + r.nextInt(10));
                return new Garbage(b, Counter.DROPPED_BAD_FIELD);
            }
            default: {
                byte[] payload = new byte[1 + r.nextInt(100)];
                r.nextBytes(payload);
                payload[0] = 0x07; // a final DEFLATE block of the reserved type 3: never inflates
                ByteBuffer b = ByteBuffer.allocate(17 + payload.length);
                b.put(new byte[] {'X', 'O', EnvelopeCodec.VERSION_2, 1}).putLong(99).putInt(7).put((byte) 0)
                        .put(payload);
                return new Garbage(b.array(), Counter.DROPPED_COMPRESSION);
            }
        }
    }

    /** Two room names that the paper's mapping puts on one group. */
    private static String[] collidingRooms() {
        GroupAddressing addressing = new GroupAddressing();
        Map<InetAddress, String> seen = new HashMap<>();
        for (int i = 0; ; i++) {
            String room = "room" + i + "@conference.xo";
            String previous = seen.putIfAbsent(addressing.groupFor(OverlayRoom.parse(room)), room);
            if (previous != null) {
                return new String[] {previous, room};
            }
        }
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            assertTrue("condition not met within " + WAIT_SECONDS + " s", System.nanoTime() < deadline);
            Thread.sleep(10);
        }
    }

    /**
     * Waits until at most {@code window} of the {@code sent} datagrams are still on their way.
     *
     * @param lost    datagrams known to be lost so far (they will never arrive)
     * @param arrived datagrams the receiver has counted
     * @return the datagrams known lost: those still missing when the receiver stalled for 200 ms
     */
    private static long awaitCatchUp(long sent, long lost, long window, java.util.function.LongSupplier arrived)
            throws InterruptedException {
        long last = arrived.getAsLong();
        long lastMove = System.nanoTime();
        while (sent - last - lost > window) {
            Thread.sleep(1);
            long now = arrived.getAsLong();
            if (now != last) {
                last = now;
                lastMove = System.nanoTime();
            } else if (System.nanoTime() - lastMove > TimeUnit.MILLISECONDS.toNanos(200)) {
                return sent - now;
            }
        }
        return lost;
    }

    /** Waits until {@code done}, or until {@code progress} stops moving for a second (the rest was lost). */
    private static void waitForQuiet(BooleanSupplier done, java.util.function.LongSupplier progress)
            throws InterruptedException {
        long last = -1;
        long lastChange = System.nanoTime();
        while (!done.getAsBoolean()) {
            long now = progress.getAsLong();
            if (now != last) {
                last = now;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > TimeUnit.SECONDS.toNanos(1)) {
                return;
            }
            Thread.sleep(20);
        }
    }
}
