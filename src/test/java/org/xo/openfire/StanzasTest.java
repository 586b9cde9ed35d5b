package org.xo.openfire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.List;

import org.dom4j.DocumentException;
import org.dom4j.Element;
import org.dom4j.Namespace;
import org.dom4j.QName;
import org.junit.Test;
import org.xmpp.packet.JID;
import org.xmpp.packet.Message;
import org.xo.core.EnvelopeCodec;

public class StanzasTest {
    private static final JID ROOM = new JID("lobby@conference.alpha.local");
    private static final JID OVERLAY_ROOM = new JID("lobby@conference.xo");

    private static Message fromClient(String xml) throws Exception {
        return new Message(Stanzas.parse(xml), true);
    }

    @Test
    public void aKickOrBanForAnotherNodeTravelsAsAMucAdminItemAndOnlyThatParsesBack() throws Exception {
        Stanzas.Moderation ban = new Stanzas.Moderation(0xbe7aL, "bob <b>", true, "enough & more");
        String xml = Stanzas.moderationForOverlay(ban);
        assertEquals(ban, Stanzas.moderation(Stanzas.parse(xml)));
        Stanzas.Moderation kick = new Stanzas.Moderation(0xbe7aL, "bob", false, null);
        assertEquals(kick, Stanzas.moderation(Stanzas.parse(Stanzas.moderationForOverlay(kick))));
        String admin = "<iq type=\"set\"><query xmlns=\"http://jabber.org/protocol/muc#admin\">";
        String node = "<xo xmlns=\"urn:xo:0\" node=\"be7a\"/></iq>";
        assertNull("a role other than none", Stanzas.moderation(Stanzas.parse(
                admin + "<item nick=\"bob\" role=\"moderator\"/></query>" + node)));
        assertNull("no node", Stanzas.moderation(Stanzas.parse(admin + "<item nick=\"bob\" role=\"none\"/></query></iq>")));
        assertNull("no nick", Stanzas.moderation(Stanzas.parse(admin + "<item role=\"none\"/></query>" + node)));
        Element destroy = Stanzas.destruction(Stanzas.parse(Stanzas.destructionForOverlay("closing time")));
        assertEquals("closing time", destroy.elementText("reason"));
        assertNull("a kick is no destruction", Stanzas.destruction(Stanzas.parse(xml)));
    }

    @Test
    public void theHomeRoleTravelsAsTheRoomSaysNeverAsTheClientWroteIt() throws Exception {
        org.xmpp.packet.Presence forged = new org.xmpp.packet.Presence(Stanzas.parse("<presence><xo xmlns=\"urn:xo:0\""
                + " role=\"moderator\"/><xo xmlns=\"urn:xo:0\" node=\"1\"/><status>hi</status></presence>"), true);
        Stanzas.setHomeRank(forged, new Stanzas.Rank("visitor", "member"));
        assertEquals(new Stanzas.Rank("visitor", "member"), Stanzas.homeRank(forged.getElement()));
        assertEquals("one XO element, the room's: " + forged.toXML(), 1,
                forged.getElement().elements(QName.get("xo", Namespace.get(Stanzas.XO_NS))).size());
        Stanzas.setHomeRank(forged, null);
        assertNull(Stanzas.homeRank(forged.getElement()));
        assertNull("only roles that travel", Stanzas.homeRank(Stanzas.parse(
                "<presence><xo xmlns=\"urn:xo:0\" role=\"owner\"/></presence>")));
        assertEquals("an unknown affiliation reads as none said", new Stanzas.Rank("moderator", null),
                Stanzas.homeRank(Stanzas.parse("<presence><xo xmlns=\"urn:xo:0\" role=\"moderator\" affiliation=\"god\"/>"
                        + "</presence>")));
        assertEquals("participant", Stanzas.roomRole(Stanzas.parse("<presence><x xmlns=\"http://jabber.org/protocol/"
                + "muc#user\"><item affiliation=\"none\" role=\"participant\"/></x></presence>")));
    }

    @Test
    public void aRemovalTravelsWithItsCodesAndReasonButNoRealJid() throws Exception {
        Element kicked = Stanzas.parse("<x xmlns=\"http://jabber.org/protocol/muc#user\">"
                + "<item affiliation=\"none\" role=\"none\" jid=\"carol@alpha.test/home\">"
                + "<actor nick=\"alice\" jid=\"alice@alpha.test/desk\"/><reason>off topic</reason></item>"
                + "<status code=\"307\"/><status code=\"110\"/></x>");
        assertTrue(Stanzas.hasStatus(kicked, java.util.Set.of("301", "307")));
        assertFalse(Stanzas.hasStatus(kicked, java.util.Set.of("301", "321")));
        String travels = Stanzas.removalForOverlay(kicked).asXML();
        assertFalse(travels, travels.contains("@alpha.test"));
        assertTrue(travels, travels.contains("off topic") && travels.contains("nick=\"alice\"")
                && travels.contains("code=\"307\""));
        assertTrue("the room's own element is left as it was", kicked.asXML().contains("carol@alpha.test"));
    }

    @Test
    public void parsingKeepsEntitiesCdataAndNamespaces() throws Exception {
        Message parsed = fromClient("<message xmlns=\"jabber:client\" xml:lang=\"en\" id=\"&quot;1\">"
                + "<body>a &amp; &lt;b&gt; <![CDATA[<c>]]>&#233;<!-- no --></body>"
                + "<x xmlns=\"urn:y\"><p:q xmlns:p=\"urn:p\" p:r=\"1\"/></x></message>");
        assertEquals("a & <b> <c>\u00e9", parsed.getBody());
        assertEquals("\"1", parsed.getID());
        assertEquals("en", parsed.getElement().attributeValue(QName.get("lang", Namespace.XML_NAMESPACE)));
        Element q = parsed.getChildElement("x", "urn:y").elements().get(0);
        assertEquals("urn:p", q.getNamespaceURI());
        assertEquals("1", q.attributeValue(QName.get("r", Namespace.get("p", "urn:p"))));
        assertEquals("what the parser read, it writes back", parsed.toXML(),
                new Message(Stanzas.parse(parsed.toXML()), true).toXML());
    }

    @Test
    public void aSmackGroupchatMessageTravelsCompactWithItsIdAndNoAddresses() throws Exception {
        // As Smack 4.4's MultiUserChat.sendMessage writes it, and as Openfire hands it over (from set, jabber:client).
        Message sent = fromClient("<message xmlns=\"jabber:client\" to=\"lobby@conference.alpha.local\" id=\"Xy1-9\""
                + " type=\"groupchat\" from=\"alice@alpha.local/r\"><body>hi &amp; &lt;you&gt; \"q\"</body></message>");
        String stanza = Stanzas.groupchatForOverlay(sent);
        assertEquals("<message type=\"groupchat\" id=\"Xy1-9\"><body>hi &amp; &lt;you&gt; \"q\"</body></message>",
                stanza);
        assertTrue(EnvelopeCodec.isCompact(stanza));
        Message rebuilt = new Message(Stanzas.parse(stanza), true);
        assertEquals("Xy1-9", rebuilt.getID());
        assertEquals("hi & <you> \"q\"", rebuilt.getBody());
    }

    @Test
    public void anIdThatNeedsEscapingStaysCompactAndParsesBack() throws Exception {
        String stanza = Stanzas.groupchatForOverlay(fromClient("<message type='groupchat' id='a\"b&amp;c&lt;'>"
                + "<body><!--c-->x <![CDATA[< y]]></body></message>"));
        assertTrue(stanza, EnvelopeCodec.isCompact(stanza));
        Message rebuilt = new Message(Stanzas.parse(stanza), true);
        assertEquals("a\"b&c<", rebuilt.getID());
        assertEquals("x < y", rebuilt.getBody());
    }

    @Test
    public void anythingBesidesTypeIdAndOneBodyStaysXmlWithoutAddresses() throws Exception {
        for (String xml : List.of(
                "<message xmlns=\"jabber:client\" type=\"groupchat\" id=\"1\"><body>x</body>"
                        + "<origin-id xmlns=\"urn:xmpp:sid:0\" id=\"1\"/></message>",
                "<message xmlns=\"jabber:client\" type=\"groupchat\" id=\"1\" xml:lang=\"de\"><body>x</body></message>",
                "<message xmlns=\"jabber:client\" type=\"groupchat\"><subject>topic</subject></message>",
                "<message xmlns=\"jabber:client\" type=\"groupchat\"><body xml:lang=\"de\">x</body></message>",
                "<message xmlns=\"jabber:client\" type=\"groupchat\"><body>x</body><body>y</body></message>")) {
            Message message = fromClient(xml.replace("<message ", "<message to=\"" + ROOM + "\" from=\"a@b/c\" "));
            String stanza = Stanzas.groupchatForOverlay(message);
            assertFalse(stanza, EnvelopeCodec.isCompact(stanza));
            Message parsed = new Message(Stanzas.parse(stanza), true);
            assertNull(stanza, parsed.getTo());
            assertNull(stanza, parsed.getFrom());
            assertEquals(stanza, Stanzas.parse(xml).elements().size(), parsed.getElement().elements().size());
        }
    }

    @Test
    public void removesOnlyTheStanzaIdsOfTheGivenAssigners() throws Exception {
        Message message = fromClient("<message type=\"groupchat\"><body>x</body>"
                + "<stanza-id xmlns=\"urn:xmpp:sid:0\" id=\"forged\" by=\"" + ROOM + "\"/>"
                + "<stanza-id xmlns=\"urn:xmpp:sid:0\" id=\"forged-too\" by=\"" + OVERLAY_ROOM + "\"/>"
                + "<stanza-id xmlns=\"urn:xmpp:sid:0\" id=\"kept\" by=\"alice@alpha.local\"/></message>");
        Stanzas.removeStanzaIds(message, List.of(ROOM, OVERLAY_ROOM));
        assertNull(Stanzas.stanzaId(message, ROOM));
        assertNull(Stanzas.stanzaId(message, OVERLAY_ROOM));
        assertEquals("kept", Stanzas.stanzaId(message, new JID("alice@alpha.local")));
    }

    @Test
    public void setStanzaIdLeavesExactlyOneByTheAssigner() throws Exception {
        Message openfire5 = fromClient("<message type=\"groupchat\"><body>x</body>"
                + "<stanza-id xmlns=\"urn:xmpp:sid:0\" id=\"uuid-1\" by=\"" + ROOM + "\"/>"
                + "<stanza-id xmlns=\"urn:xmpp:sid:0\" id=\"uuid-2\" by=\"" + ROOM + "\"/></message>");
        Stanzas.setStanzaId(openfire5, ROOM, "overlay-id");
        assertEquals(1, openfire5.getElement().elements(Stanzas.STANZA_ID).size());
        assertEquals("overlay-id", Stanzas.stanzaId(openfire5, ROOM));

        Message openfire42 = fromClient("<message type=\"groupchat\"><body>x</body></message>");
        Stanzas.setStanzaId(openfire42, ROOM, "overlay-id");
        Stanzas.setStanzaId(openfire42, ROOM, "overlay-id"); // the same packet object to the next occupant
        assertEquals(1, openfire42.getElement().elements(Stanzas.STANZA_ID).size());
        assertEquals("overlay-id", Stanzas.stanzaId(openfire42, ROOM));
    }

    /** Found by fuzzing (fuzz/stanza-crash-deep-nesting): dom4j's copy and writer overflowed the stack. */
    @Test
    public void elementsNestedDeeperThanAnyXmppPayloadAreRefused() throws Exception {
        assertEquals(Stanzas.MAX_DEPTH, depth(Stanzas.parse(nested(Stanzas.MAX_DEPTH)).createCopy()));
        try {
            Stanzas.parse(nested(4000));
            fail("4000 nested elements parsed");
        } catch (DocumentException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("nested deeper"));
        }
    }

    /** Found by fuzzing (fuzz/stanza-crash-epilog-instruction): XPP3 never returned from an unterminated epilog. */
    @Test(timeout = 10_000)
    public void anUnterminatedCommentOrInstructionAfterTheRootIsNotRead() throws Exception {
        for (String epilog : new String[] {"<?", "<?x ", "<!--", "  <?xml"}) {
            assertEquals("presence", Stanzas.parse("<presence/>" + epilog).getName());
        }
    }

    private static String nested(int depth) {
        return "<message>" + "<a>".repeat(depth - 1) + "</a>".repeat(depth - 1) + "</message>";
    }

    private static int depth(Element element) {
        return element.elements().isEmpty() ? 1 : 1 + depth(element.elements().get(0));
    }
}
