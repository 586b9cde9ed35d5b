package org.xo.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.DatagramSocket;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.Kind;
import org.xo.core.Varint;
import org.xo.engine.EngineStats.Counter;
import org.xo.sync.MemoryRoomLog;
import org.xo.sync.RoomLog;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/**
 * Repair between engines on real UDP multicast (loopback): partitions made with {@link MuteableTransport}, healed;
 * tail losses found through digests; NACK and answer suppression; restarts with the same log; hostile requests.
 */
public class RepairTest {
    private static final String LOBBY = "lobby@conference.xo";
    /** Generous: a loaded 2-core box; repair itself takes about a second or two here. */
    private static final long WAIT_MS = 60_000;

    private NetworkInterface lo;
    private int port;
    private final List<Node> nodes = new ArrayList<>();
    private final List<AutoCloseable> others = new ArrayList<>();

    /** One engine, its radio, and what its listener received (with the late flag). */
    private final class Node {
        final long id;
        final MuteableTransport radio;
        final XoEngine engine;
        final List<Envelope> heard = new CopyOnWriteArrayList<>();
        final List<Envelope> heardLate = new CopyOnWriteArrayList<>();

        Node(long id, RoomLog log) throws Exception {
            this(id, log, EngineConfig.builder().discovery(false));
        }

        Node(long id, RoomLog log, EngineConfig.Builder builder) throws Exception {
            this.id = id;
            UdpConfig udp = UdpConfig.on(lo).withPort(port);
            EngineConfig config = builder.nodeId(id).udp(udp).build();
            radio = new MuteableTransport(new UdpMulticastTransport(udp));
            EngineListener listener = new EngineListener() {
                @Override
                public void onRemoteEvent(Envelope e) {
                    throw new AssertionError("the engine calls the two-argument form");
                }

                @Override
                public void onRemoteEvent(Envelope e, boolean late) {
                    heard.add(e);
                    if (late) {
                        heardLate.add(e);
                    }
                }
            };
            engine = log == null ? new XoEngine(config, radio, listener) : new XoEngine(config, radio, listener, log);
            engine.start();
            engine.openRoom(LOBBY);
            nodes.add(this);
        }

        void publish(int count, String prefix) {
            for (int i = 0; i < count; i++) {
                engine.publish(LOBBY, "n" + id, Kind.GROUPCHAT, EnvelopeCodec.BODY_ONLY_PREFIX + prefix + i
                        + EnvelopeCodec.BODY_ONLY_SUFFIX);
            }
        }

        /** @return the seqs of the groupchat messages received from one origin, in the order received */
        List<Long> messagesFrom(long origin) {
            List<Long> seqs = new ArrayList<>();
            for (Envelope e : heard) {
                if (e.originNode() == origin && e.kind() == Kind.GROUPCHAT) {
                    seqs.add(e.seq());
                }
            }
            return seqs;
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
    public void tearDown() throws Exception {
        nodes.forEach(n -> n.engine.close());
        for (AutoCloseable c : others) {
            c.close();
        }
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("not within " + WAIT_MS + " ms: " + what);
            }
            Thread.sleep(20);
        }
    }

    /** Waits until every node heard one message of every other: each knows the others' streams. */
    private void connect(List<Node> group) throws InterruptedException {
        for (Node n : group) {
            n.publish(1, "hello");
        }
        for (Node n : group) {
            for (Node other : group) {
                if (other != n) {
                    eventually(n.id + " hears " + other.id, () -> n.messagesFrom(other.id).size() == 1);
                }
            }
        }
    }

    /** Waits until a muted node's pacer has let go of everything (into the muted radio). */
    /** Cuts nodes off, noting how much they and everyone had sent and received, for {@link #quietAfterCut}. */
    private Map<Node, long[]> isolate(List<Node> cut) {
        Map<Node, long[]> marks = new HashMap<>();
        for (Node n : cut) {
            n.radio.muted = true;
            marks.put(n, new long[] {n.radio.arrived.get(), sentByAll()});
        }
        return marks;
    }

    private long sentByAll() {
        return nodes.stream().mapToLong(n -> n.radio.sent.size()).sum();
    }

    /**
     * Waits until every node has sent what it had to, and every cut-off node's socket has taken in (and discarded)
     * every datagram sent since the cut: unmuting earlier would let one still queued at its socket through.
     */
    private void quietAfterCut(Map<Node, long[]> marks) throws InterruptedException {
        for (Node n : nodes) {
            drained(n);
        }
        marks.forEach((n, mark) -> {
            try {
                eventually(n.id + " discarded what was sent while it was cut off",
                        () -> n.radio.arrived.get() - mark[0] >= sentByAll() - mark[1]);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
    }

    private static void drained(Node n) throws InterruptedException {
        long sent = -1;
        while (sent != n.stat(Counter.ENVELOPES_SENT)) {
            sent = n.stat(Counter.ENVELOPES_SENT);
            Thread.sleep(300);
        }
    }

    /** Every node received every other's messages 1..count+1 exactly once, in seq order. */
    private static void assertAllOnceInOrder(List<Node> group, int count) {
        List<Long> expected = new ArrayList<>();
        for (long seq = 2; seq <= count + 2; seq++) { // seq 1 is the state request
            expected.add(seq);
        }
        for (Node n : group) {
            for (Node other : group) {
                if (other != n) {
                    assertEquals(n.id + " from " + other.id, expected, n.messagesFrom(other.id));
                }
            }
        }
    }

    private static boolean allHave(List<Node> group, int count) {
        for (Node n : group) {
            for (Node other : group) {
                if (other != n && n.messagesFrom(other.id).size() < count + 1) {
                    return false;
                }
            }
        }
        return true;
    }

    @Test
    public void twoEnginesPartitionedWhileEachPublishesGetEachOthersMessagesOnceInOrderAfterTheHeal()
            throws Exception {
        Node a = new Node(1, null);
        Node b = new Node(2, null);
        List<Node> both = List.of(a, b);
        connect(both);
        eventually("nothing left to repair", () -> nodes.stream().allMatch(n -> n.engine.repairBacklog() == 0));
        long repairedBefore = a.stat(Counter.REPAIR_EVENTS_REPAIRED);
        a.radio.muted = true;
        b.radio.muted = true;
        a.publish(200, "a");
        b.publish(200, "b");
        drained(a);
        drained(b);
        a.radio.muted = false;
        b.radio.muted = false;
        eventually("both have all 201 of the other", () -> allHave(both, 200));
        Thread.sleep(500); // anything sent twice would arrive now
        assertAllOnceInOrder(both, 200);
        assertEquals("the 200 of the partition came late", 200, a.heardLate.size());
        assertEquals(200, b.heardLate.size());
        assertEquals(repairedBefore + 200, a.stat(Counter.REPAIR_EVENTS_REPAIRED));
    }

    @Test
    public void threeEnginesOneCutOffWhileAllPublishConvergeOnceInOrder() throws Exception {
        Node a = new Node(1, null);
        Node b = new Node(2, null);
        Node c = new Node(3, null);
        List<Node> all = List.of(a, b, c);
        connect(all);
        Map<Node, long[]> cut = isolate(List.of(a)); // a alone on one side, b and c together on the other
        a.publish(200, "a");
        b.publish(200, "b");
        c.publish(200, "c");
        quietAfterCut(cut);
        a.radio.muted = false;
        eventually("all have all 201 of each other", () -> allHave(all, 200));
        Thread.sleep(500);
        assertAllOnceInOrder(all, 200);
        assertEquals("b's and c's 200 each came to a late", 400, a.heardLate.size());
        assertEquals("b heard c live", 200, b.heardLate.size());
    }

    @Test
    public void aTailLostBeforeSilenceIsRepairedThroughDigests() throws Exception {
        Node a = new Node(1, null);
        Node b = new Node(2, null);
        connect(List.of(a, b));
        a.publish(10, "live");
        eventually("b hears the live ones", () -> b.messagesFrom(1).size() == 11);
        a.radio.muted = true;
        a.publish(5, "lost");
        drained(a);
        a.radio.muted = false; // and then nothing more is said: only a digest can tell b
        eventually("b gets the lost tail", () -> b.messagesFrom(1).size() == 16);
        Thread.sleep(500);
        assertEquals(List.of(13L, 14L, 15L, 16L, 17L), b.heardLate.stream().map(Envelope::seq).toList());
        assertEquals(16, b.messagesFrom(1).size());
        assertTrue(b.stat(Counter.REPAIR_DIGESTS_RECEIVED) > 0);
    }

    @Test
    public void afterAHealOfFiveNodesFewNacksAndAnswersGoOut() throws Exception {
        Node origin = new Node(1, null);
        Node holder = new Node(2, null);
        List<Node> cutOff = List.of(new Node(3, null), new Node(4, null), new Node(5, null));
        connect(nodes);
        // Nodes that opened the room later ask for the state requests sent before: let that settle first.
        eventually("nothing left to repair", () -> nodes.stream().allMatch(n -> n.engine.repairBacklog() == 0));
        Map<Node, Map<String, Long>> before = new HashMap<>();
        nodes.forEach(n -> before.put(n, n.engine.stats().snapshot()));
        Map<Node, long[]> cut = isolate(cutOff);
        int count = 300;
        origin.publish(count, "m");
        eventually("the holder has them", () -> holder.messagesFrom(1).size() == count + 1);
        quietAfterCut(cut);
        cutOff.forEach(n -> n.radio.muted = false);
        eventually("the cut-off nodes have them", () -> cutOff.stream()
                .allMatch(n -> n.messagesFrom(1).size() == count + 1));
        Thread.sleep(500);
        for (Node n : cutOff) {
            assertEquals(count, n.heardLate.size());
        }
        long nacks = 0;
        long suppressed = 0;
        long answers = 0;
        for (Node n : nodes) {
            nacks += n.stat(Counter.REPAIR_NACKS_SENT) - before.get(n).get(Counter.REPAIR_NACKS_SENT.key());
            suppressed += n.stat(Counter.REPAIR_NACKS_SUPPRESSED)
                    - before.get(n).get(Counter.REPAIR_NACKS_SUPPRESSED.key());
            answers += n.stat(Counter.REPAIR_ANSWERS_SENT) - before.get(n).get(Counter.REPAIR_ANSWERS_SENT.key());
        }
        // Naive: each of the three asks (3 NACKs) and both holders answer all of it (2 x 300).
        assertTrue("NACKs sent: " + nacks, nacks <= 2);
        assertTrue("NACKs suppressed: " + suppressed, suppressed >= 1);
        assertTrue("answers sent: " + answers, answers <= count + count / 5);
    }

    @Test
    public void aPresenceRepairedAfterTheOccupantLeftDoesNotBringThemBack() throws Exception {
        Node a = new Node(1, null);
        Node b = new Node(2, null);
        connect(List.of(a, b));
        // b repairs a's state request sent before b opened the room: not to be counted below
        eventually("nothing left to repair", () -> nodes.stream().allMatch(n -> n.engine.repairBacklog() == 0));
        long repairedBefore = b.stat(Counter.REPAIR_EVENTS_REPAIRED);
        Map<Node, long[]> cut = isolate(List.of(b));
        long digests = a.stat(Counter.REPAIR_DIGESTS_SENT);
        a.engine.publish(LOBBY, "alice", Kind.PRESENCE, "<presence/>");
        // b also misses the digest a second later; the next is two seconds away, so the leave is what tells b
        eventually("a's digest after the presence", () -> a.stat(Counter.REPAIR_DIGESTS_SENT) > digests);
        quietAfterCut(cut);
        b.radio.muted = false;
        Envelope leave = a.engine.publish(LOBBY, "alice", Kind.LEAVE, "<presence type=\"unavailable\"/>");
        // The receiving thread counts the repair, then the superseding: wait for the second
        eventually("the presence comes by repair, after the leave",
                () -> b.stat(Counter.REPAIR_PRESENCES_SUPERSEDED) == 1);
        assertEquals(repairedBefore + 1, b.stat(Counter.REPAIR_EVENTS_REPAIRED));
        assertEquals("only the leave", List.of(leave), b.heard.stream().filter(e -> e.kind() != Kind.GROUPCHAT)
                .toList());
        assertEquals(java.util.Set.of(), b.engine.remoteNicks(LOBBY, 1));
    }

    @Test
    public void eventsRepairedForANodeThatLeftDoNotBringItBackToTheDirectory() throws Exception {
        java.util.function.Supplier<EngineConfig.Builder> beaconing = () -> EngineConfig.builder().discovery(true)
                .dnsSd(false).beaconInterval(java.time.Duration.ofMillis(200))
                .nodeTimeout(java.time.Duration.ofMillis(800));
        Node a = new Node(1, null, beaconing.get());
        Node b = new Node(2, null, beaconing.get());
        Node c = new Node(3, null, beaconing.get());
        connect(List.of(a, b, c));
        c.radio.muted = true;
        a.publish(5, "tail");
        eventually("b has a's tail", () -> b.messagesFrom(1).size() == 6);
        a.engine.close(); // its goodbye reaches b; c, cut off, loses it by the timeout
        nodes.remove(a);
        eventually("c loses a", () -> c.engine.directory().node(1).isEmpty());
        java.util.concurrent.atomic.AtomicInteger aAppeared = new java.util.concurrent.atomic.AtomicInteger();
        c.engine.directory().addListener(new org.xo.discovery.DirectoryListener() {
            @Override
            public void nodeAppeared(org.xo.discovery.NodeInfo node) {
                if (node.nodeId() == 1) {
                    aAppeared.incrementAndGet();
                }
            }
        });
        c.radio.muted = false;
        eventually("b repairs a's tail at c", () -> c.messagesFrom(1).size() == 6);
        Thread.sleep(500);
        assertEquals("a stays gone", 0, aAppeared.get());
    }

    @Test
    public void withRepairOffALossStaysLostAndNoRepairTrafficGoesOut() throws Exception {
        Node a = new Node(1, null, EngineConfig.builder().discovery(false).repair(false));
        Node b = new Node(2, null, EngineConfig.builder().discovery(false).repair(false));
        connect(List.of(a, b));
        a.radio.muted = true;
        a.publish(2, "lost");
        drained(a);
        a.radio.muted = false;
        a.publish(1, "after");
        eventually("the message after the loss arrives", () -> b.messagesFrom(1).size() == 2);
        Thread.sleep(2500); // more than a digest round and a NACK retry, were repair on
        assertEquals(List.of(2L, 5L), b.messagesFrom(1));
        for (Node n : List.of(a, b)) {
            assertEquals(0, n.stat(Counter.REPAIR_DIGESTS_SENT) + n.stat(Counter.REPAIR_NACKS_SENT)
                    + n.stat(Counter.REPAIR_ANSWERS_SENT));
        }
    }

    @Test
    public void aRestartWithTheSameLogDeliversNothingTwice() throws Exception {
        RoomLog log = new MemoryRoomLog(EngineConfig.DEFAULT_LOG_BOUNDS);
        others.add(log);
        Node a = new Node(1, null);
        Node b = new Node(2, log);
        connect(List.of(a, b));
        a.publish(20, "before");
        eventually("b hears them", () -> b.messagesFrom(1).size() == 21);
        b.engine.close();
        nodes.remove(b);

        Node restarted = new Node(2, log); // a new run: a replays its history to it, which it has
        eventually("a answers the restarted node's state request", () -> a.stat(Counter.STATE_REPLIES_SENT) >= 1);
        a.publish(1, "after");
        eventually("the new message arrives", () -> restarted.messagesFrom(1).size() == 1);
        Thread.sleep(1500); // a digest round: nothing old may come back through repair either
        assertEquals(List.of(23L), restarted.messagesFrom(1));
        assertEquals("what the log holds is not asked for again", 0, restarted.stat(Counter.REPAIR_NACKS_SENT));
    }

    @Test
    public void malformedOversizedAndHugeRequestsAreDroppedOrCappedAndCounted() throws Exception {
        Node a = new Node(1, null);
        a.publish(2000, "m");
        UdpConfig udp = UdpConfig.on(lo).withPort(port);
        UdpMulticastTransport attacker = new UdpMulticastTransport(udp);
        others.add(attacker);
        attacker.start((data, sender) -> { });
        EnvelopeCodec codec = new EnvelopeCodec(false);
        long serial = 1;
        Map<String, Kind> bodies = new HashMap<>();
        bodies.put("not base64 !", Kind.DIGEST);
        bodies.put(Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[] {1, 2, 3}), Kind.NACK);
        bodies.put(Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[25 * 14]), Kind.DIGEST); // 25 streams
        for (Map.Entry<String, Kind> body : bodies.entrySet()) {
            attacker.send(a.engine.groupOf(LOBBY), ByteBuffer.wrap(codec.encode(List.of(new Envelope(99, 1, serial++,
                    System.currentTimeMillis(), LOBBY, "", body.getValue(), body.getKey())))));
        }
        // A NACK for seqs 1..10^9 of a's stream.
        ByteBuffer huge = ByteBuffer.allocate(40);
        huge.putLong(1).putInt(a.engine.originEpoch()).put((byte) 1);
        Varint.write(huge, 1);
        Varint.write(huge, 1_000_000_000L);
        String hugeBody = Base64.getUrlEncoder().withoutPadding().encodeToString(
                java.util.Arrays.copyOf(huge.array(), huge.position()));
        attacker.send(a.engine.groupOf(LOBBY), ByteBuffer.wrap(codec.encode(List.of(new Envelope(99, 1, serial,
                System.currentTimeMillis(), LOBBY, "", Kind.NACK, hugeBody)))));

        eventually("three malformed dropped", () -> a.stat(Counter.REPAIR_DROPPED_MALFORMED) == 3);
        eventually("the huge NACK capped", () -> a.stat(Counter.REPAIR_NACKS_CAPPED) == 1);
        eventually("a answers the capped part", () -> a.stat(Counter.REPAIR_ANSWERS_SENT) == 1024);
        Thread.sleep(1500);
        assertEquals("no more than the cap", 1024, a.stat(Counter.REPAIR_ANSWERS_SENT));
    }
}
