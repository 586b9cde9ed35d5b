package org.xo.openfire;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.dom4j.Element;
import org.jivesoftware.openfire.PacketRouter;
import org.jivesoftware.util.JiveGlobals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xmpp.component.Component;
import org.xmpp.component.ComponentManager;
import org.xmpp.packet.IQ;
import org.xmpp.packet.JID;
import org.xmpp.packet.Message;
import org.xmpp.packet.Packet;
import org.xmpp.packet.PacketError;
import org.xmpp.packet.Presence;
import org.xo.gateway.Backoff;
import org.xo.gateway.Bridge;

/**
 * The gateway's Openfire side: the component {@code gw.<domain>} whose addresses are the bridge's occupants in both
 * rooms, reaching the far room over Openfire's own server-to-server federation (dialback; TLS where both sides can).
 * <ul>
 * <li>{@code bridge@gw.<domain>/xo} and {@code bridge@gw.<domain>/far}: the bridge's listening occupant in the XO room
 * and in the far room, nick {@link XoSettings#GATEWAY_NICK}; each hears its room once.</li>
 * <li>{@code <XO nick, XEP-0106 escaped>@gw.<domain>/far}: an XO participant in the far room, under its XO nick.</li>
 * <li>{@code enterprise@gw.<domain>/<far nick>}: a far occupant in the XO room, under its far nick, as an Openfire deaf
 * occupant (the listener hears the room for it). Its presence and messages are mirrored onto the overlay like a local
 * client's ({@link OccupantMirror#mirrorStandIn}), so every XO node sees it.</li>
 * </ul>
 * The far room's health is checked with XEP-0410 self-pings (XEP-0199 ping to the listener's own occupant address):
 * a result means linked and seated; an error from the room means linked but not seated (the far server restarted):
 * enter again; no answer within the interval, or an error about the link, means the backhaul is down, so the far
 * occupants leave the XO room and checks continue with back-off ({@link Backoff}) until the far side answers again.
 *
 * <p>Election: several nodes may be configured for the same bridge (XO room and far room). Each names it in its
 * beacons; of the live nodes that do, the one with the lowest node id bridges, the others stand by, listening in the XO
 * room, and the next takes over when it is gone: lost after the node timeout ({@code xo.discovery.node-timeout-ms}),
 * or at once when it said goodbye or its bridge was switched off. A node waits {@link #FIRST_ELECTION_DELAY} after
 * its bridge starts, for the others' beacons (nodes answer a newcomer's first beacon with theirs). Without discovery
 * every gateway bridges. Whatever the election, no gateway carries another's occupants (see {@link Bridge}).
 *
 * <p>Threading: one thread ("xo-gateway") owns the {@link Bridge} and does all routing; what Openfire hands the
 * component only queues work there (Openfire 4.7+ routes a room's broadcasts under the room's lock).
 */
final class Gateway implements Component {
    private static final Logger Log = LoggerFactory.getLogger(Gateway.class);
    static final String SUBDOMAIN = "gw";
    private static final String BRIDGE_USER = "bridge";
    /** Resource of the far listener; also of every XO participant's stand-in in the far room. */
    private static final String FAR_SIDE = "far";
    private static final String XO_SIDE = "xo";
    private static final String ENTERPRISE_USER = "enterprise";
    private static final String MUC_NS = "http://jabber.org/protocol/muc";
    private static final String OPENFIRE_MUC_NS = "http://jivesoftware.org/protocol/muc";
    private static final String DELAY_NS = "urn:xmpp:delay";
    private static final String PING_NS = "urn:xmpp:ping";
    /** Time for the beacons of the other gateways for the bridge to arrive before this one is elected or not. */
    static final Duration FIRST_ELECTION_DELAY = Duration.ofSeconds(2);
    /** How often the election is looked at again: a takeover follows a loss within this. */
    private static final Duration ELECTION_INTERVAL = Duration.ofSeconds(1);
    /**
     * What a gateway standing by keeps of the XO room's talk beyond the node timeout: the one bridging may have gone
     * silent up to a node timeout before the takeover, and a bit before its last words crossed.
     */
    private static final Duration STANDBY_MARGIN = Duration.ofSeconds(5);
    /** A refused listener enters the XO room again after a room left locked by its creator is opened as instant. */
    private static final long LISTENER_REENTRY_MS = InstantRoomCompleter.GRACE_MS + 1_000;
    private static final int MAX_LISTENER_REFUSALS = 5;

    /** Where this node is in the election of the gateway that bridges. */
    private enum Role {
        /** Listening for the other gateways' beacons before the first election. */
        ELECTING,
        /** Another gateway bridges. */
        STANDING_BY,
        BRIDGING
    }

    /** What the settings ask for: the XO room's local name and the far room's address; null fields: no bridge. */
    record Wanted(String room, JID farRoom, String nick, Duration pingInterval) {
        static Wanted read() {
            String room = XoSettings.GATEWAY_ROOM.get();
            String far = XoSettings.GATEWAY_FAR_ROOM.get();
            if (room.isEmpty() || far.isEmpty()) {
                return null;
            }
            JID farRoom;
            try {
                farRoom = new JID(far);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Property " + XoSettings.GATEWAY_FAR_ROOM.key()
                        + " must be a room address such as room@conference.example.org, not '" + far + "'.", e);
            }
            if (farRoom.getNode() == null || farRoom.getResource() != null) {
                throw new IllegalArgumentException("Property " + XoSettings.GATEWAY_FAR_ROOM.key()
                        + " must be a room address such as room@conference.example.org, not '" + far + "'.");
            }
            return new Wanted(room, farRoom, XoSettings.GATEWAY_NICK.get(),
                    Duration.ofSeconds(XoSettings.GATEWAY_PING_INTERVAL_S.get()));
        }
    }

    private final Overlay overlay;
    private final OccupantMirror mirror;
    /** Knows which of the XO room's occupants are other gateways' (marked so by their presence). */
    private final Injector injector;
    private final BridgeStats stats;
    private final PacketRouter router;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "xo-gateway");
        t.setDaemon(true);
        return t;
    });
    private volatile String domain;

    // Owned by the gateway thread.
    private Wanted wanted;
    private Bridge bridge;
    private Backoff backoff;
    /** What the Status page shows of the bridge; null while none is configured. Written by the gateway thread. */
    private volatile StatusReport.Bridge status;
    private ScheduledFuture<?> nextCheck;
    private ScheduledFuture<?> nextElection;
    private Role role;
    /** The gateway that bridges while this one stands by. */
    private long activeGateway;
    /** Times the XO room refused the listener since the bridge started. */
    private int listenerRefusals;
    private String pendingPing;
    private long pings;
    private boolean s2sListening;
    /** The far room's occupants' roles there, by nick (gateway thread only). */
    private final Map<String, Stanzas.Rank> farRoles = new HashMap<>();

    Gateway(Overlay overlay, OccupantMirror mirror, Injector injector, BridgeStats stats, PacketRouter router) {
        this.overlay = overlay;
        this.mirror = mirror;
        this.injector = injector;
        this.stats = stats;
        this.router = router;
    }

    /** Starts, restarts or stops the bridge as the settings now say; only queues. */
    void apply() {
        submit(this::applyNow);
    }

    /**
     * The overlay started again, or stopped: the bridge starts over (its stand-ins' seats and rooms belonged to the
     * previous run), or stays stopped while the overlay is off. Only queues.
     */
    void restart() {
        submit(() -> {
            stopBridge();
            applyNow();
        });
    }

    /** The bridge's occupants leave both rooms; waits (bounded) for it: the plugin is going away. */
    void stop() {
        submit(this::stopBridge);
        thread.shutdown();
        try {
            if (!thread.awaitTermination(3, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void applyNow() {
        Wanted now;
        try {
            now = Wanted.read();
        } catch (IllegalArgumentException e) {
            stats.increment("gateway.errors");
            Log.warn("XO gateway not started: {}", e.getMessage());
            stopBridge();
            return;
        }
        if (now != null && now.equals(wanted)) {
            return;
        }
        stopBridge();
        if (now == null || domain == null || !overlay.isRunning()) {
            return;
        }
        wanted = now;
        overlay.grantSysadmin(new JID(BRIDGE_USER, domain, null)); // sets the subject for far occupants left unseated
        overlay.grantSysadmin(new JID(ENTERPRISE_USER, domain, null)); // enters whatever the room's defaults
        bridge = new Bridge(now.nick(), new FarRoom(), new XoRoom(), stats::increment);
        backoff = new Backoff(now.pingInterval());
        bridge.start();
        status = new StatusReport.Bridge(now.room(), now.farRoom().toBareJID(), false, System.currentTimeMillis(), "",
                0, "");
        Log.info("XO gateway: bridging room {} with {} as {} once elected", now.room(), now.farRoom(), domain);
        role = Role.ELECTING;
        listenerRefusals = 0;
        overlay.advertiseGateways(Set.of(electionKey()));
        nextElection = thread.schedule(() -> runGuarded(this::elect), FIRST_ELECTION_DELAY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** What the gateways for the same bridge name it by in their beacons: the overlay room and the far room. */
    private String electionKey() {
        // '>' is in no address: the key cannot be read two ways.
        return overlay.overlayJid(wanted.room(), null).toBareJID() + ">" + wanted.farRoom().toBareJID();
    }

    /** @return the live gateway for the bridge with the lowest node id, when that is another node; else null */
    private Long electedElsewhere() {
        long self = overlay.nodeId();
        return overlay.gatewayNodes(electionKey()).stream().filter(node -> Long.compareUnsigned(node, self) < 0)
                .min(Long::compareUnsigned).orElse(null);
    }

    /** Stands by while another gateway is elected, bridges (taking over, if one bridged) when none is. */
    private void elect() {
        if (bridge == null) {
            return;
        }
        Long elected = electedElsewhere();
        if (elected != null && (role != Role.STANDING_BY || elected != activeGateway)) {
            if (role == Role.BRIDGING) {
                stopBridging();
            }
            role = Role.STANDING_BY;
            activeGateway = elected;
            Duration nodeTimeout = Duration.ofMillis(XoSettings.NODE_TIMEOUT_MS.get());
            bridge.standBy(nodeTimeout.plus(ELECTION_INTERVAL).plus(STANDBY_MARGIN));
            stats.increment("gateway.standbys");
            Log.info("XO gateway: node {} bridges room {} with {}; standing by", Long.toHexString(elected),
                    wanted.room(), wanted.farRoom());
            statusChanged(false, null);
        } else if (elected == null && role != Role.BRIDGING) {
            if (role == Role.STANDING_BY) {
                bridge.takeOver();
                stats.increment("gateway.takeovers");
                Log.info("XO gateway: node {} no longer bridges room {}; taking over", Long.toHexString(activeGateway),
                        wanted.room());
            }
            role = Role.BRIDGING;
            statusChanged(false, null);
            check();
        }
        nextElection = thread.schedule(() -> runGuarded(this::elect), ELECTION_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Another gateway was elected: this one's health checks end (the bridge takes its occupants out of the far room). */
    private void stopBridging() {
        if (nextCheck != null) {
            nextCheck.cancel(false);
            nextCheck = null;
        }
        pendingPing = null;
        if (bridge.isFarUp()) {
            stats.add("gateway.far-up", -1);
        }
    }

    private void stopBridge() {
        if (nextElection != null) {
            nextElection.cancel(false);
            nextElection = null;
        }
        if (nextCheck != null) {
            nextCheck.cancel(false);
            nextCheck = null;
        }
        if (bridge != null) {
            overlay.advertiseGateways(Set.of()); // a gateway standing by takes over at once
            if (bridge.isFarUp()) {
                stats.add("gateway.far-up", -1);
            }
            bridge.stop();
            bridge = null;
        }
        wanted = null;
        role = null;
        pendingPing = null;
        status = null;
        farRoles.clear();
    }

    /** @return the bridge as the Status page shows it, or null when none is configured (or the overlay is off) */
    StatusReport.Bridge status() {
        return status;
    }

    private void statusChanged(boolean up, String error) {
        StatusReport.Bridge was = status;
        if (was == null) {
            return;
        }
        long now = System.currentTimeMillis();
        String standbyFor = role == Role.STANDING_BY ? Long.toHexString(activeGateway) : "";
        boolean changed = up != was.up() || !standbyFor.equals(was.standbyFor());
        status = new StatusReport.Bridge(was.room(), was.farRoom(), up, changed ? now : was.sinceMillis(),
                error == null ? was.lastError() : error, error == null ? was.lastErrorMillis() : now, standbyFor);
    }

    // ---- health --------------------------------------------------------------------------------------------------

    /** Pings the listener's own seat in the far room; an unanswered previous ping means the backhaul is down. */
    private void check() {
        if (bridge == null || role != Role.BRIDGING) {
            return;
        }
        if (!s2sListening) {
            s2sListening = s2sListenerAccepts();
            if (!s2sListening) {
                stats.increment("gateway.waiting-for-s2s");
                scheduleCheck(Duration.ofSeconds(1));
                return;
            }
        }
        if (pendingPing != null) {
            stats.increment("gateway.pings-missed");
            farDown("no answer to a ping within " + wanted.pingInterval().toSeconds() + " s");
        }
        IQ ping = new IQ(IQ.Type.get);
        ping.setID("xo-gw-ping-" + ++pings);
        ping.setFrom(farListener());
        ping.setTo(farOccupant(bridge.farListenerNick()));
        ping.setChildElement("ping", PING_NS);
        pendingPing = ping.getID();
        stats.increment("gateway.pings");
        route(ping);
        // A missed ping is only known when the next check finds it unanswered: the first retry waits one second.
        scheduleCheck(bridge.isFarUp() ? wanted.pingInterval() : backoff.next(false));
    }

    private void scheduleCheck(Duration delay) {
        if (nextCheck != null) {
            nextCheck.cancel(false);
        }
        nextCheck = thread.schedule(() -> runGuarded(this::check), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void pingAnswered(IQ answer) {
        pendingPing = null;
        PacketError error = answer.getError();
        boolean fromRoom = answer.getFrom() != null && answer.getFrom().toBareJID().equals(wanted.farRoom().toBareJID());
        if (error == null || fromRoom && isNotSeated(error.getCondition())) {
            if (error != null && bridge.isFarUp()) {
                farDown("the far room no longer has the bridge as an occupant");
            }
            if (!bridge.isFarUp()) {
                stats.add("gateway.far-up", 1);
                stats.increment("gateway.connects");
                Log.info("XO gateway: far room {} reachable, entering", wanted.farRoom());
                bridge.farUp();
                statusChanged(true, null);
                backoff.next(true);
                scheduleCheck(wanted.pingInterval());
            }
        } else {
            stats.increment("gateway.pings-failed");
            farDown("ping answered with " + error.getCondition());
        }
    }

    /**
     * The far server verifies this node's dialback key by connecting back to its s2s listener, which Openfire starts
     * after the plugins. Pinging before would have that verification refused, and Openfire 4.2 then holds everything
     * for the far domain until its dialback times out, minutes later.
     */
    private static boolean s2sListenerAccepts() {
        String address = JiveGlobals.getXMLProperty("network.interface");
        int port = JiveGlobals.getIntProperty("xmpp.server.socket.port", 5269);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address == null || address.isBlank()
                    ? InetAddress.getLoopbackAddress() : InetAddress.getByName(address), port), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isNotSeated(PacketError.Condition condition) {
        return condition == PacketError.Condition.not_acceptable || condition == PacketError.Condition.item_not_found
                || condition == PacketError.Condition.bad_request;
    }

    private void farDown(String why) {
        if (bridge.isFarUp()) {
            stats.add("gateway.far-up", -1);
            stats.increment("gateway.disconnects");
            Log.warn("XO gateway: far room {} lost ({}); retrying with back-off", wanted.farRoom(), why);
            bridge.farDown();
        }
        statusChanged(false, why);
    }

    // ---- stanzas in ----------------------------------------------------------------------------------------------

    @Override
    public void processPacket(Packet packet) {
        // A copy: Openfire's MUC readdresses the very packet object it broadcasts, to the next occupant, while this
        // thread's copy waits in the queue (seen as room traffic "to" local clients arriving here, on 4.2 and 5.1).
        Packet copy = packet.createCopy();
        submit(() -> receive(copy));
    }

    private void receive(Packet packet) {
        if (packet instanceof IQ iq) {
            receiveIq(iq);
            return;
        }
        if (bridge == null || packet.getFrom() == null || packet.getTo() == null) {
            return;
        }
        String fromRoom = packet.getFrom().toBareJID();
        boolean toListener = BRIDGE_USER.equals(packet.getTo().getNode());
        String nick = packet.getFrom().getResource();
        if (fromRoom.equals(wanted.farRoom().toBareJID())) {
            if (role != Role.BRIDGING) {
                return; // what the far room still says to a gateway that stopped bridging
            }
            if (isError(packet)) {
                refused(packet, nick, true);
            } else if (toListener && FAR_SIDE.equals(packet.getTo().getResource())) {
                heard(packet, nick, true);
            } else if (isPrivate(packet, nick) && FAR_SIDE.equals(packet.getTo().getResource())) {
                // To an XO participant's stand-in there: its node part is the participant's nick, escaped.
                bridge.farPrivate(nick, JID.unescapeNode(packet.getTo().getNode()), ((Message) packet).getBody());
            }
        } else if (fromRoom.equals(xoRoom(null).toBareJID())) {
            if (isError(packet)) {
                refused(packet, nick, false);
            } else if (toListener && XO_SIDE.equals(packet.getTo().getResource())) {
                heard(packet, nick, false);
            } else if (isPrivate(packet, nick) && ENTERPRISE_USER.equals(packet.getTo().getNode())) {
                bridge.xoPrivate(nick, packet.getTo().getResource(), ((Message) packet).getBody());
            }
        }
    }

    private void heard(Packet packet, String nick, boolean far) {
        if (packet instanceof Presence presence) {
            if (nick == null || presence.getType() != null && presence.getType() != Presence.Type.unavailable) {
                return;
            }
            boolean available = presence.getType() == null;
            if (nick.equals(wanted.nick()) && Stanzas.createdRoom(presence)) {
                completeInstantRoom(far);
            }
            if (far && !available && nick.equals(bridge.farListenerNick())) {
                // The bridge itself is out of the far room (the server shut down, a moderator kicked it, the room
                // was destroyed); a self-ping would not always tell: Prosody 0.12 answers one for a room it no
                // longer has with a result.
                farDown("the far room removed the bridge");
                scheduleCheck(backoff.next(false));
                return;
            }
            if (far) {
                // Its stand-in carries the far room's role onto the overlay: a far moderator's subject applies.
                Stanzas.Rank rank = available ? Stanzas.roomRank(presence.getElement()) : null;
                if (rank != null && Stanzas.TRAVELLING_ROLES.contains(rank.role())) {
                    farRoles.put(nick, rank);
                } else {
                    farRoles.remove(nick);
                }
                bridge.farPresence(nick, available);
            } else if (available ? injector.isGatewayOccupant(wanted.room(), nick)
                    : bridge.isOtherGatewaysOccupant(nick)) {
                bridge.otherGatewaysOccupant(nick, available);
            } else {
                bridge.xoPresence(nick, available);
            }
        } else if (packet instanceof Message message && message.getType() == Message.Type.groupchat
                && message.getChildElement("delay", DELAY_NS) != null) {
            // The rooms' history, sent on entry: said before, not now; but the far room's history after an outage
            // is what the outage hid.
            if (far && message.getBody() != null && nick != null && bridge.isFarHistoryComing()) {
                Instant saidAt = stampOf(message.getChildElement("delay", DELAY_NS));
                if (saidAt != null) {
                    bridge.farHistory(nick, message.getBody(), saidAt);
                }
            } else if (far && message.getSubject() != null) {
                bridge.farHistoryEnded();
            }
        } else if (packet instanceof Message message && message.getType() == Message.Type.groupchat) {
            String who = nick == null ? "" : nick;
            if (far && message.getBody() == null && message.getSubject() != null) {
                bridge.farHistoryEnded(); // the subject follows the history on entry (XEP-0045 7.2.15)
            }
            if (message.getBody() != null) {
                if (far) {
                    bridge.farMessage(who, message.getBody());
                } else {
                    bridge.xoMessage(who, message.getBody());
                }
            } else if (message.getSubject() != null) {
                if (far) {
                    bridge.farSubject(who, message.getSubject());
                } else {
                    bridge.xoSubject(who, message.getSubject());
                }
            }
        }
    }

    /** @return the time of an XEP-0203 delay, or null when its stamp is no XEP-0082 date and time */
    private static Instant stampOf(Element delay) {
        try {
            return OffsetDateTime.parse(delay.attributeValue("stamp", "")).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** An error from a room about one of the bridge's stand-ins: its entry was refused (nick taken, room closed). */
    private void refused(Packet packet, String nick, boolean far) {
        stats.increment("gateway.errors");
        Log.info("XO gateway: {} room refused {}: {}", far ? "far" : "XO", packet.getTo(), packet.toXML());
        PacketError error = packet.getError();
        statusChanged(status != null && status.up(), (far ? "the far room" : "the XO room") + " refused "
                + packet.getTo() + (error == null ? "" : ": " + error.getCondition()));
        if (!(packet instanceof Presence) || nick == null) {
            return;
        }
        if (!far && BRIDGE_USER.equals(packet.getTo().getNode()) && nick.equals(wanted.nick())
                && listenerRefusals++ < MAX_LISTENER_REFUSALS) {
            // The XO room refused the listener: a client created it a moment before and has not opened it yet
            // (item-not-found on 4.2), say. It enters again once such a room is opened for good.
            Bridge refusedOne = bridge;
            thread.schedule(() -> runGuarded(() -> {
                if (bridge == refusedOne) {
                    bridge.start();
                }
            }), LISTENER_REENTRY_MS, TimeUnit.MILLISECONDS);
            return;
        }
        if (far && BRIDGE_USER.equals(packet.getTo().getNode()) && nick.equals(wanted.nick())
                && nick.equals(bridge.farListenerNick()) && error != null
                && error.getCondition() == PacketError.Condition.conflict) {
            // The nick is held there, by a gateway gone silent that the far server has not seen leave yet, say.
            String hex = Long.toHexString(overlay.nodeId());
            String other = wanted.nick() + "-" + hex.substring(Math.max(0, hex.length() - 4));
            Log.info("XO gateway: far room {} holds nick {}; entering as {}", wanted.farRoom(), nick, other);
            bridge.farListenerRefused(other);
            return;
        }
        if (far) {
            bridge.farRefused(nick);
        } else {
            bridge.xoRefused(nick);
        }
    }

    private void receiveIq(IQ iq) {
        if (iq.getType() == IQ.Type.result || iq.getType() == IQ.Type.error) {
            if (bridge != null && iq.getID() != null && iq.getID().equals(pendingPing)) {
                pingAnswered(iq);
            }
            return;
        }
        IQ reply = IQ.createResultIQ(iq);
        Element query = iq.getChildElement();
        if (query == null || !PING_NS.equals(query.getNamespaceURI())) {
            // Pings (rooms checking their occupants) get an empty result; nothing else is offered.
            if (query != null) {
                reply.setChildElement(query.createCopy());
            }
            reply.setError(PacketError.Condition.service_unavailable);
        }
        route(reply);
    }

    /** @return whether a room relays an occupant's private message (XEP-0045 7.5) with a body */
    private static boolean isPrivate(Packet packet, String fromNick) {
        return packet instanceof Message m && fromNick != null && m.getBody() != null
                && (m.getType() == Message.Type.chat || m.getType() == Message.Type.normal);
    }

    private static boolean isError(Packet packet) {
        return packet instanceof Presence p && p.getType() == Presence.Type.error
                || packet instanceof Message m && m.getType() == Message.Type.error;
    }

    /** The listener created the room: it opens it as an instant room (XEP-0045 10.1.2) rather than leave it locked. */
    private void completeInstantRoom(boolean far) {
        route(Stanzas.instantRoomRequest(far ? farListener() : xoListener(), far ? wanted.farRoom() : xoRoom(null)));
    }

    // ---- stanzas out ---------------------------------------------------------------------------------------------

    private JID farListener() {
        return new JID(BRIDGE_USER, domain, FAR_SIDE);
    }

    private JID xoListener() {
        return new JID(BRIDGE_USER, domain, XO_SIDE);
    }

    private JID farStandIn(String xoNick) {
        return new JID(JID.escapeNode(xoNick), domain, FAR_SIDE);
    }

    private JID xoStandIn(String farNick) {
        return new JID(ENTERPRISE_USER, domain, farNick);
    }

    private JID farOccupant(String nick) {
        return new JID(wanted.farRoom().getNode(), wanted.farRoom().getDomain(), nick);
    }

    private JID xoRoom(String nick) {
        return overlay.localRoomJid(wanted.room(), nick);
    }

    /** An entry without history: what the room said before is not news to the other side. */
    private static Presence entry(JID from, JID to) {
        return entry(from, to, null);
    }

    /** An entry with the room's history since a time (XEP-0045 7.2.14), or none when {@code since} is null. */
    private static Presence entry(JID from, JID to, Instant since) {
        Presence presence = new Presence();
        presence.setFrom(from);
        presence.setTo(to);
        Element history = presence.addChildElement("x", MUC_NS).addElement("history");
        if (since == null) {
            history.addAttribute("maxstanzas", "0");
        } else {
            history.addAttribute("since", since.truncatedTo(ChronoUnit.SECONDS).toString());
        }
        return presence;
    }

    private static Presence departure(JID from, JID to) {
        Presence presence = new Presence(Presence.Type.unavailable);
        presence.setFrom(from);
        presence.setTo(to);
        return presence;
    }

    private static Message privateMessage(JID from, JID to, String body) {
        Message message = new Message();
        message.setType(Message.Type.chat);
        message.setFrom(from);
        message.setTo(to);
        message.setBody(body);
        message.addChildElement("x", MUC_NS + "#user"); // XEP-0045 7.5: a private message within a room
        return message;
    }

    private static Message groupchat(JID from, JID room) {
        Message message = new Message();
        message.setType(Message.Type.groupchat);
        message.setFrom(from);
        message.setTo(room);
        return message;
    }

    private final class FarRoom implements Bridge.Room {
        @Override
        public void enter(Instant historySince) {
            route(entry(farListener(), farOccupant(bridge.farListenerNick()), historySince));
        }

        @Override
        public void join(String nick) {
            route(entry(farStandIn(nick), farOccupant(nick)));
        }

        @Override
        public void leave(String nick) {
            JID from = nick.equals(bridge.farListenerNick()) ? farListener() : farStandIn(nick);
            route(departure(from, farOccupant(nick)));
        }

        @Override
        public void say(String nick, String body, Instant saidAt) {
            Message message = groupchat(farStandIn(nick), wanted.farRoom());
            message.setBody(body);
            if (saidAt != null) {
                Stanzas.addDelay(message, saidAt, xoRoom(null));
            }
            route(message);
        }

        @Override
        public void privately(String from, String to, String body) {
            route(privateMessage(farStandIn(from), farOccupant(to), body));
        }

        @Override
        public void subject(String nick, String subject) {
            Message message = groupchat(nick == null ? farListener() : farStandIn(nick), wanted.farRoom());
            message.setSubject(subject);
            route(message);
        }
    }

    /**
     * Stand-ins enter and speak in the local copy of the XO room, and are mirrored onto the overlay like local clients.
     * Mirrored before routing: the room readdresses the very message object it broadcasts.
     */
    private final class XoRoom implements Bridge.Room {
        @Override
        public void enter(Instant historySince) {
            Presence entry = entry(xoListener(), xoRoom(wanted.nick()));
            // It sets the far room's subject for far occupants not seated; it owns nothing. Marked as a gateway's.
            mirror.mirrorStandIn(entry, new Stanzas.Rank("moderator", "none"), wanted.farRoom().toBareJID());
            route(entry);
        }

        @Override
        public void join(String nick) {
            Presence entry = entry(xoStandIn(nick), xoRoom(nick));
            entry.addChildElement("x", OPENFIRE_MUC_NS).addElement("deaf-occupant");
            mirror.mirrorStandIn(entry, farRoles.get(nick), wanted.farRoom().toBareJID());
            route(entry);
        }

        @Override
        public void leave(String nick) {
            Presence departure = departure(nick.equals(wanted.nick()) ? xoListener() : xoStandIn(nick), xoRoom(nick));
            mirror.mirrorStandIn(departure, null, null);
            route(departure);
        }

        @Override
        public void say(String nick, String body, Instant saidAt) {
            Message message = groupchat(xoStandIn(nick), xoRoom(null));
            message.setBody(body);
            if (saidAt != null) {
                Stanzas.addDelay(message, saidAt, wanted.farRoom());
            }
            mirror.mirrorStandIn(message, null, null);
            route(message);
        }

        /** Through the local room, which hands it to a local user or to the overlay for a remote participant. */
        @Override
        public void privately(String from, String to, String body) {
            route(privateMessage(xoStandIn(from), xoRoom(to), body));
        }

        @Override
        public void subject(String nick, String subject) {
            Message message = groupchat(nick == null ? xoListener() : xoStandIn(nick), xoRoom(null));
            message.setSubject(subject);
            mirror.mirrorStandIn(message, null, null);
            route(message);
        }
    }

    private void route(Packet packet) {
        try {
            router.route(packet);
        } catch (RuntimeException e) {
            stats.increment("gateway.errors");
            Log.warn("XO gateway could not route {}", packet.toXML(), e);
        }
    }

    private void submit(Runnable task) {
        try {
            thread.execute(() -> runGuarded(task));
        } catch (RejectedExecutionException stopping) {
            // the plugin is going away
        }
    }

    private void runGuarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            stats.increment("gateway.errors");
            Log.warn("XO gateway error", e);
        }
    }

    @Override
    public String getName() {
        return "XO gateway";
    }

    @Override
    public String getDescription() {
        return "XO gateway: participants of a bridged room on another server";
    }

    @Override
    public void initialize(JID jid, ComponentManager componentManager) {
        domain = jid.getDomain();
    }

    @Override
    public void start() {
    }

    @Override
    public void shutdown() {
    }
}
