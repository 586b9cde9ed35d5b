package org.xo.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.Kind;
import org.xo.engine.EngineStats.Counter;
import org.xo.security.OverlayKeys;
import org.xo.security.Sealer;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;
import org.xo.transport.norm.Libnorm;
import org.xo.transport.norm.NormConfig;
import org.xo.transport.norm.NormTransport;

/**
 * Keyed engines on real UDP multicast (and NORM, where libnorm is installed) on loopback, all on one port: key holders chat while an engine with another
 * key, an open engine and a raw socket sending clear, forged, tampered and replayed datagrams are all dropped and
 * counted by reason.
 */
public class SealedOverlayTest {
    private static final String LOBBY = "lobby@conference.xo";
    private static final long WAIT_SECONDS = 10;
    private static final long MALLORY = 0x6d616c6cL;

    private final byte[] secret = OverlayKeys.randomSecret();
    private final OverlayKeys key = OverlayKeys.of(secret);
    private final OverlayKeys otherKey = OverlayKeys.of(OverlayKeys.randomSecret());
    private final List<XoEngine> engines = new ArrayList<>();
    private final List<LinkedBlockingQueue<Envelope>> heard = new ArrayList<>();
    private NetworkInterface lo;
    private int port;

    @Before
    public void setUp() throws Exception {
        lo = Interfaces.resolve("lo");
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
    }

    @After
    public void tearDown() {
        engines.forEach(XoEngine::close);
    }

    private EngineConfig.Builder config(long id, OverlayKeys keys) {
        return EngineConfig.builder().nodeId(id).udp(UdpConfig.on(lo).withPort(port)).discovery(false)
                .overlayKeys(keys);
    }

    /** An engine with the room open, on UDP multicast; what it hears is {@code heard.get(i)}, i in start order. */
    private XoEngine engine(long id, OverlayKeys keys) throws Exception {
        return engine(id, keys, false);
    }

    private XoEngine engine(long id, OverlayKeys keys, boolean norm) throws Exception {
        LinkedBlockingQueue<Envelope> queue = new LinkedBlockingQueue<>();
        UdpConfig udp = UdpConfig.on(lo).withPort(port);
        XoEngine engine = new XoEngine(config(id, keys).build(), norm ? new NormTransport(NormConfig.from(udp, id))
                : new UdpMulticastTransport(udp), queue::add);
        engine.start();
        engine.openRoom(LOBBY);
        engines.add(engine);
        heard.add(queue);
        return engine;
    }

    private static String message(String body) {
        return "<message to=\"" + LOBBY + "\" type=\"groupchat\"><body>" + body + "</body></message>";
    }

    @Test
    public void keyHoldersChatWhileAnotherKeyAnOpenNodeAndForgeriesAreDroppedAndCounted() throws Exception {
        try (DatagramChannel raw = DatagramChannel.open(StandardProtocolFamily.INET)) {
            XoEngine a = engine(1, key);
            XoEngine b = engine(2, key);
            XoEngine c = engine(3, otherKey);
            XoEngine open = engine(4, null);
            InetAddress group = a.groupOf(LOBBY);
            raw.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            raw.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
            raw.bind(new InetSocketAddress(group, port));
            raw.join(group, lo);
            raw.configureBlocking(false);
            InetSocketAddress target = new InetSocketAddress(group, port);
            Thread.sleep(300); // the state requests of the rooms' opening, which not every engine was there to hear
            Marks marks = new Marks(a, b, c, open);
            drain(raw);

            Envelope hello = a.publish(LOBBY, "alice", Kind.GROUPCHAT, message("hello"));
            assertEquals(hello, nextDelivered(1));
            c.publish(LOBBY, "carol", Kind.GROUPCHAT, message("strangers"));
            open.publish(LOBBY, "olga", Kind.GROUPCHAT, message("in clear"));

            byte[] fromA = lastSealedBy(drain(raw), 1);
            raw.send(ByteBuffer.wrap(fromA), target); // replayed as it was
            byte[] tampered = fromA.clone();
            tampered[tampered.length - 20] ^= 0x40;
            raw.send(ByteBuffer.wrap(tampered), target);
            // Sealed with a key of its own under the overlay key's id: looks right, fails authentication.
            byte[] forged = new Sealer(MALLORY).seal(OverlayKeys.of(OverlayKeys.randomSecret()),
                    new EnvelopeCodec(false).encode(List.of(forgedEnvelope())));
            ByteBuffer.wrap(forged).putShort(4, ByteBuffer.wrap(fromA).getShort(4));
            raw.send(ByteBuffer.wrap(forged), target);
            // What anyone who knows the wire format can send: a clear envelope.
            raw.send(ByteBuffer.wrap(new EnvelopeCodec(false).encode(List.of(forgedEnvelope()))), target);

            int sealedByRaw = 3;
            waitFor(() -> marks.delta(b, Counter.DROPPED_REPLAYED) == 1);
            waitFor(() -> marks.delta(b, Counter.DROPPED_UNAUTHENTICATED) == 2);
            waitFor(() -> marks.delta(b, Counter.DROPPED_UNKNOWN_KEY) == marks.delta(c, Counter.DATAGRAMS_SENT));
            waitFor(() -> marks.delta(b, Counter.DROPPED_UNSEALED) == marks.delta(open, Counter.DATAGRAMS_SENT) + 1);
            // The node with the other key hears neither the key holders nor the open node.
            waitFor(() -> marks.delta(c, Counter.DROPPED_UNKNOWN_KEY) == marks.delta(a, Counter.DATAGRAMS_SENT)
                    + marks.delta(b, Counter.DATAGRAMS_SENT) + sealedByRaw);
            waitFor(() -> marks.delta(c, Counter.DROPPED_UNSEALED) == marks.delta(open, Counter.DATAGRAMS_SENT) + 1);
            // The open node cannot read any sealed datagram and never parses one (no dropped.flags).
            waitFor(() -> marks.delta(open, Counter.DROPPED_SEALED) == marks.delta(a, Counter.DATAGRAMS_SENT)
                    + marks.delta(b, Counter.DATAGRAMS_SENT) + marks.delta(c, Counter.DATAGRAMS_SENT) + sealedByRaw);
            assertEquals(0, open.stats().get(Counter.DROPPED_FLAGS));

            // The key holders go on chatting, and heard nothing else.
            Envelope reply = b.publish(LOBBY, "bob", Kind.GROUPCHAT, message("still here"));
            assertEquals(reply, nextDelivered(0));
            Envelope again = a.publish(LOBBY, "alice", Kind.GROUPCHAT, message("good"));
            assertEquals(again, nextDelivered(1));
            assertNull(heard.get(0).poll(200, TimeUnit.MILLISECONDS));
            assertNull(heard.get(1).poll(0, TimeUnit.MILLISECONDS));
            assertTrue("the stranger heard " + heard.get(2), heard.get(2).isEmpty());
            // What an open overlay means: the forger's clear envelope is in on the open node.
            assertEquals(List.of(forgedEnvelope()), new ArrayList<>(heard.get(3)));
        }
    }

    @Test
    public void aKeyIsSetAndRotatedInPlaceWithBothKeysAcceptedDuringTheOverlap() throws Exception {
        byte[] next = OverlayKeys.randomSecret();
        // Open at first, then keyed in place (the settings' key file set while the nodes run).
        XoEngine a = engine(1, null);
        XoEngine b = engine(2, null);
        assertEquals(List.of("overlay key: none (open overlay) \u2192 " + key.idsText()),
                a.reconfigure(config(1, key).build(), UdpMulticastTransport::new));
        b.reconfigure(config(2, key).build(), UdpMulticastTransport::new);
        assertEquals(a.publish(LOBBY, "alice", Kind.GROUPCHAT, message("keyed now")), nextDelivered(1));
        // Step 1 on a: it accepts the new key but still seals with the old one, so b (not yet given it) hears it.
        a.reconfigure(config(1, OverlayKeys.of(secret, next)).build(), UdpMulticastTransport::new);
        assertEquals(a.publish(LOBBY, "alice", Kind.GROUPCHAT, message("step 1")), nextDelivered(1));
        // Step 2 on a: it seals with the new key, which b does not have yet.
        a.reconfigure(config(1, OverlayKeys.of(next, secret)).build(), UdpMulticastTransport::new);
        long unknownBefore = b.stats().get(Counter.DROPPED_UNKNOWN_KEY);
        a.publish(LOBBY, "alice", Kind.GROUPCHAT, message("too early"));
        waitFor(() -> b.stats().get(Counter.DROPPED_UNKNOWN_KEY) == unknownBefore + 1);
        // b gets the overlap ring: it reads a's new key and a still reads b's old one.
        b.reconfigure(config(2, OverlayKeys.of(secret, next)).build(), UdpMulticastTransport::new);
        assertEquals(a.publish(LOBBY, "alice", Kind.GROUPCHAT, message("step 2")), nextDelivered(1));
        assertEquals(b.publish(LOBBY, "bob", Kind.GROUPCHAT, message("old key")), nextDelivered(0));
    }

    @Test
    public void keyHoldersChatOverNormTooAndAnotherKeyIsDropped() throws Exception {
        Libnorm.requireOrSkip();
        port = freePortPair(); // NORM takes the port after the multicast port
        XoEngine a = engine(1, key, true);
        XoEngine b = engine(2, key, true);
        XoEngine c = engine(3, otherKey, true);
        assertEquals("norm", a.transportKind());
        assertEquals(a.publish(LOBBY, "alice", Kind.GROUPCHAT, message("over norm")), nextDelivered(1));
        c.publish(LOBBY, "carol", Kind.GROUPCHAT, message("strangers"));
        assertEquals(b.publish(LOBBY, "bob", Kind.GROUPCHAT, message("sealed too")), nextDelivered(0));
        waitFor(() -> a.stats().get(Counter.DROPPED_UNKNOWN_KEY) > 0 && b.stats().get(Counter.DROPPED_UNKNOWN_KEY) > 0
                && c.stats().get(Counter.DROPPED_UNKNOWN_KEY) > 0);
        assertNull(heard.get(0).poll(200, TimeUnit.MILLISECONDS));
        assertNull(heard.get(1).poll(0, TimeUnit.MILLISECONDS));
        assertTrue("the stranger heard " + heard.get(2), heard.get(2).isEmpty());
    }

    /** @return a free UDP port whose successor is free too */
    private static int freePortPair() throws Exception {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (DatagramSocket first = new DatagramSocket(0);
                 DatagramSocket second = new DatagramSocket(first.getLocalPort() + 1)) {
                return first.getLocalPort();
            } catch (java.net.SocketException taken) {
                // the next one is in use: try another pair
            }
        }
        throw new AssertionError("no two consecutive free UDP ports");
    }

    private static Envelope forgedEnvelope() {
        return new Envelope(MALLORY, 7, 1, 0, LOBBY, "mallory", Kind.GROUPCHAT, message("I am in"));
    }

    private Envelope nextDelivered(int engine) throws InterruptedException {
        Envelope e = heard.get(engine).poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull("nothing heard within " + WAIT_SECONDS + " s", e);
        return e;
    }

    /** Counters of engines at one moment, to count what happened after it. */
    private static final class Marks {
        private final java.util.Map<XoEngine, java.util.Map<String, Long>> at = new java.util.HashMap<>();

        Marks(XoEngine... engines) {
            for (XoEngine e : engines) {
                at.put(e, e.stats().snapshot());
            }
        }

        long delta(XoEngine engine, Counter counter) {
            return engine.stats().get(counter) - at.get(engine).get(counter.key());
        }
    }

    /** @return the datagrams the raw socket heard until it stayed quiet for 200 ms */
    private static List<byte[]> drain(DatagramChannel raw) throws Exception {
        List<byte[]> out = new ArrayList<>();
        ByteBuffer buffer = ByteBuffer.allocate(65_536);
        long quietSince = System.nanoTime();
        while (System.nanoTime() - quietSince < TimeUnit.MILLISECONDS.toNanos(200)) {
            if (raw.receive(buffer) == null) {
                Thread.sleep(5);
                continue;
            }
            buffer.flip();
            out.add(Arrays.copyOf(buffer.array(), buffer.remaining()));
            buffer.clear();
            quietSince = System.nanoTime();
        }
        return out;
    }

    /** @return the last sealed datagram of node {@code sender} among them (the sender id is in clear) */
    private static byte[] lastSealedBy(List<byte[]> datagrams, long sender) {
        byte[] last = null;
        for (byte[] d : datagrams) {
            ByteBuffer b = ByteBuffer.wrap(d);
            if (d.length > 14 && (d[3] & 0xFF) == 0x80 && b.getLong(6) == sender) {
                last = d;
            }
        }
        assertNotNull("no sealed datagram of node " + sender + " among " + datagrams.size(), last);
        return last;
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            assertTrue("condition not met within " + WAIT_SECONDS + " s", System.nanoTime() < deadline);
            Thread.sleep(10);
        }
    }
}
