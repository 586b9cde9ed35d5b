package org.xo.discovery;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Read-only view of a {@link Directory}, for the adapter's room listing (disco#items) and status page. */
public interface DirectoryView {
    /** @return the live nodes, by ascending node id */
    List<KnownNode> nodes();

    /** @return a live node */
    Optional<KnownNode> node(long nodeId);

    /** @return the rooms of the live nodes, merged by overlay address, sorted by address */
    List<RoomInfo> rooms();

    /** @return the silence after which a node is lost (a slower-beaconing node gets 3.5 of its own intervals) */
    Duration nodeTimeout();

    void addListener(DirectoryListener listener);

    void removeListener(DirectoryListener listener);
}
