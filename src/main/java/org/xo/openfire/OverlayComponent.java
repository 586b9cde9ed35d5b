package org.xo.openfire;

import java.time.Instant;
import java.util.function.Supplier;

import org.dom4j.Element;
import org.jivesoftware.openfire.PacketRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xmpp.component.Component;
import org.xmpp.component.ComponentManager;
import org.xmpp.packet.IQ;
import org.xmpp.packet.JID;
import org.xmpp.packet.Packet;
import org.xmpp.packet.PacketError;

/**
 * The plugin's component {@code xo.<domain>}: the address of every virtual occupant, of the node's live counters
 * ({@value #STATS_NS}) and of its settings for administrators ({@value SettingsQuery#NAMESPACE}, see
 * {@link SettingsQuery}). What rooms send to virtual occupants goes to the {@link Injector}; IQs to the component
 * itself are answered here.
 */
final class OverlayComponent implements Component {
    private static final Logger Log = LoggerFactory.getLogger(OverlayComponent.class);
    static final String SUBDOMAIN = "xo";
    static final String STATS_NS = "urn:xo:stats:0";
    private static final String DISCO_INFO_NS = "http://jabber.org/protocol/disco#info";
    private static final String PING_NS = "urn:xmpp:ping";

    private final Injector injector;
    private final Overlay overlay;
    private final BridgeStats stats;
    private final PacketRouter router;
    private final SettingsQuery settings;
    private final Supplier<StatusReport.Bridge> bridge;

    OverlayComponent(Injector injector, Overlay overlay, BridgeStats stats, PacketRouter router,
                     SettingsQuery settings, Supplier<StatusReport.Bridge> bridge) {
        this.bridge = bridge;
        this.injector = injector;
        this.overlay = overlay;
        this.stats = stats;
        this.router = router;
        this.settings = settings;
    }

    @Override
    public void processPacket(Packet packet) {
        try {
            if (packet instanceof IQ iq) {
                answer(iq);
            } else {
                injector.fromRoom(packet);
            }
        } catch (RuntimeException e) {
            // Never let an exception travel back into the room that is routing to us.
            stats.increment("inject.errors");
            Log.warn("XO could not process a packet for {}", packet.getTo(), e);
        }
    }

    private void answer(IQ iq) {
        if (iq.getType() != IQ.Type.get && iq.getType() != IQ.Type.set) {
            return;
        }
        IQ reply = IQ.createResultIQ(iq);
        Element query = iq.getChildElement();
        String ns = query == null ? "" : query.getNamespaceURI();
        boolean toComponent = iq.getTo() != null && iq.getTo().getNode() == null;
        if (toComponent && DISCO_INFO_NS.equals(ns)) {
            Element info = reply.setChildElement("query", ns);
            info.addElement("identity").addAttribute("category", "component").addAttribute("type", "generic")
                    .addAttribute("name", getDescription());
            info.addElement("feature").addAttribute("var", ns);
            info.addElement("feature").addAttribute("var", STATS_NS);
            info.addElement("feature").addAttribute("var", SettingsQuery.NAMESPACE);
            info.addElement("feature").addAttribute("var", PING_NS);
        } else if (toComponent && STATS_NS.equals(ns)) {
            Element stats = reply.setChildElement("query", STATS_NS);
            overlay.counters().forEach((name, value) ->
                    stats.addElement("stat").addAttribute("name", name).addAttribute("value", Long.toString(value)));
            overlay.uncarriedRooms().forEach((room, reason) ->
                    stats.addElement("uncarried").addAttribute("room", room).addAttribute("reason", reason));
            StatusReport.Bridge now = bridge.get();
            if (now != null) {
                stats.addElement("bridge").addAttribute("room", now.room()).addAttribute("far-room", now.farRoom())
                        .addAttribute("up", Boolean.toString(now.up()))
                        .addAttribute("standby-for", now.standbyFor())
                        .addAttribute("since", Instant.ofEpochMilli(now.sinceMillis()).toString())
                        .addAttribute("last-error", now.lastError());
            }
        } else if (toComponent && SettingsQuery.NAMESPACE.equals(ns)) {
            settings.answer(iq, reply);
        } else if (!PING_NS.equals(ns)) {
            // Pings (also Openfire's own, to occupants) get an empty result; everything else is not offered here.
            if (query != null) {
                reply.setChildElement(query.createCopy());
            }
            reply.setError(PacketError.Condition.service_unavailable);
        }
        router.route(reply);
    }

    @Override
    public String getName() {
        return "XO";
    }

    @Override
    public String getDescription() {
        return "XO overlay: occupants of overlay rooms on other nodes";
    }

    @Override
    public void initialize(JID jid, ComponentManager componentManager) {
        injector.componentDomain(jid.getDomain());
    }

    @Override
    public void start() {
    }

    @Override
    public void shutdown() {
    }
}
