package org.xo.sync;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.LongConsumer;

import org.xo.core.Envelope;
import org.xo.core.StreamId;

/**
 * Tells whether an envelope is seen for the first time, per stream {@code (originNode, originEpoch, room)}: each
 * stream is numbered 1, 2, 3, ... without gaps by its origin (see {@link Envelope}).
 * <p>
 * Per stream it keeps the highest seq seen and a bitmap of the {@code window} seqs below it. A seq older than the
 * window is ambiguous (it may have been seen and forgotten) and is treated as a duplicate, because delivering a
 * message twice is visible in every client's history, with one exception: seqs below the first one ever seen of
 * that stream cannot have been seen, so they are accepted and remembered in a small sorted set. That case is the
 * state replay a newly joined node receives: an origin's replayed presence can be far older than its replayed
 * subject or recent messages.
 * <p>
 * Gaps: when a stream jumps ahead of its highest seq, the seqs it skipped are reported to the gap listener (a seq
 * that arrives late afterwards was counted all the same: the count is of gaps seen, not of losses).
 * <p>
 * Memory is bounded: at most {@code maxStreams} streams, least recently used evicted first (an evicted stream
 * starts afresh). Thread-safe.
 */
public final class Deduplicator {
    public static final int DEFAULT_WINDOW = 1024;
    public static final int DEFAULT_MAX_STREAMS = 4096;
    /** Seqs remembered below a stream's first seen seq; beyond that, the oldest boundary moves up. */
    private static final int MAX_BELOW_FIRST = 256;

    private record Stream(long node, int epoch, String room) {
    }

    private final int window;
    private final Map<Stream, Window> streams;
    private final LongConsumer gaps;
    private long evicted;

    public Deduplicator() {
        this(DEFAULT_WINDOW, DEFAULT_MAX_STREAMS, skipped -> { });
    }

    /**
     * @param window     seqs remembered below the highest one, a multiple of 64
     * @param maxStreams streams remembered
     * @param gaps       told how many seqs a stream skipped whenever it jumps ahead; called under this object's lock
     */
    public Deduplicator(int window, int maxStreams, LongConsumer gaps) {
        if (window < 64 || window % 64 != 0) {
            throw new IllegalArgumentException("Window must be a positive multiple of 64, was " + window + ".");
        }
        if (maxStreams < 1) {
            throw new IllegalArgumentException("At least one stream must be remembered, was " + maxStreams + ".");
        }
        this.window = window;
        this.gaps = gaps;
        this.streams = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Stream, Window> eldest) {
                if (size() > maxStreams) {
                    evicted++;
                    return true;
                }
                return false;
            }
        };
    }

    /** What {@link #check} knows of an envelope. */
    public enum Verdict {
        /** Never seen (within the limits described above). */
        FIRST,
        /** Seen before. */
        SEEN,
        /** Older than the window: possibly seen and forgotten (a durable log can tell). */
        FORGOTTEN
    }

    /** @return true exactly once per (originNode, originEpoch, room, seq), within the limits described above */
    public boolean firstTime(Envelope e) {
        return check(e) == Verdict.FIRST;
    }

    /** As {@link #firstTime}, telling a duplicate from a seq too old to know; the envelope counts as seen after it. */
    public synchronized Verdict check(Envelope e) {
        Stream key = new Stream(e.originNode(), e.originEpoch(), e.room());
        Window w = streams.get(key);
        if (w == null) {
            streams.put(key, new Window(window, e.seq()));
            return Verdict.FIRST;
        }
        long highest = w.highest;
        Verdict verdict = w.check(e.seq());
        if (e.seq() > highest + 1) {
            gaps.accept(e.seq() - highest - 1);
        }
        return verdict;
    }

    /**
     * Makes one envelope pass {@link #firstTime} once more, as if it had never been seen: used when a node is lost
     * and its occupants are dropped, so that the same presences, replayed when it returns, are delivered again.
     * Forgetting what was never seen, or a stream not remembered, does nothing.
     */
    public synchronized void forget(Envelope e) {
        Window w = streams.get(new Stream(e.originNode(), e.originEpoch(), e.room()));
        if (w != null) {
            w.forget(e.seq());
        }
    }

    /** @return the highest seq seen of a stream, or -1 when the stream is not remembered */
    public synchronized long highest(StreamId stream) {
        Window w = streams.get(new Stream(stream.originNode(), stream.originEpoch(), stream.room()));
        return w == null ? -1 : w.highest;
    }

    /** @return streams forgotten so far for newer ones (the bound was hit) */
    public synchronized long evicted() {
        return evicted;
    }

    /** @return streams currently remembered */
    public synchronized int streams() {
        return streams.size();
    }

    /** Seen seqs of one stream. */
    private static final class Window {
        private final long[] bits;
        private final int size;
        private long highest;
        /** Lowest seq for which "older than the window" means "possibly seen"; below it, belowFirst decides. */
        private long first;
        private final TreeSet<Long> belowFirst = new TreeSet<>();
        /** Forgotten seqs older than the window, which would otherwise count as seen: each passes once more. */
        private final TreeSet<Long> readmit = new TreeSet<>();

        Window(int size, long seq) {
            this.size = size;
            this.bits = new long[size / 64];
            this.highest = seq;
            this.first = seq;
            set(seq);
        }

        void forget(long seq) {
            if (seq < first) {
                belowFirst.remove(seq);
            } else if (seq <= highest) {
                if (highest - seq >= size) {
                    readmit.add(seq);
                    if (readmit.size() > MAX_BELOW_FIRST) {
                        readmit.pollFirst();
                    }
                } else {
                    clear(seq);
                }
            }
        }

        Verdict check(long seq) {
            if (!readmit.isEmpty() && readmit.remove(seq)) {
                return Verdict.FIRST;
            }
            if (seq < first) {
                if (!belowFirst.add(seq)) {
                    return Verdict.SEEN;
                }
                if (belowFirst.size() > MAX_BELOW_FIRST) {
                    // Forget the newest of them by moving the boundary down onto it; it must still count as seen.
                    first = belowFirst.pollLast();
                    if (highest - first < size) {
                        set(first);
                    }
                }
                return Verdict.FIRST;
            }
            if (seq > highest) {
                long shift = seq - highest;
                if (shift >= size) {
                    Arrays.fill(bits, 0L);
                } else {
                    for (long s = highest + 1; s < seq; s++) {
                        clear(s);
                    }
                }
                highest = seq;
                set(seq);
                return Verdict.FIRST;
            }
            if (highest - seq >= size) {
                return Verdict.FORGOTTEN;
            }
            if (isSet(seq)) {
                return Verdict.SEEN;
            }
            set(seq);
            return Verdict.FIRST;
        }

        private int index(long seq) {
            return (int) Math.floorMod(seq, (long) size);
        }

        private void set(long seq) {
            int i = index(seq);
            bits[i >>> 6] |= 1L << (i & 63);
        }

        private void clear(long seq) {
            int i = index(seq);
            bits[i >>> 6] &= ~(1L << (i & 63));
        }

        private boolean isSet(long seq) {
            int i = index(seq);
            return (bits[i >>> 6] & (1L << (i & 63))) != 0;
        }
    }
}
