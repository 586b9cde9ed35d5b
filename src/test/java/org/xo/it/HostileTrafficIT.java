package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;
import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.GroupAddressing;
import org.xo.core.Kind;
import org.xo.core.MalformedDatagramException;
import org.xo.core.OverlayRoom;
import org.xo.core.RoomIndex;
import org.xo.core.StreamId;
import org.xo.discovery.AdvertisedRoom;
import org.xo.discovery.Beacon;
import org.xo.engine.EngineConfig;
import org.xo.sync.RepairMessages;

/**
 * Hostile, well-formed traffic against two live nodes on an open overlay, for the room that is open on both while
 * alice (alpha) and bob (beta) keep chatting. This test process listens to the overlay like any stranger on the
 * network could, learns the nodes' ids, runs and sequence numbers, and then sends in their names: envelopes of a
 * newer run, envelopes far ahead of their stream (a leave of the real user among them), goodbye beacons; and in made-up
 * names: a beacon advertising a million occupants, a flood of made-up occupants from one origin, a STATE_REQUEST flood
 * and a NACK storm. Nothing may change for alice and bob: they keep each other in their occupant lists, every message
 * either says arrives, no node is declared lost, made-up occupants stay within the room's bound, and the counters show
 * each kind of drop.
 */
@RunWith(Parameterized.class)
public class HostileTrafficIT {
    @Parameters(name = "openfire={0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    @Parameter
    public Openfire openfire;

    private static final String ROOM = "ops@conference.xo";
    private static final String CONTROL = "xo-control@conference.xo";
    private static final int MAX_GHOSTS = 20;
    /**
     * Beacons every 500 ms, lost after 4 s: a goodbye in a node's name is believed after 1.25 s of its silence. A low
     * origin rate (100 envelopes/s, bursts of 1000) and room bound make the floods hit them within a short test.
     */
    private static final String[] SETTINGS = {
            "--set", "xo.discovery.beacon-interval-ms=500", "--set", "xo.discovery.node-timeout-ms=4000",
            "--set", "xo.guard.origin-envelopes-per-second=100",
            "--set", "xo.guard.max-remote-occupants-per-room=" + MAX_GHOSTS};

    private NodeProcess alpha;
    private NodeProcess beta;
    private XmppTestClient alice;
    private XmppTestClient bob;
    private int port;
    private Inet4Address roomGroup;
    private final EnvelopeCodec codec = new EnvelopeCodec(false);

    /** What a listener learned of one node: its run and the highest seq of its room and control streams. */
    private static final class Seen {
        long node;
        int epoch;
        long roomSeq;
        long controlSeq;
    }

    @Before
    public void startNodes() throws Exception {
        port = NodeProcess.freePort();
        List<NodeProcess> nodes = NodeProcess.startAll(
                NodeProcess.builder().openfire(openfire).domain("alpha.test").multicastPort(port).args(SETTINGS),
                NodeProcess.builder().openfire(openfire).domain("beta.test").multicastPort(port).args(SETTINGS));
        alpha = nodes.get(0);
        beta = nodes.get(1);
        alice = new XmppTestClient(alpha.clientPort(), "alpha.test", "alice");
        bob = new XmppTestClient(beta.clientPort(), "beta.test", "bob");
        roomGroup = new GroupAddressing().groupFor(OverlayRoom.parse(ROOM));
    }

    @After
    public void stopNodes() {
        NodeProcess.closeAll(alice, bob, alpha, beta);
    }

    @Test
    public void hostileEnvelopesChangeNothingForTheUsersAndAreCounted() throws Exception {
        alice.join("ops", "alice");
        bob.join("ops", "bob");
        XmppTestClient.eventually("alice sees bob", () -> alice.occupantNicks("ops").contains("bob"));
        XmppTestClient.eventually("bob sees alice", () -> bob.occupantNicks("ops").contains("alice"));
        Map<String, Long> alphaBefore = alice.xoStats();
        Map<String, Long> betaBefore = bob.xoStats();

        AtomicBoolean chatting = new AtomicBoolean(true);
        AtomicInteger said = new AtomicInteger();
        Thread chatter = new Thread(() -> {
            try {
                for (int i = 0; chatting.get(); i++) {
                    alice.say("ops", "alice-" + i);
                    bob.say("ops", "bob-" + i);
                    said.set(i + 1);
                    Thread.sleep(250);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "chatter");
        chatter.start();
        long attackStart = System.nanoTime();
        try {
            Map<String, Seen> nodes = listen(Duration.ofSeconds(3));
            Seen a = nodes.get("alice");
            Seen b = nodes.get("bob");
            assertTrue("the listener learned both nodes' runs: " + nodes.keySet(), a != null && b != null
                    && a.controlSeq > 0 && b.controlSeq > 0);
            try (MulticastSocket out = sender()) {
                for (Seen victim : List.of(a, b)) {
                    String user = victim == a ? "alice" : "bob";
                    // A newer run in the victim's name: a beacon and a made-up occupant of it.
                    send(out, EngineConfig.DEFAULT_CONTROL_GROUP, beacon(victim.node, victim.epoch + 1000, 1,
                            Duration.ofMillis(500), List.of()));
                    send(out, roomGroup, List.of(presence(victim.node, victim.epoch + 1000, 1, "mallory")));
                    // Far ahead of the victim's stream: the real user's leave, then a made-up occupant.
                    send(out, roomGroup, List.of(new Envelope(victim.node, victim.epoch, victim.roomSeq + 100_000,
                            System.currentTimeMillis(), ROOM, user, Kind.LEAVE, "<presence type=\"unavailable\"/>"),
                            presence(victim.node, victim.epoch, victim.roomSeq + 100_001, "eve")));
                    // Far ahead of its beacons; then a goodbye a few beacons ahead (a listener's guess of a seq
                    // not used yet: the real beacon with that seq will be dropped as its duplicate).
                    send(out, EngineConfig.DEFAULT_CONTROL_GROUP, beacon(victim.node, victim.epoch,
                            victim.controlSeq + 100_000, Duration.ofMillis(500), List.of()));
                    send(out, EngineConfig.DEFAULT_CONTROL_GROUP, beacon(victim.node, victim.epoch,
                            victim.controlSeq + 4, Duration.ZERO, List.of()));
                }
                // A made-up node advertising the room with a million occupants.
                long ghostNode = 0xBADL;
                int ghostEpoch = (int) (System.currentTimeMillis() / 1000);
                send(out, EngineConfig.DEFAULT_CONTROL_GROUP, beacon(ghostNode, ghostEpoch, 1, Duration.ofMillis(500),
                        List.of(new AdvertisedRoom(ROOM, roomGroup, port, Beacon.MAX_OCCUPANTS, "pwned"))));
                // Floods from single made-up origins: occupants, state requests, NACKs for the real streams.
                flood(out, ghostNode, ghostEpoch, 3_000, seq -> presence(ghostNode, ghostEpoch, seq, "ghost-" + seq));
                flood(out, 0xBAD2L, ghostEpoch, 2_000, seq -> new Envelope(0xBAD2L, ghostEpoch, seq,
                        System.currentTimeMillis(), ROOM, "", Kind.STATE_REQUEST, ""));
                String nack = RepairMessages.encodeNack(List.of(
                        new RepairMessages.Range(new StreamId(a.node, a.epoch, ROOM), 1, a.roomSeq),
                        new RepairMessages.Range(new StreamId(b.node, b.epoch, ROOM), 1, b.roomSeq)));
                flood(out, 0xBAD3L, ghostEpoch, 3_000, seq -> new Envelope(0xBAD3L, ghostEpoch, seq,
                        System.currentTimeMillis(), ROOM, "", Kind.NACK, nack));
            }
            Thread.sleep(3_000); // the chat goes on past the attack: beacons and messages after it change nothing either
        } finally {
            chatting.set(false);
            chatter.join(10_000);
        }
        double attackSeconds = (System.nanoTime() - attackStart) / 1e9;
        int messages = said.get();
        assertTrue("the chat went on during the attack: " + messages, messages >= 20);
        XmppTestClient.eventually("alice got every message bob said", () -> bodies(alice, "bob-").size() >= messages);
        XmppTestClient.eventually("bob got every message alice said", () -> bodies(bob, "alice-").size() >= messages);
        assertEquals("nobody's message came twice", messages, bodies(alice, "bob-").size());
        assertEquals("nobody's message came twice", messages, bodies(bob, "alice-").size());

        for (XmppTestClient client : List.of(alice, bob)) {
            List<String> real = client.occupantNicks("ops").stream().filter(n -> !n.startsWith("ghost-")).toList();
            assertEquals("the real occupants stay, no forged run's or far-ahead occupant came in",
                    List.of("alice", "bob"), real);
            long ghosts = client.occupantNicks("ops").size() - real.size();
            assertTrue("made-up occupants stay within the room's bound: " + ghosts, ghosts <= MAX_GHOSTS);
        }
        alice.say("ops", "after the attack");
        bob.awaitMessage(m -> "after the attack".equals(m.getBody()), "a message after the attack");

        for (XmppTestClient client : List.of(alice, bob)) {
            Map<String, Long> before = client == alice ? alphaBefore : betaBefore;
            Map<String, Long> after = client.xoStats();
            String node = client == alice ? "alpha" : "beta";
            System.out.printf("openfire=%s %s: %s%n", openfire, node, delta(before, after, "guard.", "inject.",
                    "state.replies.sent", "stream.repair.answers.sent", "nodes.lost"));
            assertEquals(node + ": no node was lost", before.get("nodes.lost"), after.get("nodes.lost"));
            assertTrue(node + ": the newer runs were held", grew(before, after, "guard.runs-held"));
            assertTrue(node + ": the far-ahead envelopes were dropped", grew(before, after, "guard.seq-jumps"));
            assertTrue(node + ": the goodbye was doubted", grew(before, after, "guard.goodbyes.doubted"));
            assertTrue(node + ": the floods were rate-limited", grew(before, after, "guard.rate-limited"));
            assertTrue(node + ": the room's bound kept ghosts out", grew(before, after, "inject.occupants-full"));
            long replies = after.get("state.replies.sent") - before.get("state.replies.sent");
            assertTrue(node + ": at most one state reply per 0.5 s, not one per request: " + replies,
                    replies <= attackSeconds * 2 + 2);
            assertTrue(node + ": state requests were coalesced",
                    grew(before, after, "guard.state-requests.coalesced"));
        }
    }

    private interface EnvelopeAt {
        Envelope at(long seq);
    }

    /** Sends {@code count} envelopes of one origin, ten to a datagram, paced to what socket buffers absorb. */
    private void flood(MulticastSocket out, long origin, int epoch, int count, EnvelopeAt envelope) throws Exception {
        List<Envelope> batch = new ArrayList<>();
        for (long seq = 1; seq <= count; seq++) {
            batch.add(envelope.at(seq));
            if (batch.size() == 10) {
                send(out, roomGroup, batch);
                batch.clear();
                if (seq % 500 == 0) {
                    Thread.sleep(5);
                }
            }
        }
        if (!batch.isEmpty()) {
            send(out, roomGroup, batch);
        }
    }

    private static Envelope presence(long node, int epoch, long seq, String nick) {
        return new Envelope(node, epoch, seq, System.currentTimeMillis(), ROOM, nick, Kind.PRESENCE,
                "<presence to=\"" + ROOM + "/" + nick + "\"/>");
    }

    private static List<Envelope> beacon(long node, int epoch, long seq, Duration interval, List<AdvertisedRoom> rooms) {
        return List.of(new Envelope(node, epoch, seq, System.currentTimeMillis(), CONTROL, "forged", Kind.BEACON,
                Beacon.encode(interval, rooms)));
    }

    private void send(MulticastSocket out, InetAddress group, List<Envelope> envelopes) throws Exception {
        byte[] datagram = codec.encode(envelopes);
        out.send(new java.net.DatagramPacket(datagram, datagram.length, new InetSocketAddress(group, port)));
    }

    private static MulticastSocket sender() throws Exception {
        MulticastSocket out = new MulticastSocket();
        out.setNetworkInterface(NetworkInterface.getByName("lo"));
        return out;
    }

    /** Listens to the control and room groups like a stranger on the network; by the nick each node's user speaks. */
    private Map<String, Seen> listen(Duration time) throws Exception {
        Map<Long, Seen> byNode = new HashMap<>();
        Map<String, Seen> byUser = new HashMap<>();
        RoomIndex rooms = RoomIndex.of(Set.of(ROOM, CONTROL));
        NetworkInterface lo = NetworkInterface.getByName("lo");
        List<MulticastSocket> sockets = new ArrayList<>();
        try {
            for (InetAddress group : List.of(EngineConfig.DEFAULT_CONTROL_GROUP, roomGroup)) {
                MulticastSocket s = new MulticastSocket(null);
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(group, port));
                s.joinGroup(new InetSocketAddress(group, 0), lo);
                s.setSoTimeout(50);
                sockets.add(s);
            }
            long end = System.nanoTime() + time.toNanos();
            byte[] buffer = new byte[65_536];
            while (System.nanoTime() < end) {
                for (MulticastSocket s : sockets) {
                    java.net.DatagramPacket packet = new java.net.DatagramPacket(buffer, buffer.length);
                    try {
                        s.receive(packet);
                    } catch (SocketTimeoutException quiet) {
                        continue;
                    }
                    List<Envelope> envelopes;
                    try {
                        envelopes = codec.decode(ByteBuffer.wrap(buffer, 0, packet.getLength()), rooms).envelopes();
                    } catch (MalformedDatagramException e) {
                        continue;
                    }
                    for (Envelope e : envelopes) {
                        Seen seen = byNode.computeIfAbsent(e.originNode(), n -> new Seen());
                        seen.node = e.originNode();
                        seen.epoch = e.originEpoch();
                        if (e.kind() == Kind.BEACON) {
                            seen.controlSeq = Math.max(seen.controlSeq, e.seq());
                        } else if (e.kind().code() < 0x40 || e.kind() == Kind.STATE_REQUEST) {
                            seen.roomSeq = Math.max(seen.roomSeq, e.seq());
                        }
                        if (e.kind() == Kind.GROUPCHAT) {
                            byUser.put(e.nick(), seen);
                        }
                    }
                }
            }
        } finally {
            sockets.forEach(MulticastSocket::close);
        }
        return byUser;
    }

    private static List<String> bodies(XmppTestClient client, String prefix) {
        return client.received.stream().map(m -> m.getBody()).filter(b -> b != null && b.startsWith(prefix)).toList();
    }

    private static boolean grew(Map<String, Long> before, Map<String, Long> after, String counter) {
        return after.getOrDefault(counter, 0L) > before.getOrDefault(counter, 0L);
    }

    private static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after, String... prefixes) {
        Map<String, Long> out = new java.util.TreeMap<>();
        after.forEach((name, value) -> {
            for (String prefix : prefixes) {
                if (name.startsWith(prefix) && value - before.getOrDefault(name, 0L) != 0) {
                    out.put(name, value - before.getOrDefault(name, 0L));
                }
            }
        });
        return out;
    }
}
