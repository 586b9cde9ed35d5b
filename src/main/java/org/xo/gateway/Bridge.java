package org.xo.gateway;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One bridge between the XO room and the far ("enterprise") room: which occupants stand in for whom on each side, and
 * which events cross. Each side has one listening occupant of the bridge's own (nick {@code listenerNick}) that hears
 * the room once; every participant of one room is an occupant of the other under its own nick.
 *
 * <p>Not thread-safe: one thread (the adapter's) calls every method.
 */
public final class Bridge {
    /** What the bridge does to one room; the adapter sends the stanzas. */
    public interface Room {
        /** The bridge's listening occupant enters (again). */
        void enter();

        /** An occupant standing in for a participant of the other room enters under {@code nick}. */
        void join(String nick);

        void leave(String nick);

        void say(String nick, String body);

        /** Sets the subject as {@code nick}'s stand-in, or as the listening occupant when {@code nick} is null. */
        void subject(String nick, String subject);
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

    /** @param count called with a counter name per event worth counting */
    public Bridge(String listenerNick, Room far, Room xo, Consumer<String> count) {
        this.listenerNick = listenerNick;
        this.far = far;
        this.xo = xo;
        this.count = count;
    }

    /** The bridge starts: its listener enters the XO room, which holds the room open on the overlay. */
    public void start() {
        xo.enter();
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
        far.enter();
        for (String nick : xoParticipants) {
            inFar.add(nick);
            far.join(nick);
            count.accept("gateway.to-far.joins");
        }
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
            far.say(nick, body);
            count.accept("gateway.to-far.messages");
        } else {
            count.accept("gateway.to-far.missed"); // said while the far room was unreachable, or by someone refused there
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
        if (isOwnInFar(nick)) {
            return;
        }
        if (available) {
            if (inXo.add(nick)) {
                xo.join(nick);
                count.accept("gateway.to-xo.joins");
            }
        } else if (inXo.remove(nick)) {
            xo.leave(nick);
        }
    }

    public void farMessage(String nick, String body) {
        if (isOwnInFar(nick)) {
            count.accept("gateway.echoes-dropped");
        } else if (inXo.contains(nick)) {
            xo.say(nick, body);
            count.accept("gateway.to-xo.messages");
        } else {
            count.accept("gateway.to-xo.missed"); // its sender was refused in the XO room
        }
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
