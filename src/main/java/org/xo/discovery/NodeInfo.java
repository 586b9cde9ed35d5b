package org.xo.discovery;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What one node announces about itself: one beacon, or (later) one DNS-SD service record.
 *
 * @param nodeId         the node's 64-bit id, stable across restarts
 * @param epoch          start of the node's current run (seconds); a larger epoch is a restart
 * @param name           human-readable node name
 * @param beaconInterval how often the node beacons; {@link Duration#ZERO} in the goodbye a node sends on shutdown
 * @param rooms          the rooms with local occupants on that node
 */
public record NodeInfo(long nodeId, int epoch, String name, Duration beaconInterval, List<AdvertisedRoom> rooms) {
    public NodeInfo {
        Objects.requireNonNull(name, "name");
        if (beaconInterval == null || beaconInterval.isNegative()) {
            throw new IllegalArgumentException("Beacon interval must be a duration >= 0.");
        }
        rooms = List.copyOf(rooms);
    }

    /** @return whether this is a goodbye: the node is shutting down and should be dropped at once */
    public boolean leaving() {
        return beaconInterval.isZero();
    }
}
