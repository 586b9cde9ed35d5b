package org.xo.openfire;

import static org.junit.Assert.assertEquals;

import java.time.Instant;

import org.dom4j.Element;
import org.junit.Test;
import org.xmpp.packet.JID;
import org.xmpp.packet.Message;

/** A late message reaches clients dated with its origin time, from the room (XEP-0203). */
public class DelayStampTest {
    private static final JID ROOM = new JID("lobby", "conference.example.org", null);

    @Test
    public void aLateMessageGetsTheOriginTimeInUtcFromTheRoom() {
        Message message = new Message();
        message.setBody("hi");
        Stanzas.addDelay(message, Instant.parse("2026-12-02T07:38:06.123Z"), ROOM);
        Element delay = message.getChildElement("delay", "urn:xmpp:delay");
        assertEquals("2026-12-02T07:38:06.123Z", delay.attributeValue("stamp"));
        assertEquals("lobby@conference.example.org", delay.attributeValue("from"));
    }

    @Test
    public void aDelayTheSenderSetIsKept() {
        Message message = new Message();
        message.addChildElement("delay", "urn:xmpp:delay").addAttribute("stamp", "2020-01-01T00:00:00Z");
        Stanzas.addDelay(message, Instant.parse("2026-12-02T07:38:06Z"), ROOM);
        assertEquals(1, message.getElement().elements("delay").size());
        assertEquals("2020-01-01T00:00:00Z", message.getChildElement("delay", "urn:xmpp:delay")
                .attributeValue("stamp"));
    }
}
