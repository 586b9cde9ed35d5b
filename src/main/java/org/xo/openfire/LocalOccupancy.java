package org.xo.openfire;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.xmpp.packet.JID;

/**
 * The occupants of overlay rooms who are connected to this node, as the mirror saw them join. It decides when a
 * room's multicast group is needed (first local occupant in, last one out) and which private messages are ours.
 */
final class LocalOccupancy {

    /** One local occupant's place in one room, with the presence to repeat when the engine restarts. */
    record Seat(JID user, String room, String nick, String presenceXml) {
    }

    private final Map<JID, Map<String, Seat>> seatsByUser = new HashMap<>();
    private final Map<String, Integer> occupantsByRoom = new HashMap<>();

    synchronized Seat seat(JID user, String room) {
        Map<String, Seat> seats = seatsByUser.get(user);
        return seats == null ? null : seats.get(room);
    }

    /** @return true when this is the room's first local occupant */
    synchronized boolean join(JID user, String room, String nick, String presenceXml) {
        Seat previous = seatsByUser.computeIfAbsent(user, u -> new HashMap<>())
                .put(room, new Seat(user, room, nick, presenceXml));
        if (previous != null) {
            return false;
        }
        return occupantsByRoom.merge(room, 1, Integer::sum) == 1;
    }

    /** Replaces nick and presence of an existing seat. */
    synchronized void update(JID user, String room, String nick, String presenceXml) {
        Map<String, Seat> seats = seatsByUser.get(user);
        if (seats != null && seats.containsKey(room)) {
            seats.put(room, new Seat(user, room, nick, presenceXml));
        }
    }

    /** @return the seat given up, or null when the user was not a local occupant of the room */
    synchronized Seat leave(JID user, String room) {
        Map<String, Seat> seats = seatsByUser.get(user);
        Seat seat = seats == null ? null : seats.remove(room);
        if (seat == null) {
            return null;
        }
        if (seats.isEmpty()) {
            seatsByUser.remove(user);
        }
        occupantsByRoom.computeIfPresent(room, (r, n) -> n == 1 ? null : n - 1);
        return seat;
    }

    synchronized boolean isEmpty(String room) {
        return !occupantsByRoom.containsKey(room);
    }

    /** @return every seat of a user, e.g. when the session closed without leaving its rooms */
    synchronized List<Seat> seatsOf(JID user) {
        Map<String, Seat> seats = seatsByUser.get(user);
        return seats == null ? List.of() : new ArrayList<>(seats.values());
    }

    synchronized boolean hasNick(String room, String nick) {
        return seatOf(room, nick) != null;
    }

    /** @return the nick in a room of a local user given by its (bare or full) JID, or null when it is not there */
    synchronized String nickOf(String room, String jid) {
        JID wanted;
        try {
            wanted = new JID(jid);
        } catch (IllegalArgumentException e) {
            return null;
        }
        for (Map.Entry<JID, Map<String, Seat>> entry : seatsByUser.entrySet()) {
            Seat seat = entry.getValue().get(room);
            boolean same = wanted.getResource() == null ? entry.getKey().asBareJID().equals(wanted.asBareJID())
                    : entry.getKey().equals(wanted);
            if (seat != null && same) {
                return seat.nick();
            }
        }
        return null;
    }

    /** @return the local occupant of a room with that nick, or null */
    synchronized Seat seatOf(String room, String nick) {
        for (Map<String, Seat> seats : seatsByUser.values()) {
            Seat seat = seats.get(room);
            if (seat != null && seat.nick().equals(nick)) {
                return seat;
            }
        }
        return null;
    }

    /** @return the local occupants of a room */
    synchronized List<Seat> seatsIn(String room) {
        return all().stream().filter(s -> s.room().equals(room)).toList();
    }

    synchronized List<Seat> all() {
        List<Seat> all = new ArrayList<>();
        seatsByUser.values().forEach(seats -> all.addAll(seats.values()));
        return all;
    }

    synchronized Set<String> rooms() {
        return Set.copyOf(occupantsByRoom.keySet());
    }

    /** Forgets every seat: the rooms they are in are no longer overlay rooms (another MUC service is). */
    synchronized void clear() {
        seatsByUser.clear();
        occupantsByRoom.clear();
    }
}
