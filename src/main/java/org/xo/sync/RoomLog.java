package org.xo.sync;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.core.StreamId;

/**
 * The events of the rooms a node holds, from every origin: what repair answers from, in bulk, and what late joiners'
 * history comes from. Holding an event is also what "delivered once" means across a restart: {@link #append} says
 * whether an event is new. Implementations: in memory (the engine alone, tests) and in the node's Openfire database
 * (kept across restarts). Every stream event is kept, control kinds numbered in a room's stream (state requests)
 * included, so that a stream held here has no holes that repair would ask for in vain.
 * <p>
 * Thread-safe. Calls may wait for storage; the engine makes them off its receive thread where the wait would matter.
 */
public interface RoomLog extends AutoCloseable {
    /**
     * How much a log keeps; older events go first.
     *
     * @param maxPerRoom   events per room, all origins together
     * @param maxPerOrigin events per room and origin node (all its runs together), so one chatty node cannot push
     *                     out everyone else's
     * @param maxAge       how long an event is kept after its origin time
     */
    record Bounds(int maxPerRoom, int maxPerOrigin, Duration maxAge) {
        public Bounds {
            if (maxPerRoom < 1 || maxPerOrigin < 1 || maxAge.isNegative() || maxAge.isZero()) {
                throw new IllegalArgumentException("Log bounds must be positive: " + maxPerRoom + " per room, "
                        + maxPerOrigin + " per origin, " + maxAge + ".");
            }
        }
    }

    /**
     * What the log holds of one stream.
     *
     * @param first the lowest seq held
     * @param last  the highest seq held
     * @param count how many seqs between them are held (last - first + 1 when there is no hole)
     */
    record Held(long first, long last, long count) {
    }

    /** Stores an event. @return true when the log did not hold (stream, seq) before */
    boolean append(Envelope e);

    /** Stores events in one go (a repair answer, a burst). @return those that were new, in the order given */
    List<Envelope> appendAll(Collection<Envelope> events);

    /** @return the events of one stream with fromSeq ≤ seq ≤ toSeq, by seq, at most limit of them */
    List<Envelope> range(StreamId stream, long fromSeq, long toSeq, int limit);

    /** @return for each stream of the room the log holds anything of: what it holds (a digest's source) */
    Map<StreamId, Held> held(String room);

    /**
     * @return the room's last {@code limit} events of the given kinds in origin-time order (ties by origin node,
     *         epoch, seq): the one order rule of history
     */
    List<Envelope> recent(String room, Set<Kind> kinds, int limit);

    /** Drops what lies beyond the bounds at {@code now}. @return how many events were dropped */
    int prune(Bounds bounds, Instant now);

    /** Releases the storage; the log is unusable afterwards. */
    @Override
    void close();
}
