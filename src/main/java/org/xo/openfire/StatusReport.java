package org.xo.openfire;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

import org.xo.discovery.KnownNode;
import org.xo.discovery.Source;

/**
 * What the Status page shows, taken at one moment and immutable: this node, the overlay's state, the rooms open here
 * with their local and remote occupants, the other nodes and the counters. {@link AdminConsole} gathers the parts
 * from the running plugin; {@link #toJson} writes what the page polls. Plain data: no Openfire, no locks.
 */
public final class StatusReport {

    /** The overlay's state, in the words of {@code xo.status.state.*}. */
    enum State {
        RUNNING, OFF, FAILED,
        /** Enabled, not failed, no engine: between a stop and a start (a settings change). */
        STOPPED,
        /** The plugin is being loaded or unloaded. */
        UNLOADED
    }

    /**
     * This node. {@code transport} is what carries the running overlay's datagrams (empty while it is off),
     * {@code wantedTransport} what {@code xo.transport} asks for: they differ when libnorm could not be loaded.
     * {@code keyIds} are the running overlay's key ids, the sealing one first; empty for an open overlay.
     */
    record Node(String id, String name, String domain, String openfire, String transport, String wantedTransport,
                List<String> keyIds) {
    }

    /** A room the engine has open here (overlay address), with its multicast group. */
    record OpenRoom(String address, String group, int port) {
    }

    /** One room in the report, under its local name. */
    record Room(String name, String address, String group, int port, List<String> local, List<RemoteOccupant> remote,
                String uncarried) {
    }

    /**
     * The gateway's bridge (see {@code Gateway}): the overlay room, the far room, whether the far room is reachable and
     * entered, since when (ms since the epoch), the last error with its time (empty and 0 when none yet), and the node
     * (hex id) of the gateway elected to bridge while this one stands by (empty when this one bridges or is electing).
     */
    record Bridge(String room, String farRoom, boolean up, long sinceMillis, String lastError, long lastErrorMillis,
                  String standbyFor) {
    }

    /** Counters that belong together, in display order; see {@link #GROUPS}. */
    record CounterGroup(String id, Map<String, Long> counters) {
    }

    /**
     * Counter name prefixes per group, first match wins: an operator reads traffic, then what was filtered or lost,
     * then the rest.
     */
    private static final List<Map.Entry<String, List<String>>> GROUPS = List.of(
            Map.entry("traffic", List.of("datagrams.", "bytes.", "envelopes.sent", "envelopes.received",
                    "envelopes.delivered")),
            Map.entry("filtered", List.of("envelopes.")),
            Map.entry("dropped", List.of("dropped.", "publish.", "send.errors", "listener.errors", "rooms.uncarried")),
            Map.entry("guard", List.of("guard.", "inject.occupants-full", "inject.held-full", "inject.queue-full")),
            Map.entry("pacing", List.of("pacing.")),
            Map.entry("sync", List.of("state.", "stream.")),
            Map.entry("discovery", List.of("beacons.", "nodes.", "dnssd.")),
            Map.entry("mirrored", List.of("mirrored.", "mirror.")),
            Map.entry("injected", List.of("injected.", "inject.", "room-to-remote.", "remote.")),
            Map.entry("rooms", List.of("rooms.")),
            Map.entry("settings", List.of("settings.")),
            Map.entry("gateway", List.of("gateway.")),
            Map.entry("log", List.of("log.")),
            Map.entry("history", List.of("history.", "late.")));

    private final long time;
    private final Node node;
    private final State state;
    private final String failure;
    private final List<Room> rooms;
    private final List<KnownNode> nodes;
    private final Map<String, Long> counters;
    private final Bridge bridge;

    private StatusReport(long time, Node node, State state, String failure, List<Room> rooms, List<KnownNode> nodes,
                         Map<String, Long> counters, Bridge bridge) {
        this.bridge = bridge;
        this.time = time;
        this.node = node;
        this.state = state;
        this.failure = failure;
        this.rooms = List.copyOf(rooms);
        this.nodes = List.copyOf(nodes);
        this.counters = Collections.unmodifiableMap(new LinkedHashMap<>(counters)); // in display order
    }

    /** While the plugin is not there to ask. */
    static StatusReport unloaded(long time) {
        return new StatusReport(time, new Node("", "", "", "", "", "", List.of()), State.UNLOADED, null, List.of(),
                List.of(), Map.of(), null);
    }

    /**
     * @param open          the rooms the engine has open (none while the overlay is off)
     * @param seats         this node's occupants of overlay rooms, by local room name
     * @param remote        other nodes' participants as the local rooms show them
     * @param uncarried     open rooms the overlay cannot carry, by overlay address, with the reason
     * @param counters      engine and bridge counters by name, in display order
     * @param localNameOf   local room name of an overlay address, or null when it is not of this overlay service
     * @param addressOf     overlay address of a local room name
     */
    static StatusReport of(long time, Node node, State state, String failure, List<OpenRoom> open,
                           List<LocalOccupancy.Seat> seats, List<RemoteOccupant> remote, Map<String, String> uncarried,
                           List<KnownNode> nodes, Map<String, Long> counters,
                           Function<String, String> localNameOf, Function<String, String> addressOf) {
        Map<String, OpenRoom> openByName = new TreeMap<>();
        for (OpenRoom room : open) {
            String name = localNameOf.apply(room.address());
            if (name != null) {
                openByName.put(name, room);
            }
        }
        Map<String, List<String>> localByName = new TreeMap<>();
        for (LocalOccupancy.Seat seat : seats) {
            localByName.computeIfAbsent(seat.room(), r -> new ArrayList<>()).add(seat.nick());
        }
        Map<String, List<RemoteOccupant>> remoteByName = new TreeMap<>();
        for (RemoteOccupant occupant : remote) {
            remoteByName.computeIfAbsent(occupant.room(), r -> new ArrayList<>()).add(occupant);
        }
        TreeMap<String, Boolean> names = new TreeMap<>();
        openByName.keySet().forEach(n -> names.put(n, true));
        localByName.keySet().forEach(n -> names.put(n, true));
        remoteByName.keySet().forEach(n -> names.put(n, true));
        List<Room> rooms = new ArrayList<>();
        for (String name : names.keySet()) {
            OpenRoom opened = openByName.get(name);
            String address = opened != null ? opened.address() : addressOf.apply(name);
            List<String> local = new ArrayList<>(localByName.getOrDefault(name, List.of()));
            local.sort(String.CASE_INSENSITIVE_ORDER);
            rooms.add(new Room(name, address, opened == null ? "" : opened.group(), opened == null ? 0 : opened.port(),
                    List.copyOf(local), List.copyOf(remoteByName.getOrDefault(name, List.of())),
                    uncarried.get(address)));
        }
        Map<String, Long> shown = new LinkedHashMap<>(counters);
        shown.remove("node.id"); // the header shows it, in hex
        return new StatusReport(time, node, state, failure, rooms, nodes, shown, null);
    }

    /** @return this report with the gateway's bridge (null: none configured) */
    StatusReport withBridge(Bridge configured) {
        return new StatusReport(time, node, state, failure, rooms, nodes, counters, configured);
    }

    /** @return the counters in their groups, each in the counters' order; names no group claims come last */
    static List<CounterGroup> group(Map<String, Long> counters) {
        Map<String, Map<String, Long>> grouped = new LinkedHashMap<>();
        GROUPS.forEach(g -> grouped.put(g.getKey(), new LinkedHashMap<>()));
        grouped.put("other", new LinkedHashMap<>());
        counters.forEach((name, value) -> grouped.get(groupOf(name)).put(name, value));
        List<CounterGroup> out = new ArrayList<>();
        grouped.forEach((id, values) -> {
            if (!values.isEmpty()) {
                out.add(new CounterGroup(id, values));
            }
        });
        return out;
    }

    private static String groupOf(String counter) {
        for (Map.Entry<String, List<String>> group : GROUPS) {
            for (String prefix : group.getValue()) {
                if (counter.startsWith(prefix)) {
                    return group.getKey();
                }
            }
        }
        return "other";
    }

    State state() {
        return state;
    }

    Node node() {
        return node;
    }

    List<Room> rooms() {
        return rooms;
    }

    List<KnownNode> nodes() {
        return nodes;
    }

    /** @return the overlay's state in the page's words, e.g. "running" or "failed to start: ..." */
    public String stateText(Messages messages) {
        return switch (state) {
            case RUNNING -> messages.get("xo.status.state.running");
            case OFF -> messages.format("xo.status.state.off", XoSettings.ENABLED.key());
            case FAILED -> messages.format("xo.status.state.failed", failure);
            case STOPPED -> messages.get("xo.status.state.stopped");
            case UNLOADED -> messages.get("xo.status.state.unloaded");
        };
    }

    public String getNodeId() {
        return node.id();
    }

    public String getNodeName() {
        return node.name();
    }

    public String getDomain() {
        return node.domain();
    }

    public String getOpenfire() {
        return node.openfire();
    }

    /** @return how this node's datagrams travel, in words; says so when NORM was chosen but is not available */
    public String transportText(Messages messages) {
        if (node.transport().isEmpty()) {
            return "-";
        }
        if (!node.transport().equals(node.wantedTransport())) {
            return messages.format("xo.status.transport.fallback", node.wantedTransport(), node.transport());
        }
        return messages.get("xo.status.transport." + node.transport());
    }

    /** @return whether the overlay's datagrams are sealed, and with which keys, in words; "-" while it is off */
    public String securityText(Messages messages) {
        List<String> ids = node.keyIds();
        if (node.transport().isEmpty()) {
            return "-";
        }
        if (ids.isEmpty()) {
            return messages.get("xo.status.security.open");
        }
        if (ids.size() == 1) {
            return messages.format("xo.status.security.keyed", ids.get(0));
        }
        return messages.format("xo.status.security.keyed-rotation", ids.get(0),
                String.join(", ", ids.subList(1, ids.size())));
    }

    /**
     * The JSON the Status page polls; see the README section on the admin pages for its shape. Texts an operator
     * reads are in the page's language; names and numbers are as the overlay knows them.
     */
    public String toJson(Messages messages) {
        Map<Long, String> nodeNames = new TreeMap<>();
        nodes.forEach(n -> nodeNames.put(n.info().nodeId(), n.info().name()));
        JsonWriter json = new JsonWriter().beginObject();
        json.name("time").value(time);
        json.name("node").beginObject()
                .name("id").value(node.id())
                .name("name").value(node.name())
                .name("domain").value(node.domain())
                .name("openfire").value(node.openfire())
                .name("transport").value(transportText(messages))
                .name("security").value(securityText(messages))
                .endObject();
        json.name("overlay").beginObject()
                .name("state").value(state.name().toLowerCase())
                .name("text").value(stateText(messages))
                .endObject();
        json.name("traffic").beginObject()
                .name("datagramsIn").value(counters.getOrDefault("datagrams.received", 0L))
                .name("datagramsOut").value(counters.getOrDefault("datagrams.sent", 0L))
                .name("bytesIn").value(counters.getOrDefault("bytes.received", 0L))
                .name("bytesOut").value(counters.getOrDefault("bytes.sent", 0L))
                .endObject();
        json.name("rooms").beginArray();
        for (Room room : rooms) {
            json.beginObject()
                    .name("name").value(room.name())
                    .name("address").value(room.address())
                    .name("group").value(room.group().isEmpty() ? "" : room.group() + ":" + room.port())
                    .name("uncarried").value(room.uncarried());
            json.name("local").beginArray();
            room.local().forEach(json::value);
            json.endArray();
            json.name("remote").beginArray();
            for (RemoteOccupant occupant : room.remote()) {
                String nodeId = Long.toHexString(occupant.node());
                json.beginObject()
                        .name("nick").value(occupant.nick())
                        .name("node").value(nodeId)
                        .name("nodeName").value(nodeNames.getOrDefault(occupant.node(), nodeId))
                        .name("joined").value(occupant.joined())
                        .name("awaitingRestart").value(occupant.awaitingRestart())
                        .endObject();
            }
            json.endArray().endObject();
        }
        json.endArray();
        json.name("nodes").beginArray();
        for (KnownNode known : nodes.stream().sorted(Comparator.comparing(n -> n.info().name())).toList()) {
            json.beginObject()
                    .name("id").value(Long.toHexString(known.info().nodeId()))
                    .name("name").value(known.info().name())
                    .name("lastHeardMs").value(known.sinceHeard().toMillis())
                    .name("lastHeard").value(messages.format("xo.status.seconds-ago",
                            Long.toString(known.sinceHeard().toSeconds())))
                    .name("rooms").value(known.info().rooms().size());
            json.name("sources").beginArray();
            sources(known.sources()).forEach(s -> json.value(s.name().toLowerCase().replace('_', '-')));
            json.endArray();
            json.name("foundBy").value(String.join(", ",
                    sources(known.sources()).stream().map(s -> messages.get("xo.status.source." + s.name())).toList()));
            json.endObject();
        }
        json.endArray();
        json.name("bridge");
        if (bridge == null) {
            json.value((String) null);
        } else {
            json.beginObject()
                    .name("room").value(bridge.room())
                    .name("farRoom").value(bridge.farRoom())
                    .name("up").value(bridge.up())
                    .name("standbyFor").value(bridge.standbyFor())
                    .name("state").value(bridge.up() ? messages.get("xo.status.bridge.up")
                            : bridge.standbyFor().isEmpty() ? messages.get("xo.status.bridge.down")
                            : messages.format("xo.status.bridge.standby", bridge.standbyFor()))
                    .name("sinceMs").value(bridge.sinceMillis())
                    .name("since").value(messages.format("xo.status.seconds-ago",
                            Long.toString(Math.max(0, time - bridge.sinceMillis()) / 1000)))
                    .name("toFar").value(counters.getOrDefault("gateway.to-far.messages", 0L))
                    .name("toXo").value(counters.getOrDefault("gateway.to-xo.messages", 0L))
                    .name("lastError").value(bridge.lastError())
                    .name("lastErrorAgo").value(bridge.lastErrorMillis() == 0 ? "" : messages.format(
                            "xo.status.seconds-ago", Long.toString(Math.max(0, time - bridge.lastErrorMillis()) / 1000)))
                    .endObject();
        }
        json.name("counters").beginArray();
        for (CounterGroup group : group(counters)) {
            json.beginObject()
                    .name("group").value(group.id())
                    .name("title").value(messages.get("xo.status.counters." + group.id()));
            json.name("values").beginObject();
            group.counters().forEach((name, value) -> json.name(name).value(value));
            json.endObject().endObject();
        }
        json.endArray();
        return json.endObject().toString();
    }

    private static List<Source> sources(Set<Source> sources) {
        return sources.stream().sorted().toList();
    }
}
