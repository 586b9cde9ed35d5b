package org.xo.engine;

import java.util.LinkedHashMap;
import java.util.Map;

import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.core.StreamId;

/**
 * What one origin node may make this node do: a token bucket per origin for its envelopes and a smaller one for its
 * requests (STATE_REQUEST, DIGEST, NACK: each makes this node work or send), and when each of its streams last moved
 * (for the sequence-jump rule of {@link XoEngine}). Origins are whatever a datagram says, so the map is bounded:
 * at most {@value #MAX_ORIGINS} origins and {@value #MAX_STREAMS} streams, the least recently heard forgotten first
 * (a forgotten origin starts with a full bucket: rotating forged ids buys a burst each, never memory). Thread-safe;
 * times are {@link System#nanoTime} values.
 */
final class OriginGuard {
    static final int MAX_ORIGINS = 1024;
    static final int MAX_STREAMS = 4096;
    /** Requests per origin and second: a STATE_REQUEST, DIGEST and NACK stream for each of a hundred busy rooms. */
    static final int REQUESTS_PER_SECOND = 200;

    /** What {@link #admit} decided. */
    enum Verdict { PASS, RATE_LIMITED, REQUESTS_RATE_LIMITED }


    private static final class Bucket {
        double tokens;
        long atNanos;

        Bucket(double tokens, long atNanos) {
            this.tokens = tokens;
            this.atNanos = atNanos;
        }

        boolean take(double rate, double burst, long now) {
            tokens = Math.min(burst, tokens + rate * ((now - atNanos) / 1e9));
            atNanos = now;
            if (tokens < 1) {
                return false;
            }
            tokens--;
            return true;
        }
    }

    private static final class Origin {
        final Bucket envelopes;
        final Bucket requests;

        Origin(double envelopeBurst, double requestBurst, long now) {
            envelopes = new Bucket(envelopeBurst, now);
            requests = new Bucket(requestBurst, now);
        }
    }

    private final Map<Long, Origin> origins = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Origin> eldest) {
            if (size() > MAX_ORIGINS) {
                originForgotten.run();
                return true;
            }
            return false;
        }
    };
    private final Map<StreamId, Long> streamMoved = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<StreamId, Long> eldest) {
            return size() > MAX_STREAMS;
        }
    };
    private final Runnable originForgotten;

    /** @param originForgotten told (under this guard's lock) whenever an origin is forgotten for a newer one */
    OriginGuard(Runnable originForgotten) {
        this.originForgotten = originForgotten;
    }

    /**
     * Takes one token of the envelope's origin (and one of its request bucket for a request).
     *
     * @param envelopesPerSecond the origin's envelope rate; it may send {@link EngineConfig#ORIGIN_BURST_SECONDS}
     *                           seconds' worth at once
     */
    synchronized Verdict admit(Envelope e, int envelopesPerSecond, long now) {
        double burst = (double) envelopesPerSecond * EngineConfig.ORIGIN_BURST_SECONDS;
        double requestBurst = (double) REQUESTS_PER_SECOND * EngineConfig.ORIGIN_BURST_SECONDS;
        Origin o = origins.computeIfAbsent(e.originNode(), id -> new Origin(burst, requestBurst, now));
        if (!o.envelopes.take(envelopesPerSecond, burst, now)) {
            return Verdict.RATE_LIMITED;
        }
        if (isRequest(e.kind()) && !o.requests.take(REQUESTS_PER_SECOND, requestBurst, now)) {
            return Verdict.REQUESTS_RATE_LIMITED;
        }
        return Verdict.PASS;
    }

    static boolean isRequest(Kind kind) {
        return kind == Kind.STATE_REQUEST || kind == Kind.DIGEST || kind == Kind.NACK;
    }

    /** An envelope of the stream was taken in. */
    synchronized void streamMoved(Envelope e, long now) {
        streamMoved.put(e.stream(), now);
    }

    /** @return whether the stream had an envelope taken in within {@code withinNanos} */
    synchronized boolean streamActive(StreamId stream, long withinNanos, long now) {
        Long moved = streamMoved.get(stream);
        return moved != null && now - moved < withinNanos;
    }
}
