package org.xo.transport;

import java.net.NetworkInterface;
import java.util.Objects;

/**
 * Settings of {@link UdpMulticastTransport}. Immutable; start from {@link #on(NetworkInterface)} and adjust with the
 * {@code with*} methods.
 *
 * @param networkInterface   where groups are joined and datagrams sent
 * @param port               UDP port shared by every node of the overlay
 * @param ttl                IP multicast TTL: radios relay multicast over several hops, so more than 1
 * @param receiveBufferBytes SO_RCVBUF requested for each joined group (each has a socket of its own): bursts are lost
 *                           when the socket buffer overflows (the kernel may grant less, up to net.core.rmem_max; it
 *                           is a bound, memory is taken only by datagrams waiting to be read)
 * @param loopback           IP_MULTICAST_LOOP: several nodes on one machine must hear each other
 */
public record UdpConfig(NetworkInterface networkInterface, int port, int ttl, int receiveBufferBytes,
                        boolean loopback) {
    public static final int DEFAULT_PORT = 45045;
    public static final int DEFAULT_TTL = 8;
    public static final int DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

    public UdpConfig {
        Objects.requireNonNull(networkInterface, "networkInterface");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("UDP port must be 1..65535, was " + port + ".");
        }
        if (ttl < 0 || ttl > 255) {
            throw new IllegalArgumentException("Multicast TTL must be 0..255, was " + ttl + ".");
        }
        if (receiveBufferBytes < 1) {
            throw new IllegalArgumentException("Receive buffer must be positive, was " + receiveBufferBytes + ".");
        }
    }

    /** @return defaults (port 45045, TTL 8, 4 MiB receive buffer, loopback on) on that interface */
    public static UdpConfig on(NetworkInterface networkInterface) {
        return new UdpConfig(networkInterface, DEFAULT_PORT, DEFAULT_TTL, DEFAULT_RECEIVE_BUFFER_BYTES, true);
    }

    public UdpConfig withPort(int newPort) {
        return new UdpConfig(networkInterface, newPort, ttl, receiveBufferBytes, loopback);
    }

    public UdpConfig withTtl(int newTtl) {
        return new UdpConfig(networkInterface, port, newTtl, receiveBufferBytes, loopback);
    }

    public UdpConfig withReceiveBufferBytes(int bytes) {
        return new UdpConfig(networkInterface, port, ttl, bytes, loopback);
    }

    public UdpConfig withLoopback(boolean on) {
        return new UdpConfig(networkInterface, port, ttl, receiveBufferBytes, on);
    }
}
