package org.xo.transport;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plain IPv4 UDP multicast through NIO, for as many groups as a node has rooms.
 * <p>
 * <b>One receive channel per joined group</b>, bound to the group address itself and the overlay port, with
 * SO_REUSEADDR so that several nodes on one host share the port. Linux allows a socket only
 * {@code net.ipv4.igmp_max_memberships} memberships (20 by default), so one socket for all groups stopped a node at
 * 20 rooms; with one membership per socket the limit is the process's file descriptors
 * (one per group; HotSpot raises the soft limit to the hard one at start). A socket bound to a group is handed only
 * the datagrams addressed to that group and port: no unicast sent to the port, no other group, whatever other
 * sockets on the host joined. Each group also has its own receive buffer, so a burst in one room cannot make the
 * others lose datagrams. Considered and not taken: sockets bound to the wildcard address with up to 20 memberships
 * each. They would not hear each other's groups (the JDK turns IP_MULTICAST_ALL off on Linux, verified), and would
 * need 20 times fewer descriptors, but must find the per-socket limit by failing joins, share one buffer among 20
 * rooms, and take any unicast datagram sent to the port. Binding to a group address is how Linux and the BSDs filter
 * multicast; Windows refuses it, so this transport does not run there.
 * <p>
 * All receive channels are non-blocking on one {@link Selector} served by one daemon thread "xo-udp-rx", which takes
 * one datagram from each ready channel per round: datagrams of different groups reach the handler about in arrival
 * order (the engine's duplicate window is per origin, across its groups), and no group starves another. The thread
 * survives anything the handler throws (counted in {@link #handlerErrors()}, logged at most once a second).
 * <p>
 * Datagrams leave through one more channel, bound to an ephemeral port of the configured interface's IPv4 address
 * (the wildcard only for an interface without one), with that interface (IP_MULTICAST_IF), TTL and loopback; nothing
 * reads it, and its receive buffer is the smallest the system allows, so unicast sent to it cannot pile up.
 * <p>
 * <b>Only the configured interface:</b> a receive channel joins its group on the configured interface only, and
 * the JDK turns IP_MULTICAST_ALL off on Linux, so the kernel hands it the group's datagrams that arrive on that
 * interface and no other (UdpMulticastTransportTest checks it with a second interface). Every address is IPv4 and explicit: in a JVM run with
 * {@code -Djava.net.preferIPv6Addresses=system} (as Openfire 4.8+ runs), {@code new InetSocketAddress(port)} is the
 * IPv6 wildcard, which an IPv4 channel refuses.
 */
public final class UdpMulticastTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(UdpMulticastTransport.class);
    /** Larger than any IPv4 UDP payload, so an oversized datagram arrives whole and is recognized as such. */
    private static final int RECEIVE_BUFFER = 65_536;
    private static final InetAddress IPV4_WILDCARD = ipv4Wildcard();

    private final UdpConfig config;
    /** The joined groups' receive channels; guarded by this. */
    private final Map<InetAddress, DatagramChannel> receivers = new HashMap<>();
    private final AtomicLong handlerErrors = new AtomicLong();
    private final AtomicLong receiveErrors = new AtomicLong();
    private final LogThrottle errorLog = LogThrottle.warn(LOG);
    private volatile Selector selector;
    private volatile DatagramChannel sender;
    private volatile DatagramHandler handler;
    private Thread receiver;
    private volatile boolean closed;
    private volatile boolean cappedBufferReported;

    public UdpMulticastTransport(UdpConfig config) {
        this.config = config;
    }

    public UdpConfig config() {
        return config;
    }

    @Override
    public synchronized void start(DatagramHandler datagramHandler) throws IOException {
        if (closed || selector != null) {
            throw new IllegalStateException("The transport was already started.");
        }
        Selector sel = Selector.open();
        DatagramChannel out = null;
        try {
            out = DatagramChannel.open(StandardProtocolFamily.INET);
            out.setOption(StandardSocketOptions.SO_RCVBUF, 1);
            InetAddress local = Interfaces.ipv4Address(config.networkInterface()).map(InetAddress.class::cast)
                    .orElse(IPV4_WILDCARD);
            out.bind(new InetSocketAddress(local, 0));
            out.setOption(StandardSocketOptions.IP_MULTICAST_IF, config.networkInterface());
            out.setOption(StandardSocketOptions.IP_MULTICAST_TTL, config.ttl());
            out.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, config.loopback());
        } catch (IOException e) {
            closeQuietly(out);
            closeQuietly(sel);
            throw new IOException("Cannot send multicast on interface " + config.networkInterface().getName() + ": "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(out);
            closeQuietly(sel);
            throw e;
        }
        handler = datagramHandler;
        sender = out;
        selector = sel;
        receiver = new Thread(this::receiveLoop, "xo-udp-rx");
        receiver.setDaemon(true);
        receiver.start();
        LOG.debug("UDP multicast transport on {} port {}", config.networkInterface().getName(), config.port());
    }

    /**
     * Opens the group's receive channel.
     *
     * @throws IOException naming the group and the operating system's reason, e.g. "Too many open files" when the
     *                     process has no file descriptor left for one more group
     */
    @Override
    public synchronized void join(InetAddress group) throws IOException {
        Selector sel = requireOpen();
        checkGroup(group);
        if (receivers.containsKey(group)) {
            return;
        }
        DatagramChannel ch = null;
        try {
            ch = DatagramChannel.open(StandardProtocolFamily.INET);
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.setOption(StandardSocketOptions.SO_RCVBUF, config.receiveBufferBytes());
            warnOnceIfCapped(ch.getOption(StandardSocketOptions.SO_RCVBUF));
            ch.bind(new InetSocketAddress(group, config.port()));
            ch.join(group, config.networkInterface());
            ch.configureBlocking(false);
            ch.register(sel, SelectionKey.OP_READ, group);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new IOException("Cannot join multicast group " + group.getHostAddress() + " on "
                    + config.networkInterface().getName() + ", port " + config.port() + ": " + e.getMessage()
                    + " (joined so far: " + receivers.size() + " groups, one socket, that is one file descriptor, each)",
                    e);
        }
        receivers.put(group, ch);
        sel.wakeup(); // a select in progress watches the new channel only from its next round
    }

    @Override
    public synchronized void leave(InetAddress group) {
        DatagramChannel ch = receivers.remove(group);
        if (ch != null) {
            closeQuietly(ch); // drops the membership once the selector has released the channel, next round
            selector.wakeup();
        }
    }

    @Override
    public void send(InetAddress group, ByteBuffer datagram) throws IOException {
        requireOpen();
        checkGroup(group);
        // DatagramChannel serializes concurrent senders internally; a blocking channel sends the whole datagram.
        sender.send(datagram, new InetSocketAddress(group, config.port()));
    }

    /** @return how many exceptions the handler threw (each was caught; the receive loop went on) */
    public long handlerErrors() {
        return handlerErrors.get();
    }

    /** @return how many receive calls failed with an I/O error other than closing */
    public long receiveErrors() {
        return receiveErrors.get();
    }

    @Override
    public String kind() {
        return "udp";
    }

    @Override
    public void close() {
        Selector sel;
        List<DatagramChannel> channels;
        Thread rx;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            sel = selector;
            channels = new ArrayList<>(receivers.values());
            channels.add(sender);
            receivers.clear();
            rx = receiver;
        }
        channels.forEach(UdpMulticastTransport::closeQuietly);
        if (sel == null) {
            return; // never started
        }
        // The receive thread closes the selector on its way out: closing it here would wait, without a bound, for a
        // handler call in progress.
        sel.wakeup();
        if (rx != Thread.currentThread()) {
            try {
                rx.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void receiveLoop() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(RECEIVE_BUFFER);
        Selector sel = selector;
        try {
            while (!closed) {
                try {
                    sel.select(key -> receiveOne(key, buffer));
                } catch (IOException e) {
                    receiveErrors.incrementAndGet();
                    logThrottled("Waiting for UDP datagrams failed", e);
                    pauseAfterError();
                }
            }
        } finally {
            closeQuietly(sel); // also releases the descriptors of the channels close() closed
        }
    }

    /** One datagram of a ready channel: the others' turn comes before this channel's next one. */
    private void receiveOne(SelectionKey key, ByteBuffer buffer) {
        if (closed) {
            return; // no handler call starts once close() was called
        }
        InetSocketAddress from;
        try {
            buffer.clear();
            from = (InetSocketAddress) ((DatagramChannel) key.channel()).receive(buffer);
        } catch (ClosedChannelException e) {
            return; // the group was left meanwhile
        } catch (IOException e) {
            receiveErrors.incrementAndGet();
            logThrottled("UDP receive on group " + ((InetAddress) key.attachment()).getHostAddress() + " failed", e);
            pauseAfterError();
            return;
        }
        if (from == null) {
            return; // nothing after all
        }
        buffer.flip();
        try {
            handler.onDatagram(buffer.asReadOnlyBuffer(), from);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // One bad datagram or handler bug must not silence the node: count, log, keep receiving.
            handlerErrors.incrementAndGet();
            logThrottled("Datagram handler failed on a datagram from " + from, e);
        }
    }

    /** Keeps a persistent socket error from spinning the receive thread. */
    private static void pauseAfterError() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void logThrottled(String message, Throwable error) {
        errorLog.log(message + " (handler errors so far: " + handlerErrors.get() + ", receive errors: "
                + receiveErrors.get() + ")", error);
    }

    private Selector requireOpen() {
        Selector sel = selector;
        if (sel == null || closed) {
            throw new IllegalStateException(closed ? "The transport is closed." : "The transport is not started.");
        }
        return sel;
    }

    private static void checkGroup(InetAddress group) {
        if (!(group instanceof Inet4Address) || !group.isMulticastAddress()) {
            throw new IllegalArgumentException(group + " is not an IPv4 multicast group.");
        }
    }

    /**
     * Linux caps SO_RCVBUF at net.core.rmem_max (208 KB unless raised; reported as granted, or doubled): a capped
     * buffer loses bursts the node would otherwise read, so the operator hears of it once.
     */
    private void warnOnceIfCapped(int granted) {
        if (granted < config.receiveBufferBytes() && !cappedBufferReported) {
            cappedBufferReported = true;
            LOG.warn("The multicast receive buffer is {} KB where {} KB were asked for: the kernel caps it (raise it "
                    + "with sysctl -w net.core.rmem_max={}); bursts beyond it are lost before XO reads them",
                    granted / 1024, config.receiveBufferBytes() / 1024, config.receiveBufferBytes());
        }
    }

    private static void closeQuietly(AutoCloseable resource) {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (Exception e) {
            LOG.warn("Closing a UDP channel or selector failed", e);
        }
    }

    private static InetAddress ipv4Wildcard() {
        try {
            return InetAddress.getByAddress(new byte[4]);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible); // four bytes are always an IPv4 address
        }
    }
}
