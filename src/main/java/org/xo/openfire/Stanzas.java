package org.xo.openfire;

import java.io.StringReader;
import java.util.Locale;

import org.dom4j.Document;
import org.dom4j.DocumentException;
import org.dom4j.Element;
import org.dom4j.Namespace;
import org.dom4j.QName;
import org.dom4j.io.SAXReader;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xmpp.packet.JID;
import org.xmpp.packet.Message;
import org.xmpp.packet.Packet;
import org.xmpp.packet.Presence;

/**
 * Stanza text to and from Tinder packets. Received stanzas come from the network, so parsing is hardened: no
 * DOCTYPE, no external entities, no entity expansion (XMPP itself forbids DTDs); sizes are bounded by the codec.
 */
final class Stanzas {
    static final String MUC_NS = "http://jabber.org/protocol/muc";
    /** XO's own extension: which node a private message is for. */
    static final String XO_NS = "urn:xo:0";

    private static final ThreadLocal<SAXReader> READER = ThreadLocal.withInitial(Stanzas::hardenedReader);

    private Stanzas() {
    }

    private static SAXReader hardenedReader() {
        SAXReader reader = new SAXReader();
        reader.setValidation(false);
        trySetFeature(reader, "http://apache.org/xml/features/disallow-doctype-decl", true);
        trySetFeature(reader, "http://xml.org/sax/features/external-general-entities", false);
        trySetFeature(reader, "http://xml.org/sax/features/external-parameter-entities", false);
        trySetFeature(reader, "http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        // Whatever parser JAXP picked, nothing outside the stanza is ever read.
        reader.setEntityResolver((publicId, systemId) -> new InputSource(new StringReader("")));
        return reader;
    }

    private static void trySetFeature(SAXReader reader, String feature, boolean value) {
        try {
            reader.setFeature(feature, value);
        } catch (SAXException unsupported) {
            // The parser does not know this feature; the DOCTYPE check in parse() still holds.
        }
    }

    /** @throws DocumentException when the text is not one well-formed element without DTD */
    static Element parse(String xml) throws DocumentException {
        if (xml.toLowerCase(Locale.ROOT).contains("<!doctype") || xml.contains("<!ENTITY")) {
            throw new DocumentException("DTDs are not allowed in XMPP stanzas");
        }
        Document document = READER.get().read(new StringReader(xml));
        return document.getRootElement();
    }

    static Packet toPacket(Element element) throws DocumentException {
        switch (element.getName()) {
            case "message":
                return new Message(element, true);
            case "presence":
                return new Presence(element, true);
            default:
                throw new DocumentException("Not a message or presence stanza: <" + element.getName() + ">");
        }
    }

    /** A copy addressed to the overlay, without the sender's real address and without the MUC join request. */
    static String forOverlay(Packet packet, JID overlayTo) {
        Packet copy = packet.createCopy();
        copy.setFrom((JID) null);
        copy.setTo(overlayTo);
        Element join = copy.getElement().element(QName.get("x", Namespace.get(MUC_NS)));
        if (join != null) {
            copy.getElement().remove(join);
        }
        return copy.toXML();
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
