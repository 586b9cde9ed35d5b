package org.xo.transport;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

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

    /** Five times the 20 memberships Linux allows one socket by default (net.ipv4.igmp_max_memberships). */
    @Test
    public void joinsAHundredGroupsAndHearsEachOnlyOnce() throws Exception {
        List<InetAddress> groups = new ArrayList<>();
        for (int i = 0; i < 110; i++) {
            groups.add(InetAddress.getByAddress(new byte[] {(byte) 239, (byte) 195, 7, (byte) i}));
        }
        for (InetAddress g : groups.subList(0, 100)) {
            b.join(g);
        }
        for (InetAddress g : groups) {
            send(a, g, g.getHostAddress());
        }
        try (DatagramChannel unicast = DatagramChannel.open(StandardProtocolFamily.INET)) {
            unicast.send(ByteBuffer.wrap("unicast".getBytes(StandardCharsets.UTF_8)),
                    new InetSocketAddress(address("127.0.0.1"), config.port()));
        }
        Set<String> heard = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            String text = heardByB.poll(10, TimeUnit.SECONDS);
            assertNotNull("heard " + i + " of 100", text);
            assertTrue("once each: " + text, heard.add(text));
        }
        assertNull("nothing of the groups not joined, no unicast", heardByB.poll(300, TimeUnit.MILLISECONDS));
        assertEquals(groups.subList(0, 100).stream().map(InetAddress::getHostAddress).collect(Collectors.toSet()),
                heard);
    }

    /**
     * A group joined on lo is not heard from the machine's other multicast interface (eth0 here), though another
     * socket joined the group there: the kernel hands each socket only what arrives on the interface it joined on.
     * The datagram goes out on the other interface with multicast loopback on, so its local copy arrives on it.
     */
    @Test
    public void aGroupJoinedOnTheConfiguredInterfaceIsNotHeardFromAnother() throws Exception {
        java.net.NetworkInterface other = java.net.NetworkInterface.networkInterfaces()
                .filter(n -> !n.getName().equals("lo") && Interfaces.ipv4Address(n).isPresent() && isMulticastUp(n))
                .findFirst().orElse(null);
        if (other == null) {
            String why = "no multicast interface besides lo to send from";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(why);
            }
            org.junit.Assume.assumeTrue(why, false);
        }
        b.join(GROUP);
        LinkedBlockingQueue<String> heardOnOther = new LinkedBlockingQueue<>();
        try (UdpMulticastTransport onOther = new UdpMulticastTransport(UdpConfig.on(other).withPort(config.port())
                .withTtl(1))) {
            onOther.start((data, sender) -> heardOnOther.add(StandardCharsets.UTF_8.decode(data).toString()));
            onOther.join(GROUP);
            send(onOther, GROUP, "from " + other.getName());
            assertEquals("the datagram arrived on " + other.getName(), "from " + other.getName(),
                    heardOnOther.poll(10, TimeUnit.SECONDS));
            assertNull("nothing of it reached the socket joined on lo", heardByB.poll(500, TimeUnit.MILLISECONDS));
        }
        send(a, GROUP, "on lo");
        assertEquals("on lo", heardByB.poll(10, TimeUnit.SECONDS));
    }

    private static boolean isMulticastUp(java.net.NetworkInterface n) {
        try {
            return n.isUp() && n.supportsMulticast() && !n.isLoopback();
        } catch (java.net.SocketException e) {
            return false;
        }
    }

    /** Another program holds the port without SO_REUSEADDR. */
    @Test
    public void aJoinThatFailsSaysWhichGroupAndWhyAndTheTransportStaysUsable() throws Exception {
        UdpConfig busy = config.withPort(freePort());
        try (UdpMulticastTransport c = new UdpMulticastTransport(busy)) {
            c.start((data, sender) -> { });
            try (DatagramChannel holder = DatagramChannel.open(StandardProtocolFamily.INET)) {
                holder.bind(new InetSocketAddress(address("0.0.0.0"), busy.port()));
                IOException e = assertThrows(IOException.class, () -> c.join(GROUP));
                assertEquals("Cannot join multicast group 239.193.150.3 on lo, port " + busy.port() + ": "
                        + e.getCause().getMessage() + " (joined so far: 0 groups, one socket, that is one file"
                        + " descriptor, each)", e.getMessage());
            }
            c.join(GROUP);
        }
    }

    /**
     * A JVM whose file descriptor limit is 512 (ulimit, so HotSpot cannot raise it) joins groups until one fails:
     * the failure names the operating system's reason.
     */
    @Test
    public void runningOutOfFileDescriptorsIsAClearError() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "ulimit -n 512 && exec \"$0\" \"$@\"", java, "-cp",
                System.getProperty("java.class.path"), JoinUntilRefused.class.getName(),
                Integer.toString(config.port()));
        pb.environment().put("LC_ALL", "C"); // the operating system's reason in English
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process child = pb.start();
        try {
            assertTrue("the child ends within 60 s", child.waitFor(60, TimeUnit.SECONDS));
            List<String> lines = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                    .lines().toList();
            assertEquals(0, child.exitValue());
            assertEquals(lines.toString(), 2, lines.size());
            int joined = Integer.parseInt(lines.get(0));
            assertTrue("joined " + joined + ": more than one socket's 20 memberships, fewer than 512 descriptors",
                    joined > 20 && joined < 512);
            assertTrue(lines.get(1), lines.get(1).startsWith("Cannot join multicast group 239.194."));
            assertTrue(lines.get(1), lines.get(1).contains(": Too many open files"));
            assertTrue(lines.get(1), lines.get(1).endsWith("(joined so far: " + joined
                    + " groups, one socket, that is one file descriptor, each)"));
        } finally {
            child.destroyForcibly();
        }
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
