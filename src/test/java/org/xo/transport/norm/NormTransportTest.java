package org.xo.transport.norm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.Kind;
import org.xo.core.Limits;
import org.xo.core.MalformedDatagramException;
import org.xo.core.RoomIndex;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/** Real libnorm, real multicast sockets on the loopback interface. */
public class NormTransportTest {
    private static final InetAddress GROUP = address("239.193.151.4");
    private static final InetAddress OTHER_GROUP = address("239.193.151.5");
    private static final long WAIT_SECONDS = 10;

    private UdpConfig udp;
    private NormConfig config;
    private final List<NormTransport> transports = new ArrayList<>();
    private final Heard heardByA = new Heard();
    private final Heard heardByB = new Heard();
    private NormTransport a;
    private NormTransport b;

    /** What one transport heard, as text, with the sender. */
    private static final class Heard {
        final LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<InetSocketAddress> senders = new LinkedBlockingQueue<>();

        String next() throws InterruptedException {
            String text = texts.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull("nothing heard within " + WAIT_SECONDS + " s", text);
            return text;
        }
    }

    @Before
    public void setUp() throws Exception {
        Libnorm.requireOrSkip();
        udp = UdpConfig.on(Interfaces.resolve("lo")).withPort(freePortPair());
        config = NormConfig.from(udp, 0x1111_2222_3333_4444L);
    }

    @After
    public void tearDown() {
        transports.forEach(NormTransport::close);
    }

    private NormTransport start(long nodeId, Heard heard) throws IOException {
        NormTransport t = new NormTransport(config.withXoNodeId(nodeId));
        transports.add(t);
        t.start((data, sender) -> {
            String text = StandardCharsets.UTF_8.decode(data).toString();
            if (text.equals("boom")) {
                throw new IllegalStateException("handler failure on purpose");
            }
            heard.texts.add(text);
            heard.senders.add(sender);
        });
        return t;
    }

    /** Starts a (node 1) and b (node 2), both in {@code group}. */
    private void startBothIn(InetAddress group) throws IOException {
        a = start(1, heardByA);
        b = start(2, heardByB);
        a.join(group);
        b.join(group);
    }

    @Test
    public void twoTransportsExchangeDatagramsOfEverySizeExactlyOnce() throws Exception {
        startBothIn(GROUP);
        b.join(GROUP); // idempotent

        Random random = new Random(7);
        Set<String> sent = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            // One byte to a whole XO datagram, most of them chat-sized
            int size = i == 0 ? 1 : i == 1 ? Limits.MAX_DATAGRAM_BYTES : 20 + random.nextInt(i % 10 == 0 ? 9000 : 300);
            String text = (i + "#" + "x".repeat(size)).substring(0, size);
            assertTrue(sent.add(text));
            send(a, GROUP, text);
        }
        Set<String> heard = new HashSet<>();
        for (int i = 0; i < sent.size(); i++) {
            assertTrue("each datagram once", heard.add(heardByB.next()));
        }
        assertEquals(sent, heard);
        assertNull("nothing more", heardByB.texts.poll(500, TimeUnit.MILLISECONDS));
        assertNull("a node never hears itself", heardByA.texts.poll(100, TimeUnit.MILLISECONDS));
        assertEquals("the sender's address", address("127.0.0.1"), heardByB.senders.poll().getAddress());

        send(b, GROUP, "reply");
        assertEquals("reply", heardByA.next());
        assertEquals(300, a.datagramsSent());
        assertEquals(300, b.datagramsReceived());
        assertEquals(0, a.sendsDropped() + b.objectsRejected() + b.objectsAborted() + b.handlerErrors());
    }

    /** A node with a thousand rooms: a NORM session each. */
    @Test
    public void aThousandGroupsEachCarryTheirDatagramsOnce() throws Exception {
        a = start(1, heardByA);
        b = start(2, heardByB);
        List<InetAddress> groups = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            groups.add(InetAddress.getByAddress(new byte[] {(byte) 239, (byte) 195, (byte) (i >> 8), (byte) i}));
            a.join(groups.get(i));
            b.join(groups.get(i));
        }
        for (InetAddress group : groups) {
            send(a, group, group.getHostAddress());
        }
        Set<String> heard = new HashSet<>();
        for (int i = 0; i < groups.size(); i++) {
            assertTrue("once each", heard.add(heardByB.next()));
        }
        assertNull(heardByB.texts.poll(300, TimeUnit.MILLISECONDS));
        assertEquals(1000, b.sessionCount());
    }

    /** Several NORM sessions share the port, one per group: each hears its own group only. */
    @Test
    public void groupsOnTheSamePortAreKeptApart() throws Exception {
        startBothIn(GROUP);
        a.join(OTHER_GROUP);

        send(a, OTHER_GROUP, "not joined by b");
        send(a, GROUP, "joined by b");
        assertEquals("joined by b", heardByB.next());
        assertNull(heardByB.texts.poll(500, TimeUnit.MILLISECONDS));

        b.leave(GROUP);
        b.leave(GROUP); // idempotent
        assertEquals(0, b.sessionCount());
        send(a, GROUP, "after leave");
        assertNull(heardByB.texts.poll(500, TimeUnit.MILLISECONDS));
        b.join(OTHER_GROUP);
        send(a, OTHER_GROUP, "again");
        assertEquals("again", heardByB.next());
    }

    /**
     * A room's last datagrams go out although the room is closed (its group left) right after them, and so does what
     * the engine sends while the transport closes; the left group is not heard any more.
     */
    @Test
    public void whatWasSentBeforeALeaveOrCloseStillGoesOut() throws Exception {
        startBothIn(GROUP);
        send(a, GROUP, "last words");
        a.leave(GROUP);
        send(a, GROUP, "sent by the pacer after the leave");
        assertEquals("last words", heardByB.next());
        assertEquals("sent by the pacer after the leave", heardByB.next());
        send(b, GROUP, "to a node that left");
        assertNull(heardByA.texts.poll(500, TimeUnit.MILLISECONDS));
        waitFor("the left group's session ends once flushed", () -> a.sessionCount() == 0);

        a.join(GROUP);
        send(a, GROUP, "goodbye");
        a.close();
        assertEquals("goodbye", heardByB.next());
    }

    @Test
    public void refusesWhatItCannotSendAndCountsIt() throws Exception {
        a = start(1, heardByA);
        IOException notJoined = assertThrows(IOException.class, () -> send(a, GROUP, "x"));
        assertTrue(notJoined.getMessage(), notJoined.getMessage().contains("not joined"));
        a.join(GROUP);
        assertThrows(IOException.class, () -> a.send(GROUP, ByteBuffer.allocate(Limits.MAX_DATAGRAM_BYTES + 1)));
        assertThrows(IOException.class, () -> a.send(GROUP, ByteBuffer.allocate(0)));
        assertEquals(2, a.sendsDropped());
        assertThrows(IllegalArgumentException.class, () -> a.join(address("10.1.2.3")));
    }

    @Test
    public void handlerFailureIsCountedAndDeliveryGoesOn() throws Exception {
        startBothIn(GROUP);
        send(a, GROUP, "boom");
        send(a, GROUP, "after");
        assertEquals("after", heardByB.next());
        assertEquals(1, b.handlerErrors());
    }

    /**
     * The session limit makes a join fail with its reason (the engine then keeps the room local), and a session left
     * makes room for another.
     */
    @Test
    public void joinsBeyondTheSessionLimitFailWithTheReason() throws Exception {
        config = config.withMaxSessions(3);
        a = start(1, heardByA);
        for (int i = 0; i < 3; i++) {
            a.join(address("239.193.152." + i));
        }
        IOException refused = assertThrows(IOException.class, () -> a.join(GROUP));
        assertTrue(refused.getMessage(), refused.getMessage().contains("3 NORM sessions, its limit"));
        a.leave(address("239.193.152.0"));
        a.join(GROUP);
        assertEquals(3, a.sessionCount());
    }

    /** Everything NORM puts on the wire reaches a UDP node that listens on the NORM port as foreign datagrams. */
    @Test
    public void normTrafficIsForeignToTheXoCodec() throws Exception {
        LinkedBlockingQueue<ByteBuffer> captured = new LinkedBlockingQueue<>();
        try (UdpMulticastTransport listener = new UdpMulticastTransport(udp.withPort(config.port()))) {
            listener.start((data, sender) -> {
                ByteBuffer copy = ByteBuffer.allocate(data.remaining());
                copy.put(data).flip();
                captured.add(copy);
            });
            listener.join(GROUP);
            startBothIn(GROUP);
            byte[] xoDatagram = new EnvelopeCodec(false).encode(List.of(new Envelope(1, 1, 1, 1, "lobby@conference.xo",
                    "alice", Kind.GROUPCHAT, "<message/>")));
            for (int i = 0; i < 20; i++) {
                a.send(GROUP, ByteBuffer.wrap(xoDatagram));
                heardByB.next();
            }
            waitFor("NORM messages on the NORM port", () -> captured.size() >= 20);
            EnvelopeCodec codec = new EnvelopeCodec(true);
            for (ByteBuffer packet : captured) {
                MalformedDatagramException e = assertThrows(MalformedDatagramException.class,
                        () -> codec.decode(packet.duplicate(), RoomIndex.EMPTY));
                assertEquals(MalformedDatagramException.Reason.FOREIGN, e.reason());
            }
        }
    }

    @Test
    public void closeEndsBothThreadsAndClosesEverySocket() throws Exception {
        awaitNoNormThreads(); // of an earlier test's transports
        a = start(1, heardByA);
        b = start(2, heardByB);
        for (int i = 0; i < 20; i++) {
            a.join(address("239.193.153." + i));
            b.join(address("239.193.153." + i));
        }
        send(a, address("239.193.153.0"), "x");
        assertEquals("an event thread and a protocol thread each", List.of("xo-norm-events", "xo-norm-events",
                "xo-norm-proto", "xo-norm-proto"), normThreads());
        assertEquals("two transports, 20 groups", 40, socketsOnPort(config.port()));
        a.close();
        b.close();
        a.close(); // idempotent
        assertTrue("close() waits for the event threads", Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("xo-norm")));
        awaitNoNormThreads(); // the native side of a thread ends just after its Java side
        assertEquals(0, socketsOnPort(config.port()));
        assertThrows(IllegalStateException.class, () -> a.join(GROUP));
        assertThrows(IllegalStateException.class, () -> send(a, GROUP, "x"));
    }

    @Test
    public void derivesDistinctNormNodeIdsAndThePortAfterTheOverlayPort() {
        assertEquals(0x1111_2222 ^ 0x3333_4444, config.normNodeId());
        assertEquals(1, NormConfig.from(udp, 0).normNodeId()); // never NORM_NODE_NONE
        assertEquals(1, NormConfig.from(udp, 0xFFFF_FFFFL).normNodeId()); // never NORM_NODE_ANY
        assertEquals(udp.port() + 1, config.port());
        IllegalArgumentException last = assertThrows(IllegalArgumentException.class, () -> NormConfig.normPort(65535));
        assertTrue(last.getMessage(), last.getMessage().contains("xo.multicast.port"));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void send(NormTransport t, InetAddress group, String text) throws IOException {
        t.send(group, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * @return the names of this JVM's NORM threads, sorted: the Java event threads and libnorm's native protocol
     * threads (named after the thread that created them, see NormTransport)
     */
    static List<String> normThreads() throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String name = Files.readString(task.resolve("comm")).trim();
                    if (name.startsWith("xo-norm")) {
                        names.add(name);
                    }
                } catch (IOException ended) {
                    // the thread ended while listing
                }
            }
        }
        names.sort(null);
        return names;
    }

    /** Fails unless every NORM thread, Java or native, has ended within two seconds. */
    static void awaitNoNormThreads() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!normThreads().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals("NORM threads left", List.of(), normThreads());
    }

    /** @return IPv4 UDP sockets bound to the port, from the kernel's table (this test's port: only its sockets) */
    static long socketsOnPort(int port) throws IOException {
        String hexPort = String.format(":%04X ", port);
        try (Stream<String> lines = Files.lines(Path.of("/proc/net/udp"))) {
            return lines.filter(l -> l.contains(hexPort)).count();
        }
    }

    private static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            assertTrue("waited " + WAIT_SECONDS + " s for " + what, System.nanoTime() < deadline);
            Thread.sleep(20);
        }
    }

    /** @return a free port whose next port, the NORM port, is free too */
    static int freePortPair() throws IOException {
        int port;
        do {
            port = freePort();
        } while (port >= 65535 || !isFree(port + 1));
        return port;
    }

    static int freePort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static boolean isFree(int port) {
        try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET)) {
            ch.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[4]), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
