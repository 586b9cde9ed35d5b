package org.xo.discovery;

import java.net.Inet4Address;
import java.util.Objects;

import org.xo.core.OverlayRoom;

/**
 * One XO room as one node advertises it.
 *
 * @param room      normalized overlay room address, e.g. {@code lobby@conference.xo}
 * @param group     the multicast group that carries the room on that node
 * @param port      the UDP port of the group
 * @param occupants the node's local occupants in the room
 * @param subject   the room's subject as that node knows it, empty when none (at most
 *                  {@value Beacon#MAX_SUBJECT_CODE_POINTS} code points on the wire)
 */
public record AdvertisedRoom(String room, Inet4Address group, int port, int occupants, String subject) {
    public AdvertisedRoom {
        Objects.requireNonNull(room, "room");
        Objects.requireNonNull(subject, "subject");
        if (!OverlayRoom.parse(room).jid().equals(room)) {
            throw new IllegalArgumentException("'" + room + "' is not a normalized room address.");
        }
        if (group == null || !group.isMulticastAddress()) {
            throw new IllegalArgumentException("Room " + room + " needs an IPv4 multicast group, not " + group + ".");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("Port must be 1..65535, was " + port + ".");
        }
        if (occupants < 0 || occupants > Beacon.MAX_OCCUPANTS) {
            throw new IllegalArgumentException("Occupants must be 0.." + Beacon.MAX_OCCUPANTS + ", was " + occupants
                    + ".");
        }
    }
}
