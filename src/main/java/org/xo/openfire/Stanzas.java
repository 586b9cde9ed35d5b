package org.xo.openfire;

import java.io.IOException;
import java.io.StringReader;
import java.util.Locale;

import org.dom4j.DocumentException;
import org.dom4j.Element;
import org.dom4j.Namespace;
import org.dom4j.QName;
import org.dom4j.io.XPP3Reader;
import org.xmlpull.v1.XmlPullParserException;
import org.xmpp.packet.JID;
import org.xmpp.packet.Packet;

/**
 * Stanza text to and from Tinder packets. Received stanzas come from the network, so parsing is hardened: XPP3
 * (the pull parser Openfire reads client streams with) never processes a DTD or resolves an external entity, a
 * DOCTYPE is refused before parsing, and sizes are already bounded by the codec.
 */
final class Stanzas {
    static final String MUC_NS = "http://jabber.org/protocol/muc";
    /** XO's own extension: which node a private message is for. */
    static final String XO_NS = "urn:xo:0";

    /** A pull parser per thread: cheaper than a SAX parser, which reconfigures itself for every document. */
    private static final ThreadLocal<XPP3Reader> READER = ThreadLocal.withInitial(XPP3Reader::new);

    private Stanzas() {
    }

    /** @throws DocumentException when the text is not one well-formed element without DTD */
    static Element parse(String xml) throws DocumentException {
        String upper = xml.toUpperCase(Locale.ROOT);
        if (upper.contains("<!DOCTYPE") || upper.contains("<!ENTITY")) {
            throw new DocumentException("DTDs are not allowed in XMPP stanzas");
        }
        try {
            return READER.get().read(new StringReader(xml)).getRootElement();
        } catch (IOException | XmlPullParserException | RuntimeException e) {
            throw new DocumentException("Malformed stanza: " + e.getMessage(), e);
        }
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

    static void removeXoElements(Packet packet) {
        Element xo = packet.getElement().element(QName.get("xo", Namespace.get(XO_NS)));
        if (xo != null) {
            packet.getElement().remove(xo);
        }
    }
}
