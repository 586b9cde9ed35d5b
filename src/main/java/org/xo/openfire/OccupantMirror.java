package org.xo.openfire;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

import org.dom4j.Element;
import org.jivesoftware.openfire.interceptor.PacketInterceptor;
import org.jivesoftware.openfire.interceptor.PacketRejectedException;
import org.jivesoftware.openfire.session.ClientSession;
import org.jivesoftware.openfire.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xmpp.packet.IQ;
import org.xmpp.packet.JID;
import org.xmpp.packet.Message;
import org.xmpp.packet.Packet;
import org.xmpp.packet.Presence;
import org.xo.core.Kind;
import org.xo.engine.XoEngine;

/**
 * Sees what local clients send to overlay rooms and hands it to the overlay as envelopes.
 *
 * <p>Loop prevention is structural: only packets that arrive through a local {@link ClientSession} are mirrored.
 * Remote occupants are injected by the plugin's component, whose packets never pass through a client session.
 *
 * <p>A packet is mirrored after the MUC service processed it, and only when the room did not answer it with an
 * error. What is mirrored is a copy taken before routing: Openfire's MUC rewrites the addresses of the very packet
 * object it broadcasts. on Openfire the room's reply is routed in the sending thread, so a thread-local flag between the
 * before-routing and after-routing interceptor calls tells rejected joins (nick conflict, members-only, ...) and
 * rejected messages from accepted ones. A MUCEventListener would say it directly, but its methods changed
 * between Openfire versions in ways a plugin built against 4.2.0 cannot survive.
 */
final class OccupantMirror implements PacketInterceptor {
    private static final Logger Log = LoggerFactory.getLogger(OccupantMirror.class);
    /**
     * XEP-0045 status codes of an occupant the room took out: banned, kicked, affiliation, members-only. Not 332 (the
     * service shutting down): the node stops, not the user, and its goodbye says so (see {@link #nodeStopping}).
     */
    private static final Set<String> REMOVAL_STATUS_CODES = Set.of("301", "307", "321", "322");

    private final Overlay overlay;
    private final LocalOccupancy occupancy;
    private final Injector injector;
    private final BridgeStats stats;
    private final ThreadLocal<Packet> inFlight = new ThreadLocal<>();
    private final ThreadLocal<Packet> asSent = new ThreadLocal<>();
    private final ThreadLocal<Boolean> rejected = new ThreadLocal<>();
    /** The rank the room gave the sender of the presence in flight, from its answer (see {@link #noteOwnRole}). */
    private final ThreadLocal<Stanzas.Rank> rankInFlight = new ThreadLocal<>();
    /** An owner's request to destroy a room, while the room processes it: the room, the owner's nick, the reason. */
    private record Destroyer(String room, String nick, String reason) {
    }

    private final ThreadLocal<Destroyer> destroyer = new ThreadLocal<>();
    /** The overlay seq held for the groupchat message in flight, whose id its local copies carry. */
    private final ThreadLocal<XoEngine.StreamHold> held = new ThreadLocal<>();

    private final HistoryReplay history;
    /** Whether the server is shutting down (Openfire 4.2 ends the client sessions before it stops the plugins). */
    private final BooleanSupplier serverStopping;

    OccupantMirror(Overlay overlay, LocalOccupancy occupancy, Injector injector, HistoryReplay history,
                   BridgeStats stats, BooleanSupplier serverStopping) {
        this.overlay = overlay;
        this.serverStopping = serverStopping;
        this.occupancy = occupancy;
        this.injector = injector;
        this.history = history;
        this.stats = stats;
    }

    @Override
    public void interceptPacket(Packet packet, Session session, boolean incoming, boolean processed)
            throws PacketRejectedException {
        try {
            if (incoming && processed && isSessionGoingOffline(packet)) {
                if (serverStopping.getAsBoolean() && overlay.saysGoodbyeOnStop()) {
                    return; // the node stops, not the user: see nodeStopping()
                }
                // Routed when a client signs off or its connection ends; the session may already be gone (null).
                // Only local occupants are in the table, so nothing injected can match.
                for (LocalOccupancy.Seat seat : occupancy.seatsOf(packet.getFrom())) {
                    leave(packet.getFrom(), seat.room(), null);
                }
                return;
            }
            if (!(session instanceof ClientSession)) {
                return;
            }
            if (incoming && !processed) {
                endHold(); // one whose packet never came back processed (another interceptor rejected it)
                noteDestroyer(packet);
                noteConfigurationRequest(packet);
                if (isForOverlayRoom(packet)) {
                    // A client cannot set the ids its room assigns (XEP-0359), nor the overlay's that become the
                    // room's.
                    Stanzas.removeStanzaIds(packet, overlay.stanzaIdAssigners(packet.getTo().getNode()));
                    inFlight.set(packet);
                    asSent.set(packet.createCopy());
                    rejected.set(Boolean.FALSE);
                    if (packet instanceof Message message) {
                        holdOverlayId(message);
                    } else {
                        history.joinArriving((Presence) packet);
                    }
                }
            } else if (incoming) {
                if (packet instanceof IQ) {
                    destroyer.remove(); // the room has answered it, destroyed or not
                }
                if (inFlight.get() == packet) {
                    Packet original = asSent.get();
                    inFlight.remove();
                    asSent.remove();
                    Stanzas.Rank rank = rankInFlight.get();
                    rankInFlight.remove();
                    boolean refused = Boolean.TRUE.equals(rejected.get());
                    JID user = original.getFrom(); // before mirror() readdresses the copy for the overlay
                    String room = original.getTo().getNode();
                    try {
                        if (refused) {
                            stats.increment("mirror.rejected-by-room");
                        } else {
                            mirror(original, rank, null);
                        }
                    } finally {
                        endHold();
                        if (original instanceof Presence) {
                            history.joinProcessed(user, room, !refused && occupancy.seat(user, room) != null);
                        }
                    }
                }
            } else if (!processed) {
                takenOutByRoom(packet);
                noteOwnRole(packet);
                if (answersConfigurationRequest(packet)) {
                    reviewRoom(packet.getFrom().getNode());
                }
                if (history.holdBack(packet)) {
                    // Openfire's history or subject for a join in progress: XO's follows once the join is through.
                    throw new PacketRejectedException("held back for XO's history");
                }
                if (inFlight.get() != null && isRoomError(packet)) {
                    rejected.set(Boolean.TRUE);
                }
                if (packet instanceof Message message) {
                    giveRoomTheOverlayId(message);
                }
            }
        } catch (RuntimeException e) {
            // Never disturb Openfire's routing: count, log, carry on.
            stats.increment("mirror.errors");
            Log.warn("XO could not mirror {}", packet.toXML(), e);
        }
    }

    /**
     * A local occupant's groupchat message, before the room processes it: the room delivers it to the local occupants
     * before this node knows whether the room accepted it, so the overlay seq it will have is held now (other events
     * of the room wait for it, for milliseconds), and the overlay id travels into the room by the overlay room, for
     * {@link #giveRoomTheOverlayId}. The mirrored copy was taken before: it does not carry it. Without a hold (overlay
     * off, room not carried, or held by another message beyond the wait) the local copies have no overlay id.
     */
    private void holdOverlayId(Message message) {
        JID to = message.getTo();
        if (message.getType() != Message.Type.groupchat || to.getResource() != null
                || occupancy.seat(message.getFrom(), to.getNode()) == null) {
            return;
        }
        XoEngine.StreamHold hold = overlay.holdStream(to.getNode());
        if (hold == null) {
            stats.increment("mirror.unheld");
            return;
        }
        held.set(hold);
        Stanzas.setStanzaId(message, overlay.stanzaIdAssigners(to.getNode()).get(1), hold.overlayId());
    }

    private void endHold() {
        XoEngine.StreamHold hold = held.get();
        if (hold != null) {
            held.remove();
            hold.close();
        }
    }

    /**
     * A room's groupchat message on its way to a local user: when it came from the overlay, the room's stanza-id
     * (XEP-0359) becomes the overlay id, the same on every node, so that clients recognise a message they saw before.
     * Here rather than when the message enters the room, because Openfire 5.x replaces any stanza-id by the room there
     * with one of its own; 4.2.0 adds none, and gets one here.
     */
    private void giveRoomTheOverlayId(Message message) {
        JID from = message.getFrom();
        if (message.getType() != Message.Type.groupchat || from == null || from.getNode() == null
                || !overlay.isLocalMucDomain(from.getDomain())) {
            return;
        }
        List<JID> assigners = overlay.stanzaIdAssigners(from.getNode());
        String overlayId = Stanzas.stanzaId(message, assigners.get(1));
        if (overlayId != null) {
            Stanzas.setStanzaId(message, assigners.get(0), overlayId);
        }
    }

    /**
     * The room tells a local occupant that it took them out: kicked (307), banned (301), no longer a member (321,
     * 322), or the room destroyed (not while the server stops: that is the node's goodbye). The client sends nothing then, so this is the
     * only sign of it: without it the other nodes kept showing the occupant until their client disconnected. A leave
     * or a nick change of the occupant's own carries none of these, and is mirrored from what the client sent.
     */
    private void takenOutByRoom(Packet packet) {
        if (!(packet instanceof Presence presence) || presence.getType() != Presence.Type.unavailable
                || !isOccupantPresenceToUser(presence)
                || serverStopping.getAsBoolean() && overlay.saysGoodbyeOnStop()) {
            return;
        }
        JID from = presence.getFrom();
        JID user = presence.getTo();
        Element muc = presence.getChildElement("x", Stanzas.MUC_USER_NS);
        if (muc == null || muc.element("destroy") == null && !Stanzas.hasStatus(muc, REMOVAL_STATUS_CODES)) {
            return;
        }
        String room = from.getNode();
        LocalOccupancy.Seat seat = occupancy.seat(user, room);
        if (seat == null || !seat.nick().equals(from.getResource())) {
            return;
        }
        Destroyer owner = destroyer.get();
        if (muc.element("destroy") != null && owner != null && owner.room().equals(room)) {
            // Before the first of its occupants leaves (the last one closes the room on the overlay)
            destroyer.remove();
            publish(room, owner.nick(), Kind.MODERATION, Stanzas.destructionForOverlay(owner.reason()),
                    "mirrored.destruction");
        }
        Presence departure = new Presence(Presence.Type.unavailable);
        departure.getElement().add(Stanzas.removalForOverlay(muc));
        leave(user, room, departure);
        stats.increment(muc.element("destroy") != null ? "mirror.room-destroyed" : "mirror.taken-out-by-room");
    }

    /** A local client's muc#owner request to a room, until the room answers it (see {@link #reviewRoom}). */
    private record OwnerRequest(JID client, String room, String id) {
    }

    /** Owner requests the rooms have not answered yet; Openfire answers every one, the bound is for a broken one. */
    private final Set<OwnerRequest> ownerRequests = ConcurrentHashMap.newKeySet();
    private static final int MAX_OWNER_REQUESTS = 1000;

    /**
     * A local client asks a room to change its configuration (XEP-0045 10.2), which may make it private or public,
     * or change what travels to the other nodes' copies: the room's answer says when it is done. Told by the answer
     * because Openfire 4.2 has not applied the form yet when the request comes back processed.
     */
    private void noteConfigurationRequest(Packet packet) {
        JID to = packet.getTo();
        if (packet instanceof IQ iq && iq.getType() == IQ.Type.set && to != null && to.getNode() != null
                && to.getResource() == null && overlay.isLocalMucDomain(to.getDomain())
                && iq.getChildElement() != null && Stanzas.MUC_OWNER_NS.equals(iq.getChildElement().getNamespaceURI())) {
            if (ownerRequests.size() >= MAX_OWNER_REQUESTS) {
                ownerRequests.clear();
            }
            ownerRequests.add(new OwnerRequest(iq.getFrom(), to.getNode(), iq.getID()));
        }
    }

    /** @return whether the packet is a room's successful answer to a noted owner request (an error ends it too) */
    private boolean answersConfigurationRequest(Packet packet) {
        JID from = packet.getFrom();
        if (!(packet instanceof IQ iq) || ownerRequests.isEmpty() || from == null || from.getNode() == null
                || from.getResource() != null || !overlay.isLocalMucDomain(from.getDomain())) {
            return false;
        }
        return ownerRequests.remove(new OwnerRequest(iq.getTo(), from.getNode(), iq.getID()))
                && iq.getType() == IQ.Type.result;
    }

    /**
     * Looks at the room's configuration after something may have changed it: a room answered an owner's request of a
     * local client (a configuration form), the overlay key changed, or someone joined (a room configured from the
     * admin console is caught then).
     * <p>
     * On an open overlay a room that became private leaves the overlay: its local occupants are seen leaving on the
     * other nodes and their occupants leave here. One that became public again comes back, its occupants announced.
     * A carried room's configuration that changed since it was last known goes to the other nodes' copies.
     */
    void reviewRoom(String room) {
        List<LocalOccupancy.Seat> seats = occupancy.all().stream().filter(s -> s.room().equals(room)).toList();
        if (seats.isEmpty() || !overlay.isRunning()) {
            return;
        }
        String why = overlay.whyWithheld(room);
        if (why != null && !overlay.isWithheld(room)) {
            seats.forEach(seat -> publishLeave(seat, null));
            injector.removeRoom(room);
            overlay.withhold(room, why);
            stats.increment("rooms.withheld-private");
            return;
        } else if (why == null && overlay.isWithheld(room)) {
            overlay.openRoom(room);
            seats.forEach(seat -> publish(room, seat.nick(), Kind.PRESENCE, seat.presenceXml(), "mirrored.presence"));
        }
        if (!overlay.isWithheld(room)) {
            reviewConfiguration(room, seats);
        }
    }

    /**
     * The first look at a carried room notes its configuration; a later change is published, in the name of an owner
     * seated here if there is one (on an open overlay the other nodes take it only from an owner).
     */
    private void reviewConfiguration(String room, List<LocalOccupancy.Seat> seats) {
        RoomConfiguration now = overlay.roomConfiguration(room);
        if (now == null) {
            return;
        }
        Overlay.KnownConfiguration known = overlay.knownConfiguration(room);
        if (known == null) {
            overlay.noteConfiguration(room, now);
            return;
        }
        boolean keyed = overlay.isKeyed();
        if (keyed ? now.equals(known.configuration())
                : now.withoutPrivacy().equals(known.configuration().withoutPrivacy())) {
            return;
        }
        String owner = seats.stream().filter(seat -> {
            Stanzas.Rank rank = homeRankOf(seat);
            return rank != null && "owner".equals(rank.affiliation());
        }).map(LocalOccupancy.Seat::nick).findFirst().orElse("");
        overlay.publishConfiguration(room, owner, now);
    }

    /**
     * The room's presence to a local occupant about itself carries the occupant's role. Answering the occupant's own
     * presence (a join, a status), it is kept for the mirrored copy; otherwise a moderator changed it (voice granted
     * or revoked, moderator made), and the occupant's presence goes out again with the new role.
     */
    private void noteOwnRole(Packet packet) {
        if (!(packet instanceof Presence presence) || presence.getType() != null
                || !isOccupantPresenceToUser(presence)) {
            return;
        }
        JID from = presence.getFrom();
        JID user = presence.getTo();
        Stanzas.Rank rank = Stanzas.roomRank(presence.getElement());
        if (rank == null || !Stanzas.TRAVELLING_ROLES.contains(rank.role())) {
            return;
        }
        String room = from.getNode();
        Packet flying = inFlight.get();
        if (flying != null && user.equals(flying.getFrom()) && room.equals(flying.getTo().getNode())
                && from.getResource().equals(flying.getTo().getResource())) {
            rankInFlight.set(rank);
            return;
        }
        LocalOccupancy.Seat seat = occupancy.seat(user, room);
        if (seat == null || !seat.nick().equals(from.getResource()) || rank.equals(homeRankOf(seat))) {
            return;
        }
        Presence again = parsePresence(seat.presenceXml());
        if (again == null) {
            return;
        }
        Stanzas.setHomeRank(again, rank);
        String stanza = again.toXML();
        occupancy.update(user, room, seat.nick(), stanza);
        publish(room, seat.nick(), Kind.PRESENCE, stanza, "mirrored.role");
    }

    /**
     * An owner of an overlay room, seated here, asks the room to destroy itself: kept while the room processes it, so
     * that the destruction goes to the other nodes' copies as the occupants are taken out (see {@link #takenOutByRoom}).
     */
    private void noteDestroyer(Packet packet) {
        JID to = packet.getTo();
        if (!(packet instanceof IQ iq) || iq.getType() != IQ.Type.set || to == null || to.getNode() == null
                || to.getResource() != null || !overlay.isLocalMucDomain(to.getDomain())) {
            return;
        }
        Element destroy = Stanzas.destruction(iq.getElement());
        LocalOccupancy.Seat seat = destroy == null ? null : occupancy.seat(packet.getFrom(), to.getNode());
        Stanzas.Rank rank = seat == null ? null : homeRankOf(seat);
        if (rank != null && "owner".equals(rank.affiliation())) {
            destroyer.set(new Destroyer(to.getNode(), seat.nick(), destroy.elementText("reason")));
        }
    }

    /** @return whether the presence is an overlay room's, about one of its occupants (room@service/nick), to a user */
    private boolean isOccupantPresenceToUser(Presence presence) {
        JID from = presence.getFrom();
        return from != null && presence.getTo() != null && from.getNode() != null && from.getResource() != null
                && overlay.isLocalMucDomain(from.getDomain());
    }

    private static Stanzas.Rank homeRankOf(LocalOccupancy.Seat seat) {
        Presence presence = parsePresence(seat.presenceXml());
        return presence == null ? null : Stanzas.homeRank(presence.getElement());
    }

    private static Presence parsePresence(String xml) {
        try {
            return new Presence(Stanzas.parse(xml), true);
        } catch (org.dom4j.DocumentException e) {
            return null;
        }
    }

    private boolean isForOverlayRoom(Packet packet) {
        JID to = packet.getTo();
        return to != null && to.getNode() != null && overlay.isLocalMucDomain(to.getDomain())
                && (packet instanceof Message || packet instanceof Presence);
    }

    private boolean isRoomError(Packet packet) {
        JID from = packet.getFrom();
        boolean error = packet instanceof Message ? ((Message) packet).getType() == Message.Type.error
                : packet instanceof Presence && ((Presence) packet).getType() == Presence.Type.error;
        return error && from != null && overlay.isLocalMucDomain(from.getDomain());
    }

    /** The unavailable presence Openfire broadcasts when a client's session ends without leaving its rooms. */
    private static boolean isSessionGoingOffline(Packet packet) {
        return packet instanceof Presence && packet.getTo() == null
                && ((Presence) packet).getType() == Presence.Type.unavailable && packet.getFrom() != null;
    }

    /**
     * @param rank       the rank the room gave the sender in its answer, or null (a message, or none seen)
     * @param gatewayFor for a gateway's occupant's entry, the far room it bridges (see {@link Gateway}); else null
     */
    private void mirror(Packet packet, Stanzas.Rank rank, String gatewayFor) {
        JID user = packet.getFrom();
        JID to = packet.getTo();
        String room = to.getNode();
        if (packet instanceof Presence) {
            mirrorPresence((Presence) packet, user, room, to.getResource(), rank, gatewayFor);
        } else {
            mirrorMessage((Message) packet, user, room, to.getResource());
        }
    }

    private void mirrorPresence(Presence presence, JID user, String room, String nick, Stanzas.Rank rank,
                                String gatewayFor) {
        if (presence.getType() == Presence.Type.unavailable) {
            leave(user, room, presence);
            return;
        }
        if (presence.getType() != null || nick == null) {
            return;
        }
        LocalOccupancy.Seat seat = occupancy.seat(user, room);
        // The seat's last presence, parsed once, when it is needed for what this one lacks.
        Presence last = seat == null || (rank != null && gatewayFor != null) ? null : parsePresence(seat.presenceXml());
        // The rank travels as the room says it (never as the client wrote it): the room's answer, else the last known
        Stanzas.setHomeRank(presence, rank != null ? rank : last == null ? null : Stanzas.homeRank(last.getElement()));
        // A gateway's occupant stays marked as one in every presence of its seat (only the gateway seats such).
        String mark = gatewayFor != null ? gatewayFor
                : last == null ? null : Stanzas.gatewayOccupantMark(last.getElement());
        if (mark != null) {
            Stanzas.markGatewayOccupant(presence, mark);
        }
        String stanza = Stanzas.readdressForOverlay(presence, overlay.overlayJid(room, nick));
        if (seat == null) {
            if (occupancy.join(user, room, nick, stanza)) {
                overlay.openRoom(room);
            }
            publish(room, nick, Kind.PRESENCE, stanza, "mirrored.presence");
            reviewRoom(room); // after the presence: an owner's configuration goes in the owner's name
        } else if (!seat.nick().equals(nick)) {
            occupancy.update(user, room, nick, stanza);
            publish(room, seat.nick(), Kind.NICK_CHANGE, stanza, "mirrored.nick");
        } else {
            occupancy.update(user, room, nick, stanza);
            publish(room, nick, Kind.PRESENCE, stanza, "mirrored.presence");
        }
    }

    /**
     * One of the gateway's stand-ins ({@link Gateway}) entered, left or spoke in an overlay room: mirrored like a local
     * client's stanza, so that every node sees the far room's occupants. They come from the plugin's component, never
     * through a client session, so the interceptor does not see them.
     *
     * @param rank       the rank an entry carries to the other nodes (the far room's, for a far occupant), or null
     * @param gatewayFor the far room the gateway bridges: the other nodes' gateways never carry its occupants there
     */
    void mirrorStandIn(Packet packet, Stanzas.Rank rank, String gatewayFor) {
        try {
            mirror(packet.createCopy(), rank, gatewayFor);
        } catch (RuntimeException e) {
            stats.increment("mirror.errors");
            Log.warn("XO could not mirror {}", packet.toXML(), e);
        }
    }

    /**
     * Seats an occupant the room held before the overlay started ({@link RoomsInUse}) as if it had just entered; the
     * caller announces it with the other seats. Does nothing for an occupant already seated.
     */
    void adopt(RoomsInUse.Occupant occupant) {
        if (occupancy.seat(occupant.user(), occupant.room()) != null) {
            return;
        }
        String stanza = Stanzas.readdressForOverlay(occupant.presence(),
                overlay.overlayJid(occupant.room(), occupant.nick()));
        if (occupancy.join(occupant.user(), occupant.room(), occupant.nick(), stanza)) {
            stats.increment("mirror.adopted");
        }
    }

    private void mirrorMessage(Message message, JID user, String room, String toNick) {
        LocalOccupancy.Seat seat = occupancy.seat(user, room);
        if (seat == null || message.getType() != Message.Type.groupchat || toNick != null) {
            // Private messages to remote nicks reach the plugin's component through the room; see Injector.
            return;
        }
        boolean subjectOnly = message.getBody() == null && message.getSubject() != null;
        String stanza = Stanzas.groupchatForOverlay(message);
        Kind kind = subjectOnly ? Kind.SUBJECT : Kind.GROUPCHAT;
        String counter = subjectOnly ? "mirrored.subject" : "mirrored.groupchat";
        XoEngine.StreamHold hold = held.get();
        if (hold == null) {
            publish(room, seat.nick(), kind, stanza, counter);
            return;
        }
        if (overlay.publish(hold, room, seat.nick(), kind, stanza)) {
            stats.increment(counter);
        } else {
            stats.increment("mirror.oversized");
        }
    }

    /** Publishes a local occupant's departure; the last local occupant out closes the room on the overlay. */
    void leave(JID user, String room, Presence presence) {
        LocalOccupancy.Seat seat = occupancy.leave(user, room);
        if (seat == null) {
            return;
        }
        publishLeave(seat, presence);
        if (occupancy.isEmpty(room)) {
            // Remote occupants would keep an otherwise empty room alive on this node: take them out with us.
            injector.removeRoom(room);
            overlay.closeRoom(room);
        }
    }

    /**
     * This run of the node ends (server shutdown, plugin unload): its users did not leave. The engine's goodbye tells the
     * other nodes so, and they keep this node's occupants for their restart grace; those whose clients rejoin after the
     * restart never leave there. Without discovery there is no goodbye, and every local occupant leaves at once.
     */
    void nodeStopping() {
        if (overlay.saysGoodbyeOnStop()) {
            Log.info("XO: {} local occupants stay on the other nodes for their restart grace", occupancy.all().size());
            return;
        }
        for (LocalOccupancy.Seat seat : occupancy.all()) {
            leave(seat.user(), seat.room(), null);
        }
    }

    /**
     * Before the overlay stops or moves to other rooms: the other nodes see every local occupant leave, while they
     * stay seated here, to be announced again if the overlay carries their rooms once more.
     */
    void announceDepartures() {
        for (LocalOccupancy.Seat seat : occupancy.all()) {
            publishLeave(seat, null);
        }
    }

    /** @param presence the occupant's own unavailable presence, or null for a plain one */
    private void publishLeave(LocalOccupancy.Seat seat, Presence presence) {
        Presence unavailable = presence != null ? presence : new Presence(Presence.Type.unavailable);
        String stanza = Stanzas.readdressForOverlay(unavailable, overlay.overlayJid(seat.room(), seat.nick()));
        publish(seat.room(), seat.nick(), Kind.LEAVE, stanza, "mirrored.leave");
    }

    private void publish(String room, String nick, Kind kind, String stanza, String counter) {
        if (overlay.publish(room, nick, kind, stanza)) {
            stats.increment(counter);
        } else {
            stats.increment("mirror.oversized");
        }
    }
}
