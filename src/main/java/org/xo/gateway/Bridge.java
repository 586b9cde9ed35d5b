package org.xo.gateway;

import java.time.Clock;
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
    private final Room far;
    private final Room xo;
    private final Consumer<String> count;

    /** Nicks of the XO room's participants (not the bridge's stand-ins there). */
    private final Set<String> xoParticipants = new LinkedHashSet<>();
    /** XO participants the bridge has put into the far room. */
    private final Set<String> inFar = new LinkedHashSet<>();
    /** Far occupants the bridge has put into the XO room. */
    private final Set<String> inXo = new LinkedHashSet<>();
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
                count.accept("gateway.to-far.already-there"); // it got there before the outage was noticed
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
        far.leave(listenerNick);
        inXo.clear();
        inFar.clear();
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
        } else if (xoParticipants.remove(nick) && inFar.remove(nick)) {
            far.leave(nick);
        }
    }

    public void xoMessage(String nick, String body) {
        if (isOwnInXo(nick)) {
            count.accept("gateway.echoes-dropped");
        } else if (inFar.contains(nick)) {
            far.say(nick, body, null);
            count.accept("gateway.to-far.messages");
        } else if (!farUp) {
            if (backlog.size() == MAX_BACKLOG) {
                backlog.removeFirst();
                count.accept("gateway.to-far.missed");
            }
            backlog.addLast(new Said(nick, body, clock.instant()));
            count.accept("gateway.to-far.held");
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
        if (available) {
            if (inXo.add(nick)) {
                xo.join(nick);
                count.accept("gateway.to-xo.joins");
            }
        } else if (inXo.remove(nick)) {
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
        if (isOwnInFar(nick)) {
            return; // the XO room's own words, carried there before the outage
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

    private boolean isOwnInFar(String nick) {
        return listenerNick.equals(nick) || inFar.contains(nick);
    }

    /** An empty subject before any was carried is a room without one, telling so on entry. */
    private boolean isChange(String newSubject) {
        return !newSubject.equals(subject) && !(subject == null && newSubject.isEmpty());
    }
}
