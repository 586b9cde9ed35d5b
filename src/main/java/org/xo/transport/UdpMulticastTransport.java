package org.xo.transport;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plain IPv4 UDP multicast: one NIO {@link DatagramChannel} bound to the wildcard address and the overlay port with
 * SO_REUSEADDR (several nodes on one host share the port), sending through and joining on the configured interface.
 * A daemon thread "xo-udp-rx" receives and calls the handler; it survives anything the handler throws (counted in
 * {@link #handlerErrors()} and logged, at most once a second).
 * <p>
 * On Linux a socket bound to the wildcard address also hears groups joined by other sockets on the same port
 * (IP_MULTICAST_ALL), and rooms can share a group: receivers must filter on the room address anyway.
 */
public final class UdpMulticastTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(UdpMulticastTransport.class);
    /** Larger than any IPv4 UDP payload, so an oversized datagram arrives whole and is recognized as such. */
    private static final int RECEIVE_BUFFER = 65_536;

    private static final InetAddress IPV4_WILDCARD = ipv4Wildcard();

    private final UdpConfig config;
    private final Map<InetAddress, MembershipKey> memberships = new HashMap<>();
    private final AtomicLong handlerErrors = new AtomicLong();
    private final AtomicLong receiveErrors = new AtomicLong();
    private final LogThrottle errorLog = LogThrottle.warn(LOG);
    private volatile DatagramChannel channel;
    private volatile DatagramHandler handler;
    private Thread receiver;
    private volatile boolean closed;

    public UdpMulticastTransport(UdpConfig config) {
        this.config = config;
    }

    public UdpConfig config() {
        return config;
    }

    @Override
    public synchronized void start(DatagramHandler datagramHandler) throws IOException {
        if (closed || channel != null) {
            throw new IllegalStateException("The transport was already started.");
        }
        this.handler = datagramHandler;
        DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.setOption(StandardSocketOptions.SO_RCVBUF, config.receiveBufferBytes());
            // Not new InetSocketAddress(port): with java.net.preferIPv6Addresses=system (Openfire 4.8+) that is ::
            ch.bind(new InetSocketAddress(IPV4_WILDCARD, config.port()));
            ch.setOption(StandardSocketOptions.IP_MULTICAST_IF, config.networkInterface());
            ch.setOption(StandardSocketOptions.IP_MULTICAST_TTL, config.ttl());
            ch.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, config.loopback());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        channel = ch;
        receiver = new Thread(this::receiveLoop, "xo-udp-rx");
        receiver.setDaemon(true);
        receiver.start();
        LOG.debug("UDP multicast transport on {} port {}", config.networkInterface().getName(), config.port());
    }

    @Override
    public synchronized void join(InetAddress group) throws IOException {
        DatagramChannel ch = requireOpen();
        checkGroup(group);
        MembershipKey key = memberships.get(group);
        if (key != null && key.isValid()) {
            return;
        }
        memberships.put(group, ch.join(group, config.networkInterface()));
    }

    @Override
    public synchronized void leave(InetAddress group) {
        MembershipKey key = memberships.remove(group);
        if (key != null) {
            key.drop();
        }
    }

    @Override
    public void send(InetAddress group, ByteBuffer datagram) throws IOException {
        DatagramChannel ch = requireOpen();
        checkGroup(group);
        // DatagramChannel serializes concurrent senders internally; a blocking channel sends the whole datagram.
        ch.send(datagram, new InetSocketAddress(group, config.port()));
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
    public void close() {
        Thread rx;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            memberships.clear();
            rx = receiver;
            if (channel != null) {
                try {
                    channel.close(); // also wakes the receive thread with AsynchronousCloseException
                } catch (IOException e) {
                    LOG.warn("Closing the UDP channel failed", e);
                }
            }
        }
        if (rx != null && rx != Thread.currentThread()) {
            try {
                rx.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void receiveLoop() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(RECEIVE_BUFFER);
        DatagramChannel ch = channel;
        while (!closed) {
            InetSocketAddress sender;
            try {
                buffer.clear();
                sender = (InetSocketAddress) ch.receive(buffer);
            } catch (ClosedChannelException e) {
                break; // close() was called
            } catch (IOException e) {
                receiveErrors.incrementAndGet();
                logThrottled("UDP receive failed", e);
                pauseAfterError();
                continue;
            }
            buffer.flip();
            try {
                handler.onDatagram(buffer.asReadOnlyBuffer(), sender);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (RuntimeException | Error e) {
                // One bad datagram or handler bug must not silence the node: count, log, keep receiving.
                handlerErrors.incrementAndGet();
                logThrottled("Datagram handler failed on a datagram from " + sender, e);
            }
        }
    }

    /** Keeps a persistent socket error from spinning the receive thread. */
    private static void pauseAfterError() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the interrupt closes the channel, which ends the loop
        }
    }

    private void logThrottled(String message, Throwable error) {
        errorLog.log(message + " (handler errors so far: " + handlerErrors.get() + ", receive errors: "
                + receiveErrors.get() + ")", error);
    }

    private DatagramChannel requireOpen() {
        DatagramChannel ch = channel;
        if (ch == null || closed) {
            throw new IllegalStateException(closed ? "The transport is closed." : "The transport is not started.");
        }
        return ch;
    }

    private static InetAddress ipv4Wildcard() {
        try {
            return InetAddress.getByAddress(new byte[4]);
        } catch (java.net.UnknownHostException impossible) {
            throw new IllegalStateException(impossible); // four bytes are always an IPv4 address
        }
    }

    private static void checkGroup(InetAddress group) {
        if (!(group instanceof Inet4Address) || !group.isMulticastAddress()) {
            throw new IllegalArgumentException(group + " is not an IPv4 multicast group.");
        }
    }
}
