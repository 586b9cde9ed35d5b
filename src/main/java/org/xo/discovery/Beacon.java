package org.xo.discovery;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.xo.core.Limits;
import org.xo.core.OverlayRoom;

/**
 * The body of a BEACON envelope (its stanza field): UTF-8 text, lines separated by LF, fields by TAB.
 * <pre>
 * body    = header *( LF room )
 * header  = "XO1" SP interval *( SP token )  ; interval in ms, 0..86400000, 0 = goodbye (node shutting down);
 *                                          ; tokens other than gateways are reserved for later versions and ignored
 * token   = "gw=" key                     ; a bridge the node is configured for (at most 16, no key twice)
 * key     = 1 to 512 bytes, no blanks, no controls: opaque here (the gateway names overlay room and far room)
 * room    = address TAB group TAB port TAB occupants TAB subject
 * address = normalized overlay room address (no blanks, no controls), at most 255 bytes
 * group   = dotted-quad IPv4 multicast address (224.0.0.0/4), no leading zeros
 * port    = 1..65535          occupants = 0..1000000      (decimal, no sign, no leading zeros)
 * subject = at most 64 code points, escaped: "\\" for \, "\t" for TAB, "\n" for LF, "\r" for CR;
 *           other control characters are dropped by the encoder and rejected by the decoder
 * </pre>
 * Example (two rooms): {@code XO1 10000\nlobby@conference.xo\t239.192.23.4\t45045\t3\tConvoy plans\n...}.
 * Node id, epoch and name are not repeated in the body: they are the envelope's originNode, originEpoch and nick.
 * At most {@value #MAX_ROOMS} rooms, no room twice. DEFLATE (the codec's) compresses the repeated service names and
 * ports to a few bytes each: ten rooms with 64-character subjects take well under 1000 bytes on the wire.
 * A body that breaks any rule is rejected whole ({@link MalformedBeaconException}); the decoder never throws
 * anything else and never resolves names.
 */
public final class Beacon {
    public static final String MAGIC = "XO1";
    public static final int MAX_ROOMS = 255;
    public static final int MAX_SUBJECT_CODE_POINTS = 64;
    public static final int MAX_OCCUPANTS = 1_000_000;
    public static final long MAX_INTERVAL_MILLIS = 86_400_000L;
    public static final int MAX_GATEWAYS = 16;
    public static final int MAX_GATEWAY_KEY_BYTES = 512;
    private static final String GATEWAY_TOKEN = "gw=";
    /** Bytes of body the encoder fills at most (rooms that do not fit are left out): one stanza. */
    public static final int MAX_BODY_BYTES = Limits.MAX_STANZA_BYTES;

    private Beacon() {
    }

    /**
     * @param interval the sender's beacon interval; zero for a goodbye
     * @param rooms    the rooms to advertise: subjects are truncated and cleaned, rooms beyond {@value #MAX_ROOMS}
     *                 or {@link #MAX_BODY_BYTES} are left out, a repeated room is written once
     */
    public static String encode(Duration interval, List<AdvertisedRoom> rooms) {
        return encode(interval, rooms, Set.of());
    }

    /**
     * @param gateways keys of the bridges the node is configured for, at most {@value #MAX_GATEWAYS}, each valid
     *                 ({@link #isGatewayKey})
     */
    public static String encode(Duration interval, List<AdvertisedRoom> rooms, Set<String> gateways) {
        long millis = interval.toMillis();
        if (millis < 0 || millis > MAX_INTERVAL_MILLIS) {
            throw new IllegalArgumentException("Beacon interval must be 0.." + MAX_INTERVAL_MILLIS + " ms, was "
                    + millis + ".");
        }
        if (gateways.size() > MAX_GATEWAYS || !gateways.stream().allMatch(Beacon::isGatewayKey)) {
            throw new IllegalArgumentException("A beacon names at most " + MAX_GATEWAYS + " gateways, each 1.."
                    + MAX_GATEWAY_KEY_BYTES + " bytes without blanks or controls: " + gateways);
        }
        StringBuilder out = new StringBuilder(32 + rooms.size() * 96).append(MAGIC).append(' ').append(millis);
        gateways.stream().sorted().forEach(key -> out.append(' ').append(GATEWAY_TOKEN).append(key));
        int bytes = out.length();
        int count = 0;
        Set<String> seen = new HashSet<>();
        for (AdvertisedRoom r : rooms) {
            if (count == MAX_ROOMS) {
                break;
            }
            if (!seen.add(r.room())) {
                continue;
            }
            String line = "\n" + r.room() + '\t' + r.group().getHostAddress() + '\t' + r.port() + '\t'
                    + r.occupants() + '\t' + escape(truncate(r.subject()));
            int lineBytes = line.getBytes(StandardCharsets.UTF_8).length;
            if (bytes + lineBytes > MAX_BODY_BYTES) {
                break;
            }
            out.append(line);
            bytes += lineBytes;
            count++;
        }
        return out.toString();
    }

    /** @return a subject as it goes on the wire: controls dropped, at most 64 code points, no split surrogate */
    public static String truncate(String subject) {
        StringBuilder b = new StringBuilder(Math.min(subject.length(), MAX_SUBJECT_CODE_POINTS * 2));
        int points = 0;
        for (int i = 0; i < subject.length() && points < MAX_SUBJECT_CODE_POINTS; ) {
            int cp = subject.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isSurrogate((char) cp) && cp < 0x10000) {
                continue; // an unpaired surrogate cannot be encoded
            }
            if (Character.isISOControl(cp) && cp != '\t' && cp != '\n' && cp != '\r') {
                continue;
            }
            b.appendCodePoint(cp);
            points++;
        }
        return b.toString();
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 4);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * @param nodeId the envelope's originNode
     * @param epoch  the envelope's originEpoch
     * @param name   the envelope's nick
     * @param body   the envelope's stanza
     * @throws MalformedBeaconException when the body breaks any rule of the layout
     */
    public static NodeInfo decode(long nodeId, int epoch, String name, String body) throws MalformedBeaconException {
        if (body == null || name == null) {
            throw new MalformedBeaconException("missing body or name");
        }
        if (body.length() > MAX_BODY_BYTES) { // chars <= bytes, so this bounds the work below
            throw new MalformedBeaconException("body of " + body.length() + " characters");
        }
        List<String> lines = split(body, '\n', MAX_ROOMS + 2);
        if (lines.size() > MAX_ROOMS + 1) {
            throw new MalformedBeaconException("more than " + MAX_ROOMS + " rooms");
        }
        String header = lines.get(0);
        if (!header.startsWith(MAGIC + " ")) {
            throw new MalformedBeaconException("bad header");
        }
        // The last part holds what is beyond the tokens read: reserved, ignored.
        List<String> tokens = split(header, ' ', MAX_HEADER_TOKENS + 1);
        long interval = number(tokens.get(1), MAX_INTERVAL_MILLIS, "interval");
        Set<String> gateways = new HashSet<>();
        for (String token : tokens.subList(2, Math.min(tokens.size(), MAX_HEADER_TOKENS))) {
            if (!token.startsWith(GATEWAY_TOKEN)) {
                continue; // reserved for later versions
            }
            String key = token.substring(GATEWAY_TOKEN.length());
            if (!isGatewayKey(key) || !gateways.add(key) || gateways.size() > MAX_GATEWAYS) {
                throw new MalformedBeaconException("bad or repeated gateway, or more than " + MAX_GATEWAYS);
            }
        }
        List<AdvertisedRoom> rooms = new ArrayList<>(lines.size() - 1);
        Set<String> seen = new HashSet<>();
        for (int i = 1; i < lines.size(); i++) {
            List<String> f = split(lines.get(i), '\t', 6);
            if (f.size() != 5) {
                throw new MalformedBeaconException("room line " + i + " has " + f.size() + " fields, not 5");
            }
            String room = f.get(0);
            if (!isNormalizedRoom(room)) {
                throw new MalformedBeaconException("room line " + i + ": invalid room address");
            }
            if (!seen.add(room)) {
                throw new MalformedBeaconException("room line " + i + ": room repeated");
            }
            Inet4Address group = group(f.get(1));
            int port = (int) number(f.get(2), 65535, "port");
            if (port == 0) {
                throw new MalformedBeaconException("port 0");
            }
            int occupants = (int) number(f.get(3), MAX_OCCUPANTS, "occupants");
            String subject = unescape(f.get(4));
            rooms.add(new AdvertisedRoom(room, group, port, occupants, subject));
        }
        return new NodeInfo(nodeId, epoch, name, Duration.ofMillis(interval), rooms, gateways);
    }

    /** Header tokens read at most: the gateways, the two before them, and as many reserved ones. */
    private static final int MAX_HEADER_TOKENS = 2 * (MAX_GATEWAYS + 2);

    /** @return whether a gateway key can go on the wire: 1 to 512 bytes, no blanks, no control characters */
    public static boolean isGatewayKey(String key) {
        return !key.isEmpty() && key.getBytes(StandardCharsets.UTF_8).length <= MAX_GATEWAY_KEY_BYTES
                && key.codePoints().noneMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c)
                        || Character.isSpaceChar(c));
    }

    /** Splits on a separator, stopping after {@code max} parts (the last part then holds the rest). */
    private static List<String> split(String s, char separator, int max) {
        List<String> parts = new ArrayList<>();
        int start = 0;
        while (parts.size() < max - 1) {
            int at = s.indexOf(separator, start);
            if (at < 0) {
                break;
            }
            parts.add(s.substring(start, at));
            start = at + 1;
        }
        parts.add(s.substring(start));
        return parts;
    }

    /** Strict decimal: digits only, no sign, no leading zero; shared with the DNS-SD record. */
    static long number(String s, long max, String field) throws MalformedBeaconException {
        if (s.isEmpty() || s.length() > 10 || (s.length() > 1 && s.charAt(0) == '0')) {
            throw new MalformedBeaconException("bad " + field);
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new MalformedBeaconException("bad " + field);
            }
            n = n * 10 + (c - '0');
        }
        if (n > max) {
            throw new MalformedBeaconException(field + " " + n + " out of range");
        }
        return n;
    }

    /** A dotted-quad multicast group, parsed from its octets (never a name lookup); shared with the DNS-SD record. */
    static Inet4Address group(String s) throws MalformedBeaconException {
        List<String> octets = split(s, '.', 5);
        if (octets.size() != 4) {
            throw new MalformedBeaconException("bad group");
        }
        byte[] address = new byte[4];
        for (int i = 0; i < 4; i++) {
            String o = octets.get(i);
            address[i] = (byte) (o.equals("0") ? 0 : number(o, 255, "group"));
        }
        if ((address[0] & 0xf0) != 0xe0) {
            throw new MalformedBeaconException("group is not multicast");
        }
        try {
            return (Inet4Address) InetAddress.getByAddress(address); // raw bytes: no name resolution
        } catch (UnknownHostException impossible) {
            throw new MalformedBeaconException("bad group");
        }
    }

    private static String unescape(String s) throws MalformedBeaconException {
        StringBuilder b = new StringBuilder(s.length());
        int points = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                if (++i == s.length()) {
                    throw new MalformedBeaconException("subject ends inside an escape");
                }
                switch (s.charAt(i)) {
                    case '\\' -> b.append('\\');
                    case 't' -> b.append('\t');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    default -> throw new MalformedBeaconException("unknown escape in subject");
                }
            } else if (Character.isISOControl(c)) {
                throw new MalformedBeaconException("control character in subject");
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                b.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                throw new MalformedBeaconException("unpaired surrogate in subject");
            } else {
                b.append(c);
            }
            if (++points > MAX_SUBJECT_CODE_POINTS) {
                throw new MalformedBeaconException("subject longer than " + MAX_SUBJECT_CODE_POINTS + " characters");
            }
        }
        return b.toString();
    }

    /** Bounded, and already in the form OverlayRoom gives it; shared with the DNS-SD record. */
    static boolean isNormalizedRoom(String room) {
        try {
            return room.getBytes(StandardCharsets.UTF_8).length <= Limits.MAX_ROOM_BYTES
                    && OverlayRoom.parse(room).jid().equals(room);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
