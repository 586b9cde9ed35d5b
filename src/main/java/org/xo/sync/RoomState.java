package org.xo.sync;

import java.io.StringReader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

import org.xo.core.Envelope;
import org.xo.core.Kind;

/**
 * What this node must be able to repeat about one room when another node asks (STATE_REQUEST): the latest
 * presence of each local occupant, the last groupchat messages sent by local occupants, the room's subject and its
 * configuration.
 * Remote occupants and messages are not repeated: their own nodes answer for them.
 * <p>
 * It also records the latest PRESENCE or NICK_CHANGE envelope of each remote occupant (by origin node and nick,
 * removed on LEAVE), never repeated: when the origin node is lost, {@link #removeRemoteOccupants} hands them back so
 * that the engine can make the deduplicator forget exactly those envelopes; the node's replay on return then
 * re-creates exactly its current occupants. Thread-safe.
 */
public final class RoomState {
    public static final int DEFAULT_HISTORY = 25;
    /** Remote occupants remembered per room; beyond it the oldest record is dropped (a flood must not grow memory). */
    public static final int MAX_REMOTE_OCCUPANTS = 4096;

    private record OccupantKey(long originNode, String nick) {
    }

    private final String room;
    private int history;
    /** Local occupant nick → its latest PRESENCE or NICK_CHANGE envelope. */
    private final Map<String, Envelope> presences = new LinkedHashMap<>();
    private final ArrayDeque<Envelope> messages = new ArrayDeque<>();
    private final Map<OccupantKey, Envelope> remotePresences = new LinkedHashMap<>();
    private Envelope subject;
    /** The latest CONFIG by origin time, then origin node: the same on every node once all have heard it. */
    private Envelope configuration;
    private Envelope subjectParsed;
    private Optional<String> subjectText = Optional.empty();

    /**
     * @param room    the overlay room address, e.g. {@code lobby@conference.xo}
     * @param history how many local groupchat messages to keep for replay (0 keeps none)
     */
    public RoomState(String room, int history) {
        this.room = room;
        this.history = checkHistory(history);
    }

    private static int checkHistory(int history) {
        if (history < 0) {
            throw new IllegalArgumentException("History length cannot be negative: " + history + ".");
        }
        return history;
    }

    /**
     * Keeps at most {@code history} local groupchat messages for replay from now on (a settings change while the
     * room is open); a shorter history drops the oldest messages at once.
     */
    public synchronized void resizeHistory(int history) {
        this.history = checkHistory(history);
        trimHistory();
    }

    private void trimHistory() {
        while (messages.size() > history) {
            messages.removeFirst();
        }
    }

    public String room() {
        return room;
    }

    /** Records an envelope that a local occupant of this room published. */
    public synchronized void recordLocal(Envelope e) {
        checkRoom(e);
        switch (e.kind()) {
            case PRESENCE -> presences.put(e.nick(), e);
            case LEAVE -> presences.remove(e.nick());
            case NICK_CHANGE -> {
                presences.remove(e.nick());
                newNick(e.stanza()).ifPresent(nick -> presences.put(nick, e));
            }
            case GROUPCHAT -> {
                messages.addLast(e);
                trimHistory();
            }
            case SUBJECT -> subject = e;
            case CONFIG -> configuration = configuration == null || e.isLaterThan(configuration) ? e : configuration;
            default -> {
                // PRIVATE and control kinds are not room state.
            }
        }
    }

    /**
     * Records an envelope heard from another node: the subject (room state this node repeats) and the remote
     * occupant's latest presence (kept only for {@link #removeRemoteOccupants}).
     *
     * @return false when the room holds {@link #MAX_REMOTE_OCCUPANTS} records and forgot its eldest for this one
     */
    public synchronized boolean recordRemote(Envelope e) {
        checkRoom(e);
        switch (e.kind()) {
            case SUBJECT -> subject = e;
            case CONFIG -> configuration = configuration == null || e.isLaterThan(configuration) ? e : configuration;
            case PRESENCE -> {
                return putRemote(new OccupantKey(e.originNode(), e.nick()), e);
            }
            case LEAVE -> remotePresences.remove(new OccupantKey(e.originNode(), e.nick()));
            case NICK_CHANGE -> {
                remotePresences.remove(new OccupantKey(e.originNode(), e.nick()));
                Optional<String> nick = newNick(e.stanza());
                if (nick.isPresent()) {
                    return putRemote(new OccupantKey(e.originNode(), nick.get()), e);
                }
            }
            default -> {
                // messages of remote occupants are their node's to repeat
            }
        }
        return true;
    }

    private boolean putRemote(OccupantKey key, Envelope e) {
        remotePresences.remove(key); // re-insert: the map stays in order of last change, eldest first
        remotePresences.put(key, e);
        if (remotePresences.size() > MAX_REMOTE_OCCUPANTS) {
            remotePresences.remove(remotePresences.keySet().iterator().next());
            return false;
        }
        return true;
    }

    /**
     * Forgets every remote occupant of one node (all its runs).
     *
     * @return the latest PRESENCE or NICK_CHANGE envelope of each occupant removed
     */
    public synchronized List<Envelope> removeRemoteOccupants(long originNode) {
        List<Envelope> removed = new ArrayList<>();
        remotePresences.entrySet().removeIf(entry -> {
            if (entry.getKey().originNode() == originNode) {
                removed.add(entry.getValue());
                return true;
            }
            return false;
        });
        return removed;
    }

    /**
     * Forgets every remote occupant (the room closes here).
     *
     * @return the latest PRESENCE or NICK_CHANGE envelope of each
     */
    public synchronized List<Envelope> removeAllRemoteOccupants() {
        List<Envelope> removed = new ArrayList<>(remotePresences.values());
        remotePresences.clear();
        return removed;
    }

    /** @return the nicks of one node's occupants in this room, as recorded from its presences */
    public synchronized Set<String> remoteNicks(long originNode) {
        Set<String> out = new java.util.TreeSet<>();
        for (OccupantKey k : remotePresences.keySet()) {
            if (k.originNode() == originNode) {
                out.add(k.nick());
            }
        }
        return out;
    }

    /** @return the room's current subject text (from the last SUBJECT envelope, local or remote), if any */
    public synchronized Optional<String> subjectText() {
        if (subject != subjectParsed) {
            subjectParsed = subject;
            subjectText = subject == null ? Optional.empty() : subjectOf(subject.stanza());
        }
        return subjectText;
    }

    /**
     * @return the envelopes to repeat, unchanged (same origin and seq, so nodes that have them drop them): the local
     * occupants' presences, then the configuration, the subject, then their recent messages, each part oldest first.
     * Presences first: they carry the rank that lets their setter's subject pass in a room where only moderators may
     * set it.
     */
    public synchronized List<Envelope> snapshotForReplay() {
        List<Envelope> out = new ArrayList<>(2 + presences.size() + messages.size());
        presences.values().stream().sorted(Comparator.comparingLong(Envelope::seq)).forEach(out::add);
        if (configuration != null) {
            out.add(configuration);
        }
        if (subject != null) {
            out.add(subject);
        }
        out.addAll(messages);
        return out;
    }

    /** @return whether there is anything to repeat */
    public synchronized boolean isEmpty() {
        return subject == null && configuration == null && presences.isEmpty() && messages.isEmpty();
    }


    /** @return the nicks of the local occupants currently in the room */
    public synchronized Set<String> localNicks() {
        return Set.copyOf(presences.keySet());
    }

    private void checkRoom(Envelope e) {
        if (!room.equals(e.room())) {
            throw new IllegalArgumentException("Envelope for room " + e.room() + " recorded in the state of " + room
                    + ".");
        }
    }

    /**
     * A NICK_CHANGE stanza is the presence addressed to {@code room/newNick}: the new nick is the resource of the
     * root element's {@code to} attribute.
     */
    static Optional<String> newNick(String stanza) {
        return scan(stanza, reader -> {
            String to = reader.getAttributeValue(null, "to");
            int slash = to == null ? -1 : to.indexOf('/');
            return slash < 0 || slash == to.length() - 1 ? Optional.empty() : Optional.of(to.substring(slash + 1));
        }, null);
    }

    /** @return the text of the first {@code subject} element of a message stanza (empty text clears the subject) */
    static Optional<String> subjectOf(String stanza) {
        return scan(stanza, reader -> Optional.of(reader.getElementText()), "subject");
    }

    /** What to read at the element a {@link #scan} stops on. */
    private interface ElementReader {
        Optional<String> read(XMLStreamReader reader) throws XMLStreamException;
    }

    /**
     * Reads the first element named {@code element} (any element when null) of a stanza with a hardened StAX
     * parser; empty when there is none or the stanza is malformed. A factory per call: these stanzas are rare
     * (nick and subject changes), and factories are not guaranteed thread-safe.
     */
    private static Optional<String> scan(String stanza, ElementReader read, String element) {
        XMLStreamReader reader = null;
        try {
            reader = newXmlFactory().createXMLStreamReader(new StringReader(stanza));
            while (reader.hasNext()) {
                if (reader.next() == XMLStreamConstants.START_ELEMENT
                        && (element == null || element.equals(reader.getLocalName()))) {
                    return read.read(reader);
                }
            }
            return Optional.empty();
        } catch (XMLStreamException e) {
            return Optional.empty();
        } finally {
            if (reader != null) {
                try {
                    reader.close();
                } catch (XMLStreamException ignored) {
                    // nothing to release for a string source
                }
            }
        }
    }

    private static XMLInputFactory newXmlFactory() {
        XMLInputFactory f = XMLInputFactory.newFactory();
        // Stanzas come from clients: no DTDs, no external entities.
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, false);
        return f;
    }
}
