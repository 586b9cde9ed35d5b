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
 * presence of each local occupant, the last groupchat messages sent by local occupants, and the room's subject.
 * Remote occupants and messages are not kept: their own nodes answer for them. Thread-safe.
 */
public final class RoomState {
    public static final int DEFAULT_HISTORY = 25;

    private final String room;
    private final int history;
    /** Local occupant nick → its latest PRESENCE or NICK_CHANGE envelope. */
    private final Map<String, Envelope> presences = new LinkedHashMap<>();
    private final ArrayDeque<Envelope> messages = new ArrayDeque<>();
    private Envelope subject;

    /**
     * @param room    the overlay room address, e.g. {@code lobby@conference.xo}
     * @param history how many local groupchat messages to keep for replay (0 keeps none)
     */
    public RoomState(String room, int history) {
        if (history < 0) {
            throw new IllegalArgumentException("History length cannot be negative: " + history + ".");
        }
        this.room = room;
        this.history = history;
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
                while (messages.size() > history) {
                    messages.removeFirst();
                }
            }
            case SUBJECT -> subject = e;
            default -> {
                // PRIVATE and control kinds are not room state.
            }
        }
    }

    /** Records an envelope heard from another node: only the subject is room state that this node repeats. */
    public synchronized void recordRemote(Envelope e) {
        checkRoom(e);
        if (e.kind() == Kind.SUBJECT) {
            subject = e;
        }
    }

    /**
     * @return the envelopes to repeat, unchanged (same origin and seq, so nodes that have them drop them): the
     * subject, then the local occupants' presences, then their recent messages, each part oldest first
     */
    public synchronized List<Envelope> snapshotForReplay() {
        List<Envelope> out = new ArrayList<>(1 + presences.size() + messages.size());
        if (subject != null) {
            out.add(subject);
        }
        presences.values().stream().sorted(Comparator.comparingLong(Envelope::seq)).forEach(out::add);
        out.addAll(messages);
        return out;
    }

    /** @return whether there is anything to repeat */
    public synchronized boolean isEmpty() {
        return subject == null && presences.isEmpty() && messages.isEmpty();
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
        XMLStreamReader reader = null;
        try {
            // A factory per call: nick changes are rare, and factories are not guaranteed thread-safe.
            reader = newXmlFactory().createXMLStreamReader(new StringReader(stanza));
            while (reader.hasNext()) {
                if (reader.next() == XMLStreamConstants.START_ELEMENT) {
                    String to = reader.getAttributeValue(null, "to");
                    int slash = to == null ? -1 : to.indexOf('/');
                    return slash < 0 || slash == to.length() - 1 ? Optional.empty()
                            : Optional.of(to.substring(slash + 1));
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
