package org.xo.openfire;

import java.util.HashSet;
import java.util.Set;

import org.dom4j.Element;
import org.jivesoftware.openfire.interceptor.PacketInterceptor;
import org.jivesoftware.openfire.session.ClientSession;
import org.jivesoftware.openfire.session.Session;
import org.xmpp.packet.IQ;
import org.xmpp.packet.JID;
import org.xmpp.packet.Packet;
import org.xo.discovery.RoomInfo;

/**
 * Makes "browse rooms" show the whole overlay: rooms that exist only on other nodes are added to the MUC
 * service's disco#items answer, under this node's room address, so joining one creates the local copy of the
 * same overlay room (its subject, occupants and recent messages then arrive from the nodes that have it).
 *
 * <p>An outgoing interceptor rather than a disco items provider: the MUC service answers disco#items itself, and
 * an interceptor works the same on every Openfire version.
 */
final class RemoteRoomListing implements PacketInterceptor {
    private static final String DISCO_ITEMS_NS = "http://jabber.org/protocol/disco#items";

    private final Overlay overlay;
    private final BridgeStats stats;

    RemoteRoomListing(Overlay overlay, BridgeStats stats) {
        this.overlay = overlay;
        this.stats = stats;
    }

    @Override
    public void interceptPacket(Packet packet, Session session, boolean incoming, boolean processed) {
        if (incoming || processed || !(session instanceof ClientSession) || !(packet instanceof IQ)) {
            return;
        }
        IQ iq = (IQ) packet;
        JID from = iq.getFrom();
        Element query = iq.getChildElement();
        if (iq.getType() != IQ.Type.result || from == null || from.getNode() != null
                || !overlay.isLocalMucDomain(from.getDomain()) || query == null
                || !DISCO_ITEMS_NS.equals(query.getNamespaceURI()) || query.attributeValue("node") != null) {
            return;
        }
        Set<String> listed = new HashSet<>();
        for (Element item : query.elements("item")) {
            listed.add(item.attributeValue("jid"));
        }
        for (RoomInfo room : overlay.remoteRooms()) {
            String name = overlay.localRoomName(room.room());
            JID local = overlay.localRoomJid(name, null);
            if (name == null || listed.contains(local.toString()) || overlay.hasLocalRoom(name)) {
                continue;
            }
            query.addElement("item").addAttribute("jid", local.toString()).addAttribute("name", label(name, room));
            stats.increment("rooms.listed-remote");
        }
    }

    private static String label(String name, RoomInfo room) {
        return room.subject() == null || room.subject().isEmpty() ? name : name + " – " + room.subject();
    }
}
