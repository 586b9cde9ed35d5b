package org.xo.transport;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** Real multicast sockets on the loopback interface. */
public class UdpMulticastTransportTest {
    private static final InetAddress GROUP = address("239.193.150.3");
    private static final InetAddress OTHER_GROUP = address("239.192.222.88");

    private UdpConfig config;
    private UdpMulticastTransport a;
    private UdpMulticastTransport b;
    private final LinkedBlockingQueue<String> heardByB = new LinkedBlockingQueue<>();

    static int freePort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Before
    public void setUp() throws Exception {
        config = UdpConfig.on(Interfaces.resolve("lo")).withPort(freePort());
        a = new UdpMulticastTransport(config);
        b = new UdpMulticastTransport(config);
        a.start((data, sender) -> { });
        b.start((data, sender) -> {
            String text = StandardCharsets.UTF_8.decode(data).toString();
            if (text.equals("boom")) {
                throw new IllegalStateException("handler failure on purpose");
            }
            heardByB.add(text);
        });
    }

    @After
    public void tearDown() {
        a.close();
        b.close();
    }

    @Test
    public void twoTransportsOnOnePortHearEachOtherOnlyOnJoinedGroups() throws Exception {
        b.join(GROUP);
        b.join(GROUP); // idempotent
        send(a, GROUP, "hello");
        assertEquals("hello", heardByB.poll(10, TimeUnit.SECONDS));

        send(a, OTHER_GROUP, "not joined");
        b.leave(GROUP);
        b.leave(GROUP); // idempotent
        send(a, GROUP, "after leave");
        assertNull(heardByB.poll(300, TimeUnit.MILLISECONDS));

        b.join(GROUP);
        send(a, GROUP, "again");
        assertEquals("again", heardByB.poll(10, TimeUnit.SECONDS));
    }

    /** setUp started both transports; before the fix, start() refused the IPv6 wildcard address. */
    @Test
    public void worksInAJvmThatPrefersIpv6AddressesAsOpenfireRunsIt() throws Exception {
        assertTrue("the wildcard address must be IPv6 here: surefire's argLine sets "
                + "-Djava.net.preferIPv6Addresses=system, as Openfire 4.8+'s start script does",
                new InetSocketAddress(0).getAddress() instanceof Inet6Address);
        b.join(GROUP);
        send(a, GROUP, "hello");
        assertEquals("hello", heardByB.poll(10, TimeUnit.SECONDS));
    }

    @Test
    public void receiveThreadSurvivesHandlerExceptions() throws Exception {
        b.join(GROUP);
        for (int i = 0; i < 5; i++) {
            send(a, GROUP, "boom");
        }
        send(a, GROUP, "still alive");
        assertEquals("still alive", heardByB.poll(10, TimeUnit.SECONDS));
        assertEquals(5, b.handlerErrors());
    }

    @Test
    public void closeStopsTheReceiveThreadAndRefusesUse() throws Exception {
        b.join(GROUP);
        long before = receiveThreads();
        b.close();
        b.close(); // idempotent
        assertEquals("close() ends this transport's receive thread", before - 1, receiveThreads());
        assertThrows(IllegalStateException.class, () -> b.send(GROUP, ByteBuffer.allocate(1)));
        assertThrows(IllegalStateException.class, () -> b.join(GROUP));
    }

    @Test
    public void rejectsNonMulticastGroups() {
        assertThrows(IllegalArgumentException.class, () -> a.join(address("127.0.0.1")));
        assertThrows(IllegalArgumentException.class, () -> a.send(address("::1"), ByteBuffer.allocate(1)));
    }

    @Test
    public void configValidatesItsFields() {
        assertThrows(IllegalArgumentException.class, () -> config.withPort(0));
        assertThrows(IllegalArgumentException.class, () -> config.withTtl(256));
        assertThrows(IllegalArgumentException.class, () -> config.withReceiveBufferBytes(0));
        UdpConfig defaults = UdpConfig.on(config.networkInterface());
        assertEquals(45045, defaults.port());
        assertEquals(8, defaults.ttl());
        assertEquals(4 * 1024 * 1024, defaults.receiveBufferBytes());
        assertTrue(defaults.loopback());
    }

    private static long receiveThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("xo-udp-rx") && t.isAlive()).count();
    }

    private static void send(UdpMulticastTransport from, InetAddress group, String text) throws Exception {
        from.send(group, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
