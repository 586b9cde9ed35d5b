package org.xo.openfire;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.jivesoftware.openfire.PacketRouter;
import org.jivesoftware.openfire.interceptor.PacketInterceptor;
import org.jivesoftware.openfire.interceptor.PacketRejectedException;
import org.jivesoftware.openfire.session.ClientSession;
import org.jivesoftware.openfire.session.Session;
import org.xmpp.packet.IQ;
import org.xmpp.packet.JID;
import org.xmpp.packet.Packet;
import org.xmpp.packet.Presence;

/**
 * Completes the creation of rooms that their local creator leaves locked.
 *
 * <p>XEP-0045 locks a new room until its creator configures it, and a locked room turns everyone else away,
 * remote occupants included. An overlay room usually exists on other nodes already, so its local copy must not stay
 * locked because the client that happened to create it here never sends a configuration (go-sendxmpp, many
 * bots). When the room tells a local client "201: room created", this waits a grace period for the client's own
 * configuration, then submits the empty form of an instant room on the creator's behalf: an owner request
 * that changes nothing else (a room already configured just stays as it is). The reply is addressed to the
 * creator, who never asked: it is dropped here.
 */
final class InstantRoomCompleter implements PacketInterceptor {
    static final long GRACE_MS = 2_000;
    private static final String ID_PREFIX = "xo-instant-";

    private final Overlay overlay;
    private final PacketRouter router;
    private final BridgeStats stats;
    private final AtomicLong ids = new AtomicLong();
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "xo-instant-rooms");
        t.setDaemon(true);
        return t;
    });

    InstantRoomCompleter(Overlay overlay, PacketRouter router, BridgeStats stats) {
        this.overlay = overlay;
        this.router = router;
        this.stats = stats;
    }

    @Override
    public void interceptPacket(Packet packet, Session session, boolean incoming, boolean processed)
            throws PacketRejectedException {
        if (incoming || processed || !(session instanceof ClientSession)) {
            return;
        }
        if (packet instanceof IQ && packet.getID() != null && pending.remove(packet.getID())) {
            throw new PacketRejectedException("reply to XO's own instant-room request");
        }
        if (packet instanceof Presence && createdRoom((Presence) packet)) {
            JID room = packet.getFrom().asBareJID();
            JID creator = packet.getTo();
            timer.schedule(() -> complete(room, creator), GRACE_MS, TimeUnit.MILLISECONDS);
        }
    }

    private boolean createdRoom(Presence presence) {
        JID from = presence.getFrom();
        if (from == null || presence.getTo() == null || !overlay.isLocalMucDomain(from.getDomain())) {
            return false;
        }
        return Stanzas.createdRoom(presence);
    }

    private void complete(JID room, JID creator) {
        IQ instant = Stanzas.instantRoomRequest(creator, room);
        instant.setID(ID_PREFIX + ids.incrementAndGet());
        pending.add(instant.getID());
        router.route(instant);
        stats.increment("rooms.completed-as-instant");
    }

    void shutdown() {
        timer.shutdownNow();
    }
}
