package org.xo.discovery;

import java.net.Inet4Address;
import java.util.List;

/**
 * One XO room as the directory shows it: merged over every live node that advertises it.
 *
 * @param room      normalized overlay room address
 * @param group     multicast group, as advertised by the most recently heard node
 * @param port      UDP port, likewise
 * @param subject   subject from the most recently heard node that has one; empty when none does
 * @param occupants local occupants of all those nodes, summed
 * @param nodes     ids of the nodes that advertise the room, ascending
 */
public record RoomInfo(String room, Inet4Address group, int port, String subject, int occupants, List<Long> nodes) {
    public RoomInfo {
        nodes = List.copyOf(nodes);
    }
}
