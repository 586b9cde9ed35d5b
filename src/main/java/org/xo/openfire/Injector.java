package org.xo.openfire;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.dom4j.DocumentException;
import org.dom4j.Element;
import org.jivesoftware.openfire.PacketRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xmpp.packet.JID;
import org.xmpp.packet.Message;
import org.xmpp.packet.Packet;
import org.xmpp.packet.PacketError;
import org.xmpp.packet.Presence;
import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.engine.EngineListener;
import org.xo.openfire.RemoteRoster.Participant;

/**
 * The injector: makes participants on other nodes ordinary occupants of the local room.
 *
 * <p>Each remote participant is a "virtual occupant" with an identity of its own on the plugin's component
 * ({@code <nick, XEP-0106 escaped>.<origin node id>@xo.<domain>/<origin node id>.<n>}) that enters the room exactly like
 * a federated user: a ban of one remote participant bans that one, and the room's rules (members-only, password, maximum
 * occupants, moderation) apply to it as to anyone. Openfire
 * itself then does occupant lists, presence to clients that join later, history and private-message routing, on
 * every Openfire version, with no compiled call on {@code MUCRoom} (whose binary interface changed in 4.7).
 *
 * <p>Virtual occupants enter as Openfire "deaf occupants" ({@code <deaf-occupant/>} in the namespace
 * {@code http://jivesoftware.org/protocol/muc}, honoured by 4.2 through 5.x): the room does not route its message
 * broadcasts to them at all, so a message costs the same whether 10 or 1000 remote participants sit in the room.
 * The room still tells them about presence changes; those are dropped on arrival unless they concern the
 * participant itself.
 *
 * <p><b>Threading.</b> One thread ("xo-inject") owns the {@link RemoteRoster} and the packets held for
 * participants whose entry the room has not confirmed yet, and does all routing into Openfire. It holds no lock
 * of XO's while it calls Openfire. The other way round, nothing Openfire calls here ever waits: Openfire 4.7+
 * routes a room's broadcasts while holding the room's lock, so {@link #fromRoom} decides from a concurrent map
 * whether a packet matters and only queues it. The queue is bounded; what does not fit is counted and dropped.
 *
 * <p>Privileges: none of their own. The role a participant has in its home room travels with its presence, and the
 * local room gives it the same one in the room's own name ({@link RoomActions}) once it has entered: a moderator there is a
 * moderator here (its subject changes and kicks apply), a visitor a visitor.
 */
final class Injector implements EngineListener {
    private static final Logger Log = LoggerFactory.getLogger(Injector.class);
    /** Local part of the one JID all virtual occupants shared before 0.1.0, a sysadmin then: revoked at start. */
    static final String LEGACY_OVERLAY_USER = "overlay";
    /** Openfire's own extension that keeps an occupant out of the room's message broadcasts. */
    private static final String OPENFIRE_MUC_NS = "http://jivesoftware.org/protocol/muc";
    /** Tasks waiting for the injector thread at most; a burst beyond this is dropped and counted. */
    static final int MAX_QUEUED = 100_000;
    /**
     * A refused entry is tried again after this, then after twice as long each time: most refusals are a room its
     * creator is configuring this very moment (locked for milliseconds, at most {@link InstantRoomCompleter#GRACE_MS}).
     */
    private static final long FIRST_REENTRY_DELAY_MS = 250;
    /** Five tries span 7.75 s: past the grace period of a room its creator left locked. */
    private static final int MAX_REFUSALS = 5;
    private static final long STOP_WAIT_MS = 3_000;
    /** A message older than this on arrival is shown dated with the time it was said (XEP-0203). */
    private static final long LATE_AFTER_MS = 5_000;
    /** How long late presences of one origin in a room are gathered before their net effect is shown. */
    private static final long LATE_OCCUPANCY_MS = 500;
    /** Late presences gathered per origin and room at the most (a repair answer holds far fewer). */
    private static final int MAX_LATE_OCCUPANCY = 10_000;
    /** A kick (307) or a ban (301) of a participant is asked of its home node. */
    private static final Set<String> FORWARDED_REMOVALS = Set.of("301", "307");
    /** A kick older than this (by its origin's clock) when it arrives is not applied: see {@link #isStaleKick}. */
    static final long STALE_KICK_MS = 60_000;
    /** How often, and how long each time, an event waits for the local room its first occupant is entering. */
    private static final int ROOM_WAITS = 20;
    private static final long ROOM_WAIT_MS = 100;
    /** Packets held for one participant until the room confirms its entry (a join takes milliseconds). */
    static final int MAX_HELD_PER_PARTICIPANT = 100;

    private record LateKey(String room, long origin) {
    }

    private final Overlay overlay;
    private final LocalOccupancy occupancy;
    private final HistoryReplay history;
    private final BridgeStats stats;
    private final PacketRouter router;
    private final ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "xo-inject");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger queued = new AtomicInteger();
    /** Bounds hit: the first time of each is a warning, later ones go to the debug log. */
    private final Set<String> boundsWarned = ConcurrentHashMap.newKeySet();

    // Owned by the injector thread.
    private final RemoteRoster roster = new RemoteRoster();
    private final Map<LateKey, List<Envelope>> lateOccupancy = new HashMap<>();
    private final Map<String, List<Packet>> held = new HashMap<>();
    private final Map<String, Integer> refusals = new HashMap<>();

    /**
     * The roster as the Status page shows it: replaced by the injector thread after a task changed the roster, read
     * by any thread without a lock (the roster itself is the injector thread's alone).
     */
    private volatile List<RemoteOccupant> published = List.of();
    private long publishedChanges;

    /** Resource → the nick the room knows that participant by; read without locks by {@link #fromRoom}. */
    private final Map<String, String> roomNicks = new ConcurrentHashMap<>();
    /**
     * Resource → room of the participants that are other nodes' gateways' occupants (their presence says so); read
     * without locks by the gateway ({@link #isGatewayOccupant}). Written before the room hears of the participant.
     */
    private final Map<String, String> gatewayOccupants = new ConcurrentHashMap<>();
    private volatile String componentDomain;

    Injector(Overlay overlay, LocalOccupancy occupancy, HistoryReplay history, BridgeStats stats, PacketRouter router) {
        this.overlay = overlay;
        this.history = history;
        this.occupancy = occupancy;
        this.stats = stats;
        this.router = router;
        // A pending re-entry must not hold up an unload.
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** Called once the component is registered: virtual occupants live on its domain. */
    void componentDomain(String domain) {
        componentDomain = domain;
    }

    /** @return the bare JID all virtual occupants shared, as a sysadmin, before each had its own */
    JID legacyOverlayUser() {
        return new JID(LEGACY_OVERLAY_USER, componentDomain, null);
    }

    // ---- overlay → room ----------------------------------------------------------------------------------------

    @Override
    public void onRemoteEvent(Envelope envelope) {
        onRemoteEvent(envelope, false);
    }

    /** A late event (repair brought it) reaches clients with a delay stamp of its origin time. */
    @Override
    public void onRemoteEvent(Envelope envelope, boolean late) {
        submit(() -> inject(envelope, late, 0));
    }

    /** A node went silent past the timeout: its participants leave, here as everywhere, until it is heard again. */
    @Override
    public void onNodeLost(long nodeId) {
        submit(() -> {
            for (Participant p : roster.removeNode(nodeId)) {
                routeDeparture(p);
                stats.increment("inject.lost-with-node");
            }
        });
    }

    /**
     * A node said goodbye (stopped in order): its participants stay in the local rooms, marked, for the restart grace;
     * those its new run announces again never leave (see {@link #presence}).
     */
    @Override
    public void onNodeSaidGoodbye(long nodeId, int endedEpoch) {
        submit(() -> stats.add("inject.awaiting-restart", roster.awaitRestart(nodeId, endedEpoch)));
    }

    /** The restart grace ended: the node's participants that its new run did not announce again leave now. */
    @Override
    public void onRestartGraceEnded(long nodeId) {
        submit(() -> {
            for (Participant p : roster.removeAwaitingRestart(nodeId)) {
                routeDeparture(p);
                stats.increment("inject.left-after-restart");
            }
        });
    }

    /** Takes every remote participant out of a room that has no local occupants left. */
    void removeRoom(String room) {
        submit(() -> roster.removeRoom(room).forEach(this::routeDeparture));
    }

    /**
     * Takes every remote participant out of the local rooms, after what is queued: the overlay stopped, or now
     * carries other rooms. Waits (bounded) so that the departures reach the rooms under the current MUC service.
     *
     * @return whether they were all routed within the wait
     */
    boolean removeAllParticipants(long waitMs) {
        CountDownLatch done = new CountDownLatch(1);
        submit(() -> {
            roster.removeAll().forEach(this::routeDeparture);
            done.countDown();
        });
        try {
            return done.await(waitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void inject(Envelope envelope, boolean late, int waited) {
        String room = overlay.localRoomName(envelope.room());
        if (room != null && !overlay.hasLocalRoom(room) && waited < ROOM_WAITS) {
            // The overlay carries the room here, so its first local occupant is entering: a gateway's occupant is
            // mirrored before the room has it (Openfire 5.x makes the room a moment later). What the other nodes said
            // meanwhile waits for it; dropped, it would never come again (the engine delivers each event once).
            schedule(() -> inject(envelope, late, waited + 1), ROOM_WAIT_MS);
            return;
        }
        if (room == null || !overlay.hasLocalRoom(room)) {
            stats.increment("inject.no-local-room");
            return;
        }
        Element stanza = parseForKind(envelope);
        if (stanza == null) {
            return;
        }
        if (late && isOccupancy(envelope.kind())) {
            holdLateOccupancy(room, envelope);
            return;
        }
        applyOccupancyOrMessage(room, envelope, stanza, late);
    }

    /**
     * A message said well before it got here, whichever way it came (a state reply to a node that just opened the room
     * or restarted, NORM's own repair): dated like a repaired one. Judged by the origin's clock, which keyed overlays
     * need within 30 s anyway; a sender far behind gets its messages dated, which only shows their time.
     */
    private static boolean saidLongAgo(Envelope envelope) {
        return System.currentTimeMillis() - envelope.originTime() > LATE_AFTER_MS;
    }

    private static boolean isOccupancy(Kind kind) {
        return kind == Kind.PRESENCE || kind == Kind.LEAVE || kind == Kind.NICK_CHANGE;
    }

    /**
     * Presences, leaves and nick changes that repair brought (a flicker lost them, or the other side of a healed
     * partition said them) are gathered per room and origin for {@link #LATE_OCCUPANCY_MS}, and only their net effect
     * is shown: someone who came and went meanwhile is not shown coming and going now, someone whose join was lost
     * comes in.
     */
    private void holdLateOccupancy(String room, Envelope envelope) {
        LateKey key = new LateKey(room, envelope.originNode());
        List<Envelope> pending = lateOccupancy.get(key);
        if (pending == null) {
            pending = new ArrayList<>();
            lateOccupancy.put(key, pending);
            schedule(() -> applyLateOccupancy(key), LATE_OCCUPANCY_MS);
        }
        if (pending.size() < MAX_LATE_OCCUPANCY) {
            pending.add(envelope);
        } else {
            stats.increment("inject.late-occupancy-dropped");
        }
    }

    private void applyLateOccupancy(LateKey key) {
        List<Envelope> events = lateOccupancy.remove(key);
        if (events == null || !overlay.hasLocalRoom(key.room())) {
            return;
        }
        // Last word per nick, in stream order: a nick change ends the old nick and starts the new one.
        Map<String, Envelope> last = new LinkedHashMap<>();
        for (Envelope e : events) {
            if (e.kind() == Kind.NICK_CHANGE) {
                last.put(e.nick(), null);
                Element stanza = parseForKind(e);
                String newNick = stanza == null ? null : resourceOf(stanza.attributeValue("to"));
                if (newNick != null) {
                    last.put(newNick, e);
                }
            } else {
                last.put(e.nick(), e.kind() == Kind.LEAVE ? null : e);
            }
        }
        last.forEach((nick, e) -> {
            Participant present = roster.find(key.room(), key.origin(), nick);
            if (e == null) {
                if (present != null) {
                    routeDeparture(roster.remove(present));
                }
            } else {
                Element stanza = parseForKind(e);
                if (stanza != null) {
                    presence(key.room(), key.origin(), e.originEpoch(), nick, stanza);
                }
            }
        });
        stats.add("inject.late-occupancy", events.size());
    }

    private void applyOccupancyOrMessage(String room, Envelope envelope, Element stanza, boolean late) {
        switch (envelope.kind()) {
            case PRESENCE -> presence(room, envelope.originNode(), envelope.originEpoch(), envelope.nick(), stanza);
            case LEAVE -> {
                Participant p = roster.find(room, envelope.originNode(), envelope.nick());
                if (p != null) {
                    routeDeparture(roster.remove(p));
                }
            }
            case NICK_CHANGE -> nickChange(room, envelope, stanza);
            case GROUPCHAT, SUBJECT -> groupchat(room, envelope, stanza, late || saidLongAgo(envelope));
            case PRIVATE -> privateMessage(room, envelope, stanza);
            case MODERATION -> moderation(room, envelope, stanza);
            case CONFIG -> configuration(room, envelope, stanza);
            default -> stats.increment("inject.not-for-us");
        }
    }

    /** @return the envelope's stanza, or null (counted) when it is malformed or not the element its kind needs */
    private Element parseForKind(Envelope envelope) {
        Element stanza;
        try {
            stanza = Stanzas.parse(envelope.stanza());
        } catch (DocumentException e) {
            stats.increment("inject.bad-stanza");
            Log.debug("XO dropped a malformed stanza from node {}", Long.toHexString(envelope.originNode()), e);
            return null;
        }
        if (!fitsKind(envelope.kind(), stanza)) {
            stats.increment("inject.bad-stanza");
            Log.debug("XO dropped a {} envelope from node {} carrying <{} type='{}'>", envelope.kind(),
                    Long.toHexString(envelope.originNode()), stanza.getName(), stanza.attributeValue("type"));
            return null;
        }
        return stanza;
    }

    /**
     * Package-private for the receive path's fuzz target.
     *
     * @return whether the stanza is the element its kind needs: a presence, without a type for a join or a nick
     * change, or a message; either with addresses a packet can be made of
     */
    static boolean fitsKind(Kind kind, Element stanza) {
        String expected = switch (kind) {
            case PRESENCE, LEAVE, NICK_CHANGE -> "presence";
            case MODERATION, CONFIG -> "iq";
            default -> "message";
        };
        boolean presenceTypeOk = kind != Kind.PRESENCE && kind != Kind.NICK_CHANGE
                || stanza.attributeValue("type") == null;
        return expected.equals(stanza.getName()) && presenceTypeOk && isJidOrAbsent(stanza.attributeValue("to"))
                && isJidOrAbsent(stanza.attributeValue("from"));
    }

    /**
     * Tinder's packet constructors parse {@code to} and {@code from} (without stringprep, as here) and throw on one
     * that is no JID, such as {@code room@service/}: found by fuzzing, it threw out of every later packet made of
     * that participant's presence.
     */
    private static boolean isJidOrAbsent(String address) {
        if (address == null || address.isEmpty()) {
            return true;
        }
        try {
            new JID(address, true);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * A participant's presence from run {@code epoch} of its node: a join, or a presence update. A participant that
     * was waiting for its node's restart and is announced by the new run never left: the room sees a presence update
     * only if the presence changed.
     */
    private void presence(String room, long origin, int epoch, String nick, Element stanza) {
        Participant p = roster.find(room, origin, nick);
        boolean keptOverRestart = p != null && roster.announcedAgain(p, epoch);
        if (keptOverRestart) {
            stats.increment("inject.kept-over-restart");
        }
        if (p == null) {
            int perRoom = XoSettings.MAX_REMOTE_OCCUPANTS_PER_ROOM.get();
            int total = XoSettings.MAX_REMOTE_OCCUPANTS.get();
            if (roster.size() >= total || roster.sizeOf(room) >= perRoom) {
                boundHit("inject.occupants-full", "XO let no more participants of other nodes in: " + room + " shows "
                        + roster.sizeOf(room) + " (" + XoSettings.MAX_REMOTE_OCCUPANTS_PER_ROOM.key() + "=" + perRoom
                        + "), all rooms " + roster.size() + " (" + XoSettings.MAX_REMOTE_OCCUPANTS.key() + "=" + total
                        + ")");
                return;
            }
            RemoteRoster.Admission admission = roster.admit(room, origin, nick, stanza.asXML(), overlay.isKeyed());
            if (admission.displaced() != null) {
                moveToNewLocalNick(admission.displaced());
            }
            admission.newcomer().homeRank = Stanzas.homeRank(stanza);
            noteGatewayOccupant(admission.newcomer(), stanza);
            enter(admission.newcomer());
            stats.add("remote.occupants", 1);
            stats.increment("injected.join");
        } else if (keptOverRestart && !refusedForGood(p) && Stanzas.showSame(p.presenceXml(), stanza)) {
            roster.updatePresence(p, stanza.asXML());
        } else if (refusedForGood(p)) {
            noteGatewayOccupant(p, stanza);
            // A new presence is a new attempt: the room may have room now, or the ban may be lifted.
            roster.updatePresence(p, stanza.asXML());
            refusals.remove(p.resource);
            enter(p);
            stats.increment("injected.presence");
        } else {
            roster.updatePresence(p, stanza.asXML());
            noteGatewayOccupant(p, stanza);
            send(p, presenceFrom(p, stanza));
            stats.increment("injected.presence");
        }
        if (p != null) {
            Stanzas.Rank homeRank = Stanzas.homeRank(stanza);
            if (homeRank != null && !homeRank.equals(p.homeRank)) {
                p.homeRank = homeRank;
                makeMemberIfMemberAtHome(p);
                giveHomeRole(p);
            }
        }
    }

    private void noteGatewayOccupant(Participant p, Element stanza) {
        if (Stanzas.gatewayOccupantMark(stanza) != null) {
            gatewayOccupants.put(p.resource, p.room);
        } else {
            gatewayOccupants.remove(p.resource);
        }
    }

    /**
     * @return whether the local room's occupant of that nick is another node's gateway's (its listener, or its
     * stand-in for an occupant of a far room); never blocks. Told before the room tells its occupants of it.
     */
    boolean isGatewayOccupant(String room, String nick) {
        for (Map.Entry<String, String> e : gatewayOccupants.entrySet()) {
            if (e.getValue().equals(room) && nick.equals(roomNicks.get(e.getKey()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Once the room let the participant in: the role its home room gives it, in the local room's name. A room that
     * refuses (an owner here cannot be made a visitor) keeps its own, counted and logged.
     */
    private void giveHomeRole(Participant p) {
        String role = p.homeRank == null ? null : p.homeRank.role();
        if (!p.joined() || role == null || role.equals(p.roomRole)) {
            return;
        }
        try {
            if (overlay.grantRole(p.room, virtualJid(p), role)) {
                p.roomRole = role;
                stats.increment("inject.roles-given");
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            stats.increment("inject.roles-refused");
            Log.debug("XO could not make {} a {} in {}", p, role, p.room, e);
        }
    }

    /**
     * The participant enters the local room as a local user would: a members-only room lets it in if it is a member at
     * home, and it gives the password it gave at home (the rooms share it, with a key only).
     */
    private void enter(Participant p) {
        roomNicks.put(p.resource, p.localNick());
        makeMemberIfMemberAtHome(p);
        Presence join = presenceFrom(p, parseQuietly(p.presenceXml()));
        Element muc = join.getElement().addElement("x", Stanzas.MUC_NS);
        String password = overlay.roomPassword(p.room);
        if (password != null) {
            muc.addElement("password").setText(password);
        }
        // No history: the overlay carries the conversation itself.
        muc.addElement("history").addAttribute("maxstanzas", "0");
        // Deaf: the room's message broadcasts are not routed to the participant (its node has them already).
        join.getElement().addElement("x", OPENFIRE_MUC_NS).addElement("deaf-occupant");
        route(join);
    }

    /**
     * The participant's local nick changed (nick rule or conflict): a presence to the new nick. The room treats it
     * as a nick change if the participant is in, as an entry otherwise; either way it confirms under the new nick.
     */
    private void moveToNewLocalNick(Participant p) {
        roomNicks.put(p.resource, p.localNick());
        route(presenceFrom(p, parseQuietly(p.presenceXml())));
    }

    private void routeDeparture(Participant p) {
        roomNicks.remove(p.resource);
        gatewayOccupants.remove(p.resource);
        held.remove(p.resource);
        refusals.remove(p.resource);
        stats.add("remote.occupants", -1);
        Presence unavailable = new Presence(Presence.Type.unavailable);
        unavailable.setFrom(virtualJid(p));
        unavailable.setTo(overlay.localRoomJid(p.room, p.localNick()));
        route(unavailable);
        stats.increment("injected.leave");
    }

    private void nickChange(String room, Envelope envelope, Element stanza) {
        String newNick = resourceOf(stanza.attributeValue("to"));
        Participant p = roster.find(room, envelope.originNode(), envelope.nick());
        if (p == null || newNick == null) {
            presence(room, envelope.originNode(), envelope.originEpoch(), newNick == null ? envelope.nick() : newNick,
                    stanza);
            return;
        }
        Participant displaced = roster.rename(p, newNick, stanza.asXML(), overlay.isKeyed());
        if (displaced != null) {
            moveToNewLocalNick(displaced);
        }
        moveToNewLocalNick(p);
        stats.increment("injected.nick");
    }

    private void groupchat(String room, Envelope envelope, Element stanza, boolean late) {
        if (late && envelope.kind() == Kind.GROUPCHAT) {
            // Not through the room: its sender may have left long ago, and would come back as a ghost occupant.
            history.deliverLate(envelope, room);
            return;
        }
        Participant p = ensureParticipant(room, envelope);
        if (p == null) {
            return; // the room or the node is full of remote participants (counted)
        }
        Message message = new Message(stanza.createCopy(), true);
        Stanzas.removeXoElements(message);
        message.setFrom(virtualJid(p));
        message.setTo(overlay.localRoomJid(room, null));
        message.setType(Message.Type.groupchat);
        // The overlay id, by the overlay room: the room's copies to local users carry it as the room's id
        // (OccupantMirror).
        List<JID> assigners = overlay.stanzaIdAssigners(room);
        Stanzas.removeStanzaIds(message, assigners);
        Stanzas.setStanzaId(message, assigners.get(1), envelope.overlayId());
        if (late) {
            Stanzas.addDelay(message, Instant.ofEpochMilli(envelope.originTime()), overlay.localRoomJid(room, null));
        }
        send(p, message);
        stats.increment(envelope.kind() == Kind.SUBJECT ? "injected.subject" : "injected.groupchat");
    }


    private void privateMessage(String room, Envelope envelope, Element stanza) {
        String target = resourceOf(stanza.attributeValue("to"));
        Long targetNode = Stanzas.targetNode(stanza);
        boolean ours = target != null && (targetNode == null || targetNode == overlay.nodeId())
                && occupancy.hasNick(room, target);
        if (!ours) {
            stats.increment("inject.not-for-us");
            return;
        }
        Participant p = ensureParticipant(room, envelope);
        if (p == null) {
            return; // the room or the node is full of remote participants (counted)
        }
        Message message = new Message(stanza.createCopy(), true);
        Stanzas.removeXoElements(message);
        message.setFrom(virtualJid(p));
        message.setTo(overlay.localRoomJid(room, target));
        if (message.getType() == null || message.getType() == Message.Type.groupchat) {
            message.setType(Message.Type.chat);
        }
        send(p, message);
        stats.increment("injected.private");
    }

    /**
     * A moderator of another node kicked or banned one of this node's users there (its room could only take out the
     * stand-in): this node's room does the same to the user, in the room's name, if the moderator is a moderator as
     * this node knows it (the role its home room gave it). The user's departure then travels from here as any other.
     */
    private void moderation(String room, Envelope envelope, Element stanza) {
        Element destroy = Stanzas.destruction(stanza);
        if (destroy != null) {
            destruction(room, envelope, destroy.elementText("reason"));
            return;
        }
        Stanzas.Moderation m = Stanzas.moderation(stanza);
        if (m == null || m.node() != overlay.nodeId()) {
            stats.increment("inject.not-for-us");
            return;
        }
        if (isStaleKick(m, envelope.originTime(), System.currentTimeMillis())) {
            stats.increment("inject.kicks-stale");
            return;
        }
        Participant actor = roster.find(room, envelope.originNode(), envelope.nick());
        LocalOccupancy.Seat target = occupancy.seatOf(room, m.nick());
        if (actor == null || actor.homeRank == null || !"moderator".equals(actor.homeRank.role()) || target == null) {
            stats.increment("inject.moderation-refused");
            Log.debug("XO: room {} did not {} {} for {} of node {}: {}", room, m.ban() ? "ban" : "kick", m.nick(),
                    envelope.nick(), Long.toHexString(envelope.originNode()), actor == null ? "no such participant"
                            : target == null ? "no such occupant here" : "not a moderator");
            return;
        }
        try {
            if (overlay.takeOut(room, target.user(), m.ban(), virtualJid(actor), actor.localNick(), m.reason())) {
                stats.increment(m.ban() ? "inject.bans" : "inject.kicks");
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            stats.increment("inject.moderation-refused");
            Log.debug("XO: room {} refused to {} {} for {}: {}", room, m.ban() ? "ban" : "kick", m.nick(),
                    actor.localNick(), e.getMessage());
        }
    }

    /**
     * A kick is of its moment (the user may come straight back): one that a partition held up for over
     * {@link #STALE_KICK_MS} is not applied. A ban or a destruction lasts, and applies however late it comes.
     */
    static boolean isStaleKick(Stanzas.Moderation m, long originTime, long now) {
        return !m.ban() && now - originTime > STALE_KICK_MS;
    }

    /**
     * The room's owner on another node destroyed it there: this node's copy goes too, in the room's name, if the actor
     * owns the room as this node knows it (the affiliation its home room gave it). Its occupants here leave every node.
     */
    private void destruction(String room, Envelope envelope, String reason) {
        Participant actor = ownerAsKnownHere(room, envelope, "destroyed", "inject.moderation-refused");
        if (actor == null) {
            return;
        }
        try {
            if (overlay.destroyRoom(room, reason)) {
                stats.increment("inject.destructions");
                Log.info("XO: room {} destroyed, as its owner {} of node {} destroyed it there", room,
                        actor.originNick(), Long.toHexString(actor.origin));
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            stats.increment("inject.moderation-refused");
            Log.warn("XO could not destroy room {} as {} of node {} did: {}", room, actor.originNick(),
                    Long.toHexString(actor.origin), e.getMessage());
        }
    }

    /**
     * @return the envelope's sender as a participant here if its home room makes it an owner; else null, counted and
     * logged as the room not {@code done} for it
     */
    private Participant ownerAsKnownHere(String room, Envelope envelope, String done, String refusedCounter) {
        Participant actor = roster.find(room, envelope.originNode(), envelope.nick());
        if (actor == null || actor.homeRank == null || !"owner".equals(actor.homeRank.affiliation())) {
            stats.increment(refusedCounter);
            Log.debug("XO: room {} not {} for {} of node {}: not its owner as this node knows", room, done,
                    envelope.nick(), Long.toHexString(envelope.originNode()));
            return null;
        }
        return actor;
    }

    /**
     * The room's owner on another node changed its configuration there: this node's copy takes it, unless a later one
     * is known. On a keyed overlay from any node (every node speaking holds the key); on an open overlay only from an
     * owner as this node knows it, and never its privacy (a private room is not carried there). Participants who are
     * members at home are members here already (see {@link #enter}), so a room that now takes members only keeps them.
     */
    private void configuration(String room, Envelope envelope, Element stanza) {
        RoomConfiguration configuration = RoomConfiguration.fromForm(stanza);
        if (configuration == null) {
            stats.increment("inject.bad-stanza");
            return;
        }
        if (!overlay.isKeyed()) {
            if (ownerAsKnownHere(room, envelope, "configured", "inject.configuration-refused") == null) {
                return;
            }
            configuration = configuration.withoutPrivacy();
        }
        try {
            if (overlay.configure(room, configuration, envelope)) {
                stats.increment("inject.configurations");
                Log.info("XO: room {} configured as node {} configured it: {}", room,
                        Long.toHexString(envelope.originNode()), configuration);
            } else {
                stats.increment("inject.configuration-superseded");
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            stats.increment("inject.configuration-refused");
            Log.warn("XO could not configure room {} as node {} did: {}", room,
                    Long.toHexString(envelope.originNode()), e.getMessage());
        }
    }

    /**
     * On a keyed overlay a member (admin, owner) of the room at home is a member of the local room: it may enter, and
     * stays, when the room takes members only. No more than a member: its privileges travel as its role, checked at
     * home. Not on an open overlay: members-only rooms are not carried there, and anyone could claim membership and
     * fill the room's member list (kept in the database for a persistent room).
     */
    private void makeMemberIfMemberAtHome(Participant p) {
        String affiliation = p.homeRank == null ? null : p.homeRank.affiliation();
        // Set.of answers contains(null) with a NullPointerException: most presences say no affiliation.
        if (affiliation == null || !MEMBER_AFFILIATIONS.contains(affiliation) || p.memberHere || !overlay.isKeyed()) {
            return;
        }
        p.memberHere = true;
        try {
            if (overlay.addMember(p.room, virtualJid(p))) {
                stats.increment("inject.memberships-given");
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            stats.increment("inject.memberships-refused");
            Log.warn("XO could not make {} a member of {}", p, p.room, e);
        }
    }

    private static final Set<String> MEMBER_AFFILIATIONS = Set.of("member", "admin", "owner");

    /**
     * A message can arrive before (or without) its sender's presence, e.g. after a loss: bring them in first.
     *
     * @return the participant; null when the bounds on remote participants keep it out
     */
    private Participant ensureParticipant(String room, Envelope envelope) {
        Participant p = roster.find(room, envelope.originNode(), envelope.nick());
        if (p == null) {
            presence(room, envelope.originNode(), envelope.originEpoch(), envelope.nick(), parseQuietly("<presence/>"));
            p = roster.find(room, envelope.originNode(), envelope.nick());
        }
        return p;
    }

    /** Packets from a participant wait until the room has confirmed its entry. */
    private void send(Participant p, Packet packet) {
        if (p.joined()) {
            route(packet);
        } else if (refusedForGood(p)) {
            stats.increment("inject.dropped-refused");
        } else {
            List<Packet> waiting = held.computeIfAbsent(p.resource, r -> new ArrayList<>());
            if (waiting.size() >= MAX_HELD_PER_PARTICIPANT) {
                boundHit("inject.held-full", "XO dropped a packet of " + p + ": " + MAX_HELD_PER_PARTICIPANT
                        + " wait for the room to confirm its entry");
                return;
            }
            waiting.add(packet);
        }
    }

    // ---- room → overlay ----------------------------------------------------------------------------------------

    /**
     * A packet the room sent to a virtual occupant. Called by Openfire, possibly under a room lock: decides from
     * lock-free state and queues what matters (the participant's own presence or errors, private messages).
     */
    void fromRoom(Packet packet) {
        JID to = packet.getTo();
        JID from = packet.getFrom();
        String roomNick = to == null ? null : roomNicks.get(to.getResource() == null ? "" : to.getResource());
        if (roomNick == null || from == null) {
            stats.increment("room-to-remote.unknown");
            return;
        }
        if (packet instanceof Presence presence) {
            if (presence.getType() != Presence.Type.error && !roomNick.equals(from.getResource())) {
                stats.increment("room-to-remote.others-presence");
                return;
            }
        } else if (packet instanceof Message message) {
            if (message.getType() == Message.Type.groupchat) {
                if (message.getBody() != null) {
                    stats.increment("room-to-remote.groupchat"); // a broadcast: deaf occupants never get these
                }
                return; // else the subject that Openfire 5.x sends everyone who enters
            }
            if (message.getType() == Message.Type.error) {
                return;
            }
        } else {
            return;
        }
        String resource = to.getResource();
        // A copy: the room readdresses this very object to its next recipient (a kick goes to the kicked one, then
        // to everyone) while the task waits.
        Packet copy = packet.createCopy();
        submit(() -> fromRoom(copy, resource));
    }

    private void fromRoom(Packet packet, String resource) {
        Participant p = roster.byResource(resource);
        if (p == null || !p.user.equals(packet.getTo().getNode())) {
            return;
        }
        if (packet instanceof Presence presence) {
            fromRoom(presence, p);
        } else {
            privateMessageToOverlay((Message) packet, p);
        }
    }

    private void fromRoom(Presence presence, Participant p) {
        if (presence.getType() == Presence.Type.error) {
            if (!p.joined()) {
                refused(presence, p);
            }
            return;
        }
        if (!p.localNick().equals(presence.getFrom().getResource())) {
            return; // about a nick the participant no longer has
        }
        if (presence.getType() == null) {
            p.roomRole = Stanzas.roomRole(presence.getElement());
        }
        if (presence.getType() == null && !p.joined()) {
            roster.markJoined(p);
            giveHomeRole(p); // before what it said meanwhile: a moderator's subject change needs the role
            List<Packet> waiting = held.remove(p.resource);
            if (waiting != null) {
                waiting.forEach(this::route);
            }
        } else if (presence.getType() == Presence.Type.unavailable) {
            // The room itself took the participant out (kicked, banned, room destroyed): forget them here.
            roster.remove(p);
            roomNicks.remove(p.resource);
            gatewayOccupants.remove(p.resource);
            held.remove(p.resource);
            stats.add("remote.occupants", -1);
            stats.increment("inject.removed-by-room");
            forwardToHome(presence, p);
        }
    }

    /**
     * A moderator here kicked or banned the participant: only its stand-in is out. Its home node's room is asked to do
     * the same to the user itself, whose departure then reaches every node.
     */
    private void forwardToHome(Presence removal, Participant p) {
        Element x = removal.getChildElement("x", Stanzas.MUC_USER_NS);
        if (x == null || !Stanzas.hasStatus(x, FORWARDED_REMOVALS)) {
            return;
        }
        boolean ban = Stanzas.hasStatus(x, java.util.Set.of("301"));
        Element item = x.element("item");
        Element actor = item == null ? null : item.element("actor");
        String actorNick = actor == null ? null : actor.attributeValue("nick");
        if ((actorNick == null || actorNick.isEmpty()) && actor != null && actor.attributeValue("jid") != null) {
            actorNick = occupancy.nickOf(p.room, actor.attributeValue("jid")); // Openfire 4.2 names the actor by JID
        }
        if (actorNick == null || actorNick.isEmpty() || !occupancy.hasNick(p.room, actorNick)) {
            stats.increment("inject.moderation-unforwarded"); // not one of this node's moderators (the console, say)
            return;
        }
        String request = Stanzas.moderationForOverlay(new Stanzas.Moderation(p.origin, p.originNick(), ban,
                item.elementText("reason")));
        if (overlay.publish(p.room, actorNick, Kind.MODERATION, request)) {
            stats.increment("mirrored.moderation");
        }
    }

    private void refused(Presence presence, Participant p) {
        PacketError error = presence.getError();
        if (error != null && error.getCondition() == PacketError.Condition.conflict
                && roster.nextNickAfterConflict(p)) {
            stats.increment("inject.nick-conflict");
            roomNicks.put(p.resource, p.localNick());
            enter(p);
            return;
        }
        stats.increment("inject.join-refused");
        int refused = refusals.merge(p.resource, 1, Integer::sum);
        if (refused <= MAX_REFUSALS) {
            schedule(() -> {
                if (roster.byResource(p.resource) == p && !p.joined()) {
                    enter(p);
                }
            }, FIRST_REENTRY_DELAY_MS << (refused - 1));
        } else {
            // Refused for good (a full room, a ban): what it says is dropped, not held, until its next presence.
            List<Packet> waiting = held.remove(p.resource);
            stats.add("inject.dropped-refused", waiting == null ? 0 : waiting.size());
            Log.info("XO: room {} refused remote participant {}: {}", p.room, p.originNick(), presence.toXML());
        }
    }

    /** @return true when the room refused the participant for good (until it sends a new presence) */
    private boolean refusedForGood(Participant p) {
        return refusals.getOrDefault(p.resource, 0) > MAX_REFUSALS;
    }

    private void privateMessageToOverlay(Message message, Participant p) {
        String senderNick = message.getFrom().getResource();
        if (senderNick == null || !occupancy.hasNick(p.room, senderNick)) {
            return;
        }
        Message overlayCopy = message.createCopy();
        Stanzas.addTargetNode(overlayCopy, p.origin);
        String stanza = Stanzas.readdressForOverlay(overlayCopy, overlay.overlayJid(p.room, p.originNick()));
        if (overlay.publish(p.room, senderNick, Kind.PRIVATE, stanza)) {
            stats.increment("mirrored.private");
        } else {
            stats.increment("mirror.oversized");
        }
    }

    // ---- plumbing ----------------------------------------------------------------------------------------------

    private JID virtualJid(Participant p) {
        return new JID(p.user, componentDomain, p.resource);
    }

    private Presence presenceFrom(Participant p, Element stanza) {
        Presence presence = stanza == null ? new Presence() : new Presence(stanza.createCopy(), true);
        Stanzas.removeXoElements(presence);
        presence.setFrom(virtualJid(p));
        presence.setTo(overlay.localRoomJid(p.room, p.localNick()));
        return presence;
    }

    private void route(Packet packet) {
        try {
            router.route(packet);
        } catch (RuntimeException e) {
            stats.increment("inject.errors");
            Log.warn("XO could not route {} into the room", packet.toXML(), e);
        }
    }

    /** Queues work for the injector thread; never blocks. */
    private void submit(Runnable task) {
        if (queued.incrementAndGet() > MAX_QUEUED) {
            queued.decrementAndGet();
            boundHit("inject.queue-full", "XO dropped a remote event: " + MAX_QUEUED + " wait for the injector thread");
            return;
        }
        try {
            thread.execute(() -> {
                queued.decrementAndGet();
                runGuarded(task);
            });
        } catch (RejectedExecutionException stopping) {
            queued.decrementAndGet();
        }
    }

    /** Counts a drop at a bound; logs the first of each bound as a warning, later ones at debug level. */
    private void boundHit(String counter, String message) {
        stats.increment(counter);
        if (boundsWarned.add(counter)) {
            Log.warn("{} (counted as {}; further ones are logged at debug level)", message, counter);
        } else {
            Log.debug(message);
        }
    }

    private void schedule(Runnable task, long delayMs) {
        try {
            thread.schedule(() -> runGuarded(task), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            // the plugin is going away
        }
    }

    private void runGuarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            stats.increment("inject.errors");
            Log.warn("XO injection failed", e);
        }
        if (roster.changes() != publishedChanges) {
            publishedChanges = roster.changes();
            published = roster.snapshot();
        }
    }

    /** @return the remote participants of every room, as of the injector's last roster change; never blocks */
    List<RemoteOccupant> remoteOccupants() {
        return published;
    }

    /**
     * Stops the injector thread after what is queued, waiting a bounded time.
     *
     * @param takeOccupantsOut true on an unload at run time: remote participants must not stay behind as ghosts
     */
    void stop(boolean takeOccupantsOut) {
        if (takeOccupantsOut) {
            try {
                thread.execute(() -> runGuarded(() -> roster.removeAll().forEach(this::routeDeparture)));
            } catch (RejectedExecutionException alreadyStopped) {
                // nothing left to take out
            }
        }
        thread.shutdown();
        try {
            if (!thread.awaitTermination(STOP_WAIT_MS, TimeUnit.MILLISECONDS)) {
                Log.warn("XO injector still busy after {} ms; stopping it", STOP_WAIT_MS);
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Package-private for the receive path's fuzz target: the address comes from the network. */
    static String resourceOf(String jid) {
        if (jid == null) {
            return null;
        }
        try {
            return new JID(jid).getResource();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Element parseQuietly(String xml) {
        try {
            return Stanzas.parse(xml);
        } catch (DocumentException e) {
            return null;
        }
    }
}
