package org.xo.openfire;

import java.util.List;

import org.xo.engine.EngineConfig;

/**
 * Every XO plugin property, with its default. Changes made while Openfire runs (admin console, the settings query of
 * {@link SettingsQuery}, anything that stores the property) apply about 300 ms after the last of a burst, without a
 * restart of Openfire ({@link SettingsApplier}).
 * <p>
 * <b>In place</b>, as the same run of the same node, so that other nodes see nobody leave or come back and nothing
 * already delivered is injected twice: interface, port, TTL and group base (every open room moves: its new group is
 * joined before the switch, nothing sent is lost or doubled by it, and the room asks for and repeats its state so
 * that nodes changing before or after catch up on what was said in between, within the history replay), pacing
 * (from the next datagram), compression (the next datagrams), history replay (open rooms' logs are resized), the
 * room log's bounds (from its next prune),
 * node name (next beacon and DNS-SD record), discovery and its interval, timeout and control group, DNS-SD, the
 * restart grace (for the next goodbye heard).
 * Nodes with different ports, interfaces or group bases do not hear each other: change them on every node.
 * Turning discovery off on one node while others keep it makes them lose this node when it stays silent for their
 * node timeout, as if it had started with discovery off.
 * <p>
 * <b>Not in place</b>, on purpose, because they change who takes part: {@link #MUC_SERVICE} and
 * {@link #OVERLAY_SERVICE} decide which rooms are overlay rooms, so local occupants leave the old rooms' overlay
 * (other nodes see them go) and a new run of the node carries the new rooms (with a new overlay service, the local
 * occupants enter the new overlay rooms at once, and so do the occupants of a new MUC service's rooms). {@link #ENABLED} {@code false} stops the overlay (its users leave everywhere), {@code true}
 * starts a new run. Another {@link #TRANSPORT} is a new run too: nodes on the old transport no longer hear this node,
 * so they see its users leave. {@link #NODE_ID} is the node's identity and is not changed at run time.
 * <p>
 * An invalid value, or one that cannot be used (a port another program holds), leaves the overlay running as it
 * was; the reason, one sentence naming the property, is logged and shown by the settings query.
 */
public final class XoSettings {
    /** Off keeps the plugin loaded but mirrors nothing. */
    public static final Setting<Boolean> ENABLED = Setting.flag("xo.enabled", true);
    /** Subdomain of the local MUC service whose rooms are overlay rooms. */
    public static final Setting<String> MUC_SERVICE = Setting.subdomain("xo.muc.service", "conference");
    /** Service part of the network-wide room address; the same on every node, whatever its XMPP domain. */
    public static final Setting<String> OVERLAY_SERVICE = Setting.overlayService("xo.overlay.service", "conference.xo");
    /** Multicast interface by name or address; empty picks the first multicast-capable interface that is up. */
    public static final Setting<String> INTERFACE = Setting.networkInterface("xo.multicast.interface");
    public static final Setting<Integer> PORT = Setting.integer("xo.multicast.port", 45045, 1, 65535);
    /**
     * How room traffic travels: {@code udp}, plain multicast, or {@code norm}, reliable multicast (RFC 5740 through
     * Debian's libnorm1; on the port after {@link #PORT}), which repairs what a flicker of the link loses. Nodes of
     * one overlay must agree. Where libnorm is missing a node set to norm says so once and uses udp.
     */
    public static final Setting<String> TRANSPORT = Setting.choice("xo.transport", "udp", "udp", "norm");
    /** Radios relay multicast over several hops, so more than the usual 1. */
    public static final Setting<Integer> TTL = Setting.integer("xo.multicast.ttl", 8, 1, 255).unit("xo.unit.hops");
    /** The paper's 239.192.0.0 (organization-local scope); the room hash fills its 18 low bits. */
    public static final Setting<String> GROUP_BASE = Setting.groupBase("xo.multicast.group-base", "239.192.0.0");
    /** Name shown for this node; empty means the XMPP domain. */
    public static final Setting<String> NODE_NAME = Setting.text("xo.node.name", "");
    /** Random 64-bit id in hex, generated on first start and kept. */
    public static final Setting<String> NODE_ID = Setting.readOnly("xo.node.id");
    /** γ of the pacing timeout IMTimeout = γ · estimated RTT (Leggio and Kojo). */
    public static final Setting<Double> PACING_GAMMA = Setting.decimal("xo.pacing.gamma", 2.0, 1.0, 100.0);
    /**
     * Round-trip time the pacing timeout is based on. Multicast has no acknowledgements to measure it from (a
     * state request's first reply also carries the replier's own pacing and start-up delays), so it is set per
     * network: about 1 ms on a LAN, hundreds on tactical radios.
     */
    public static final Setting<Integer> PACING_RTT_MS = Setting.integer("xo.pacing.rtt-ms", 1, 0, 10_000).unit("xo.unit.ms");
    /** Upper bound of the pacing timeout, so interactivity never suffers more than this. */
    public static final Setting<Integer> PACING_MAX_DELAY_MS = Setting.integer("xo.pacing.max-delay-ms", 50, 0, 5000)
            .unit("xo.unit.ms");
    /** Payload bytes that make a full datagram: about one MTU. */
    public static final Setting<Integer> PACING_BUDGET_BYTES = Setting.integer("xo.pacing.budget-bytes", 1400, 256, 60000)
            .unit("xo.unit.bytes");
    public static final Setting<Boolean> COMPRESSION = Setting.flag("xo.compression", true);
    /** How many of its own recent messages a node repeats to a node that just opened the room. */
    public static final Setting<Integer> HISTORY_REPLAY = Setting.integer("xo.history.replay", 25, 0, 1000)
            .unit("xo.unit.messages");

    /**
     * Bounds of the room log, the events of every node in the rooms this node holds, kept in Openfire's database
     * across restarts ({@link DatabaseRoomLog}): per room, per origin node in a room (so that one chatty node cannot
     * push out everyone else's), and by age. Older events go first, at the next prune (once a minute).
     */
    public static final Setting<Integer> LOG_MAX_PER_ROOM = Setting.integer("xo.log.max-per-room", 10_000, 1, 1_000_000)
            .unit("xo.unit.events");
    public static final Setting<Integer> LOG_MAX_PER_ORIGIN =
            Setting.integer("xo.log.max-per-origin", 5_000, 1, 1_000_000).unit("xo.unit.events");
    public static final Setting<Integer> LOG_MAX_AGE_HOURS = Setting.integer("xo.log.max-age-hours", 72, 1, 87_600)
            .unit("xo.unit.hours");

    /** Beacons announce this node and its rooms to the network; off, nodes are never declared lost either. */
    public static final Setting<Boolean> DISCOVERY = Setting.flag("xo.discovery.enabled", true);
    /**
     * Periodic beacon interval. 10 s keeps ten rooms under 100 bytes/s on a radio link; changes (a new room, a
     * subject) are announced at once anyway.
     */
    public static final Setting<Integer> BEACON_INTERVAL_MS =
            Setting.integer("xo.discovery.beacon-interval-ms", 10_000, 50, 3_600_000).unit("xo.unit.ms");
    /**
     * Silence after which a node's occupants leave: 3.5 beacon intervals, so three beacons in a row must be lost
     * (at 20% radio loss that happens about 1 time in 125).
     */
    public static final Setting<Integer> NODE_TIMEOUT_MS =
            Setting.integer("xo.discovery.node-timeout-ms", 35_000, 100, 86_400_000).unit("xo.unit.ms");
    /**
     * How long the participants of a node that said goodbye (it stopped in order: a restart, an upgrade) stay in the
     * local rooms, waiting for its new run: those it announces again within the grace never leave, the others leave
     * then. 0 makes them leave at once. A node that goes silent without a goodbye is lost after the node timeout.
     */
    public static final Setting<Integer> RESTART_GRACE_SECONDS =
            Setting.integer("xo.restart.grace-seconds", 30, 0, 3600).unit("xo.unit.seconds");
    /** Well-known group of the beacons; multicast routing must carry it like the rooms' groups. */
    public static final Setting<String> CONTROL_GROUP = Setting.multicastGroup("xo.discovery.control-group", "239.192.255.250");
    /** DNS-SD (mDNS, _xo-overlay._udp) on the multicast interface's link as well as beacons; needs discovery on. */
    public static final Setting<Boolean> DNS_SD = Setting.flag("xo.discovery.dns-sd", true);

    /**
     * File of the overlay key ring (made with {@code bin/xo-node --generate-key FILE}, see
     * {@code org.xo.security.OverlayKeys}); empty for an open overlay that anyone on the network can read and speak
     * in. Every node of an overlay needs the same key. Applied in place (the file is read again whenever the
     * settings are applied, so a rotation is: replace the file's contents, then save the settings). With a key,
     * {@link #DNS_SD} is not used: its records are in clear and unauthenticated.
     */
    public static final Setting<String> KEY_FILE = Setting.keyFile("xo.security.key-file");

    /**
     * Envelopes taken from any one origin node per second (bursts of ten seconds' worth); beyond it they are dropped
     * and counted (guard.rate-limited). 500 is ten times a busy room; raise it for a node with thousands of occupants.
     */
    public static final Setting<Integer> ORIGIN_ENVELOPES_PER_SECOND =
            Setting.integer("xo.guard.origin-envelopes-per-second", EngineConfig.DEFAULT_ORIGIN_ENVELOPES_PER_SECOND,
                    10, 1_000_000).unit("xo.unit.envelopes-per-second");
    /**
     * Participants of other nodes one local room shows at the most, and all rooms together: further ones are not let
     * in (counted as inject.occupants-full), so that a flood of made-up occupants cannot fill a room or the memory.
     */
    public static final Setting<Integer> MAX_REMOTE_OCCUPANTS_PER_ROOM =
            Setting.integer("xo.guard.max-remote-occupants-per-room", 1_000, 1, 100_000).unit("xo.unit.occupants");
    public static final Setting<Integer> MAX_REMOTE_OCCUPANTS =
            Setting.integer("xo.guard.max-remote-occupants", 10_000, 1, 1_000_000).unit("xo.unit.occupants");
    /**
     * Gateway (XOG): the local name of the overlay room bridged with {@link #GATEWAY_FAR_ROOM} on a conventional
     * server, over server-to-server federation (Openfire's s2s must be on). Either empty: no bridge. Applied at once.
     */
    public static final Setting<String> GATEWAY_ROOM = Setting.text("xo.gateway.room", "");
    /** The far room's address, such as {@code lobby@conference.example.org}. */
    public static final Setting<String> GATEWAY_FAR_ROOM = Setting.text("xo.gateway.far-room", "");
    /** Nick of the bridge's own occupant in both rooms, the one that listens for the other side. */
    public static final Setting<String> GATEWAY_NICK = Setting.text("xo.gateway.nick", "xo-gateway");
    /** How often the far room is pinged (XEP-0199) while it answers; the longest retry delay while it does not. */
    public static final Setting<Integer> GATEWAY_PING_INTERVAL_S = Setting.integer("xo.gateway.ping-interval-s", 30, 1, 3600)
            .unit("xo.unit.seconds");

    /** Every setting, in the order the Settings page shows them. */
    public static final List<Setting<?>> ALL = List.of(ENABLED, NODE_NAME, NODE_ID, MUC_SERVICE, OVERLAY_SERVICE,
            INTERFACE, TRANSPORT, PORT, TTL, GROUP_BASE, PACING_GAMMA, PACING_RTT_MS, PACING_MAX_DELAY_MS, PACING_BUDGET_BYTES,
            COMPRESSION, HISTORY_REPLAY, LOG_MAX_PER_ROOM, LOG_MAX_PER_ORIGIN, LOG_MAX_AGE_HOURS, DISCOVERY,
            BEACON_INTERVAL_MS, NODE_TIMEOUT_MS, RESTART_GRACE_SECONDS, CONTROL_GROUP, DNS_SD, KEY_FILE,
            ORIGIN_ENVELOPES_PER_SECOND, MAX_REMOTE_OCCUPANTS_PER_ROOM, MAX_REMOTE_OCCUPANTS, GATEWAY_ROOM,
            GATEWAY_FAR_ROOM, GATEWAY_NICK, GATEWAY_PING_INTERVAL_S);

    private XoSettings() {
    }
}
