package org.xo.openfire;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jivesoftware.openfire.XMPPServer;
import org.jivesoftware.openfire.muc.MultiUserChatService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xmpp.packet.JID;
import org.xo.core.Kind;
import org.xo.core.OverlayRoom;
import org.xo.discovery.RoomInfo;
import org.xo.engine.EngineListener;
import org.xo.engine.XoEngine;

/**
 * The Openfire side's handle on the XO engine: maps local room names to overlay addresses and back, and owns the
 * engine's life (start, restart on a settings change, stop). Room names here are local MUC room names (the node
 * part of {@code room@conference.<domain>}); the engine only ever sees overlay addresses.
 */
final class Overlay {
    private static final Logger Log = LoggerFactory.getLogger(Overlay.class);

    private final String xmppDomain;
    private final BridgeStats bridgeStats;
    private volatile XoEngine engine;
    private volatile String mucSubdomain;
    private volatile String overlayService;
    private volatile long nodeId;
    /** Why the last start failed, for the Status page; null after a successful start. */
    private volatile String startFailure;

    Overlay(String xmppDomain, BridgeStats bridgeStats) {
        this.xmppDomain = xmppDomain;
        this.bridgeStats = bridgeStats;
    }

    /**
     * Starts a new engine from the current settings (stopping the previous one).
     *
     * @throws IllegalArgumentException with one sentence when a setting is invalid
     * @throws IOException when the multicast socket cannot be opened
     */
    void start(EngineListener listener) throws IOException {
        // Settings are read (and the node id stored) outside this object's lock: no lock of XO's while in Openfire.
        String muc = XoSettings.MUC_SERVICE.get();
        String service = XoSettings.OVERLAY_SERVICE.get();
        long id = loadOrCreateNodeId();
        String nodeName = XoSettings.NODE_NAME.get().isEmpty() ? xmppDomain : XoSettings.NODE_NAME.get();
        XoEngine started = EngineFactory.create(id, nodeName, service, listener);
        synchronized (this) {
            stop();
            mucSubdomain = muc;
            overlayService = service;
            nodeId = id;
            started.start();
            engine = started;
            startFailure = null;
        }
        Log.info("XO overlay running as node {} ({}), rooms of {}.{} mirrored as <room>@{}",
                nodeName, Long.toHexString(nodeId), mucSubdomain, xmppDomain, overlayService);
    }

    synchronized void stop() {
        XoEngine running = engine;
        engine = null;
        if (running != null) {
            running.close();
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

    /** Makes the virtual occupants' bare JID a sysadmin of the overlay MUC service; see {@link Injector}. */
    void grantSysadmin(JID overlayUser) {
        MultiUserChatService service = mucService();
        if (service == null) {
            throw new IllegalArgumentException("There is no MUC service '" + mucSubdomain + "' on this server (property "
                    + XoSettings.MUC_SERVICE.key() + ").");
        }
        if (!service.isSysadmin(overlayUser)) {
            service.addSysadmin(overlayUser);
        }
    }

    void revokeSysadmin(JID overlayUser) {
        MultiUserChatService service = mucService();
        if (service != null && service.isSysadmin(overlayUser)) {
            service.removeSysadmin(overlayUser);
        }
    }

    JID localRoomJid(String room, String nick) {
        return new JID(room, mucSubdomain + "." + xmppDomain, nick, true);
    }

    JID overlayJid(String room, String nick) {
        return new JID(room, overlayService, nick, true);
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

    void openRoom(String room) {
        XoEngine running = engine;
        if (running != null) {
            running.openRoom(overlayRoom(room)); // a room the overlay cannot carry is logged and listed by the engine
        }
    }

    /** @return overlay rooms open here whose multicast group could not be joined, with the reason */
    Map<String, String> uncarriedRooms() {
        XoEngine running = engine;
        return running == null ? Map.of() : running.uncarriedRooms();
    }

    void closeRoom(String room) {
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
        if (running == null) {
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

    /** Engine and bridge counters together, for the status page and the stats query. */
    Map<String, Long> counters() {
        Map<String, Long> all = new LinkedHashMap<>();
        all.put("node.id", nodeId);
        XoEngine running = engine;
        if (running != null) {
            all.putAll(running.stats().snapshot());
            all.put("pacing.rtt-us", running.estimatedRtt().toNanos() / 1000);
            all.put("pacing.timeout-us", running.pacingTimeout().toNanos() / 1000);
        }
        all.putAll(bridgeStats.snapshot());
        return all;
    }
}
