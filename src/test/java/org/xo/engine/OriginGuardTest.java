package org.xo.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.Kind;

/** The per-origin rate buckets and stream activity, with a hand-driven clock. */
public class OriginGuardTest {
    private static final String ROOM = "lobby@conference.xo";
    private final AtomicInteger forgotten = new AtomicInteger();
    private final OriginGuard guard = new OriginGuard(forgotten::incrementAndGet);

    private static Envelope envelope(long origin, Kind kind) {
        return new Envelope(origin, 1, 1, 0, ROOM, "n", kind, kind == Kind.GROUPCHAT ? "<message/>" : "");
    }

    private int admitted(long origin, Kind kind, int tries, int rate, long now) {
        int passed = 0;
        for (int i = 0; i < tries; i++) {
            if (guard.admit(envelope(origin, kind), rate, now) == OriginGuard.Verdict.PASS) {
                passed++;
            }
        }
        return passed;
    }

    @Test
    public void oneOriginGetsItsBurstThenItsRateWhileOthersAreUntouched() {
        long now = 0;
        int burst = 100 * EngineConfig.ORIGIN_BURST_SECONDS;
        assertEquals(burst, admitted(1, Kind.GROUPCHAT, burst + 500, 100, now));
        assertEquals(OriginGuard.Verdict.RATE_LIMITED, guard.admit(envelope(1, Kind.GROUPCHAT), 100, now));
        assertEquals("another origin has a bucket of its own", 50, admitted(2, Kind.GROUPCHAT, 50, 100, now));
        now += TimeUnit.MILLISECONDS.toNanos(500);
        assertEquals("half a second refills half the rate", 50, admitted(1, Kind.GROUPCHAT, 200, 100, now));
    }

    @Test
    public void requestsHaveASmallerBucketOfTheirOwn() {
        int burst = OriginGuard.REQUESTS_PER_SECOND * EngineConfig.ORIGIN_BURST_SECONDS;
        int rate = 1_000_000;
        assertEquals(burst, admitted(1, Kind.STATE_REQUEST, burst, rate, 0));
        assertEquals(OriginGuard.Verdict.REQUESTS_RATE_LIMITED, guard.admit(envelope(1, Kind.NACK), rate, 0));
        assertEquals(OriginGuard.Verdict.REQUESTS_RATE_LIMITED, guard.admit(envelope(1, Kind.DIGEST), rate, 0));
        assertEquals("room events of the origin still pass", OriginGuard.Verdict.PASS,
                guard.admit(envelope(1, Kind.GROUPCHAT), rate, 0));
    }

    @Test
    public void originsAreBoundedAndTheLeastRecentlyHeardForgotten() {
        for (long origin = 0; origin < OriginGuard.MAX_ORIGINS + 10; origin++) {
            guard.admit(envelope(origin, Kind.GROUPCHAT), 100, 0);
        }
        assertEquals(10, forgotten.get());
    }

    @Test
    public void aStreamIsActiveWithinTheWindowAfterItsLastEnvelope() {
        Envelope e = envelope(1, Kind.GROUPCHAT);
        long window = TimeUnit.SECONDS.toNanos(2);
        assertFalse("unknown stream", guard.streamActive(e.stream(), window, 0));
        guard.streamMoved(e, 0);
        assertTrue(guard.streamActive(e.stream(), window, window - 1));
        assertFalse(guard.streamActive(e.stream(), window, window));
    }
}
