package org.xo.engine;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.xo.core.GroupAddressing;
import org.xo.core.OverlayRoom;
import org.xo.core.Pacer;
import org.xo.security.OverlayKeys;
import org.xo.sync.RoomLog;
import org.xo.sync.RoomState;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;

/**
 * Settings of one {@link XoEngine}. Immutable; build with {@link #builder()}.
 *
 * @param nodeId          this node's 64-bit id; keep it stable across restarts (persist it)
 * @param nodeName        a human-readable name for logs and status pages
 * @param overlayService  the overlay MUC service domain appended to bare room names
 * @param groupBase       /14 multicast prefix of the room groups
 * @param udp             settings for the UDP multicast transport the adapter creates
 * @param pacing          datagram budget and IMTimeout parameters
 * @param compression     whether outgoing datagrams may be DEFLATE-compressed
 * @param historyReplay   local groupchat messages per room repeated to a node that joins
 * @param discovery       whether this node beacons, keeps a directory and detects lost nodes; with it off, no
 *                        node is ever declared lost (silence cannot be told from absence without beacons)
 * @param beaconInterval  period of the full beacons (changes go out at once, at most one extra per 250 ms)
 * @param nodeTimeout     silence after which a node is lost and its occupants leave; at least 2 intervals
 * @param controlGroup    multicast group of the beacons (same port as the rooms; TTL is the transport's)
 * @param dnsSd           whether the node also registers and discovers XO nodes with DNS-SD (JmDNS) on the local
 *                        link of the multicast interface; never without discovery, never with an overlay key
 * @param overlayKeys     the key ring every datagram is sealed with and must be sealed with ({@code org.xo.security});
 *                        null for an open overlay, which anyone on the network can read and speak in
 * @param repair          whether lost room events are asked for and answered (digests, NACKs; see
 *                        {@code org.xo.sync}); the room log is kept either way
 * @param logBounds       what the room log keeps (per room, per origin, by age); also how far back a gap is chased
 * @param repairBytesPerSecond answer bandwidth per room at the most (a node asked for much waits its turn)
 * @param originEnvelopesPerSecond envelopes taken from any one origin node per second at the most, with bursts of
 *                        {@value #ORIGIN_BURST_SECONDS} seconds' worth (a state replay); the rest is dropped and
 *                        counted as guard.rate-limited, so that one origin, real or forged, cannot take this node's
 *                        receive thread from the others
 * @param restartGrace    how long the occupants of a node that said goodbye (its run ended; a restart, or a stop) stay
 *                        here, waiting for a new run of the node to announce them again; zero: they leave at once
 */
public record EngineConfig(long nodeId, String nodeName, String overlayService, Inet4Address groupBase,
                           UdpConfig udp, Pacer.Settings pacing, boolean compression, int historyReplay,
                           boolean discovery, Duration beaconInterval, Duration nodeTimeout,
                           Inet4Address controlGroup, boolean dnsSd, OverlayKeys overlayKeys, boolean repair,
                           RoomLog.Bounds logBounds, int repairBytesPerSecond, int originEnvelopesPerSecond,
                           Duration restartGrace) {
    public static final String DEFAULT_OVERLAY_SERVICE = "conference.xo";
    /**
     * 10 s: ten rooms with full subjects stay under 100 bytes/s per node; discovery speed does not depend on it
     * because changes are beaconed at once.
     */
    public static final Duration DEFAULT_BEACON_INTERVAL = Duration.ofSeconds(10);
    /** 35 s = 3.5 intervals: three beacons in a row must be lost on a lossy radio link before occupants leave. */
    public static final Duration DEFAULT_NODE_TIMEOUT = Duration.ofSeconds(35);
    /** Organization-local scope, at the top of the room groups' /14 (receivers filter by kind and address anyway). */
    public static final Inet4Address DEFAULT_CONTROL_GROUP = ipv4(new byte[] {(byte) 239, (byte) 192, (byte) 255,
            (byte) 250});
    /** 10,000 events per room, 5,000 per origin, 72 hours. */
    public static final RoomLog.Bounds DEFAULT_LOG_BOUNDS = new RoomLog.Bounds(10_000, 5_000, Duration.ofHours(72));
    /** 256 kB/s per room: a 1,000-message backlog in well under a second on a LAN. */
    public static final int DEFAULT_REPAIR_BYTES_PER_SECOND = 256_000;
    /** 500 envelopes per second from one origin: ten times a busy room, with a 10 s burst for a state replay. */
    public static final int DEFAULT_ORIGIN_ENVELOPES_PER_SECOND = 500;
    /** An origin may send this many seconds' worth of its rate at once (a replay of many occupants). */
    public static final int ORIGIN_BURST_SECONDS = 10;
    /** 30 s: a node restarts, and its users' clients reconnect and rejoin, well within it. */
    public static final Duration DEFAULT_RESTART_GRACE = Duration.ofSeconds(30);
    /** Longest restart grace accepted: a node gone longer than that has left. */
    public static final Duration MAX_RESTART_GRACE = Duration.ofHours(1);
    /** Shortest beacon interval accepted. */
    public static final Duration MIN_BEACON_INTERVAL = Duration.ofMillis(50);
    /** Longest beacon interval accepted. */
    public static final Duration MAX_BEACON_INTERVAL = Duration.ofHours(1);

    private static Inet4Address ipv4(byte[] address) {
        try {
            return (Inet4Address) InetAddress.getByAddress(address);
        } catch (java.net.UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    public EngineConfig {
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(udp, "udp");
        Objects.requireNonNull(pacing, "pacing");
        new GroupAddressing(groupBase); // validates the base
        overlayService = OverlayRoom.of("x", overlayService).service(); // validates and normalizes
        if (historyReplay < 0) {
            throw new IllegalArgumentException("History replay cannot be negative: " + historyReplay + ".");
        }
        if (beaconInterval == null || beaconInterval.compareTo(MIN_BEACON_INTERVAL) < 0
                || beaconInterval.compareTo(MAX_BEACON_INTERVAL) > 0) {
            throw new IllegalArgumentException("Beacon interval must be " + MIN_BEACON_INTERVAL.toMillis() + " ms to "
                    + MAX_BEACON_INTERVAL.toHours() + " h, was " + beaconInterval + ".");
        }
        if (nodeTimeout == null || nodeTimeout.compareTo(beaconInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("Node timeout must be at least two beacon intervals ("
                    + beaconInterval.multipliedBy(2).toMillis() + " ms), was " + nodeTimeout + ".");
        }
        // DNS-SD records are neither authenticated nor encrypted: on a keyed overlay they would tell anyone on the link
        // the rooms and subjects, and let anyone add nodes and rooms to the directory. Sealed beacons discover instead.
        dnsSd = dnsSd && discovery && overlayKeys == null;
        Objects.requireNonNull(logBounds, "logBounds");
        if (repairBytesPerSecond < 1500) {
            throw new IllegalArgumentException("Repair bandwidth must be at least one datagram (1500 bytes) per"
                    + " second, was " + repairBytesPerSecond + ".");
        }
        if (originEnvelopesPerSecond < 10) {
            throw new IllegalArgumentException("Envelopes per origin and second must be at least 10, was "
                    + originEnvelopesPerSecond + ".");
        }
        if (restartGrace == null || restartGrace.isNegative() || restartGrace.compareTo(MAX_RESTART_GRACE) > 0) {
            throw new IllegalArgumentException("Restart grace must be 0 to " + MAX_RESTART_GRACE.toMinutes()
                    + " minutes, was " + restartGrace + ".");
        }
        if (controlGroup == null || !controlGroup.isMulticastAddress()) {
            throw new IllegalArgumentException("Control group must be an IPv4 multicast address, was " + controlGroup
                    + ".");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** @return each setting that differs in {@code next}, as "name: old → new", for logs; empty when none does */
    public List<String> differencesTo(EngineConfig next) {
        List<String> out = new ArrayList<>();
        difference(out, "node id", Long.toHexString(nodeId), Long.toHexString(next.nodeId));
        difference(out, "node name", nodeName, next.nodeName);
        difference(out, "overlay service", overlayService, next.overlayService);
        difference(out, "group base", groupBase.getHostAddress(), next.groupBase.getHostAddress());
        if (!udp.networkInterface().equals(next.udp.networkInterface())) { // also the same name with new addresses
            out.add("interface: " + udp.networkInterface().getName() + " \u2192 "
                    + next.udp.networkInterface().getName());
        }
        difference(out, "port", udp.port(), next.udp.port());
        difference(out, "TTL", udp.ttl(), next.udp.ttl());
        difference(out, "receive buffer", udp.receiveBufferBytes(), next.udp.receiveBufferBytes());
        difference(out, "multicast loopback", udp.loopback(), next.udp.loopback());
        difference(out, "pacing budget", pacing.payloadBudget(), next.pacing.payloadBudget());
        difference(out, "pacing gamma", pacing.gamma(), next.pacing.gamma());
        difference(out, "pacing RTT ms", pacing.initialRtt().toMillis(), next.pacing.initialRtt().toMillis());
        difference(out, "pacing max delay ms", pacing.maxDelay().toMillis(), next.pacing.maxDelay().toMillis());
        difference(out, "compression", compression, next.compression);
        difference(out, "history replay", historyReplay, next.historyReplay);
        difference(out, "discovery", discovery, next.discovery);
        difference(out, "beacon interval ms", beaconInterval.toMillis(), next.beaconInterval.toMillis());
        difference(out, "node timeout ms", nodeTimeout.toMillis(), next.nodeTimeout.toMillis());
        difference(out, "control group", controlGroup.getHostAddress(), next.controlGroup.getHostAddress());
        difference(out, "DNS-SD", dnsSd, next.dnsSd);
        difference(out, "overlay key", keysText(overlayKeys), keysText(next.overlayKeys));
        difference(out, "repair", repair, next.repair);
        difference(out, "log bounds", logBounds, next.logBounds);
        difference(out, "repair bytes/s", repairBytesPerSecond, next.repairBytesPerSecond);
        difference(out, "envelopes/s per origin", originEnvelopesPerSecond, next.originEnvelopesPerSecond);
        difference(out, "restart grace s", restartGrace.toSeconds(), next.restartGrace.toSeconds());
        return out;
    }

    private static String keysText(OverlayKeys keys) {
        return keys == null ? "none (open overlay)" : keys.idsText();
    }

    private static void difference(List<String> out, String name, Object before, Object after) {
        if (!before.equals(after)) {
            out.add(name + ": " + before + " \u2192 " + after);
        }
    }

    /** Defaults: random node id, overlay service conference.xo, 239.192.0.0, UDP defaults on the first multicast
     * interface, 1400-byte / γ 2 / 1 ms / 50 ms pacing, compression on, 25 messages of history replay; discovery
     * on with a 10 s beacon interval, a 35 s node timeout and control group 239.192.255.250; DNS-SD on; no overlay key;
     * repair on, {@link #DEFAULT_LOG_BOUNDS}, {@link #DEFAULT_REPAIR_BYTES_PER_SECOND};
     * {@link #DEFAULT_ORIGIN_ENVELOPES_PER_SECOND};
     * {@link #DEFAULT_RESTART_GRACE}. */
    public static final class Builder {
        private long nodeId = new SecureRandom().nextLong();
        private String nodeName;
        private String overlayService = DEFAULT_OVERLAY_SERVICE;
        private Inet4Address groupBase = GroupAddressing.DEFAULT_BASE;
        private UdpConfig udp;
        private int payloadBudget = Pacer.Settings.DEFAULTS.payloadBudget();
        private double gamma = Pacer.Settings.DEFAULTS.gamma();
        private Duration initialRtt = Pacer.Settings.DEFAULTS.initialRtt();
        private Duration maxDelay = Pacer.Settings.DEFAULTS.maxDelay();
        private boolean compression = true;
        private int historyReplay = RoomState.DEFAULT_HISTORY;
        private boolean discovery = true;
        private Duration beaconInterval = DEFAULT_BEACON_INTERVAL;
        private Duration nodeTimeout = DEFAULT_NODE_TIMEOUT;
        private Inet4Address controlGroup = DEFAULT_CONTROL_GROUP;
        private boolean dnsSd = true;
        private OverlayKeys overlayKeys;
        private boolean repair = true;
        private RoomLog.Bounds logBounds = DEFAULT_LOG_BOUNDS;
        private int repairBytesPerSecond = DEFAULT_REPAIR_BYTES_PER_SECOND;
        private int originEnvelopesPerSecond = DEFAULT_ORIGIN_ENVELOPES_PER_SECOND;
        private Duration restartGrace = DEFAULT_RESTART_GRACE;

        private Builder() {
        }

        public Builder nodeId(long id) {
            this.nodeId = id;
            return this;
        }

        /** Default: {@code node-} and the node id in hex. */
        public Builder nodeName(String name) {
            this.nodeName = name;
            return this;
        }

        public Builder overlayService(String service) {
            this.overlayService = service;
            return this;
        }

        public Builder groupBase(InetAddress base) {
            if (!(base instanceof Inet4Address)) {
                throw new IllegalArgumentException("Group base " + base + " is not an IPv4 address.");
            }
            this.groupBase = (Inet4Address) base;
            return this;
        }

        /** Default: {@link UdpConfig#on} {@link Interfaces#defaultMulticast()}. */
        public Builder udp(UdpConfig config) {
            this.udp = config;
            return this;
        }

        public Builder payloadBudget(int bytes) {
            this.payloadBudget = bytes;
            return this;
        }

        public Builder gamma(double value) {
            this.gamma = value;
            return this;
        }

        public Builder initialRtt(Duration rtt) {
            this.initialRtt = rtt;
            return this;
        }

        public Builder maxDelay(Duration delay) {
            this.maxDelay = delay;
            return this;
        }

        public Builder compression(boolean on) {
            this.compression = on;
            return this;
        }

        public Builder historyReplay(int messages) {
            this.historyReplay = messages;
            return this;
        }

        /** Beacons, directory and lost-node detection; default on. */
        public Builder discovery(boolean on) {
            this.discovery = on;
            return this;
        }

        /** Default 10 s. */
        public Builder beaconInterval(Duration interval) {
            this.beaconInterval = interval;
            return this;
        }

        /** Default 35 s; at least two beacon intervals. */
        public Builder nodeTimeout(Duration timeout) {
            this.nodeTimeout = timeout;
            return this;
        }

        /** Default 239.192.255.250. */
        public Builder controlGroup(InetAddress group) {
            if (!(group instanceof Inet4Address)) {
                throw new IllegalArgumentException("Control group " + group + " is not an IPv4 address.");
            }
            this.controlGroup = (Inet4Address) group;
            return this;
        }

        /** DNS-SD on the local link in addition to beacons; default on (has no effect with discovery off). */
        public Builder dnsSd(boolean on) {
            this.dnsSd = on;
            return this;
        }

        /** Seal every datagram with these keys; default null, an open overlay. */
        public Builder overlayKeys(OverlayKeys keys) {
            this.overlayKeys = keys;
            return this;
        }

        /** Digests, NACKs and answers; default on. */
        public Builder repair(boolean on) {
            this.repair = on;
            return this;
        }

        public Builder logBounds(RoomLog.Bounds bounds) {
            this.logBounds = bounds;
            return this;
        }

        public Builder repairBytesPerSecond(int bytes) {
            this.repairBytesPerSecond = bytes;
            return this;
        }

        public Builder originEnvelopesPerSecond(int envelopes) {
            this.originEnvelopesPerSecond = envelopes;
            return this;
        }

        /** Default 30 s; zero makes a node's occupants leave as soon as it says goodbye. */
        public Builder restartGrace(Duration grace) {
            this.restartGrace = grace;
            return this;
        }

        /** @throws IllegalArgumentException when a setting is out of range */
        public EngineConfig build() {
            return new EngineConfig(nodeId, nodeName != null ? nodeName : "node-" + Long.toHexString(nodeId),
                    overlayService, groupBase, udp != null ? udp : UdpConfig.on(Interfaces.defaultMulticast()),
                    new Pacer.Settings(payloadBudget, gamma, initialRtt, maxDelay), compression, historyReplay,
                    discovery, beaconInterval, nodeTimeout, controlGroup, dnsSd, overlayKeys, repair, logBounds,
                    repairBytesPerSecond, originEnvelopesPerSecond, restartGrace);
        }
    }
}
