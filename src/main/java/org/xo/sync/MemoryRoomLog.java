package org.xo.sync;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.core.StreamId;

/**
 * A {@link RoomLog} in memory: the engine's log when no persistent one is given, and the tests'. Kept across engine
 * restarts only as long as the same instance is handed to the next engine.
 * <p>
 * Besides {@link #prune}, which the engine calls on a timer, a room that grows past its bound by a tenth between two
 * prunes is pruned by count at once: a flood must not grow memory without limit. Thread-safe (one lock; every call
 * is short).
 */
public final class MemoryRoomLog implements RoomLog {
    /** The one order rule of history: origin time, then origin node, epoch and seq. */
    static final Comparator<Envelope> HISTORY_ORDER = Comparator.comparingLong(Envelope::originTime)
            .thenComparingLong(Envelope::originNode).thenComparingInt(Envelope::originEpoch)
            .thenComparingLong(Envelope::seq);

    private final Bounds hardBounds;
    /** Room → its streams → seq → event. */
    private final Map<String, Map<StreamId, TreeMap<Long, Envelope>>> rooms = new HashMap<>();
    private final Map<String, Integer> roomSizes = new HashMap<>();
    private boolean closed;

    /** @param hardBounds what a room may hold between two prunes (plus a tenth) */
    public MemoryRoomLog(Bounds hardBounds) {
        this.hardBounds = hardBounds;
    }

    @Override
    public synchronized boolean append(Envelope e) {
        requireOpen();
        Map<StreamId, TreeMap<Long, Envelope>> streams = rooms.computeIfAbsent(e.room(), r -> new LinkedHashMap<>());
        if (streams.computeIfAbsent(e.stream(), s -> new TreeMap<>()).putIfAbsent(e.seq(), e) != null) {
            return false;
        }
        int size = roomSizes.merge(e.room(), 1, Integer::sum);
        if (size > hardBounds.maxPerRoom() + Math.max(1, hardBounds.maxPerRoom() / 10)) {
            pruneRoom(e.room(), hardBounds, Long.MIN_VALUE);
        }
        return true;
    }

    @Override
    public synchronized List<Envelope> appendAll(Collection<Envelope> events) {
        List<Envelope> fresh = new ArrayList<>();
        for (Envelope e : events) {
            if (append(e)) {
                fresh.add(e);
            }
        }
        return fresh;
    }

    @Override
    public synchronized List<Envelope> range(StreamId stream, long fromSeq, long toSeq, int limit) {
        requireOpen();
        Map<StreamId, TreeMap<Long, Envelope>> streams = rooms.get(stream.room());
        TreeMap<Long, Envelope> events = streams == null ? null : streams.get(stream);
        if (events == null || fromSeq > toSeq || limit < 1) {
            return List.of();
        }
        List<Envelope> out = new ArrayList<>(Math.min(limit, 256));
        for (Envelope e : events.subMap(fromSeq, true, toSeq, true).values()) {
            if (out.size() == limit) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    @Override
    public synchronized Map<StreamId, Held> held(String room) {
        requireOpen();
        Map<StreamId, Held> out = new LinkedHashMap<>();
        Map<StreamId, TreeMap<Long, Envelope>> streams = rooms.get(room);
        if (streams != null) {
            streams.forEach((id, events) -> {
                if (!events.isEmpty()) {
                    out.put(id, new Held(events.firstKey(), events.lastKey(), events.size()));
                }
            });
        }
        return out;
    }

    @Override
    public synchronized List<Envelope> recent(String room, Set<Kind> kinds, int limit) {
        requireOpen();
        List<Envelope> matching = new ArrayList<>();
        Map<StreamId, TreeMap<Long, Envelope>> streams = rooms.get(room);
        if (streams != null) {
            for (TreeMap<Long, Envelope> events : streams.values()) {
                for (Envelope e : events.values()) {
                    if (kinds.contains(e.kind())) {
                        matching.add(e);
                    }
                }
            }
        }
        matching.sort(HISTORY_ORDER);
        return List.copyOf(matching.subList(Math.max(0, matching.size() - Math.max(0, limit)), matching.size()));
    }

    @Override
    public synchronized int prune(Bounds bounds, Instant now) {
        requireOpen();
        long oldest = now.toEpochMilli() - bounds.maxAge().toMillis();
        int dropped = 0;
        for (String room : List.copyOf(rooms.keySet())) {
            dropped += pruneRoom(room, bounds, oldest);
        }
        return dropped;
    }

    /** Drops what is older than {@code oldestTime}, then the oldest beyond the per-origin and per-room counts. */
    private int pruneRoom(String room, Bounds bounds, long oldestTime) {
        Map<StreamId, TreeMap<Long, Envelope>> streams = rooms.get(room);
        List<Envelope> all = new ArrayList<>();
        streams.values().forEach(events -> all.addAll(events.values()));
        all.sort(HISTORY_ORDER);
        Map<Long, Integer> perOrigin = new HashMap<>();
        for (Envelope e : all) {
            perOrigin.merge(e.originNode(), 1, Integer::sum);
        }
        int size = all.size();
        int dropped = 0;
        for (Envelope e : all) {
            int ofOrigin = perOrigin.get(e.originNode());
            if (e.originTime() < oldestTime || ofOrigin > bounds.maxPerOrigin() || size - dropped > bounds.maxPerRoom()) {
                TreeMap<Long, Envelope> events = streams.get(e.stream());
                events.remove(e.seq());
                if (events.isEmpty()) {
                    streams.remove(e.stream());
                }
                perOrigin.put(e.originNode(), ofOrigin - 1);
                dropped++;
            }
        }
        if (streams.isEmpty()) {
            rooms.remove(room);
            roomSizes.remove(room);
        } else {
            roomSizes.put(room, size - dropped);
        }
        return dropped;
    }

    @Override
    public synchronized void close() {
        closed = true;
        rooms.clear();
        roomSizes.clear();
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("The room log is closed.");
        }
    }
}
