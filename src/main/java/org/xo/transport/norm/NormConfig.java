package org.xo.transport.norm;

import java.net.NetworkInterface;
import java.time.Duration;
import java.util.Objects;

import org.xo.transport.UdpConfig;

/**
 * Settings of {@link NormTransport}. Immutable; start from {@link #from(UdpConfig, long)} and adjust with the
 * {@code with*} methods.
 *
 * @param networkInterface where sessions join their groups and send
 * @param port             the NORM session port of every group (see {@link #from})
 * @param ttl              IP multicast TTL of everything NORM sends
 * @param loopback         IP_MULTICAST_LOOP: several nodes on one machine must hear each other (a node never hears
 *                         its own NORM messages: libnorm drops them by node id)
 * @param xoNodeId         the XO node id, from which the NORM node id is derived ({@link #normNodeId()})
 * @param txRateBitsPerSecond the fixed rate at which each session sends data, repairs and commands when it has them
 * @param initialGrtt      the group round-trip time a session starts from until NORM has measured it; NORM scales its
 *                         timers by it (repair back-off, and how long a sent object is kept before it may be purged:
 *                         with NORM's 0.25 s default a session could send only its cache's worth of objects every
 *                         2.5 s until the estimate had come down)
 * @param maxSessions      joined groups at most: each is a NORM session (see {@link NormTransport})
 * @param queueWait        how long a send waits for room in a session's transmit queue before it fails
 */
public record NormConfig(NetworkInterface networkInterface, int port, int ttl, boolean loopback, long xoNodeId,
                         double txRateBitsPerSecond, Duration initialGrtt, int maxSessions, Duration queueWait) {
    /**
     * 10 Mbit/s per session: NORM sends a backlog (a state replay, repairs after a flicker) at this rate rather than
     * at line rate as UDP would; chat traffic is far below it. Lower it on radio links.
     */
    public static final double DEFAULT_TX_RATE = 10_000_000;
    /** A LAN's; NORM raises its estimate at once when it measures more, so a radio network only starts slower. */
    public static final Duration DEFAULT_INITIAL_GRTT = Duration.ofMillis(1);
    /** NORM's own bounds of the estimate. */
    static final Duration MIN_GRTT = Duration.ofNanos(1000);
    static final Duration MAX_GRTT = Duration.ofSeconds(10);
    /** About 100 KB of native memory and two sockets per session, see {@link NormTransport}. */
    public static final int DEFAULT_MAX_SESSIONS = 2000;
    /** A full queue means this node sends faster than the rate for that long: the datagram is better dropped. */
    public static final Duration DEFAULT_QUEUE_WAIT = Duration.ofSeconds(2);

    public NormConfig {
        Objects.requireNonNull(networkInterface, "networkInterface");
        Objects.requireNonNull(queueWait, "queueWait");
        Objects.requireNonNull(initialGrtt, "initialGrtt");
        if (initialGrtt.compareTo(MIN_GRTT) < 0 || initialGrtt.compareTo(MAX_GRTT) > 0) {
            throw new IllegalArgumentException("NORM's initial GRTT must be 1 µs to 10 s, was " + initialGrtt + ".");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("NORM port must be 1..65535, was " + port + ".");
        }
        if (ttl < 0 || ttl > 255) {
            throw new IllegalArgumentException("Multicast TTL must be 0..255, was " + ttl + ".");
        }
        if (!(txRateBitsPerSecond >= 1000)) {
            throw new IllegalArgumentException("NORM transmit rate must be at least 1000 bit/s, was "
                    + txRateBitsPerSecond + ".");
        }
        if (maxSessions < 1) {
            throw new IllegalArgumentException("NORM session limit must be positive, was " + maxSessions + ".");
        }
        if (queueWait.isNegative()) {
            throw new IllegalArgumentException("Queue wait cannot be negative, was " + queueWait + ".");
        }
    }

    /**
     * The settings of a node whose UDP transport would use {@code udp}: the same interface, TTL and loopback, and the
     * session port {@link #normPort(int) next to} the overlay port.
     *
     * @throws IllegalArgumentException when the overlay port is 65535 (no port follows it)
     */
    public static NormConfig from(UdpConfig udp, long xoNodeId) {
        return new NormConfig(udp.networkInterface(), normPort(udp.port()), udp.ttl(), udp.loopback(), xoNodeId,
                DEFAULT_TX_RATE, DEFAULT_INITIAL_GRTT, DEFAULT_MAX_SESSIONS, DEFAULT_QUEUE_WAIT);
    }

    /**
     * @return the NORM session port of an overlay port: the next one. Not the overlay port itself: a node of the
     * overlay that runs UDP would otherwise take every NORM message (data, NACKs, repairs, probes) for a datagram,
     * and a NORM node every UDP datagram for a NORM message; both would drop them, but only after decoding.
     */
    public static int normPort(int overlayPort) {
        if (overlayPort >= 65535) {
            throw new IllegalArgumentException("NORM uses the port after the overlay port, and there is none after "
                    + overlayPort + ": choose a lower xo.multicast.port.");
        }
        return overlayPort + 1;
    }

    /**
     * @return the 32-bit NORM node id: the XO node id's halves XORed, never 0 (NORM_NODE_NONE) or 0xFFFFFFFF
     * (NORM_NODE_ANY). Distinct XO node ids give distinct NORM ids but for a 2^-32 chance per pair in a group.
     */
    public int normNodeId() {
        int folded = (int) (xoNodeId ^ (xoNodeId >>> 32));
        return folded == 0 || folded == -1 ? 1 : folded;
    }

    public NormConfig withXoNodeId(long id) {
        return new NormConfig(networkInterface, port, ttl, loopback, id, txRateBitsPerSecond, initialGrtt, maxSessions,
                queueWait);
    }

    public NormConfig withTxRate(double bitsPerSecond) {
        return new NormConfig(networkInterface, port, ttl, loopback, xoNodeId, bitsPerSecond, initialGrtt, maxSessions,
                queueWait);
    }

    public NormConfig withInitialGrtt(Duration grtt) {
        return new NormConfig(networkInterface, port, ttl, loopback, xoNodeId, txRateBitsPerSecond, grtt, maxSessions,
                queueWait);
    }

    public NormConfig withMaxSessions(int sessions) {
        return new NormConfig(networkInterface, port, ttl, loopback, xoNodeId, txRateBitsPerSecond, initialGrtt,
                sessions, queueWait);
    }

    public NormConfig withQueueWait(Duration wait) {
        return new NormConfig(networkInterface, port, ttl, loopback, xoNodeId, txRateBitsPerSecond, initialGrtt,
                maxSessions, wait);
    }
}
