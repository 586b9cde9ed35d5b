package org.xo.openfire;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.dom4j.DocumentException;
import org.dom4j.Element;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xmpp.packet.JID;
import org.xmpp.packet.Message;
import org.xmpp.packet.Packet;
import org.xmpp.packet.Presence;
import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.sync.RoomLog;

/**
 * The history of overlay rooms, served from the room log: one order rule on every node, origin time (ties by origin
 * node, run, seq), each message dated with its origin time (XEP-0203, from the room). Openfire's own replay knows only
 * what reached this node, in the order it arrived, dated on arrival; so for overlay rooms it is held back on its way
 * to the joining user, and so is the room's subject, which then follows XO's history as XEP-0045 asks (Openfire 4.2
 * sends no subject on join: XO sends the log's latest, or an empty one).
 * <p>
 * Messages that reach this node late (repaired after a partition) go the same way to the room's current local
 * occupants, dated, but not through the room: their senders may have left long ago, and a room accepts messages only
 * from its occupants. The log holds them for later joiners.
 * <p>
 * Joins are matched by user and room between the interceptor's calls; one whose processing never completes is
 * forgotten after {@link #PENDING_MS}.
 */
final class HistoryReplay {
    private static final Logger Log = LoggerFactory.getLogger(HistoryReplay.class);
    /** How long a join may take between the room receiving it and the interceptor seeing it processed. */
    private static final long PENDING_MS = 30_000;
    /** Joins in progress at once; more are served by Openfire's own history (counted). */
    private static final int MAX_PENDING = 10_000;

    private record Join(JID user, String room) {
    }

    private static final class Pending {
        final HistoryRequest request;
        final long startedNanos = System.nanoTime();
        volatile Message subject;

        Pending(HistoryRequest request) {
            this.request = request;
        }
    }

    private final Overlay overlay;
    private final LocalOccupancy occupancy;
    private final Supplier<RoomLog> log;
    private final Consumer<Packet> router;
    private final BridgeStats stats;
    private final Map<Join, Pending> pending = new ConcurrentHashMap<>();
    /**
     * What each recent join's history carried (overlay ids), for {@link #REPLAYED_MS}: a late message that reached the
     * log just before a join read it must not reach that user a second time. Guarded by {@code replayedLock}, which
     * also makes a join's log read and a late delivery take turns.
     */
    private final Map<Join, Replayed> replayed = new java.util.LinkedHashMap<>();
    private final Object replayedLock = new Object();
    /** How long a join's replayed ids are kept: late deliveries follow the log append by milliseconds. */
    private static final long REPLAYED_MS = 60_000;
    private static final int MAX_REPLAYED = 1_000;

    private record Replayed(Set<String> ids, long atNanos) {
    }

    /**
     * @param log    the running overlay's room log, or null while the overlay does not run (Openfire's history is
     *               then left alone)
     * @param router routes a packet (Openfire's packet router in the plugin)
     */
    HistoryReplay(Overlay overlay, LocalOccupancy occupancy, Supplier<RoomLog> log, Consumer<Packet> router,
                  BridgeStats stats) {
        this.overlay = overlay;
        this.occupancy = occupancy;
        this.log = log;
        this.router = router;
        this.stats = stats;
    }

    /**
     * A local user's presence to an overlay room, before the room processes it: a join if the user is not seated. A
     * room the overlay does not carry (its group could not be joined) has nothing in the log: Openfire's own history
     * and subject serve it.
     */
    void joinArriving(Presence presence) {
        JID user = presence.getFrom();
        String room = presence.getTo().getNode();
        if (presence.getType() != null || presence.getTo().getResource() == null || log.get() == null
                || occupancy.seat(user, room) != null || overlay.isUncarried(room)) {
            return;
        }
        expireStale();
        if (pending.size() >= MAX_PENDING) {
            stats.increment("history.openfire-served");
            return;
        }
        pending.put(new Join(user, room), new Pending(HistoryRequest.of(presence.getElement())));
    }

    /**
     * A packet on its way to a local client, before delivery. @return true when it is Openfire's history or subject
     * for a join in progress, which XO sends itself once the join is through
     */
    boolean holdBack(Packet packet) {
        if (pending.isEmpty() || !(packet instanceof Message message) || message.getType() != Message.Type.groupchat
                || message.getFrom() == null || message.getTo() == null) {
            return false;
        }
        Pending join = pending.get(new Join(message.getTo(), message.getFrom().getNode()));
        if (join == null || !overlay.isLocalMucDomain(message.getFrom().getDomain())) {
            return false;
        }
        if (message.getBody() == null && message.getSubject() != null) {
            join.subject = message.createCopy();
            return true;
        }
        if (message.getChildElement("delay", Stanzas.DELAY_NS) != null) {
            stats.increment("history.openfire-held-back");
            return true;
        }
        return false;
    }

    /**
     * The room processed the join. When it seated the user, XO's history follows, then the subject; when it refused
     * (nick taken, banned, ...), the subject it held back is dropped, as the room sent the user no history either.
     */
    void joinProcessed(JID user, String room, boolean seated) {
        RoomLog roomLog = log.get();
        Pending join;
        List<Envelope> events;
        synchronized (replayedLock) {
            join = pending.remove(new Join(user, room));
            if (join == null || !seated || roomLog == null) {
                return;
            }
            try {
                events = roomLog.recent(overlay.overlayRoom(room), Set.of(Kind.GROUPCHAT, Kind.SUBJECT),
                        join.request.messagesToRead() + 1);
            } catch (RuntimeException e) {
                stats.increment("history.log-errors");
                Log.warn("XO could not read the history of room {} from its log", room, e);
                events = List.of();
            }
            rememberReplayed(new Join(user, room), events);
        }
        Envelope latestSubject = null;
        List<Envelope> messages = new ArrayList<>();
        for (Envelope e : events) {
            if (e.kind() == Kind.SUBJECT) {
                latestSubject = e;
            } else {
                messages.add(e);
            }
        }
        Instant now = Instant.now();
        for (Envelope e : join.request.select(messages, now, ev -> ev.stanza().length())) {
            Message m = dated(e, room, user);
            if (m != null) {
                router.accept(m);
                stats.increment("history.sent");
            }
        }
        router.accept(subjectFor(join.subject, latestSubject, room, user));
    }

    /**
     * A message that reached this node late: straight to each local occupant of the room, dated; not to one whose join
     * is in progress or just replayed the log, which holds the message already (the engine logs before it delivers).
     */
    void deliverLate(Envelope e, String room) {
        List<JID> recipients = new ArrayList<>();
        synchronized (replayedLock) {
            for (LocalOccupancy.Seat seat : occupancy.seatsIn(room)) {
                Join join = new Join(seat.user(), room);
                Replayed history = replayed.get(join);
                if (pending.containsKey(join) || history != null && history.ids().contains(e.overlayId())) {
                    stats.increment("late.in-history");
                } else {
                    recipients.add(seat.user());
                }
            }
        }
        for (JID user : recipients) {
            Message m = dated(e, room, user);
            if (m != null) {
                router.accept(m);
            }
        }
        stats.increment("late.delivered");
    }

    private void rememberReplayed(Join join, List<Envelope> events) {
        long now = System.nanoTime();
        replayed.values().removeIf(r -> now - r.atNanos() > REPLAYED_MS * 1_000_000);
        if (replayed.size() >= MAX_REPLAYED) {
            replayed.remove(replayed.keySet().iterator().next());
        }
        Set<String> ids = new java.util.HashSet<>();
        events.forEach(ev -> ids.add(ev.overlayId()));
        replayed.put(join, new Replayed(ids, now));
    }

    /** @return the event as the room would show it to {@code user}, dated with its origin time; null if malformed */
    private Message dated(Envelope e, String room, JID user) {
        Element stanza;
        try {
            stanza = Stanzas.parse(e.stanza());
        } catch (DocumentException ex) {
            stats.increment("history.bad-stanza");
            return null;
        }
        Message m = new Message(stanza.createCopy(), true);
        Stanzas.removeXoElements(m);
        List<JID> assigners = overlay.stanzaIdAssigners(room);
        Stanzas.removeStanzaIds(m, assigners);
        m.setFrom(overlay.localRoomJid(room, shownNick(e, room)));
        m.setTo(user);
        m.setType(Message.Type.groupchat);
        Stanzas.setStanzaId(m, assigners.get(0), e.overlayId());
        Stanzas.addDelay(m, Instant.ofEpochMilli(e.originTime()), overlay.localRoomJid(room, null));
        return m;
    }

    /**
     * The nick an event's sender is shown under: its own, suffixed as the nick rule suffixes remote participants
     * (four hex digits of the origin node) when a local occupant holds the same nick now.
     */
    private String shownNick(Envelope e, String room) {
        if (e.originNode() == overlay.nodeId() || !occupancy.hasNick(room, e.nick())) {
            return e.nick();
        }
        String id = Long.toHexString(e.originNode());
        return e.nick() + "#" + id.substring(0, Math.min(4, id.length()));
    }

    private Message subjectFor(Message heldBack, Envelope latest, String room, JID user) {
        if (heldBack != null) {
            return heldBack;
        }
        Message subject = null;
        if (latest != null) {
            subject = dated(latest, room, user);
        }
        if (subject == null || subject.getSubject() == null) {
            // XEP-0045 7.2.15: a room without a subject sends an empty one, which tells clients the join is complete.
            subject = new Message();
            subject.setType(Message.Type.groupchat);
            subject.setFrom(overlay.localRoomJid(room, null));
            subject.setTo(user);
            subject.getElement().addElement("subject");
        }
        return subject;
    }

    private void expireStale() {
        long now = System.nanoTime();
        for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
            if (now - it.next().startedNanos > PENDING_MS * 1_000_000) {
                it.remove();
                stats.increment("history.joins-expired");
            }
        }
    }
}
