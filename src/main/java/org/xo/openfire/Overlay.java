package org.xo.openfire;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jivesoftware.openfire.XMPPServer;
import org.jivesoftware.openfire.muc.MultiUserChatService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xmpp.packet.JID;
import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.core.OverlayRoom;
import org.xo.discovery.RoomInfo;
import org.xo.engine.EngineConfig;
import org.xo.engine.EngineListener;
import org.xo.engine.XoEngine;
import org.xo.sync.RoomLog;

/**
 * The Openfire side's handle on the XO engine: maps local room names to overlay addresses and back, and owns the
 * engine's life (start, settings applied in place, stop; {@link SettingsApplier} decides which). Room names here are
 * local MUC room names (the node part of {@code room@conference.<domain>}); the engine only ever sees overlay
 * addresses.
 */
final class Overlay {
    private static final Logger Log = LoggerFactory.getLogger(Overlay.class);

    private final String xmppDomain;
    private final BridgeStats bridgeStats;
    /** The node's room log: outlives engine runs, as it outlives restarts. */
    private final DatabaseRoomLog roomLog;
    private volatile XoEngine engine;
    /** Private rooms kept off the open overlay: local room name → why (see {@link #openRoom}). */
    private final Map<String, String> withheld = new ConcurrentHashMap<>();
    /** Carried rooms' configuration as last given, taken or published: local room name → it. */
    private final Map<String, KnownConfiguration> configurations = new ConcurrentHashMap<>();
    private volatile String mucSubdomain;
    private volatile String overlayService;
    private volatile long nodeId;
    /** Why the last start failed, for the Status page; null after a successful start. */
    private volatile String startFailure;
    /** The running engine's transport, as {@link XoSettings#TRANSPORT} names it. */
    private volatile String transport;

    Overlay(String xmppDomain, BridgeStats bridgeStats, DatabaseRoomLog roomLog) {
        this.xmppDomain = xmppDomain;
        this.bridgeStats = bridgeStats;
        this.roomLog = roomLog;
    }

    /**
     * What the properties ask of the overlay: which local MUC service's rooms are overlay rooms, under which overlay
     * service, over which transport ({@code udp} or {@code norm}), and the engine's settings.
     */
    record Wanted(String mucService, String overlayService, String transport, EngineConfig engine) {
    }

    /**
     * Reads the properties (and stores a new node id on first use). Call it outside any lock of XO's: it calls
     * Openfire.
     *
     * @throws IllegalArgumentException with one sentence naming the property that is invalid
     */
    Wanted readSettings() {
        String muc = XoSettings.MUC_SERVICE.get();
        if (muc.isEmpty() || XMPPServer.getInstance().getMultiUserChatManager().getMultiUserChatService(muc) == null) {
            throw new IllegalArgumentException("Property " + XoSettings.MUC_SERVICE.key() + " must name a MUC service"
                    + " of this server by its subdomain (such as conference), not '" + muc + "'.");
        }
        String service = XoSettings.OVERLAY_SERVICE.get();
        try {
            service = OverlayRoom.of("x", service).service();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Property " + XoSettings.OVERLAY_SERVICE.key() + ": " + e.getMessage(),
                    e);
        }
        String nodeName = XoSettings.NODE_NAME.get().isEmpty() ? xmppDomain : XoSettings.NODE_NAME.get();
        return new Wanted(muc, service, XoSettings.TRANSPORT.get(), EngineFactory.config(loadOrCreateNodeId(), nodeName, service));
    }

    /**
     * Starts a new engine, a new run of this node (stopping the previous one).
     *
     * @throws IOException when the multicast socket cannot be opened
     */
    void start(EngineListener listener, Wanted wanted) throws IOException {
        XoEngine started = EngineFactory.create(wanted.transport(), wanted.engine(), listener, roomLog);
        synchronized (this) {
            stop();
            mucSubdomain = wanted.mucService();
            overlayService = wanted.overlayService();
            transport = wanted.transport();
            nodeId = wanted.engine().nodeId();
            started.start();
            engine = started;
            startFailure = null;
        }
        Log.info("XO overlay running as node {} ({}), rooms of {}.{} mirrored as <room>@{}",
                wanted.engine().nodeName(), Long.toHexString(nodeId), mucSubdomain, xmppDomain, overlayService);
    }

    /** @return the room log while the overlay runs, null otherwise (rooms are then plain Openfire rooms) */
    RoomLog roomLog() {
        return engine == null ? null : roomLog;
    }

    boolean isRunning() {
        return engine != null;
    }

    /**
     * @return whether the running engine will say goodbye when it stops (discovery on), which the other nodes take as
     * "this run ended, it may come back"
     */
    boolean saysGoodbyeOnStop() {
        XoEngine running = engine;
        return running != null && running.config().discovery();
    }

    /** @return the subdomain of the MUC service whose rooms are overlay rooms (null before the first start) */
    String mucSubdomain() {
        return mucSubdomain;
    }

    /** @return whether these settings make other rooms overlay rooms (another MUC or overlay service) */
    boolean changesRooms(Wanted wanted) {
        return !wanted.mucService().equals(mucSubdomain) || !wanted.overlayService().equals(overlayService);
    }

    /** @return whether the wanted transport is another one than the running engine's (nodes on each hear only theirs) */
    boolean changesTransport(Wanted wanted) {
        return !wanted.transport().equals(transport);
    }

    /**
     * Applies settings that keep the same rooms to the running engine, as the same node and run.
     *
     * @return what changed (empty when nothing did)
     * @throws IOException when the new transport cannot start or join the control group; the engine runs on as before
     * @throws IllegalStateException when the overlay is not running
     */
    List<String> reconfigure(Wanted wanted) throws IOException {
        XoEngine running = engine;
        if (running == null) {
            throw new IllegalStateException("The overlay is not running.");
        }
        try {
            return running.reconfigure(wanted.engine(),
                    udp -> EngineFactory.transport(wanted.transport(), udp, wanted.engine()));
        } catch (IOException e) {
            throw new IOException("The new multicast settings cannot be used (" + String.join(", ",
                    running.config().differencesTo(wanted.engine())) + "): " + e.getMessage(), e);
        }
    }

    synchronized void stop() {
        XoEngine running = engine;
        engine = null;
        withheld.clear(); // the next run decides again as it opens the rooms
        if (running != null) {
            running.close();
        }
    }

    /** Stops the engine and waits, up to {@code wait}, until none of its threads runs: for an unload. */
    void stopAndAwait(Duration wait) throws InterruptedException {
        XoEngine running;
        synchronized (this) {
            running = engine;
            stop();
        }
        if (running != null && !running.awaitTermination(wait)) {
            Log.warn("XO: the overlay's DNS-SD goodbye still runs after {} s; its thread outlives the plugin",
                    wait.toSeconds());
        }
    }

    /** The node id is random on first start and then kept, so other nodes recognise this node across restarts. */
    private static long loadOrCreateNodeId() {
        String stored = XoSettings.NODE_ID.get();
        if (!stored.isEmpty()) {
            try {
                return Long.parseUnsignedLong(stored, 16);
            } catch (NumberFormatException e) {
                Log.warn("XO: property {} is not a hex number ('{}'); generating a new node id", XoSettings.NODE_ID.key(), stored);
            }
        }
        long id = new SecureRandom().nextLong();
        Setting.store(XoSettings.NODE_ID.key(), Long.toHexString(id));
        return id;
    }

    long nodeId() {
        return nodeId;
    }

    /** Records why the overlay did not start (the Status page shows it until a start succeeds). */
    void startFailed(Exception cause) {
        startFailure = cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }

    /** @return why the last start failed, or null */
    String startFailure() {
        return startFailure;
    }

    /** @return the running engine, for read-only views (the Status page), or null while the overlay is off */
    XoEngine engine() {
        return engine;
    }

    boolean isLocalMucDomain(String domain) {
        return domain.equals(mucSubdomain + "." + xmppDomain);
    }

    boolean hasLocalRoom(String room) {
        MultiUserChatService service = mucService();
        return service != null && service.hasChatRoom(room);
    }

    private MultiUserChatService mucService() {
        return XMPPServer.getInstance().getMultiUserChatManager().getMultiUserChatService(mucSubdomain);
    }

    /**
     * @return the occupants of this server's users that the overlay rooms hold already (see {@link RoomsInUse})
     * @throws ReflectiveOperationException when this Openfire's MUC classes have none of the getters used
     */
    List<RoomsInUse.Occupant> occupantsAlreadyThere() throws ReflectiveOperationException {
        MultiUserChatService service = mucService();
        return service == null ? List.of() : RoomsInUse.of(service, user -> xmppDomain.equals(user.getDomain()));
    }

    /**
     * Gives an occupant of a local overlay room a role in the room's own name (see {@link RoomActions}).
     *
     * @return whether the room exists and took it
     * @throws ReflectiveOperationException when the room refused, or this Openfire lacks the method
     */
    boolean grantRole(String room, JID occupant, String role) throws ReflectiveOperationException {
        MultiUserChatService service = mucService();
        return service != null && RoomActions.grant(service, room, occupant, role);
    }

    /**
     * Kicks (or bans) one of this node's users from a local overlay room in the room's name, for a moderator of another
     * node (see {@link RoomActions}).
     *
     * @return whether the room exists and took it
     * @throws ReflectiveOperationException when the room refused (an owner cannot be kicked), or this Openfire lacks
     *                                      the method
     */
    boolean takeOut(String room, JID user, boolean ban, JID actor, String actorNick, String reason)
            throws ReflectiveOperationException {
        MultiUserChatService service = mucService();
        if (service == null) {
            return false;
        }
        return ban ? RoomActions.ban(service, room, user, actor, reason)
                : RoomActions.kick(service, room, user, actor, actorNick, reason);
    }

    /**
     * Destroys a local overlay room in its own name: its owner on another node destroyed theirs.
     *
     * @return whether the room existed and is gone
     * @throws ReflectiveOperationException when this Openfire lacks the method, or the room refused
     */
    boolean destroyRoom(String room, String reason) throws ReflectiveOperationException {
        MultiUserChatService service = mucService();
        return service != null && RoomActions.destroy(service, room, reason);
    }

    /** @return whether every datagram of the overlay is sealed with its key (so every node speaking is a key holder) */
    boolean isKeyed() {
        XoEngine running = engine;
        return running != null && running.config().overlayKeys() != null;
    }

    /**
     * A configuration and where it came from.
     *
     * @param version the CONFIG envelope that gave or published it; null for the room's own, never sent
     */
    record KnownConfiguration(RoomConfiguration configuration, Envelope version) {
    }

    /** @return the room's configuration as last given, taken or published, or null when there is none yet */
    KnownConfiguration knownConfiguration(String room) {
        return configurations.get(room);
    }

    /** Notes the room's configuration as it stands now, without sending it. */
    void noteConfiguration(String room, RoomConfiguration configuration) {
        configurations.put(room, new KnownConfiguration(configuration, null));
    }

    /**
     * @return the configuration of a local room as Openfire holds it now, or null when there is no such room or it
     * cannot be read (logged)
     */
    RoomConfiguration roomConfiguration(String room) {
        MultiUserChatService service = mucService();
        Object openfireRoom = service == null ? null : service.getChatRoom(room);
        if (openfireRoom == null) {
            return null;
        }
        try {
            return RoomConfiguration.of(openfireRoom);
        } catch (ReflectiveOperationException e) {
            Log.warn("XO cannot read the configuration of room {}", room, e);
            return null;
        }
    }

    /**
     * Sends the room's configuration to the other nodes (without its privacy on an open overlay).
     *
     * @param nick an owner of the room seated here, or empty
     */
    void publishConfiguration(String room, String nick, RoomConfiguration configuration) {
        XoEngine running = engine;
        if (running == null || withheld.containsKey(room)) {
            return;
        }
        RoomConfiguration travelling = isKeyed() ? configuration : configuration.withoutPrivacy();
        try {
            Envelope sent = running.publish(overlayRoom(room), nick, Kind.CONFIG, travelling.toForm());
            configurations.put(room, new KnownConfiguration(configuration, sent));
            bridgeStats.increment("mirrored.configuration");
        } catch (IllegalArgumentException | IllegalStateException e) {
            Log.warn("XO did not send the configuration of room {}", room, e);
        }
    }

    /**
     * Gives a local room the configuration its owner gave it on another node, unless a later one is known (so that
     * every node ends with the same: the latest by origin time, then node).
     *
     * @return whether it was applied; false for an earlier one, or when the room is gone
     * @throws ReflectiveOperationException when this Openfire lacks a setter, or the room refused
     */
    boolean configure(String room, RoomConfiguration configuration, Envelope version)
            throws ReflectiveOperationException {
        KnownConfiguration known = configurations.get(room);
        if (known != null && known.version() != null && !version.isLaterThan(known.version())) {
            return false;
        }
        MultiUserChatService service = mucService();
        if (service == null || !RoomActions.configure(service, room, configuration)) {
            return false;
        }
        RoomConfiguration now = roomConfiguration(room);
        configurations.put(room, new KnownConfiguration(now != null ? now : configuration, version));
        return true;
    }

    /** @return the local room's password, or null when it has none (or does not exist) */
    String roomPassword(String room) {
        RoomConfiguration c = roomConfiguration(room);
        return c == null ? null : c.privacy().password();
    }

    /** Makes a user a member of a local room, in the room's name (see {@link RoomActions#addMember}). */
    boolean addMember(String room, JID user) throws ReflectiveOperationException {
        MultiUserChatService service = mucService();
        return service != null && RoomActions.addMember(service, room, user);
    }

    /** Makes a bare JID a sysadmin of the overlay MUC service (the gateway's stand-ins; see {@link Gateway}). */
    void grantSysadmin(JID user) {
        MultiUserChatService service = requireMucService();
        if (!service.isSysadmin(user)) {
            service.addSysadmin(user);
        }
    }

    private MultiUserChatService requireMucService() {
        MultiUserChatService service = mucService();
        if (service == null) {
            throw new IllegalArgumentException("There is no MUC service '" + mucSubdomain + "' on this server (property "
                    + XoSettings.MUC_SERVICE.key() + ").");
        }
        return service;
    }

    /** @throws IllegalArgumentException when the overlay's MUC service does not exist */
    void revokeSysadmin(JID user) {
        MultiUserChatService service = requireMucService();
        if (service.isSysadmin(user)) {
            service.removeSysadmin(user);
        }
    }

    JID localRoomJid(String room, String nick) {
        return new JID(room, mucSubdomain + "." + xmppDomain, nick, true);
    }

    JID overlayJid(String room, String nick) {
        return new JID(room, overlayService, nick, true);
    }

    /**
     * @return who assigns stanza-ids (XEP-0359) to a room's messages: the local room, and the overlay room that XO's
     * ids travel under into the local room (see {@link OccupantMirror})
     */
    List<JID> stanzaIdAssigners(String room) {
        return List.of(localRoomJid(room, null), overlayJid(room, null));
    }

    String overlayRoom(String room) {
        return OverlayRoom.of(room, overlayService).toString();
    }

    /** @return the local room name of an overlay address, or null when it is not of this node's overlay service */
    String localRoomName(String overlayAddress) {
        try {
            OverlayRoom room = OverlayRoom.parse(overlayAddress);
            return room.service().equals(overlayService) ? room.name() : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Opens the room on the overlay, unless its configuration keeps it private and the overlay is open (no key): then
     * it stays a room of this node alone, listed as not carried with the reason.
     */
    void openRoom(String room) {
        XoEngine running = engine;
        if (running == null) {
            return;
        }
        String why = whyWithheld(room);
        if (why != null) {
            if (withheld.put(room, why) == null) {
                Log.info("XO does not mirror room {}: {}", room, why);
            }
            return;
        }
        withheld.remove(room);
        running.openRoom(overlayRoom(room)); // a room the overlay cannot carry is logged and listed by the engine
    }

    /**
     * @return why the room must stay off the overlay (a private room on an open overlay), or null; a room whose
     * configuration cannot be read is treated as private
     */
    String whyWithheld(String room) {
        XoEngine running = engine;
        MultiUserChatService service = mucService();
        if (running == null || running.config().overlayKeys() != null || service == null) {
            return null;
        }
        Object openfireRoom = service.getChatRoom(room);
        if (openfireRoom == null) {
            return null;
        }
        try {
            String why = RoomConfiguration.of(openfireRoom).privacy().why();
            return why == null ? null : why + " rooms are not mirrored on an open overlay (no "
                    + XoSettings.KEY_FILE.key() + ")";
        } catch (ReflectiveOperationException e) {
            Log.warn("XO cannot read the configuration of room {}; it stays off the open overlay", room, e);
            return "its configuration cannot be read, and the overlay is open";
        }
    }

    /** @return whether the room is kept off the overlay because it is private (see {@link #openRoom}) */
    boolean isWithheld(String room) {
        return withheld.containsKey(room);
    }

    /**
     * A room carried so far became private on an open overlay: it leaves the overlay (the caller announced its local
     * occupants' departures and took the remote ones out).
     */
    void withhold(String room, String why) {
        withheld.put(room, why);
        configurations.remove(room);
        Log.info("XO stops mirroring room {}: {}", room, why);
        closeEngineRoom(room);
    }

    /** @return whether the overlay runs and has the local room open without carrying it (see {@link #uncarriedRooms}) */
    boolean isUncarried(String room) {
        XoEngine running = engine;
        return running != null && (withheld.containsKey(room)
                || running.uncarriedRooms().containsKey(overlayRoom(room)));
    }

    /**
     * @return overlay rooms open here that the overlay does not carry, with the reason: their multicast group could not
     * be joined, or they are private on an open overlay
     */
    Map<String, String> uncarriedRooms() {
        XoEngine running = engine;
        if (running == null) {
            return Map.of();
        }
        Map<String, String> all = new LinkedHashMap<>(running.uncarriedRooms());
        withheld.forEach((room, why) -> all.put(overlayRoom(room), why));
        return all;
    }

    void closeRoom(String room) {
        configurations.remove(room); // a room made anew here starts from its own configuration again
        if (withheld.remove(room) == null) {
            closeEngineRoom(room);
        }
    }

    private void closeEngineRoom(String room) {
        XoEngine running = engine;
        if (running != null) {
            try {
                running.closeRoom(overlayRoom(room));
            } catch (IOException e) {
                Log.warn("XO could not leave the multicast group of room {}", room, e);
            }
        }
    }

    /** @return false when the envelope was refused (too large for the wire format); the engine counts and logs it */
    boolean publish(String room, String nick, Kind kind, String stanza) {
        XoEngine running = engine;
        if (running == null || withheld.containsKey(room)) {
            return true;
        }
        try {
            running.publish(overlayRoom(room), nick, kind, stanza);
            return true;
        } catch (IllegalArgumentException | IllegalStateException e) {
            Log.warn("XO did not send a {} from {} in {}", kind, nick, room, e);
            return false;
        }
    }

    /**
     * Holds the room's next overlay seq for a message the room is about to process (see {@link OccupantMirror}).
     *
     * @return the hold, or null when the overlay is off or does not carry the room, or the room stays held by another
     * message for {@link #HOLD_WAIT}
     */
    XoEngine.StreamHold holdStream(String room) {
        XoEngine running = engine;
        return running == null ? null : running.holdStream(overlayRoom(room), HOLD_WAIT);
    }

    /** How long a message waits for the one before it in the same room to be published: they take milliseconds. */
    private static final Duration HOLD_WAIT = Duration.ofSeconds(1);

    /**
     * Publishes the held event, as {@link #publish(String, String, Kind, String)} does; counts
     * mirror.stanza-id-mismatch when the hold was broken meanwhile, so that the local copies showed another id.
     *
     * @return false when the envelope was refused (too large for the wire format); the engine counts and logs it
     */
    boolean publish(XoEngine.StreamHold hold, String room, String nick, Kind kind, String stanza) {
        try {
            Envelope sent = hold.publish(nick, kind, stanza);
            if (sent != null) {
                if (!sent.overlayId().equals(hold.overlayId())) {
                    bridgeStats.increment("mirror.stanza-id-mismatch");
                }
            }
            return true;
        } catch (IllegalArgumentException | IllegalStateException e) {
            Log.warn("XO did not send a {} from {} in {}", kind, nick, room, e);
            return false;
        }
    }

    /** @return rooms other live nodes announce, on this node's overlay service (empty while the overlay is off) */
    List<RoomInfo> remoteRooms() {
        XoEngine running = engine;
        if (running == null) {
            return List.of();
        }
        return running.directory().rooms().stream()
                .filter(r -> localRoomName(r.room()) != null)
                .toList();
    }

    /** This node's beacons name the bridges it is configured for (none while the overlay is off). */
    void advertiseGateways(Set<String> keys) {
        XoEngine running = engine;
        if (running != null) {
            running.advertiseGateways(keys);
        }
    }

    /** @return the live other nodes whose beacons name that bridge, by id (empty while the overlay is off) */
    List<Long> gatewayNodes(String key) {
        XoEngine running = engine;
        if (running == null) {
            return List.of();
        }
        return running.directory().nodes().stream().filter(n -> n.info().gateways().contains(key))
                .map(n -> n.info().nodeId()).toList();
    }

    /** Engine and bridge counters together, for the status page and the stats query. */
    Map<String, Long> counters() {
        Map<String, Long> all = new LinkedHashMap<>();
        all.put("node.id", nodeId);
        XoEngine running = engine;
        if (running != null) {
            all.put("node.epoch", (long) running.originEpoch());
            all.putAll(running.stats().snapshot());
            all.put("pacing.rtt-us", running.estimatedRtt().toNanos() / 1000);
            all.put("pacing.timeout-us", running.pacingTimeout().toNanos() / 1000);
        }
        all.putAll(bridgeStats.snapshot());
        all.putAll(roomLog.counters());
        return all;
    }
}
