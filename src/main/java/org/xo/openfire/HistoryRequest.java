package org.xo.openfire;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.ToIntFunction;

import org.dom4j.Element;
import org.xo.core.Envelope;

/**
 * What history a joining occupant asked for (XEP-0045 7.2.15: {@code <history maxchars maxstanzas seconds since/>}
 * in its join presence), and the choice of events that answers it. Every limit given applies; none given means the
 * default number of messages. Unparseable values count as not given, as a server should be lenient here.
 *
 * @param maxChars   at most this many characters of message XML in all, or -1
 * @param maxStanzas at most this many messages, or -1
 * @param seconds    only messages of the last this many seconds, or -1
 * @param since      only messages from this instant on, or null
 */
record HistoryRequest(int maxChars, int maxStanzas, long seconds, Instant since) {
    /** How many messages a join that names no limit gets: Openfire's own default history length. */
    static final int DEFAULT_MESSAGES = 25;
    /** The most messages any join gets, whatever it asks: a bound on what one presence makes the node read and send. */
    static final int MAX_MESSAGES = 200;

    /** @param join the join presence's element, or null for a join without the MUC element */
    static HistoryRequest of(Element join) {
        Element x = join == null ? null : join.element(org.dom4j.QName.get("x", Stanzas.MUC_NS));
        Element history = x == null ? null : x.element(org.dom4j.QName.get("history", Stanzas.MUC_NS));
        if (history == null) {
            return new HistoryRequest(-1, -1, -1, null);
        }
        return new HistoryRequest(number(history, "maxchars"), number(history, "maxstanzas"),
                number(history, "seconds"), instant(history.attributeValue("since")));
    }

    private static int number(Element history, String attribute) {
        try {
            String value = history.attributeValue(attribute);
            return value == null ? -1 : Math.max(0, Integer.parseInt(value.trim()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Instant instant(String value) {
        try {
            return value == null ? null : Instant.parse(value.trim());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** @return how many of the newest messages to read before the other limits apply */
    int messagesToRead() {
        boolean noLimit = maxChars < 0 && maxStanzas < 0 && seconds < 0 && since == null;
        int wanted = maxStanzas >= 0 ? maxStanzas : noLimit ? DEFAULT_MESSAGES : MAX_MESSAGES;
        return Math.min(wanted, MAX_MESSAGES);
    }

    /**
     * @param oldestFirst candidate events, oldest first
     * @param size        the character count of an event as it will be sent
     * @return the newest events that satisfy every limit, oldest first
     */
    List<Envelope> select(List<Envelope> oldestFirst, Instant now, ToIntFunction<Envelope> size) {
        long notBefore = Long.MIN_VALUE;
        if (seconds >= 0) {
            notBefore = now.toEpochMilli() - seconds * 1000;
        }
        if (since != null) {
            notBefore = Math.max(notBefore, since.toEpochMilli());
        }
        Deque<Envelope> chosen = new ArrayDeque<>();
        long chars = 0;
        int stanzas = messagesToRead();
        for (int i = oldestFirst.size() - 1; i >= 0 && chosen.size() < stanzas; i--) {
            Envelope e = oldestFirst.get(i);
            if (e.originTime() < notBefore) {
                break;
            }
            chars += size.applyAsInt(e);
            if (maxChars >= 0 && chars > maxChars) {
                break;
            }
            chosen.addFirst(e);
        }
        return List.copyOf(chosen);
    }
}
