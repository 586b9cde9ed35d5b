package org.xo.transport;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * The XO engine's only view of the network: join and leave multicast groups, send a datagram to a group, hear
 * datagrams. Plain UDP multicast ({@link UdpMulticastTransport}) and reliable multicast (NORM,
 * {@code org.xo.transport.norm}) implement it. Delivery is best effort (NORM repairs losses, but a node cut off for
 * long still misses datagrams); ordering and duplicates are the engine's business.
 */
public interface Transport extends AutoCloseable {
    /** Opens the network resources and starts delivering received datagrams to {@code handler}. Called once. */
    void start(DatagramHandler handler) throws IOException;

    /**
     * Starts receiving a group's traffic. Idempotent.
     *
     * @throws IOException when the group cannot be joined, with the reason in its message; the transport stays usable
     */
    void join(InetAddress group) throws IOException;

    /** Stops receiving a group's traffic. Idempotent; leaving a group not joined does nothing. */
    void leave(InetAddress group) throws IOException;

    /**
     * Sends one datagram (position to limit) to a group; callable from any thread. UDP sends whether or not the group
     * is joined; NORM only to a joined group (its repair requests arrive on the receive side), which is all the engine
     * sends to.
     */
    void send(InetAddress group, ByteBuffer datagram) throws IOException;

    /** @return what carries the datagrams, as the setting names it ({@code udp}, {@code norm}), for operators */
    String kind();

    /** Stops receiving and releases the network resources. Idempotent; no handler call starts after it returns. */
    @Override
    void close();
}
