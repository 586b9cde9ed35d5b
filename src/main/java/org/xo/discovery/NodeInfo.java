package org.xo.discovery;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What one node announces about itself: one beacon, or (later) one DNS-SD service record.
 *
 * @param nodeId         the node's 64-bit id, stable across restarts
 * @param epoch          start of the node's current run (seconds); a larger epoch is a restart
 * @param name           human-readable node name
 * @param beaconInterval how often the node beacons; {@link Duration#ZERO} in the goodbye a node sends on shutdown
 * @param rooms          the rooms with local occupants on that node
 * @param gateways       the bridges the node is configured for, as the opaque keys its beacon gives (see
 *                       {@link Beacon}); nodes configured for the same bridge elect one of them to bridge
 */
public record NodeInfo(long nodeId, int epoch, String name, Duration beaconInterval, List<AdvertisedRoom> rooms,
                       Set<String> gateways) {
    public NodeInfo {
        Objects.requireNonNull(name, "name");
        if (beaconInterval == null || beaconInterval.isNegative()) {
            throw new IllegalArgumentException("Beacon interval must be a duration >= 0.");
        }
        rooms = List.copyOf(rooms);
        gateways = Set.copyOf(gateways);
    }

    /** A node that bridges nothing (or whose bridges are not known yet: one heard only through room traffic). */
    public NodeInfo(long nodeId, int epoch, String name, Duration beaconInterval, List<AdvertisedRoom> rooms) {
        this(nodeId, epoch, name, beaconInterval, rooms, Set.of());
    }

    /** @return whether this is a goodbye: the node is shutting down and should be dropped at once */
    public boolean leaving() {
        return beaconInterval.isZero();
    }
}
