package org.xo.discovery;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;


/**
 * The DNS-SD service of an XO node: type {@value #SERVICE_TYPE}, instance name {@code <node name> [<low 32 bits of
 * the node id in hex>]} (at most 63 bytes), port = the overlay's UDP multicast port, and this TXT record (RFC 6763
 * key=value strings, each at most 255 bytes, the whole record at most {@value #MAX_TXT_BYTES} bytes):
 * <pre>
 * txtvers=1                 layout version; a record without it or with another version is malformed
 * id=0123456789abcdef       node id, exactly 16 lower-case hex digits
 * epoch=1763772000          origin epoch of the node's run, 1..2^31-1
 * bi=10000                  beacon interval in ms, 1..86400000
 * svc=conference.xo         overlay service: nodes of another overlay are ignored (not malformed)
 * r0=lobby@conference.xo 239.192.23.4 3    rooms with local occupants: address SP group SP occupants,
 * r1=...                                   r0.. consecutive, at most {@value #MAX_TXT_ROOMS}
 * more=12                   rooms left out of the summary (absent when none)
 * </pre>
 * The rooms are a summary (no subjects, the room's port is the service port, at most {@value #MAX_TXT_ROOMS}): the
 * full list travels in beacons. Unknown keys are ignored; any other rule broken rejects the record whole.
 */
public final class DnsSdRecord {
    /** The documented service type: UDP, since the overlay runs over UDP multicast on the SRV port. */
    public static final String SERVICE_TYPE = "_xo-overlay._udp.local.";
    public static final String VERSION = "1";
    public static final int MAX_TXT_ROOMS = 8;
    /** Whole TXT record budget: with the SRV and A records the announcement stays in one small packet. */
    public static final int MAX_TXT_BYTES = 900;
    /** One TXT string (length byte excluded). */
    public static final int MAX_TXT_STRING_BYTES = 255;
    public static final int MAX_INSTANCE_NAME_BYTES = 63;

    private DnsSdRecord() {
    }

    /** @return the instance name: the node name (cleaned, shortened to fit) and the low 32 bits of the id in hex */
    public static String instanceName(String nodeName, long nodeId) {
        String suffix = " [" + String.format("%08x", nodeId & 0xffffffffL) + "]";
        String name = Beacon.truncate(nodeName).replace('.', '_'); // a dot would be escaped as a label separator
        int budget = MAX_INSTANCE_NAME_BYTES - suffix.length();
        while (name.getBytes(StandardCharsets.UTF_8).length > budget) {
            name = name.substring(0, name.offsetByCodePoints(name.length(), -1));
        }
        return name + suffix;
    }

    /** @return the node name an instance name carries: without the id suffix {@link #instanceName} adds */
    public static String nodeName(String instanceName) {
        return instanceName.matches(".* \\[[0-9a-f]{8}\\]( \\(\\d+\\))?") // JmDNS appends " (2)" on a conflict
                ? instanceName.substring(0, instanceName.lastIndexOf(" [")) : instanceName;
    }

    /** @return the TXT properties, in order, within the limits (rooms that do not fit are counted in {@code more}) */
    public static Map<String, String> encode(long nodeId, int epoch, Duration beaconInterval, String overlayService,
                                             List<AdvertisedRoom> rooms) {
        Map<String, String> txt = new LinkedHashMap<>();
        txt.put("txtvers", VERSION);
        txt.put("id", String.format("%016x", nodeId));
        txt.put("epoch", Integer.toString(epoch));
        txt.put("bi", Long.toString(beaconInterval.toMillis()));
        txt.put("svc", overlayService);
        int bytes = 0;
        for (Map.Entry<String, String> e : txt.entrySet()) {
            bytes += entryBytes(e.getKey(), e.getValue());
        }
        int listed = 0;
        Set<String> seen = new HashSet<>();
        int distinct = 0;
        for (AdvertisedRoom r : rooms) {
            if (!seen.add(r.room())) {
                continue;
            }
            distinct++;
            if (listed == MAX_TXT_ROOMS) {
                continue;
            }
            String key = "r" + listed;
            String value = r.room() + ' ' + r.group().getHostAddress() + ' ' + r.occupants();
            int size = entryBytes(key, value);
            // Keep room for the "more" marker (at most 1 + "more=255" bytes) in the budget.
            if (size - 1 > MAX_TXT_STRING_BYTES || bytes + size + 10 > MAX_TXT_BYTES) {
                continue;
            }
            txt.put(key, value);
            bytes += size;
            listed++;
        }
        if (distinct > listed) {
            txt.put("more", Integer.toString(distinct - listed));
        }
        return txt;
    }

    /** Bytes of one TXT string on the wire, its length byte included. */
    private static int entryBytes(String key, String value) {
        return 1 + (key + '=' + value).getBytes(StandardCharsets.UTF_8).length;
    }

    /** A record of a node of another overlay (a different {@code svc}). */
    public static final class OtherOverlayException extends Exception {
        OtherOverlayException(String service) {
            super("overlay " + service);
        }
    }

    /**
     * @param instanceName the service instance name (the node name is taken from it)
     * @param txt          the TXT properties as received
     * @param overlayService this node's overlay service
     * @throws MalformedBeaconException when the record breaks a rule of the layout
     * @throws OtherOverlayException    when it belongs to another overlay
     */
    public static NodeInfo decode(String instanceName, Map<String, String> txt, String overlayService)
            throws MalformedBeaconException, OtherOverlayException {
        if (instanceName == null || txt == null) {
            throw new MalformedBeaconException("missing name or TXT record");
        }
        if (!VERSION.equals(txt.get("txtvers"))) {
            throw new MalformedBeaconException("txtvers is not " + VERSION);
        }
        String id = required(txt, "id");
        if (!id.matches("[0-9a-f]{16}")) {
            throw new MalformedBeaconException("bad id");
        }
        long nodeId = Long.parseUnsignedLong(id, 16);
        long epoch = Beacon.number(required(txt, "epoch"), Integer.MAX_VALUE, "epoch");
        long interval = Beacon.number(required(txt, "bi"), Beacon.MAX_INTERVAL_MILLIS, "bi");
        if (epoch == 0 || interval == 0) {
            throw new MalformedBeaconException("epoch or bi is 0");
        }
        String service = required(txt, "svc");
        if (!service.equals(overlayService)) {
            throw new OtherOverlayException(service);
        }
        List<AdvertisedRoom> rooms = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; txt.containsKey("r" + i); i++) {
            if (i == MAX_TXT_ROOMS) {
                throw new MalformedBeaconException("more than " + MAX_TXT_ROOMS + " rooms");
            }
            String[] f = txt.get("r" + i).split(" ", -1);
            if (f.length != 3) {
                throw new MalformedBeaconException("r" + i + " has " + f.length + " fields, not 3");
            }
            if (!Beacon.isNormalizedRoom(f[0]) || !seen.add(f[0])) {
                throw new MalformedBeaconException("r" + i + ": invalid or repeated room address");
            }
            int occupants = (int) Beacon.number(f[2], Beacon.MAX_OCCUPANTS, "occupants");
            rooms.add(new AdvertisedRoom(f[0], Beacon.group(f[1]), port(txt), occupants, ""));
        }
        if (txt.containsKey("more")) {
            Beacon.number(txt.get("more"), Integer.MAX_VALUE, "more");
        }
        String name = nodeName(instanceName);
        return new NodeInfo(nodeId, (int) epoch, name, Duration.ofMillis(interval), rooms);
    }

    /** The decoder has no SRV port: the caller passes it as the {@code port} pseudo-key. */
    private static int port(Map<String, String> txt) throws MalformedBeaconException {
        long port = Beacon.number(required(txt, PORT_KEY), 65535, "port");
        if (port == 0) {
            throw new MalformedBeaconException("port 0");
        }
        return (int) port;
    }

    /** Pseudo-key the receiver adds to the TXT properties for the SRV port (a TXT entry of that name is replaced). */
    public static final String PORT_KEY = " port";

    private static String required(Map<String, String> txt, String key) throws MalformedBeaconException {
        String value = txt.get(key);
        if (value == null) {
            throw new MalformedBeaconException("no " + key.trim());
        }
        return value;
    }

}
