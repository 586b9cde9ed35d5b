package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.jivesoftware.smack.packet.Presence;
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
import org.xo.core.OverlayRoom;

/**
 * Bad input against live nodes: 20,000 random and mutated datagrams sent to a room's multicast group while two
 * clients chat across two nodes. Nothing may reach the room, every datagram must be accounted for in the counters,
 * and the conversation must go on afterwards. Broken datagrams only: the intact envelopes among them go to a room no
 * node has open (a bit flip in one for the open room could leave a message that is valid and would rightly be shown).
 * Well-formed envelopes for the open room, in other nodes' names and made up, are {@link HostileTrafficIT}'s.
 */
@RunWith(Parameterized.class)
public class MalformedTrafficIT {
    @Parameters(name = "openfire={0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    @Parameter
    public Openfire openfire;

    private static final int DATAGRAMS = 20_000;
    /** Sent at once, then the sender waits for alpha to read them: a hundred fit the smallest usual socket buffer. */
    private static final int CHUNK = 100;
    private static final long SEED = 0x5EEDL;

    private NodeProcess alpha;
    private NodeProcess beta;
    private XmppTestClient alice;
    private XmppTestClient bob;
    private int port;

    @Before
    public void startNodes() throws Exception {
        port = NodeProcess.freePort();
        List<NodeProcess> nodes = NodeProcess.startAll(
                NodeProcess.builder().openfire(openfire).domain("alpha.test").multicastPort(port),
                NodeProcess.builder().openfire(openfire).domain("beta.test").multicastPort(port));
        alpha = nodes.get(0);
        beta = nodes.get(1);
        alice = new XmppTestClient(alpha.clientPort(), "alpha.test", "alice");
        bob = new XmppTestClient(beta.clientPort(), "beta.test", "bob");
    }

    @After
    public void stopNodes() {
        NodeProcess.closeAll(alice, bob, alpha, beta);
    }

    @Test
    public void garbageIsDroppedAndCountedAndTheRoomCarriesOn() throws Exception {
        alice.join("ops", "alice");
        bob.join("ops", "bob");
        XmppTestClient.eventually("alice sees bob", () -> alice.occupantNicks("ops").contains("bob"));
        XmppTestClient.eventually("bob sees alice", () -> bob.occupantNicks("ops").contains("alice"));
        Map<String, Long> before = alice.xoStats();
        long betaBefore = received(bob);

        InetAddress group = new GroupAddressing().groupFor(OverlayRoom.of("ops", "conference.xo"));
        int sent = sendGarbage(group, before.get("datagrams.received"), betaBefore);
        awaitDrained(alice, before.get("datagrams.received"), sent);
        Map<String, Long> after = alice.xoStats();
        long received = after.get("datagrams.received") - before.get("datagrams.received");
        long dropped = droppedTotal(after) - droppedTotal(before);
        // Decoded but harmless: envelopes for rooms nobody opened, unknown kinds, the nodes' own beacons, and beta's
        // repair digests (and NACKs) for the room, which it keeps sending after the joins.
        long harmless = 0;
        for (String counter : List.of("envelopes.other-room", "envelopes.ambiguous-room", "envelopes.unknown-kind",
                "envelopes.own", "beacons.received", "stream.repair.digests.received",
                "stream.repair.nacks.received")) {
            harmless += after.get(counter) - before.get(counter);
        }
        assertTrue("most garbage reached the node: " + received + " of " + sent, received >= sent * 9L / 10);
        System.out.printf("openfire=%s: %d of %d garbage datagrams reached alpha%n", openfire, received, sent);
        assertTrue("every received garbage datagram was dropped or filtered: dropped " + dropped + " + filtered "
                + harmless + " of " + received, dropped + harmless >= received - 5);
        assertEquals("nothing from the garbage was injected", before.get("envelopes.delivered"), after.get("envelopes.delivered"));
        // What the kernel dropped at a starved node may include the room's own traffic: repair brings it back.
        for (XmppTestClient client : List.of(alice, bob)) {
            XmppTestClient.eventually("both in the room as seen from " + client.connection.getUser(),
                    () -> client.occupantNicks("ops").equals(List.of("alice", "bob")));
        }
        assertTrue("nobody left during the garbage: " + bob.presences + alice.presences,
                Stream.concat(bob.presences.stream(), alice.presences.stream())
                        .noneMatch(p -> p.getType() == Presence.Type.unavailable));

        alice.say("ops", "still here");
        bob.awaitMessage(m -> "still here".equals(m.getBody()), "a message after the garbage");
        bob.say("ops", "me too");
        alice.awaitMessage(m -> "me too".equals(m.getBody()), "a reply after the garbage");
    }

    private static long received(XmppTestClient client) {
        try {
            return client.xoStats().get("datagrams.received");
        } catch (Exception e) {
            return 0;
        }
    }

    /**
     * Waits until the client's node has read what was sent so far, or has read nothing more for a second (the kernel
     * dropped the rest). A sender that outruns a CPU-starved node only measures its socket buffer: with the usual 208 KB cap
     * (net.core.rmem_max) most of an unpaced burst is lost before the node sees it.
     */
    private static void awaitDrained(XmppTestClient node, long receivedBefore, int sent) throws InterruptedException {
        long last = -1;
        long quietSince = System.nanoTime();
        while (true) {
            long got = received(node) - receivedBefore;
            if (got >= sent) {
                return;
            }
            if (got != last) {
                last = got;
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > 1_000_000_000L) {
                return;
            }
            Thread.sleep(5);
        }
    }

    private static long droppedTotal(Map<String, Long> stats) {
        return stats.entrySet().stream().filter(e -> e.getKey().startsWith("dropped."))
                .mapToLong(Map.Entry::getValue).sum();
    }

    /**
     * Random bytes, valid datagrams with bit flips, truncations and garbage tails, and valid-looking headers with
     * random lengths. Valid envelopes among them are for a room no node has open, so they can never reach a room
     * (see {@link HostileTrafficIT} for well-formed envelopes that can).
     */
    private int sendGarbage(InetAddress group, long alphaBefore, long betaBefore) throws Exception {
        Random random = new Random(SEED);
        EnvelopeCodec codec = new EnvelopeCodec(false);
        EnvelopeCodec compressing = new EnvelopeCodec(true);
        NetworkInterface lo = NetworkInterface.getByName("lo");
        InetSocketAddress target = new InetSocketAddress(group, port);
        try (DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET)) {
            channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
            for (int i = 0; i < DATAGRAMS; i++) {
                byte[] datagram = switch (i % 4) {
                    case 0 -> randomBytes(random, 1 + random.nextInt(1500));
                    case 1 -> flipBits(random, valid(random, i % 8 == 1 ? compressing : codec));
                    case 2 -> truncateOrExtend(random, valid(random, codec));
                    default -> lyingHeader(random);
                };
                channel.send(ByteBuffer.wrap(datagram), target);
                if (i % CHUNK == CHUNK - 1) {
                    awaitDrained(alice, alphaBefore, i + 1); // both: beta's room traffic must not drown either
                    awaitDrained(bob, betaBefore, i + 1);
                }
            }
        }
        return DATAGRAMS;
    }

    private static byte[] valid(Random random, EnvelopeCodec codec) {
        Envelope e = new Envelope(random.nextLong(), random.nextInt(), 1 + random.nextInt(1000), System.currentTimeMillis(),
                "fuzz@conference.xo", "fuzzer", Kind.GROUPCHAT,
                "<message to=\"fuzz@conference.xo\" type=\"groupchat\"><body>" + random.nextInt() + "</body></message>");
        return codec.encode(List.of(e));
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static byte[] flipBits(Random random, byte[] b) {
        for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
            int bit = random.nextInt(b.length * 8);
            b[bit / 8] ^= (byte) (1 << (bit % 8));
        }
        return b;
    }

    private static byte[] truncateOrExtend(Random random, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(b, random.nextBoolean() ? random.nextInt(b.length) : b.length + 1 + random.nextInt(64));
        for (int i = b.length; i < out.length; i++) {
            out[i] = (byte) random.nextInt();
        }
        return out;
    }

    private static byte[] lyingHeader(Random random) {
        byte[] b = randomBytes(random, 8 + random.nextInt(200));
        b[0] = 'X';
        b[1] = 'O';
        b[2] = (byte) (random.nextInt(8) == 0 ? random.nextInt(256) : EnvelopeCodec.VERSION_2);
        b[3] = 0;
        return b;
    }
}
