package org.xo.openfire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.dom4j.Element;
import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.Kind;

public class HistoryRequestTest {
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

    private static HistoryRequest parse(String history) throws Exception {
        Element join = Stanzas.parse("<presence to='r@conference.a/n'><x xmlns='http://jabber.org/protocol/muc'>"
                + history + "</x></presence>");
        return HistoryRequest.of(join);
    }

    /** Messages one a minute, the last one a minute before NOW; each stanza 10 characters long. */
    private static List<Envelope> minutes(int count) {
        List<Envelope> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long time = NOW.minusSeconds(60L * (count - i)).toEpochMilli();
            events.add(new Envelope(1, 1, i + 1, time, "r@conference.xo", "n", Kind.GROUPCHAT, "0123456789"));
        }
        return events;
    }

    private static List<Long> seqs(List<Envelope> events) {
        return events.stream().map(Envelope::seq).toList();
    }

    @Test
    public void noHistoryElementGetsTheDefaultNumberOfTheNewest() throws Exception {
        HistoryRequest request = parse("");
        assertEquals(HistoryRequest.DEFAULT_MESSAGES, request.messagesToRead());
        List<Envelope> chosen = request.select(minutes(30), NOW, e -> e.stanza().length());
        assertEquals(25, chosen.size());
        assertEquals(6L, (long) chosen.get(0).seq());
        assertEquals(30L, (long) chosen.get(24).seq());
    }

    @Test
    public void everyLimitGivenApplies() throws Exception {
        assertEquals(List.of(9L, 10L), seqs(parse("<history maxstanzas='2'/>").select(minutes(10), NOW, e -> 10)));
        assertEquals(List.of(8L, 9L, 10L), seqs(parse("<history maxchars='35'/>").select(minutes(10), NOW, e -> 10)));
        assertEquals(List.of(8L, 9L, 10L), seqs(parse("<history seconds='180'/>").select(minutes(10), NOW, e -> 10)));
        assertEquals(List.of(10L), seqs(parse("<history since='2026-12-02T11:58:30Z' maxstanzas='5'/>")
                .select(minutes(10), NOW, e -> 10)));
        assertEquals(List.of(), parse("<history maxstanzas='0'/>").select(minutes(10), NOW, e -> 10));
        assertEquals(List.of(), parse("<history maxchars='0'/>").select(minutes(10), NOW, e -> 10));
    }

    @Test
    public void aHugeRequestIsBoundedAndNonsenseCountsAsNotGiven() throws Exception {
        assertEquals(HistoryRequest.MAX_MESSAGES, parse("<history maxstanzas='99999999'/>").messagesToRead());
        HistoryRequest nonsense = parse("<history maxstanzas='lots' since='yesterday'/>");
        assertEquals(-1, nonsense.maxStanzas());
        assertNull(nonsense.since());
        assertEquals(HistoryRequest.DEFAULT_MESSAGES, nonsense.messagesToRead());
        assertEquals(HistoryRequest.MAX_MESSAGES, parse("<history seconds='60'/>").messagesToRead());
    }
}
