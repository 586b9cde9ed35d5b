package org.xo.openfire;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.dom4j.DocumentException;
import org.dom4j.Element;
import org.jivesoftware.openfire.PacketRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xmpp.component.Component;
import org.xmpp.component.ComponentManager;
import org.xmpp.packet.IQ;
import org.xmpp.packet.JID;
import org.xmpp.packet.Message;
import org.xmpp.packet.Packet;
import org.xmpp.packet.PacketError;
import org.xmpp.packet.Presence;
import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.engine.EngineListener;

/**
 * The injector: makes participants on other nodes ordinary occupants of the local room.
 *
 * <p>Each remote participant is a "virtual occupant" with a real JID on this plugin's component
 * ({@code overlay@xo.<domain>/<origin node id>.<n>}) that joins the room exactly like a federated user. Openfire itself
 * then does occupant lists, presence broadcast to clients that join later, history and private-message routing,
 * on every Openfire version, with no call on {@code MUCRoom} (whose binary interface changed in 4.7).
 *
 * <p>Everything the room sends to a virtual occupant arrives here: its own join confirmation (which releases
 * packets held until then), nick conflicts, and private messages from local occupants, which go to the overlay.
 *
 * <p>Privileges: the one bare JID of all virtual occupants is a sysadmin of the MUC service, because the origin
 * room already decided what its occupant may do (a subject change from a moderator there must apply here too,
 * whatever this room's defaults). The cost, until per-occupant roles travel with presence: remote participants
 * show as moderators (affiliation owner) in local occupant lists.
 *
 * <p>Nick collisions, one rule on every node: a participant keeps their nick on their own node (Openfire owns local
 * nicks); a remote participant whose nick is taken by a local occupant shows as {@code nick#abcd} (the first four
 * hex digits of their node id; all sixteen if that is taken too); of two remote participants with one nick, the
 * one with the lower node id (unsigned) keeps it and the other is suffixed, whichever arrived first. A suffix stays
 * until the participant rejoins.
 */
final class RemoteOccupants implements Component, EngineListener {
    private static final Logger Log = LoggerFactory.getLogger(RemoteOccupants.class);
    static final String SUBDOMAIN = "xo";
    static final String STATS_NS = "urn:xo:stats:0";
    /** Local part of every virtual occupant's JID. */
    static final String OVERLAY_USER = "overlay";

    /** A remote participant as this node shows it. */
    private static final class Virtual {
        final JID jid;
        final String room;
        final long origin;
        String originNick;
        String localNick;
        boolean joined;
        int conflicts;
        int refusals;
        String presenceXml;
        final List<Packet> held = new ArrayList<>();

        Virtual(JID jid, String room, long origin, String originNick) {
            this.jid = jid;
            this.room = room;
            this.origin = origin;
            this.originNick = originNick;
            this.localNick = originNick;
        }
    }

    private record Key(String room, long origin, String nick) {
    }

    private final Overlay overlay;
    private final LocalOccupancy occupancy;
    private final BridgeStats stats;
    private final PacketRouter router;
    /** Refused joins are tried again this often: a room its creator left locked opens after a grace period. */
    private static final long REJOIN_DELAY_MS = InstantRoomCompleter.GRACE_MS + 1_000;
    private static final int MAX_REFUSALS = 3;

    private final ScheduledExecutorService injector = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "xo-inject");
        t.setDaemon(true);
        return t;
    });
    private final Map<Key, Virtual> byKey = new HashMap<>();
    private final Map<JID, Virtual> byJid = new HashMap<>();
    private final AtomicLong resources = new AtomicLong();
    private volatile JID componentJid;

    RemoteOccupants(Overlay overlay, LocalOccupancy occupancy, BridgeStats stats, PacketRouter router) {
        this.overlay = overlay;
        this.occupancy = occupancy;
        this.stats = stats;
        this.router = router;
    }

    // ---- overlay → room --------------------------------------------------------------------------------------

    @Override
    public void onRemoteEvent(Envelope envelope) {
        // One thread injects, in arrival order, so the receive loop never waits on Openfire.
        injector.execute(() -> {
            try {
                inject(envelope);
            } catch (RuntimeException e) {
                stats.increment("inject.errors");
                Log.warn("XO could not inject {} from node {}", envelope.kind(), Long.toHexString(envelope.originNode()), e);
            }
        });
    }

    private void inject(Envelope envelope) {
        String room = overlay.localRoomName(envelope.room());
        if (room == null || !overlay.hasLocalRoom(room)) {
            stats.increment("inject.no-local-room");
            return;
        }
        Element stanza;
        try {
            stanza = Stanzas.parse(envelope.stanza());
        } catch (DocumentException e) {
            stats.increment("inject.bad-stanza");
            Log.debug("XO dropped a malformed stanza from node {}: {}", Long.toHexString(envelope.originNode()), e.getMessage());
            return;
        }
        synchronized (this) {
            switch (envelope.kind()) {
                case PRESENCE -> presence(envelope, room, stanza);
                case LEAVE -> leave(new Key(room, envelope.originNode(), envelope.nick()));
                case NICK_CHANGE -> nickChange(envelope, room, stanza);
                case GROUPCHAT, SUBJECT -> groupchat(envelope, room, stanza);
                case PRIVATE -> privateMessage(envelope, room, stanza);
                default -> stats.increment("inject.not-for-us");
            }
        }
    }

    private void presence(Envelope envelope, String room, Element stanza) {
        Key key = new Key(room, envelope.originNode(), envelope.nick());
        Virtual virtual = byKey.get(key);
        if (virtual == null) {
            virtual = new Virtual(new JID(OVERLAY_USER, componentJid.getDomain(),
                    Long.toHexString(envelope.originNode()) + "." + resources.incrementAndGet()),
                    room, envelope.originNode(), envelope.nick());
            virtual.presenceXml = stanza.asXML();
            byKey.put(key, virtual);
            byJid.put(virtual.jid, virtual);
            stats.add("remote.occupants", 1);
            claimNick(virtual);
            join(virtual);
            stats.increment("injected.join");
        } else {
            virtual.presenceXml = stanza.asXML();
            send(virtual, presenceFrom(virtual, stanza, virtual.localNick));
            stats.increment("injected.presence");
        }
    }

    private void join(Virtual virtual) {
        Presence join = presenceFrom(virtual, parseQuietly(virtual.presenceXml), virtual.localNick);
        // No history for virtual occupants: the overlay carries the conversation itself.
        join.getElement().addElement("x", Stanzas.MUC_NS).addElement("history").addAttribute("maxstanzas", "0");
        router.route(join);
    }

    private synchronized void rejoin(Virtual virtual) {
        if (byJid.get(virtual.jid) == virtual && !virtual.joined) {
            join(virtual);
        }
    }

    private Presence presenceFrom(Virtual virtual, Element stanza, String nick) {
        Presence presence = stanza == null ? new Presence() : new Presence(stanza.createCopy(), true);
        Stanzas.removeXoElements(presence);
        presence.setFrom(virtual.jid);
        presence.setTo(overlay.localRoomJid(virtual.room, nick));
        return presence;
    }

    private void leave(Key key) {
        Virtual virtual = byKey.remove(key);
        if (virtual == null) {
            return;
        }
        byJid.remove(virtual.jid);
        stats.add("remote.occupants", -1);
        Presence unavailable = new Presence(Presence.Type.unavailable);
        unavailable.setFrom(virtual.jid);
        unavailable.setTo(overlay.localRoomJid(virtual.room, virtual.localNick));
        router.route(unavailable);
        stats.increment("injected.leave");
    }

    private void nickChange(Envelope envelope, String room, Element stanza) {
        Virtual virtual = byKey.remove(new Key(room, envelope.originNode(), envelope.nick()));
        String newNick = new JID(stanza.attributeValue("to")).getResource();
        if (virtual == null || newNick == null) {
            presence(new Envelope(envelope.originNode(), envelope.originEpoch(), envelope.seq(), envelope.originTime(),
                    envelope.room(), newNick == null ? envelope.nick() : newNick, Kind.PRESENCE, envelope.stanza()), room, stanza);
            return;
        }
        virtual.originNick = newNick;
        virtual.localNick = newNick;
        virtual.conflicts = 0;
        virtual.presenceXml = stanza.asXML();
        claimNick(virtual);
        byKey.put(new Key(room, envelope.originNode(), newNick), virtual);
        send(virtual, presenceFrom(virtual, stanza, virtual.localNick));
        stats.increment("injected.nick");
    }

    private void groupchat(Envelope envelope, String room, Element stanza) {
        Virtual virtual = ensureOccupant(envelope, room);
        Message message = new Message(stanza.createCopy(), true);
        Stanzas.removeXoElements(message);
        message.setFrom(virtual.jid);
        message.setTo(overlay.localRoomJid(room, null));
        message.setType(Message.Type.groupchat);
        send(virtual, message);
        stats.increment(envelope.kind() == Kind.SUBJECT ? "injected.subject" : "injected.groupchat");
    }

    private void privateMessage(Envelope envelope, String room, Element stanza) {
        String to = stanza.attributeValue("to");
        String target = to == null ? null : new JID(to).getResource();
        Long targetNode = Stanzas.targetNode(stanza);
        boolean ours = target != null && (targetNode == null || targetNode == overlay.nodeId())
                && occupancy.hasNick(room, target);
        if (!ours) {
            stats.increment("inject.not-for-us");
            return;
        }
        Virtual virtual = ensureOccupant(envelope, room);
        Message message = new Message(stanza.createCopy(), true);
        Stanzas.removeXoElements(message);
        message.setFrom(virtual.jid);
        message.setTo(overlay.localRoomJid(room, target));
        if (message.getType() == null || message.getType() == Message.Type.groupchat) {
            message.setType(Message.Type.chat);
        }
        send(virtual, message);
        stats.increment("injected.private");
    }

    /** A message can arrive before (or without) its sender's presence, e.g. after a loss: join them first. */
    private Virtual ensureOccupant(Envelope envelope, String room) {
        Virtual virtual = byKey.get(new Key(room, envelope.originNode(), envelope.nick()));
        if (virtual == null) {
            presence(new Envelope(envelope.originNode(), envelope.originEpoch(), envelope.seq(), envelope.originTime(),
                    envelope.room(), envelope.nick(), Kind.PRESENCE, "<presence/>"), room, parseQuietly("<presence/>"));
            virtual = byKey.get(new Key(room, envelope.originNode(), envelope.nick()));
        }
        return virtual;
    }

    /** Packets from a virtual occupant wait until the room has confirmed its join. */
    private void send(Virtual virtual, Packet packet) {
        if (virtual.joined) {
            router.route(packet);
        } else {
            virtual.held.add(packet);
        }
    }

    /** A node went silent past the timeout: its participants leave, here as everywhere, until it is heard again. */
    @Override
    public void onNodeLost(long nodeId) {
        injector.execute(() -> {
            synchronized (this) {
                for (Virtual virtual : new ArrayList<>(byKey.values())) {
                    if (virtual.origin == nodeId) {
                        leave(new Key(virtual.room, virtual.origin, virtual.originNick));
                        stats.increment("inject.lost-with-node");
                    }
                }
            }
        });
    }

    /** Takes every remote occupant out of a room that has no local occupants left. */
    synchronized void removeAll(String room) {
        for (Virtual virtual : new ArrayList<>(byKey.values())) {
            if (virtual.room.equals(room)) {
                leave(new Key(room, virtual.origin, virtual.originNick));
            }
        }
    }

    synchronized void removeAllRooms() {
        for (Virtual virtual : new ArrayList<>(byKey.values())) {
            leave(new Key(virtual.room, virtual.origin, virtual.originNick));
        }
    }

    // ---- room → component ------------------------------------------------------------------------------------

    @Override
    public void processPacket(Packet packet) {
        try {
            if (packet instanceof IQ) {
                answer((IQ) packet);
                return;
            }
            synchronized (this) {
                Virtual virtual = byJid.get(packet.getTo());
                if (virtual == null || packet.getFrom() == null) {
                    return;
                }
                if (packet instanceof Presence) {
                    fromRoom((Presence) packet, virtual);
                } else if (packet instanceof Message) {
                    fromRoom((Message) packet, virtual);
                }
            }
        } catch (RuntimeException e) {
            stats.increment("inject.errors");
            Log.warn("XO could not process {}", packet.toXML(), e);
        }
    }

    private void fromRoom(Presence presence, Virtual virtual) {
        String nick = presence.getFrom().getResource();
        if (presence.getType() == Presence.Type.error) {
            PacketError error = presence.getError();
            if (!virtual.joined && error != null && error.getCondition() == PacketError.Condition.conflict
                    && virtual.conflicts < 2) {
                virtual.conflicts++;
                virtual.localNick = virtual.conflicts == 1 ? suffixed(virtual)
                        : virtual.originNick + "#" + Long.toHexString(virtual.origin);
                stats.increment("inject.nick-conflict");
                join(virtual);
            } else if (!virtual.joined) {
                stats.increment("inject.join-refused");
                if (++virtual.refusals <= MAX_REFUSALS) {
                    injector.schedule(() -> rejoin(virtual), REJOIN_DELAY_MS, TimeUnit.MILLISECONDS);
                } else {
                    Log.info("XO: room {} refused remote occupant {}: {}", virtual.room, virtual.originNick,
                            presence.toXML());
                }
            }
            return;
        }
        if (!virtual.joined && presence.getType() == null && virtual.localNick.equals(nick)) {
            // The room confirmed our own join: release what waited for it.
            virtual.joined = true;
            virtual.held.forEach(router::route);
            virtual.held.clear();
        }
    }

    /** The rule's suffix: the first four hex digits of the participant's node id. */
    private static String suffixed(Virtual virtual) {
        String id = Long.toHexString(virtual.origin);
        return virtual.originNick + "#" + id.substring(0, Math.min(4, id.length()));
    }

    /**
     * Applies the nick rule between remote participants before one joins. Openfire cannot: all virtual occupants
     * share one bare JID, and one bare JID may hold one nick from several resources, so it would merge them.
     */
    private void claimNick(Virtual newcomer) {
        Virtual holder = null;
        for (Virtual other : byKey.values()) {
            if (other != newcomer && other.room.equals(newcomer.room) && other.localNick.equalsIgnoreCase(newcomer.localNick)) {
                holder = other;
            }
        }
        if (holder == null) {
            return;
        }
        stats.increment("inject.nick-conflict");
        if (Long.compareUnsigned(newcomer.origin, holder.origin) < 0) {
            holder.conflicts = 1;
            holder.localNick = suffixed(holder);
            if (holder.joined) {
                router.route(presenceFrom(holder, parseQuietly(holder.presenceXml), holder.localNick));
            }
        } else {
            newcomer.conflicts = 1;
            newcomer.localNick = suffixed(newcomer);
        }
    }

    private void fromRoom(Message message, Virtual virtual) {
        if (message.getType() == Message.Type.groupchat || message.getType() == Message.Type.error) {
            return;
        }
        String senderNick = message.getFrom().getResource();
        if (senderNick == null || !occupancy.hasNick(virtual.room, senderNick)) {
            return;
        }
        Message overlayCopy = message.createCopy();
        Stanzas.addTargetNode(overlayCopy, virtual.origin);
        String stanza = Stanzas.readdressForOverlay(overlayCopy, overlay.overlayJid(virtual.room, virtual.originNick));
        if (overlay.publish(virtual.room, senderNick, Kind.PRIVATE, stanza)) {
            stats.increment("mirrored.private");
        } else {
            stats.increment("mirror.oversized");
        }
    }

    private void answer(IQ iq) {
        if (iq.getType() != IQ.Type.get && iq.getType() != IQ.Type.set) {
            return;
        }
        IQ reply = IQ.createResultIQ(iq);
        Element query = iq.getChildElement();
        String ns = query == null ? "" : query.getNamespaceURI();
        if (iq.getTo().getNode() == null && "http://jabber.org/protocol/disco#info".equals(ns)) {
            Element info = reply.setChildElement("query", ns);
            info.addElement("identity").addAttribute("category", "component").addAttribute("type", "generic")
                    .addAttribute("name", getDescription());
            info.addElement("feature").addAttribute("var", ns);
            info.addElement("feature").addAttribute("var", STATS_NS);
        } else if (iq.getTo().getNode() == null && STATS_NS.equals(ns)) {
            Element stats = reply.setChildElement("query", STATS_NS);
            overlay.counters().forEach((name, value) ->
                    stats.addElement("stat").addAttribute("name", name).addAttribute("value", Long.toString(value)));
        } else if (!"urn:xmpp:ping".equals(ns)) {
            if (query != null) {
                reply.setChildElement(query.createCopy());
            }
            reply.setError(PacketError.Condition.service_unavailable);
        }
        router.route(reply);
    }

    // ---- component lifecycle ---------------------------------------------------------------------------------

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
        this.componentJid = jid;
    }

    /** @return the bare JID shared by all virtual occupants, once the component is registered */
    JID overlayUser() {
        return new JID(OVERLAY_USER, componentJid.getDomain(), null);
    }

    @Override
    public void start() {
    }

    @Override
    public void shutdown() {
        injector.shutdown();
    }

    /** Waits for queued injections, e.g. before the plugin takes remote occupants out on unload. */
    void drain() {
        injector.shutdown();
        try {
            injector.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Element parseQuietly(String xml) {
        try {
            return Stanzas.parse(xml);
        } catch (DocumentException e) {
            return null;
        }
    }
}
