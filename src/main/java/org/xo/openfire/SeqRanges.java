package org.xo.openfire;

import java.util.Map;
import java.util.TreeMap;

import org.xo.sync.RoomLog;

/**
 * The seqs of one stream that a log holds, as disjoint ranges: a stream without holes costs one entry however long it
 * is, which is what lets {@link DatabaseRoomLog} keep every key it holds in memory. Not thread-safe.
 */
final class SeqRanges {
    /** First seq of each range to its last; ranges neither overlap nor touch. */
    private final TreeMap<Long, Long> ranges = new TreeMap<>();
    private long count;

    /** @return false when the seq was held already */
    boolean add(long seq) {
        Map.Entry<Long, Long> below = ranges.floorEntry(seq);
        if (below != null && below.getValue() >= seq) {
            return false;
        }
        long first = below != null && below.getValue() == seq - 1 ? below.getKey() : seq;
        Long nextLast = ranges.remove(seq + 1);
        ranges.put(first, nextLast != null ? nextLast : seq);
        count++;
        return true;
    }

    /** @return false when the seq was not held */
    boolean remove(long seq) {
        Map.Entry<Long, Long> range = ranges.floorEntry(seq);
        if (range == null || range.getValue() < seq) {
            return false;
        }
        long first = range.getKey();
        long last = range.getValue();
        ranges.remove(first);
        if (first < seq) {
            ranges.put(first, seq - 1);
        }
        if (seq < last) {
            ranges.put(seq + 1, last);
        }
        count--;
        return true;
    }

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** @return what is held; the ranges must not be empty */
    RoomLog.Held held() {
        return new RoomLog.Held(ranges.firstKey(), ranges.lastEntry().getValue(), count);
    }
}
