package org.xo.openfire;

/** Every XO plugin property, with its default. Changing any of them at run time restarts the overlay engine. */
public final class XoSettings {
    /** Off keeps the plugin loaded but mirrors nothing. */
    public static final Setting<Boolean> ENABLED = Setting.flag("xo.enabled", true);
    /** Subdomain of the local MUC service whose rooms are overlay rooms. */
    public static final Setting<String> MUC_SERVICE = Setting.text("xo.muc.service", "conference");
    /** Service part of the network-wide room address; the same on every node, whatever its XMPP domain. */
    public static final Setting<String> OVERLAY_SERVICE = Setting.text("xo.overlay.service", "conference.xo");
    /** Multicast interface by name or address; empty picks the first multicast-capable interface that is up. */
    public static final Setting<String> INTERFACE = Setting.text("xo.multicast.interface", "");
    public static final Setting<Integer> PORT = Setting.integer("xo.multicast.port", 45045, 1, 65535);
    /**
     * How room traffic travels: {@code udp}, plain multicast, or {@code norm}, reliable multicast (RFC 5740 through
     * Debian's libnorm1; on the port after {@link #PORT}), which repairs what a flicker of the link loses. Nodes of
     * one overlay must agree. Where libnorm is missing a node set to norm says so once and uses udp.
     */
    public static final Setting<String> TRANSPORT = Setting.choice("xo.transport", "udp", "udp", "norm");
    /** Radios relay multicast over several hops, so more than the usual 1. */
    public static final Setting<Integer> TTL = Setting.integer("xo.multicast.ttl", 8, 1, 255);
    /** The paper's 239.192.0.0 (organization-local scope); the room hash fills its 18 low bits. */
    public static final Setting<String> GROUP_BASE = Setting.text("xo.multicast.group-base", "239.192.0.0");
    /** Name shown for this node; empty means the XMPP domain. */
    public static final Setting<String> NODE_NAME = Setting.text("xo.node.name", "");
    /** Random 64-bit id in hex, generated on first start and kept. */
    public static final Setting<String> NODE_ID = Setting.text("xo.node.id", "");
    /** γ of the pacing timeout IMTimeout = γ · estimated RTT (Leggio and Kojo). */
    public static final Setting<Double> PACING_GAMMA = Setting.decimal("xo.pacing.gamma", 2.0, 1.0, 100.0);
    /**
     * Round-trip time the pacing timeout is based on. Multicast has no acknowledgements to measure it from (a
     * state request's first reply also carries the replier's own pacing and start-up delays), so it is set per
     * network: about 1 ms on a LAN, hundreds on tactical radios.
     */
    public static final Setting<Integer> PACING_RTT_MS = Setting.integer("xo.pacing.rtt-ms", 1, 0, 10_000);
    /** Upper bound of the pacing timeout, so interactivity never suffers more than this. */
    public static final Setting<Integer> PACING_MAX_DELAY_MS = Setting.integer("xo.pacing.max-delay-ms", 50, 0, 5000);
    /** Payload bytes that make a full datagram: about one MTU. */
    public static final Setting<Integer> PACING_BUDGET_BYTES = Setting.integer("xo.pacing.budget-bytes", 1400, 256, 60000);
    public static final Setting<Boolean> COMPRESSION = Setting.flag("xo.compression", true);
    /** How many of its own recent messages a node repeats to a node that just opened the room. */
    public static final Setting<Integer> HISTORY_REPLAY = Setting.integer("xo.history.replay", 25, 0, 1000);

    /** Beacons announce this node and its rooms to the network; off, nodes are never declared lost either. */
    public static final Setting<Boolean> DISCOVERY = Setting.flag("xo.discovery.enabled", true);
    /**
     * Periodic beacon interval. 10 s keeps ten rooms under 100 bytes/s on a radio link; changes (a new room, a
     * subject) are announced at once anyway.
     */
    public static final Setting<Integer> BEACON_INTERVAL_MS =
            Setting.integer("xo.discovery.beacon-interval-ms", 10_000, 50, 3_600_000);
    /**
     * Silence after which a node's occupants leave: 3.5 beacon intervals, so three beacons in a row must be lost
     * (at 20% radio loss that happens about 1 time in 125).
     */
    public static final Setting<Integer> NODE_TIMEOUT_MS =
            Setting.integer("xo.discovery.node-timeout-ms", 35_000, 100, 86_400_000);
    /** Well-known group of the beacons; multicast routing must carry it like the rooms' groups. */
    public static final Setting<String> CONTROL_GROUP = Setting.text("xo.discovery.control-group", "239.192.255.250");
    /** DNS-SD (mDNS, _xo-overlay._udp) on the multicast interface's link as well as beacons; needs discovery on. */
    public static final Setting<Boolean> DNS_SD = Setting.flag("xo.discovery.dns-sd", true);

    private XoSettings() {
    }
}
