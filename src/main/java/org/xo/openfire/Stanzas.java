package org.xo.openfire;

import java.time.Instant;
import java.io.IOException;
import java.io.StringReader;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.dom4j.DocumentException;
import org.dom4j.DocumentHelper;
import org.dom4j.Element;
import org.dom4j.Namespace;
import org.dom4j.Node;
import org.dom4j.QName;
import org.xmlpull.v1.XmlPullParser;
import org.xmlpull.v1.XmlPullParserException;
import org.xmlpull.v1.XmlPullParserFactory;
import org.xmpp.packet.JID;
import org.xmpp.packet.Message;
import org.xmpp.packet.Packet;
import org.xo.core.EnvelopeCodec;

/**
 * Stanza text to and from Tinder packets. Received stanzas come from the network, so parsing is hardened: XPP3
 * (the pull parser Openfire reads client streams with) never processes a DTD or resolves an external entity, a
 * DOCTYPE is refused before parsing, and sizes are already bounded by the codec.
 */
final class Stanzas {
    static final String MUC_NS = "http://jabber.org/protocol/muc";
    static final String MUC_USER_NS = MUC_NS + "#user";
    static final String MUC_OWNER_NS = MUC_NS + "#owner";
    /** XO's own extension: which node a private message is for. */
    static final String XO_NS = "urn:xo:0";
    /** XEP-0359 unique and stable stanza ids. */
    static final QName STANZA_ID = QName.get("stanza-id", Namespace.get("urn:xmpp:sid:0"));
    private static final String CLIENT_NS = "jabber:client";
    /**
     * Elements nested deeper are refused: far more than any XMPP payload nests (XHTML-IM, forms: a handful), far
     * fewer than overflow dom4j's recursive copy and writer on a 1 MB thread stack (a few thousand: found by fuzzing,
     * a 28 KB stanza of nested elements, well within the codec's bound, threw StackOverflowError in the injector).
     */
    static final int MAX_DEPTH = 100;

    /**
     * A pull parser per thread: cheaper than a SAX parser, which reconfigures itself for every document. Not dom4j's
     * XPP3Reader: it drops entity references, so {@code a &amp; b} came out as {@code a  b}.
     */
    private static final ThreadLocal<XmlPullParser> PARSER = ThreadLocal.withInitial(() -> {
        try {
            XmlPullParserFactory factory = XmlPullParserFactory.newInstance();
            factory.setNamespaceAware(true);
            return factory.newPullParser();
        } catch (XmlPullParserException e) {
            throw new IllegalStateException("No XML pull parser", e);
        }
    });

    private Stanzas() {
    }

    /**
     * @return the first element of the text (anything after it is ignored)
     * @throws DocumentException when the text does not start with a well-formed element without DTD, at most
     * {@link #MAX_DEPTH} deep
     */
    static Element parse(String xml) throws DocumentException {
        String upper = xml.toUpperCase(Locale.ROOT);
        if (upper.contains("<!DOCTYPE") || upper.contains("<!ENTITY")) {
            throw new DocumentException("DTDs are not allowed in XMPP stanzas");
        }
        try {
            return build(xml);
        } catch (IOException | XmlPullParserException | RuntimeException e) {
            throw new DocumentException("Malformed stanza: " + e.getMessage(), e);
        }
    }

    /**
     * Builds the element tree, up to the end of the root element; next() reports character data with entities and
     * CDATA resolved, comments skipped.
     */
    private static Element build(String xml) throws IOException, XmlPullParserException, DocumentException {
        XmlPullParser parser = PARSER.get();
        parser.setInput(new StringReader(xml));
        Element root = null;
        Element current = null;
        for (int event = parser.next(); event != XmlPullParser.END_DOCUMENT; event = parser.next()) {
            if (event == XmlPullParser.START_TAG) {
                if (parser.getDepth() > MAX_DEPTH) {
                    throw new DocumentException("Elements nested deeper than " + MAX_DEPTH);
                }
                QName name = QName.get(parser.getName(), Namespace.get(prefix(parser.getPrefix()),
                        parser.getNamespace()));
                Element element = current == null ? DocumentHelper.createElement(name) : current.addElement(name);
                int depth = parser.getDepth();
                for (int i = parser.getNamespaceCount(depth - 1); i < parser.getNamespaceCount(depth); i++) {
                    element.add(Namespace.get(prefix(parser.getNamespacePrefix(i)), parser.getNamespaceUri(i)));
                }
                for (int i = 0; i < parser.getAttributeCount(); i++) {
                    element.addAttribute(QName.get(parser.getAttributeName(i),
                            Namespace.get(prefix(parser.getAttributePrefix(i)), parser.getAttributeNamespace(i))),
                            parser.getAttributeValue(i));
                }
                root = root == null ? element : root;
                current = element;
            } else if (event == XmlPullParser.END_TAG) {
                current = current.getParent();
                if (current == null) {
                    // What follows the root element is not read: XPP3 loops forever on an unterminated comment or
                    // processing instruction there, such as <presence/><? (found by fuzzing).
                    break;
                }
            } else if (event == XmlPullParser.TEXT && current != null) {
                current.addText(parser.getText());
            }
        }
        if (root == null) {
            throw new DocumentException("No element");
        }
        return root;
    }

    private static String prefix(String prefix) {
        return prefix == null ? "" : prefix;
    }

    /**
     * Readdresses a packet the caller owns (a copy, never one Openfire is still routing) to the overlay: without the
     * sender's real address and without the MUC join request.
     *
     * @return its XML
     */
    static String readdressForOverlay(Packet owned, JID overlayTo) {
        owned.setFrom((JID) null);
        owned.setTo(overlayTo);
        Element join = owned.getElement().element(QName.get("x", Namespace.get(MUC_NS)));
        if (join != null) {
            owned.getElement().remove(join);
        }
        return owned.toXML();
    }

    /**
     * A local occupant's groupchat message (a body or a subject) for the overlay, from a copy the caller owns: without
     * the sender's address and without {@code to} (the receiving node's {@link Injector} addresses it to its own copy
     * of the room). A plain message, type and id and one body and nothing else, comes out in the codec's compact
     * shape ({@link EnvelopeCodec}).
     *
     * @return its XML
     */
    static String groupchatForOverlay(Message owned) {
        owned.setFrom((JID) null);
        owned.setTo((JID) null);
        String compact = compactText(owned.getElement());
        return compact != null ? compact : owned.toXML();
    }

    /** @return the message in the codec's compact shape, or null when it holds more than type, id and one body */
    private static String compactText(Element message) {
        String namespace = message.getNamespaceURI();
        if (!namespace.isEmpty() && !CLIENT_NS.equals(namespace) || !message.additionalNamespaces().isEmpty()
                || !"groupchat".equals(message.attributeValue("type")) || message.elements().size() != 1) {
            return null;
        }
        int attributes = message.attributeCount();
        String id = message.attributeValue("id");
        Element body = message.elements().get(0);
        if (attributes != (id == null ? 1 : 2) || !"body".equals(body.getName())
                || !namespace.equals(body.getNamespaceURI()) || body.attributeCount() != 0 || !body.elements().isEmpty()
                || !body.additionalNamespaces().isEmpty()) {
            return null;
        }
        Element plain = DocumentHelper.createElement("message");
        plain.addAttribute("type", "groupchat");
        if (id != null) {
            plain.addAttribute("id", id);
        }
        String bodyText = textOf(body);
        if (bodyText == null) {
            return null;
        }
        plain.addElement("body").setText(bodyText);
        String text = plain.asXML();
        return EnvelopeCodec.isCompact(text) ? text : null;
    }

    /**
     * @return the character data of an element that holds nothing else, or null; entity references count as the text
     * they stand for (the pull parser keeps {@code &amp;} as a node of its own, which {@link Element#getText} omits)
     */
    private static String textOf(Element element) {
        StringBuilder text = new StringBuilder();
        for (Node node : element.content()) {
            switch (node.getNodeType()) {
                case Node.TEXT_NODE, Node.CDATA_SECTION_NODE, Node.ENTITY_REFERENCE_NODE -> text.append(node.getText());
                default -> {
                    return null;
                }
            }
        }
        return text.toString();
    }

    /**
     * Removes the stanza-ids that claim one of these assigners (XEP-0359 security considerations: only the assigner
     * may set them).
     */
    static void removeStanzaIds(Packet packet, List<JID> assigners) {
        for (Iterator<Element> ids = packet.getElement().elementIterator(STANZA_ID); ids.hasNext(); ) {
            String by = ids.next().attributeValue("by");
            if (by != null && assigners.stream().anyMatch(a -> a.toString().equals(by))) {
                ids.remove();
            }
        }
    }

    /** @return the id of the packet's stanza-id by that assigner, or null */
    static String stanzaId(Packet packet, JID assigner) {
        for (Element sid : packet.getElement().elements(STANZA_ID)) {
            if (assigner.toString().equals(sid.attributeValue("by"))) {
                return sid.attributeValue("id");
            }
        }
        return null;
    }

    /** Makes the packet's one stanza-id by that assigner say {@code id}: Openfire 5.x's own is overwritten. */
    static void setStanzaId(Packet packet, JID assigner, String id) {
        Element existing = null;
        for (Iterator<Element> ids = packet.getElement().elementIterator(STANZA_ID); ids.hasNext(); ) {
            Element sid = ids.next();
            if (assigner.toString().equals(sid.attributeValue("by"))) {
                if (existing == null) {
                    existing = sid;
                } else {
                    ids.remove();
                }
            }
        }
        if (existing == null) {
            existing = packet.getElement().addElement(STANZA_ID).addAttribute("by", assigner.toString());
        }
        existing.addAttribute("id", id);
    }

    static void addTargetNode(Packet packet, long node) {
        packet.getElement().addElement(QName.get("xo", Namespace.get(XO_NS))).addAttribute("node", Long.toHexString(node));
    }

    /** @return the node a private message is for, or null when it does not say */
    static Long targetNode(Element stanza) {
        Element xo = stanza.element(QName.get("xo", Namespace.get(XO_NS)));
        if (xo == null || xo.attributeValue("node") == null) {
            return null;
        }
        try {
            return Long.parseUnsignedLong(xo.attributeValue("node"), 16);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Removes every XO element: what a client put there is never believed, and a room never shows XO's own. */
    static void removeXoElements(Packet packet) {
        for (Element xo : List.copyOf(packet.getElement().elements(QName.get("xo", Namespace.get(XO_NS))))) {
            packet.getElement().remove(xo);
        }
    }

    static final String MUC_ADMIN_NS = MUC_NS + "#admin";

    /** A kick or ban for the node of the participant it concerns (see {@link org.xo.core.Kind#MODERATION}). */
    record Moderation(long node, String nick, boolean ban, String reason) {
    }

    /** @return the request as it travels: a muc#admin item by nick, with XO's element naming the node */
    static String moderationForOverlay(Moderation m) {
        org.xmpp.packet.IQ request = new org.xmpp.packet.IQ(org.xmpp.packet.IQ.Type.set);
        request.setID(null);
        Element item = request.setChildElement("query", MUC_ADMIN_NS).addElement("item").addAttribute("nick", m.nick());
        if (m.ban()) {
            item.addAttribute("affiliation", "outcast");
        } else {
            item.addAttribute("role", "none");
        }
        if (m.reason() != null && !m.reason().isEmpty()) {
            item.addElement("reason").setText(m.reason());
        }
        addTargetNode(request, m.node());
        return request.toXML();
    }

    /** @return the kick or ban a MODERATION stanza asks for, or null when it is not one */
    static Moderation moderation(Element stanza) {
        Long node = targetNode(stanza);
        Element query = stanza.element(QName.get("query", Namespace.get(MUC_ADMIN_NS)));
        Element item = query == null ? null : query.element("item");
        String nick = item == null ? null : item.attributeValue("nick");
        if (node == null || nick == null || nick.isEmpty()) {
            return null;
        }
        boolean ban = "outcast".equals(item.attributeValue("affiliation"));
        if (!ban && !"none".equals(item.attributeValue("role"))) {
            return null;
        }
        return new Moderation(node, nick, ban, item.elementText("reason"));
    }

    /** @return an owner's destruction of a room as it travels (XEP-0045 10.9), to be applied to every node's copy */
    static String destructionForOverlay(String reason) {
        org.xmpp.packet.IQ request = new org.xmpp.packet.IQ(org.xmpp.packet.IQ.Type.set);
        request.setID(null);
        Element destroy = request.setChildElement("query", MUC_OWNER_NS).addElement("destroy");
        if (reason != null && !reason.isEmpty()) {
            destroy.addElement("reason").setText(reason);
        }
        return request.toXML();
    }

    /** @return the destroy element of an owner's request to destroy a room, or null when it is not one */
    static Element destruction(Element iq) {
        Element query = iq.element(QName.get("query", Namespace.get(MUC_OWNER_NS)));
        return query == null ? null : query.element("destroy");
    }

    /** XEP-0045 roles an occupant carries from its home room to the other nodes. */
    static final Set<String> TRAVELLING_ROLES = Set.of("moderator", "participant", "visitor");

    /** XEP-0045 affiliations, which travel only to judge what a participant may ask of other nodes (a destruction). */
    static final Set<String> AFFILIATIONS = Set.of("owner", "admin", "member", "none", "outcast");

    /** An occupant's role and affiliation, as a room gives them (either may be null when unknown). */
    record Rank(String role, String affiliation) {
    }

    /**
     * Marks an occupant's presence for the overlay with the rank its home room gave it (replacing anything the client
     * put in XO's namespace).
     */
    static void setHomeRank(Packet presence, Rank rank) {
        removeXoElements(presence);
        if (rank != null && rank.role() != null) {
            Element xo = presence.getElement().addElement(QName.get("xo", Namespace.get(XO_NS)))
                    .addAttribute("role", rank.role());
            if (rank.affiliation() != null) {
                xo.addAttribute("affiliation", rank.affiliation());
            }
        }
    }

    /**
     * Marks a gateway's occupant's presence for the overlay (after {@link #setHomeRank}): it is a gateway's listener,
     * or stands in for an occupant of that far room. No gateway carries it into a far room.
     */
    static void markGatewayOccupant(Packet presence, String farRoom) {
        Element xo = presence.getElement().element(QName.get("xo", Namespace.get(XO_NS)));
        if (xo == null) {
            xo = presence.getElement().addElement(QName.get("xo", Namespace.get(XO_NS)));
        }
        xo.addAttribute("gateway", farRoom);
    }

    /** @return the far room an overlay presence says its occupant is a gateway's for, or null for anyone else */
    static String gatewayOccupantMark(Element stanza) {
        Element xo = stanza.element(QName.get("xo", Namespace.get(XO_NS)));
        String far = xo == null ? null : xo.attributeValue("gateway");
        return far == null || far.isEmpty() ? null : far;
    }

    /** @return the home rank an overlay presence carries (values this version does not know read as null), or null */
    static Rank homeRank(Element stanza) {
        Element xo = stanza.element(QName.get("xo", Namespace.get(XO_NS)));
        String role = xo == null ? null : xo.attributeValue("role");
        if (role == null || !TRAVELLING_ROLES.contains(role)) {
            return null;
        }
        String affiliation = xo.attributeValue("affiliation");
        return new Rank(role, affiliation != null && AFFILIATIONS.contains(affiliation) ? affiliation : null);
    }

    /** @return the rank the room's presence gives an occupant (its muc#user item), or null when it has no role */
    static Rank roomRank(Element presence) {
        Element x = presence.element(QName.get("x", Namespace.get(MUC_USER_NS)));
        Element item = x == null ? null : x.element("item");
        return item == null || item.attributeValue("role") == null ? null
                : new Rank(item.attributeValue("role"), item.attributeValue("affiliation"));
    }

    /** @return the role the room's presence gives an occupant (its muc#user item), or null */
    static String roomRole(Element presence) {
        Element x = presence.element(QName.get("x", Namespace.get(MUC_USER_NS)));
        Element item = x == null ? null : x.element("item");
        return item == null ? null : item.attributeValue("role");
    }

    static final String DELAY_NS = "urn:xmpp:delay";

    /**
     * Marks a message as said at its origin time (XEP-0203), from the room, unless it carries a delay already (a
     * message the sender's client dated itself keeps its own).
     */
    static void addDelay(Message message, Instant originTime, JID room) {
        if (message.getChildElement("delay", DELAY_NS) != null) {
            return;
        }
        message.addChildElement("delay", DELAY_NS).addAttribute("stamp", originTime.toString())
                .addAttribute("from", room.toBareJID());
    }

    /**
     * @return whether two presences of one occupant show the same to the room's other occupants: equal but for their
     * addresses and stanza ids (a client that rejoins sends its presence anew); false when {@code before} is malformed
     */
    static boolean showSame(String before, Element after) {
        try {
            return withoutAddresses(parse(before)).equals(withoutAddresses(after));
        } catch (DocumentException e) {
            return false;
        }
    }

    private static String withoutAddresses(Element presence) {
        Element copy = presence.createCopy();
        for (String attribute : List.of("id", "from", "to")) {
            org.dom4j.Attribute a = copy.attribute(attribute);
            if (a != null) {
                copy.remove(a);
            }
        }
        return copy.asXML();
    }

    /** @return whether a room's presence to an occupant says the occupant just created the room (status 201) */
    static boolean createdRoom(org.xmpp.packet.Presence presence) {
        Element x = presence.getChildElement("x", MUC_USER_NS);
        return x != null && hasStatus(x, Set.of("201"));
    }

    /** @return whether a muc#user element carries one of the status codes */
    static boolean hasStatus(Element mucUser, Set<String> codes) {
        for (Element status : mucUser.elements("status")) {
            if (codes.contains(status.attributeValue("code"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The room's word on an occupant it took out, for the overlay: status codes, reason, the actor's nick, a destroyed
     * room's reason and alternative; never a real JID (the room may be semi-anonymous).
     */
    static Element removalForOverlay(Element mucUser) {
        Element copy = mucUser.createCopy();
        for (Element item : copy.elements("item")) {
            withoutJid(item);
            item.elements("actor").forEach(Stanzas::withoutJid);
        }
        return copy;
    }

    private static void withoutJid(Element e) {
        org.dom4j.Attribute jid = e.attribute("jid");
        if (jid != null) {
            e.remove(jid);
        }
    }

    /** The owner's request that opens a room it just created as an instant room (XEP-0045 10.1.2). */
    static org.xmpp.packet.IQ instantRoomRequest(JID owner, JID room) {
        org.xmpp.packet.IQ instant = new org.xmpp.packet.IQ(org.xmpp.packet.IQ.Type.set);
        instant.setFrom(owner);
        instant.setTo(room);
        instant.setChildElement("query", MUC_OWNER_NS).addElement("x", "jabber:x:data")
                .addAttribute("type", "submit");
        return instant;
    }
}
