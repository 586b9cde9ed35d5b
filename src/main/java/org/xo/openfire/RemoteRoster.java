package org.xo.openfire;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Who of the other nodes' participants sits in which local room, under which nick: plain bookkeeping, no Openfire.
 * Not thread-safe: the {@link Injector} owns it and touches it from its one thread only.
 *
 * <p>Each remote participant gets a resource of its own on the plugin's component, so the room sees a distinct
 * occupant JID per participant (the same person in two rooms is two participants).
 *
 * <p><b>Nick rule</b>, the same on every node: a participant keeps their nick on their own node (Openfire owns
 * local nicks); a remote participant whose nick is taken here shows as {@code nick#abcd} (the first four hex digits
 * of their node id), or with all sixteen if that is taken too; of two remote participants with one nick (compared
 * without case, as rooms compare nicks), the one with the lower node id (unsigned) keeps it, whichever arrived first,
 * and the other is suffixed. A suffix stays until the participant rejoins.
 */
final class RemoteRoster {
    /** How many renames a participant gets when the room reports its nick taken, before it gives up. */
    static final int MAX_CONFLICTS = 2;

    /** One participant of another node, as shown in one local room. */
    static final class Participant {
        final String room;
        final long origin;
        final String resource;
        /**
         * The participant's own bare identity on the plugin's component: its nick when it entered (XEP-0106 escaped)
         * and its node; kept across nick changes, so that the room knows one user throughout.
         */
        final String user;
        /** The rank its home room gives it (null: its node does not say), and the role the local room gives it. */
        Stanzas.Rank homeRank;
        String roomRole;
        /** Whether the local room made it a member (it is one at home). */
        boolean memberHere;
        private String originNick;
        private String localNick;
        private int conflicts;
        private boolean joined;
        private String presenceXml;
        /** Whether the participant's node said goodbye and a later run has not announced it again yet. */
        private boolean awaitingRestart;
        /** The epoch of the run that said goodbye, while awaiting its restart. */
        private int endedEpoch;

        private Participant(String room, long origin, String originNick, String resource, String presenceXml) {
            this.room = room;
            this.origin = origin;
            this.originNick = originNick;
            this.localNick = originNick;
            this.resource = resource;
            this.presenceXml = presenceXml;
            this.user = identity(originNick, origin);
        }

        /** The nick escaped (XEP-0106) and the node, as the JID's node part; a digest of the nick if it cannot be one. */
        private static String identity(String nick, long origin) {
            String node = Long.toHexString(origin);
            try {
                return new org.xmpp.packet.JID(org.xmpp.packet.JID.escapeNode(nick) + "." + node, "xo.invalid", null)
                        .getNode();
            } catch (IllegalArgumentException notANodePart) {
                return "u" + Integer.toHexString(nick.hashCode()) + "." + node;
            }
        }

        /** The nick on the participant's own node, as in its envelopes. */
        String originNick() {
            return originNick;
        }

        /** The nick the local room knows the participant by (the origin nick, or suffixed by the rule). */
        String localNick() {
            return localNick;
        }

        /** True once the room confirmed the participant's entry. */
        boolean joined() {
            return joined;
        }

        /** Whether the participant's node said goodbye and its new run has not announced it again yet. */
        boolean awaitingRestart() {
            return awaitingRestart;
        }

        /** The participant's latest presence stanza (XML), repeated when it has to enter again under a new nick. */
        String presenceXml() {
            return presenceXml;
        }

        @Override
        public String toString() {
            return originNick + "@" + Long.toHexString(origin) + " in " + room + " as " + localNick;
        }
    }

    /** A newcomer, and the participant that had to give up its nick to it (null if none). */
    record Admission(Participant newcomer, Participant displaced) {
    }

    private record Key(String room, long origin, String nick) {
    }

    private final Map<Key, Participant> byKey = new HashMap<>();
    private final Map<String, Participant> byResource = new HashMap<>();
    private final Map<String, Integer> perRoom = new HashMap<>();
    private long resources;
    /** Counts changes, so the injector republishes its {@link #snapshot()} only after one. */
    private long changes;

    /** @return the participant a node's envelopes name, or null */
    Participant find(String room, long origin, String originNick) {
        return byKey.get(new Key(room, origin, originNick));
    }

    /** @return the participant behind a resource of the component, or null */
    Participant byResource(String resource) {
        return resource == null ? null : byResource.get(resource);
    }

    /**
     * Adds a participant that is not in the roster yet and applies the nick rule against the room's other ones.
     *
     * @param byNodeId the rule that gives a nick to the lower node id (keyed overlays: node ids are key holders'); else
     *                 the participant already holding it keeps it (an open overlay, where anyone can claim node id 0)
     */
    Admission admit(String room, long origin, String originNick, String presenceXml, boolean byNodeId) {
        Key key = new Key(room, origin, originNick);
        if (byKey.containsKey(key)) {
            throw new IllegalStateException(originNick + " of node " + Long.toHexString(origin) + " is already in " + room);
        }
        Participant newcomer = new Participant(room, origin, originNick,
                Long.toHexString(origin) + "." + ++resources, presenceXml);
        Participant displaced = applyNickRule(newcomer, byNodeId);
        byKey.put(key, newcomer);
        byResource.put(newcomer.resource, newcomer);
        perRoom.merge(room, 1, Integer::sum);
        changes++;
        return new Admission(newcomer, displaced);
    }

    /**
     * The participant now goes by another nick on its own node.
     *
     * @param byNodeId as for {@link #admit}
     * @return the participant whose nick the renamed one took under the rule (null if none)
     */
    Participant rename(Participant participant, String newOriginNick, String presenceXml, boolean byNodeId) {
        byKey.remove(new Key(participant.room, participant.origin, participant.originNick));
        participant.originNick = newOriginNick;
        participant.localNick = newOriginNick;
        participant.conflicts = 0;
        participant.presenceXml = presenceXml;
        Participant displaced = applyNickRule(participant, byNodeId);
        byKey.put(new Key(participant.room, participant.origin, newOriginNick), participant);
        changes++;
        return displaced;
    }

    void updatePresence(Participant participant, String presenceXml) {
        participant.presenceXml = presenceXml;
    }

    /** The room confirmed the participant's entry under its current local nick. */
    void markJoined(Participant participant) {
        participant.joined = true;
        changes++;
    }

    /**
     * The room said the participant's local nick is taken (by a local occupant): the next nick the rule allows.
     *
     * @return false when the participant has used up its renames
     */
    boolean nextNickAfterConflict(Participant participant) {
        if (participant.conflicts >= MAX_CONFLICTS) {
            return false;
        }
        participant.conflicts++;
        participant.localNick = suffixed(participant, participant.conflicts == 1 ? 4 : 16);
        changes++;
        return true;
    }

    Participant remove(Participant participant) {
        byKey.remove(new Key(participant.room, participant.origin, participant.originNick));
        byResource.remove(participant.resource);
        perRoom.computeIfPresent(participant.room, (room, n) -> n == 1 ? null : n - 1);
        changes++;
        return participant;
    }

    /**
     * The node said goodbye at the end of run {@code endedEpoch}: its participants wait for a later run.
     *
     * @return how many
     */
    int awaitRestart(long origin, int endedEpoch) {
        int waiting = 0;
        for (Participant p : byKey.values()) {
            if (p.origin == origin) {
                p.awaitingRestart = true;
                p.endedEpoch = endedEpoch;
                waiting++;
            }
        }
        changes++;
        return waiting;
    }

    /**
     * A run of the participant's node announced it (a presence of run {@code epoch}).
     *
     * @return true when that ends its wait for the node's restart: it was waiting, and the run is a later one
     */
    boolean announcedAgain(Participant participant, int epoch) {
        if (!participant.awaitingRestart || epoch <= participant.endedEpoch) {
            return false;
        }
        participant.awaitingRestart = false;
        changes++;
        return true;
    }

    /** @return the participants of a node that still wait for its restart, removed from every room */
    List<Participant> removeAwaitingRestart(long origin) {
        return removeIf(p -> p.origin == origin && p.awaitingRestart);
    }

    /** @return the participants of a node, removed from every room */
    List<Participant> removeNode(long origin) {
        return removeIf(p -> p.origin == origin);
    }

    /** @return the participants of a room, removed */
    List<Participant> removeRoom(String room) {
        return removeIf(p -> p.room.equals(room));
    }

    List<Participant> removeAll() {
        return removeIf(p -> true);
    }

    int size() {
        return byKey.size();
    }

    /** @return the participants in one room */
    int sizeOf(String room) {
        return perRoom.getOrDefault(room, 0);
    }

    /** @return how many changes the roster has seen; a different number means a different {@link #snapshot()} */
    long changes() {
        return changes;
    }

    /** @return every participant as the room shows it now, immutable, by room, then local nick */
    List<RemoteOccupant> snapshot() {
        List<RemoteOccupant> all = new ArrayList<>(byKey.size());
        for (Participant p : byKey.values()) {
            all.add(new RemoteOccupant(p.room, p.localNick, p.originNick, p.origin, p.joined, p.awaitingRestart));
        }
        all.sort(Comparator.comparing(RemoteOccupant::room).thenComparing(RemoteOccupant::nick));
        return List.copyOf(all);
    }

    private List<Participant> removeIf(Predicate<Participant> which) {
        List<Participant> removed = new ArrayList<>();
        for (Participant p : new ArrayList<>(byKey.values())) {
            if (which.test(p)) {
                removed.add(remove(p));
            }
        }
        return removed;
    }

    /**
     * Of the arriving participant and a remote participant of the room already holding its nick, the one with the
     * higher node id gets the four-digit suffix ({@code byNodeId}), or else the arriving one.
     *
     * @return the holder if it had to give the nick up (its local nick is changed), else null
     */
    private Participant applyNickRule(Participant arriving, boolean byNodeId) {
        Participant holder = null;
        for (Participant other : byKey.values()) {
            if (other != arriving && other.room.equals(arriving.room)
                    && other.localNick.equalsIgnoreCase(arriving.localNick)) {
                holder = other;
            }
        }
        if (holder == null) {
            return null;
        }
        if (byNodeId && Long.compareUnsigned(arriving.origin, holder.origin) < 0) {
            holder.conflicts = 1;
            holder.localNick = suffixed(holder, 4);
            return holder;
        }
        arriving.conflicts = 1;
        arriving.localNick = suffixed(arriving, 4);
        return null;
    }

    private static String suffixed(Participant participant, int digits) {
        String id = Long.toHexString(participant.origin);
        return participant.originNick + "#" + id.substring(0, Math.min(digits, id.length()));
    }
}
