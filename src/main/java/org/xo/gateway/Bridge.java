package org.xo.gateway;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One bridge between the XO room and the far ("enterprise") room: which occupants stand in for whom on each side, and
 * which events cross. Each side has one listening occupant of the bridge's own (nick {@code listenerNick}) that hears
 * the room once; every participant of one room is an occupant of the other under its own nick.
 * <p>
 * An outage of the far room loses nothing either way: what the XO room says meanwhile waits here (bounded) and goes to
 * the far room when it is back, dated; what the far room said meanwhile comes back as its history since the bridge
 * last heard it, dated, without what the bridge had already carried.
 * <p>
 * Several gateways may be configured for the same rooms; one bridges, the others {@link #standBy stand by}, listening
 * in the XO room, and one of them {@link #takeOver takes over} when the one bridging is gone. No gateway carries another
 * gateway's occupants (its listener, its stand-ins for far occupants) into the far room, nor the far room's copies of
 * XO participants (any gateway's stand-ins) into the XO room: two gateways bridging at once (for a moment, until the
 * election settles) can only double what crosses, never carry it round and round.
 *
 * <p>Not thread-safe: one thread (the adapter's) calls every method.
 */
public final class Bridge {
    /** What the bridge does to one room; the adapter sends the stanzas. */
    public interface Room {
        /**
         * The bridge's listening occupant enters (again).
         *
         * @param historySince the room's history to send on entry: what was said after this time; null for none
         */
        void enter(Instant historySince);

        /** An occupant standing in for a participant of the other room enters under {@code nick}. */
        void join(String nick);

        void leave(String nick);

        /** @param saidAt when it was said, for a message carried late (marked with a delay); null for now */
        void say(String nick, String body, Instant saidAt);

        /** A private message from {@code from}'s stand-in to the occupant {@code to} of this room. */
        void privately(String from, String to, String body);

        /** Sets the subject as {@code nick}'s stand-in, or as the listening occupant when {@code nick} is null. */
        void subject(String nick, String subject);
    }

    /** Messages of the XO room kept for the far room while it is unreachable; beyond, the oldest are dropped. */
    public static final int MAX_BACKLOG = 1000;
    /** Far messages remembered to tell the history on re-entry from what the bridge carried already. */
    static final int RECENT_FAR_MESSAGES = 100;

    private record Said(String nick, String body, Instant at) {
    }

    private final String listenerNick;
    /** The listener's nick in the far room: {@link #listenerNick}, or another while the far room holds that one. */
    private String farListenerNick;
    /** The history the listener's last entry into the far room asked for (null: none). */
    private Instant lastEntrySince;
    /** While another gateway bridges: how long what the XO room says is kept for a takeover; null when bridging. */
    private Duration standbyWindow;
    private final Room far;
    private final Room xo;
    private final Consumer<String> count;

    /** Nicks of the XO room's participants (not the bridge's stand-ins there). */
    private final Set<String> xoParticipants = new LinkedHashSet<>();
    /** XO participants the bridge has put into the far room. */
    private final Set<String> inFar = new LinkedHashSet<>();
    /** Far occupants the bridge has put into the XO room. */
    private final Set<String> inXo = new LinkedHashSet<>();
    /** Occupants of the far room that are far participants (not the XO participants' copies), seated in XO or not. */
    private final Set<String> farParticipants = new LinkedHashSet<>();
    /** Other gateways' occupants in the XO room (their listeners, their stand-ins for far occupants). */
    private final Set<String> othersInXo = new HashSet<>();
    private boolean farUp;
    /** The subject last carried either way: a room telling it back is no change. */
    private String subject;
    private final Clock clock;
    /** What the XO room said while the far room was unreachable, oldest first. */
    private final Deque<Said> backlog = new ArrayDeque<>();
    /** When the bridge last heard the far room (its entry or a message): the far history wanted after an outage. */
    private Instant farLastHeard;
    /** Between re-entering the far room and its subject (which ends the history, XEP-0045 7.2.15). */
    private boolean farHistoryComing;
    /** The far messages the bridge carried last, as nick and body: the history on re-entry may repeat them. */
    private final Deque<String> recentFar = new ArrayDeque<>();
    /** What the far room's history on re-entry held, as nick and body: the backlog goes without those. */
    private final Set<String> farHistorySeen = new HashSet<>();


    /** @param count called with a counter name per event worth counting */
    public Bridge(String listenerNick, Room far, Room xo, Consumer<String> count) {
        this(listenerNick, far, xo, count, Clock.systemUTC());
    }

    Bridge(String listenerNick, Room far, Room xo, Consumer<String> count, Clock clock) {
        this.listenerNick = listenerNick;
        this.farListenerNick = listenerNick;
        this.far = far;
        this.xo = xo;
        this.count = count;
        this.clock = clock;
    }

    /** The bridge starts: its listener enters the XO room, which holds the room open on the overlay. */
    public void start() {
        xo.enter(null);
    }

    public boolean isFarUp() {
        return farUp;
    }

    /** The far room is reachable (again): the listener enters it, then every XO participant. */
    public void farUp() {
        if (farUp) {
            return;
        }
        farUp = true;
        // The first entry takes no history (said before there was a bridge); a return takes what the outage hid.
        Instant since = farLastHeard;
        lastEntrySince = since;
        farHistoryComing = since != null;
        farLastHeard = clock.instant();
        far.enter(since);
        for (String nick : xoParticipants) {
            inFar.add(nick);
            far.join(nick);
            count.accept("gateway.to-far.joins");
        }
        if (!farHistoryComing) {
            sendBacklog();
        }
    }

    /** What the XO room said while the far room was out of reach goes there, but what its history shows it has. */
    private void sendBacklog() {
        while (!backlog.isEmpty()) {
            Said said = backlog.removeFirst();
            if (farHistorySeen.contains(carriedKey(said.nick(), said.body()))) {
                // it got there before the outage was noticed, or another gateway carried it before the takeover
                count.accept("gateway.to-far.already-there");
                continue;
            }
            boolean absent = !inFar.contains(said.nick());
            if (absent) {
                far.join(said.nick()); // left meanwhile: in for their words, then out again
            }
            far.say(said.nick(), said.body(), said.at());
            if (absent) {
                far.leave(said.nick());
            }
            count.accept("gateway.to-far.after-outage");
        }
        farHistorySeen.clear();
    }


    /**
     * The far room is unreachable: the far occupants leave the XO room (XO keeps chatting). The XO participants leave
     * the far room too, as far as anything still gets through (the far server may only have lost the bridge, or
     * queue for it), and rejoin on {@link #farUp()}.
     */
    public void farDown() {
        if (!farUp) {
            return;
        }
        farUp = false;
        farHistoryComing = false;
        farHistorySeen.clear();
        for (String nick : inXo) {
            xo.leave(nick);
        }
        for (String nick : inFar) {
            far.leave(nick);
        }
        far.leave(farListenerNick);
        inXo.clear();
        inFar.clear();
        farParticipants.clear();
    }

    /**
     * The far room refused the listener's nick: someone holds it there, such as a gateway gone silent whose occupants
     * the far server has not noticed leaving yet. The listener enters under another, asking for the same history.
     */
    public void farListenerRefused(String otherNick) {
        farListenerNick = otherNick;
        if (farUp) {
            far.enter(lastEntrySince);
        }
    }

    /** @return the listener's nick in the far room */
    public String farListenerNick() {
        return farListenerNick;
    }

    /** @return whether another gateway bridges the room and this one stands by */
    public boolean isStandingBy() {
        return standbyWindow != null;
    }

    /**
     * Another gateway, elected, bridges the room: this one leaves the far room (if it was in it) and listens in the XO
     * room, keeping what it says for {@code window}: time enough for a takeover to tell what the far room lacks.
     */
    public void standBy(Duration window) {
        farDown();
        backlog.clear(); // the elected gateway carries it
        standbyWindow = window;
    }

    /**
     * The elected gateway is gone: this one bridges from now on (from {@link #farUp}, when the far room answers). Its
     * entry asks for the far room's history of the standby window: what the XO room lacks of it goes there, dated,
     * and what the XO room said in the window goes to the far room but what that history shows it has.
     */
    public void takeOver() {
        if (standbyWindow == null) {
            return;
        }
        farLastHeard = clock.instant().minus(standbyWindow);
        standbyWindow = null;
    }

    /** The bridge stops: its occupants leave both rooms. */
    public void stop() {
        farDown();
        xo.leave(listenerNick);
        xoParticipants.clear();
    }

    // ---- what the XO room's listener hears ---------------------------------------------------------------------

    public void xoPresence(String nick, boolean available) {
        if (isOwnInXo(nick)) {
            return;
        }
        if (available) {
            if (xoParticipants.add(nick) && farUp && inFar.add(nick)) {
                far.join(nick);
                count.accept("gateway.to-far.joins");
            }
        } else {
            if (xoParticipants.remove(nick) && inFar.remove(nick)) {
                far.leave(nick);
            }
            seatFarParticipant(nick);
        }
    }

    /**
     * Another gateway's occupant in the XO room (its listener, or its stand-in for a far occupant): never carried to
     * the far room. One that leaves may have held the nick of a far participant this bridge could not seat.
     */
    public void otherGatewaysOccupant(String nick, boolean available) {
        if (available) {
            if (othersInXo.add(nick)) {
                count.accept("gateway.other-gateways-occupants");
            }
            // Known as another gateway's only now (its messages came before its presence, say): out of the far room.
            if (xoParticipants.remove(nick) && inFar.remove(nick)) {
                far.leave(nick);
            }
        } else if (othersInXo.remove(nick)) {
            seatFarParticipant(nick);
        }
    }

    /** @return whether the XO room's occupant of that nick is another gateway's, as last heard */
    public boolean isOtherGatewaysOccupant(String nick) {
        return othersInXo.contains(nick);
    }

    /** Whoever held a far participant's nick in the XO room (and had it refused) is gone: the participant enters. */
    private void seatFarParticipant(String nick) {
        if (farUp && farParticipants.contains(nick) && inXo.add(nick)) {
            xo.join(nick);
            count.accept("gateway.to-xo.joins");
        }
    }

    public void xoMessage(String nick, String body) {
        if (isOwnInXo(nick)) {
            count.accept("gateway.echoes-dropped");
        } else if (othersInXo.contains(nick)) {
            // Another gateway carried it from the far room: the far room's history on a takeover holds it too.
            rememberCarried(nick, body);
            count.accept("gateway.from-other-gateways");
        } else if (inFar.contains(nick)) {
            far.say(nick, body, null);
            count.accept("gateway.to-far.messages");
        } else if (!farUp) {
            Instant now = clock.instant();
            if (standbyWindow != null) {
                while (!backlog.isEmpty() && backlog.peekFirst().at().isBefore(now.minus(standbyWindow))) {
                    backlog.removeFirst();
                }
            } else {
                count.accept("gateway.to-far.held");
            }
            if (backlog.size() == MAX_BACKLOG) {
                backlog.removeFirst();
                count.accept("gateway.to-far.missed");
            }
            backlog.addLast(new Said(nick, body, now));
        } else {
            count.accept("gateway.to-far.missed"); // its sender was refused in the far room
        }
    }

    /** An XO participant's private message to a far occupant's stand-in in the XO room. */
    public void xoPrivate(String from, String to, String body) {
        if (inFar.contains(from) && inXo.contains(to)) {
            far.privately(from, to, body);
            count.accept("gateway.to-far.private");
        } else {
            count.accept("gateway.private-missed"); // one of them is not (or no longer) across
        }
    }

    public void xoSubject(String nick, String newSubject) {
        if (isOwnInXo(nick)) {
            count.accept("gateway.echoes-dropped");
        } else if (othersInXo.contains(nick)) {
            subject = newSubject; // from the far room: no change to carry there
        } else if (isChange(newSubject) && farUp) {
            subject = newSubject;
            far.subject(inFar.contains(nick) ? nick : null, newSubject);
            count.accept("gateway.to-far.subjects");
        }
    }

    /** The far room refused an XO participant's stand-in (its nick is taken there, or the room is closed to it). */
    public void farRefused(String nick) {
        if (inFar.remove(nick)) {
            count.accept("gateway.to-far.refused");
        }
    }

    private boolean isOwnInXo(String nick) {
        return listenerNick.equals(nick) || inXo.contains(nick);
    }

    // ---- what the far room's listener hears --------------------------------------------------------------------

    public void farPresence(String nick, boolean available) {
        if (isOwnInFar(nick) || !farUp) {
            return; // while the far room counts as gone, its occupants are out; they are told again on re-entry
        }
        if (available && xoParticipants.contains(nick)) {
            // An XO participant's copy there (another gateway's stand-in), or someone holding its nick: not carried.
            count.accept("gateway.to-xo.xo-copies");
        } else if (available) {
            farParticipants.add(nick);
            if (!othersInXo.contains(nick) && inXo.add(nick)) { // else seated when that occupant leaves
                xo.join(nick);
                count.accept("gateway.to-xo.joins");
            }
        } else if (farParticipants.remove(nick) && inXo.remove(nick)) {
            xo.leave(nick);
        } else if (xoParticipants.contains(nick) && inFar.add(nick)) {
            // Whoever held an XO participant's nick there (and had it refused) is gone: the participant enters now.
            far.join(nick);
            count.accept("gateway.to-far.joins");
        }
    }

    public void farMessage(String nick, String body) {
        if (!farUp) {
            // Held up on the way while the bridge counted the far room as gone: its history on return brings it.
            count.accept("gateway.to-xo.held-up");
            return;
        }
        farLastHeard = clock.instant();
        farHistoryEnded(); // history comes before anything said now
        if (isOwnInFar(nick)) {
            count.accept("gateway.echoes-dropped");
        } else if (inXo.contains(nick)) {
            xo.say(nick, body, null);
            rememberCarried(nick, body);
            count.accept("gateway.to-xo.messages");
        } else {
            count.accept("gateway.to-xo.missed"); // its sender was refused in the XO room
        }
    }

    /** @return whether the far room's history, asked for on re-entry after an outage, is still coming */
    public boolean isFarHistoryComing() {
        return farHistoryComing;
    }

    /**
     * A message of the far room's history on re-entry: said during the outage, so it goes to the XO room dated, unless
     * the bridge carried it before (the history since the last message heard may begin with that one).
     */
    public void farHistory(String nick, String body, Instant saidAt) {
        if (!farHistoryComing) {
            return;
        }
        farHistorySeen.add(carriedKey(nick, body));
        if (isOwnInFar(nick) || xoParticipants.contains(nick) || heardInXo(nick, body)) {
            return; // the XO room's own words, carried there before the outage (or by the gateway taken over from)
        }
        if (recentFar.contains(carriedKey(nick, body))) {
            count.accept("gateway.to-xo.already-carried");
            return;
        }
        boolean absent = !inXo.contains(nick);
        if (absent) {
            xo.join(nick);
        }
        xo.say(nick, body, saidAt);
        if (absent) {
            xo.leave(nick);
        }
        rememberCarried(nick, body);
        count.accept("gateway.to-xo.after-outage");
    }

    /** The far room's subject on re-entry: its history is over, and the backlog can go without what it showed. */
    public void farHistoryEnded() {
        if (farHistoryComing) {
            farHistoryComing = false;
            sendBacklog();
        }
    }

    /** A far occupant's private message to an XO participant's stand-in in the far room. */
    public void farPrivate(String from, String to, String body) {
        if (inXo.contains(from) && inFar.contains(to)) {
            xo.privately(from, to, body);
            count.accept("gateway.to-xo.private");
        } else {
            count.accept("gateway.private-missed");
        }
    }

    /** @return whether the standby window holds these words of the XO room (its participant may have left since) */
    private boolean heardInXo(String nick, String body) {
        return backlog.stream().anyMatch(said -> said.nick().equals(nick) && said.body().equals(body));
    }

    private void rememberCarried(String nick, String body) {
        if (recentFar.size() == RECENT_FAR_MESSAGES) {
            recentFar.removeFirst();
        }
        recentFar.addLast(carriedKey(nick, body));
    }

    private static String carriedKey(String nick, String body) {
        return nick + '\n' + body;
    }

    public void farSubject(String nick, String newSubject) {
        if (isOwnInFar(nick)) {
            count.accept("gateway.echoes-dropped");
        } else if (isChange(newSubject)) {
            subject = newSubject;
            xo.subject(inXo.contains(nick) ? nick : null, newSubject);
            count.accept("gateway.to-xo.subjects");
        }
    }

    /** The XO room refused a far occupant's stand-in (an XO participant has its nick). */
    public void xoRefused(String nick) {
        if (inXo.remove(nick)) {
            count.accept("gateway.to-xo.refused");
        }
    }

    /** The configured listener nick is a gateway's in the far room even while this one's listener has another. */
    private boolean isOwnInFar(String nick) {
        return listenerNick.equals(nick) || farListenerNick.equals(nick) || inFar.contains(nick);
    }

    /** An empty subject before any was carried is a room without one, telling so on entry. */
    private boolean isChange(String newSubject) {
        return !newSubject.equals(subject) && !(subject == null && newSubject.isEmpty());
    }
}
