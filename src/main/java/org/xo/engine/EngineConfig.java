package org.xo.engine;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;

import org.xo.core.GroupAddressing;
import org.xo.core.OverlayRoom;
import org.xo.core.Pacer;
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
 */
public record EngineConfig(long nodeId, String nodeName, String overlayService, Inet4Address groupBase,
                           UdpConfig udp, Pacer.Settings pacing, boolean compression, int historyReplay) {
    public static final String DEFAULT_OVERLAY_SERVICE = "conference.xo";

    public EngineConfig {
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(udp, "udp");
        Objects.requireNonNull(pacing, "pacing");
        new GroupAddressing(groupBase); // validates the base
        overlayService = OverlayRoom.of("x", overlayService).service(); // validates and normalizes
        if (historyReplay < 0) {
            throw new IllegalArgumentException("History replay cannot be negative: " + historyReplay + ".");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Defaults: random node id, overlay service conference.xo, 239.192.0.0, UDP defaults on the first multicast
     * interface, 1400-byte / γ 2 / 1 ms / 50 ms pacing, compression on, 25 messages of history replay. */
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

        /** @throws IllegalArgumentException when a setting is out of range */
        public EngineConfig build() {
            return new EngineConfig(nodeId, nodeName != null ? nodeName : "node-" + Long.toHexString(nodeId),
                    overlayService, groupBase, udp != null ? udp : UdpConfig.on(Interfaces.defaultMulticast()),
                    new Pacer.Settings(payloadBudget, gamma, initialRtt, maxDelay), compression, historyReplay);
        }
    }
}
