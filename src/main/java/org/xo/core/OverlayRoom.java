package org.xo.core;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The network-wide address of an XO room, {@code name@service} (for example {@code lobby@conference.xo}), in the
 * normalized form every node uses on the wire and for the multicast group: trimmed, lower case (locale-neutral).
 * The overlay address is the same whatever MUC service hosts a node's local copy of the room.
 *
 * @param name    the room's node part, e.g. {@code lobby}
 * @param service the overlay MUC service domain, e.g. {@code conference.xo}
 */
public record OverlayRoom(String name, String service) {

    public OverlayRoom {
        name = normalize(name, "room name");
        service = normalize(service, "overlay service");
        if (name.indexOf('@') >= 0) {
            throw new IllegalArgumentException("Room name '" + name + "' must not contain '@'.");
        }
        if (service.indexOf('@') >= 0) {
            throw new IllegalArgumentException("Overlay service '" + service + "' must not contain '@'.");
        }
        int bytes = (name + "@" + service).getBytes(StandardCharsets.UTF_8).length;
        if (bytes > Limits.MAX_ROOM_BYTES) {
            throw new IllegalArgumentException("Room address '" + name + "@" + service + "' is " + bytes
                    + " bytes in UTF-8; the limit is " + Limits.MAX_ROOM_BYTES + ".");
        }
    }

    /** @return the normalized room of that name on that overlay service */
    public static OverlayRoom of(String roomName, String overlayService) {
        return new OverlayRoom(roomName, overlayService);
    }

    /** @param jid a bare room JID {@code name@service}; surrounding blanks and letter case do not matter */
    public static OverlayRoom parse(String jid) {
        if (jid == null) {
            throw new IllegalArgumentException("Room address is missing.");
        }
        String trimmed = jid.trim();
        int at = trimmed.indexOf('@');
        if (at < 0) {
            throw new IllegalArgumentException("Room address '" + trimmed + "' is not of the form name@service.");
        }
        return new OverlayRoom(trimmed.substring(0, at), trimmed.substring(at + 1));
    }

    /** @return the full room JID, {@code name@service}: the string that is hashed and carried on the wire */
    public String jid() {
        return name + "@" + service;
    }

    @Override
    public String toString() {
        return jid();
    }

    private static String normalize(String part, String what) {
        if (part == null) {
            throw new IllegalArgumentException("The " + what + " is missing.");
        }
        String s = part.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty()) {
            throw new IllegalArgumentException("The " + what + " is empty.");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            // '/' would start a resource (an occupant), blanks and controls are not allowed in a JID's node or domain.
            if (c == '/' || Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw new IllegalArgumentException("The " + what + " '" + s + "' contains a forbidden character"
                        + " (U+" + String.format("%04X", (int) c) + ").");
            }
        }
        return s;
    }
}
