package org.xo.sync;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

import org.xo.core.Envelope;

/**
 * Tells whether an envelope is seen for the first time, per origin run {@code (originNode, originEpoch)}.
 * <p>
 * Per origin it keeps the highest seq seen and a bitmap of the {@code window} seqs below it. A seq older than the
 * window is ambiguous (it may have been seen and forgotten) and is treated as a duplicate, because delivering a
 * message twice is visible in every client's history, with one exception: seqs below the first one ever seen from
 * that origin cannot have been seen, so they are accepted and remembered in a small sorted set. That case is the
 * state replay a newly joined node receives: an origin's replayed presence can be far older than its replayed
 * subject or recent messages.
 * <p>
 * Memory is bounded: at most {@code maxOrigins} origins, least recently used evicted first (an evicted origin
 * starts afresh). Thread-safe.
 */
public final class Deduplicator {
    public static final int DEFAULT_WINDOW = 1024;
    public static final int DEFAULT_MAX_ORIGINS = 4096;
    /** Seqs remembered below an origin's first seen seq; beyond that, the oldest boundary moves up. */
    private static final int MAX_BELOW_FIRST = 256;

    private record Origin(long node, int epoch) {
    }

    private final int window;
    private final Map<Origin, Window> origins;

    public Deduplicator() {
        this(DEFAULT_WINDOW, DEFAULT_MAX_ORIGINS);
    }

    /**
     * @param window     seqs remembered below the highest one, a multiple of 64
     * @param maxOrigins origin runs remembered
     */
    public Deduplicator(int window, int maxOrigins) {
        if (window < 64 || window % 64 != 0) {
            throw new IllegalArgumentException("Window must be a positive multiple of 64, was " + window + ".");
        }
        if (maxOrigins < 1) {
            throw new IllegalArgumentException("At least one origin must be remembered, was " + maxOrigins + ".");
        }
        this.window = window;
        this.origins = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Origin, Window> eldest) {
                return size() > maxOrigins;
            }
        };
    }

    /** @return true exactly once per (originNode, originEpoch, seq), within the limits described above */
    public synchronized boolean firstTime(Envelope e) {
        Origin key = new Origin(e.originNode(), e.originEpoch());
        Window w = origins.get(key);
        if (w == null) {
            origins.put(key, new Window(window, e.seq()));
            return true;
        }
        return w.firstTime(e.seq());
    }

    /**
     * Makes one envelope pass {@link #firstTime} once more, as if it had never been seen: used when a node is lost
     * and its occupants are dropped, so that the same presences, replayed when it returns, are delivered again.
     * Forgetting what was never seen, or an origin not remembered, does nothing.
     */
    public synchronized void forget(long originNode, int originEpoch, long seq) {
        Window w = origins.get(new Origin(originNode, originEpoch));
        if (w != null) {
            w.forget(seq);
        }
    }

    /** @return origin runs currently remembered */
    public synchronized int origins() {
        return origins.size();
    }

    /** Seen seqs of one origin run. */
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

        boolean firstTime(long seq) {
            if (!readmit.isEmpty() && readmit.remove(seq)) {
                return true;
            }
            if (seq < first) {
                if (!belowFirst.add(seq)) {
                    return false;
                }
                if (belowFirst.size() > MAX_BELOW_FIRST) {
                    // Forget the newest of them by moving the boundary down onto it; it must still count as seen.
                    first = belowFirst.pollLast();
                    if (highest - first < size) {
                        set(first);
                    }
                }
                return true;
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
                return true;
            }
            if (highest - seq >= size) {
                return false; // older than the window: possibly seen and forgotten
            }
            if (isSet(seq)) {
                return false;
            }
            set(seq);
            return true;
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
