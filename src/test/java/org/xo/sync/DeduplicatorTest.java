package org.xo.sync;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.ArrayList;
import java.util.List;

import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.Kind;

public class DeduplicatorTest {
    private static Envelope env(long node, int epoch, long seq) {
        return env(node, epoch, "lobby@conference.xo", seq);
    }

    private static Envelope env(long node, int epoch, String room, long seq) {
        return new Envelope(node, epoch, seq, 0, room, "n", Kind.GROUPCHAT, "");
    }

    @Test
    public void acceptsEachSeqOncePerOriginRun() {
        Deduplicator d = new Deduplicator();
        assertTrue(d.firstTime(env(1, 10, 1)));
        assertFalse(d.firstTime(env(1, 10, 1)));
        assertTrue(d.firstTime(env(1, 11, 1))); // a new run of the same node
        assertTrue(d.firstTime(env(2, 10, 1))); // another node
        assertTrue(d.firstTime(env(1, 10, 3)));
        assertTrue(d.firstTime(env(1, 10, 2))); // late, inside the window
        assertFalse(d.firstTime(env(1, 10, 2)));
        assertFalse(d.firstTime(env(1, 10, 3)));
    }

    @Test
    public void eachRoomOfAnOriginRunIsAStreamOfItsOwn() {
        Deduplicator d = new Deduplicator();
        assertTrue(d.firstTime(env(1, 10, "lobby@conference.xo", 1)));
        assertTrue("the same seq in another room", d.firstTime(env(1, 10, "dev@conference.xo", 1)));
        assertFalse(d.firstTime(env(1, 10, "dev@conference.xo", 1)));
    }

    @Test
    public void reportsTheSeqsAStreamSkips() {
        List<Long> gaps = new ArrayList<>();
        Deduplicator d = new Deduplicator(64, 10, gaps::add);
        d.firstTime(env(1, 1, "lobby@conference.xo", 5)); // first seen: what came before is not a gap
        d.firstTime(env(1, 1, "lobby@conference.xo", 6));
        d.firstTime(env(1, 1, "dev@conference.xo", 1)); // another stream does not fill or open a gap
        d.firstTime(env(1, 1, "lobby@conference.xo", 9));
        d.firstTime(env(1, 1, "lobby@conference.xo", 8)); // late: no new gap
        d.firstTime(env(1, 1, "lobby@conference.xo", 9)); // duplicate
        d.firstTime(env(1, 1, "lobby@conference.xo", 200)); // beyond the window
        assertEquals(List.of(2L, 190L), gaps);
    }

    @Test
    public void seqsOlderThanTheWindowCountAsSeen() {
        Deduplicator d = new Deduplicator(64, 10, skipped -> { });
        for (long s = 1; s <= 200; s += 2) {
            assertTrue(d.firstTime(env(1, 1, s)));
        }
        assertTrue("inside the window, never seen", d.firstTime(env(1, 1, 198)));
        assertFalse("older than the window: possibly seen", d.firstTime(env(1, 1, 100)));
        assertTrue("a jump far ahead clears the window", d.firstTime(env(1, 1, 10_000)));
        assertFalse(d.firstTime(env(1, 1, 199)));
    }

    @Test
    public void replayOlderThanTheFirstSeenSeqIsAccepted() {
        // A node that just joined hears a replay: the subject (seq 5000) first, then a presence from long before.
        Deduplicator d = new Deduplicator(1024, 10, skipped -> { });
        assertTrue(d.firstTime(env(1, 1, 5000)));
        assertTrue(d.firstTime(env(1, 1, 3)));
        assertTrue(d.firstTime(env(1, 1, 200)));
        assertFalse("the same replay again", d.firstTime(env(1, 1, 3)));
        assertFalse(d.firstTime(env(1, 1, 200)));
        assertFalse(d.firstTime(env(1, 1, 5000)));
    }

    @Test
    public void boundsTheSeqsRememberedBelowTheFirstOne() {
        Deduplicator d = new Deduplicator(64, 10, skipped -> { });
        assertTrue(d.firstTime(env(1, 1, 100_000)));
        int accepted = 0;
        for (long s = 1; s <= 300; s++) {
            accepted += d.firstTime(env(1, 1, s)) ? 1 : 0;
        }
        // 256 are remembered; past that the boundary moves down and newer old seqs count as possibly seen.
        assertEquals(257, accepted);
        for (long s = 1; s <= 300; s++) {
            assertFalse("seq " + s + " must never be accepted twice", d.firstTime(env(1, 1, s)));
        }
    }

    @Test
    public void evictsLeastRecentlyUsedStreams() {
        Deduplicator d = new Deduplicator(64, 2, skipped -> { });
        d.firstTime(env(1, 1, 1));
        d.firstTime(env(2, 1, 1));
        d.firstTime(env(1, 1, 2)); // origin 1 used last
        d.firstTime(env(3, 1, 1)); // evicts origin 2
        assertEquals(2, d.streams());
        assertEquals(1, d.evicted());
        assertFalse(d.firstTime(env(1, 1, 1)));
        assertTrue("an evicted stream starts afresh", d.firstTime(env(2, 1, 1)));
    }

    @Test
    public void isThreadSafe() throws Exception {
        Deduplicator d = new Deduplicator();
        AtomicInteger accepted = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            futures.add(pool.submit(() -> {
                for (long s = 1; s <= 20_000; s++) {
                    if (d.firstTime(env(s % 7, 1, s))) {
                        accepted.incrementAndGet();
                    }
                }
            }));
        }
        for (Future<?> f : futures) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(20_000, accepted.get());
    }

    @Test
    public void validatesItsBounds() {
        assertThrows(IllegalArgumentException.class, () -> new Deduplicator(100, 10, skipped -> { }));
        assertThrows(IllegalArgumentException.class, () -> new Deduplicator(64, 0, skipped -> { }));
    }

    @Test
    public void forgottenEnvelopesPassOnceMoreWhereverTheyAre() {
        Deduplicator d = new Deduplicator(64, 10, skipped -> { });
        d.firstTime(env(1, 1, 50));
        d.firstTime(env(1, 1, 10)); // below the first seen seq
        for (long s = 51; s <= 200; s++) {
            d.firstTime(env(1, 1, s));
        }
        // 10: below first; 60: older than the window; 190: inside the window.
        for (long s : new long[] {10, 60, 190}) {
            assertFalse(d.firstTime(env(1, 1, s)));
            d.forget(env(1, 1, s));
            assertTrue("seq " + s + " passes again", d.firstTime(env(1, 1, s)));
            assertFalse("and only once", d.firstTime(env(1, 1, s)));
        }
        assertFalse("a neighbour was not forgotten", d.firstTime(env(1, 1, 189)));
        d.forget(env(1, 1, 500)); // never seen: nothing to do
        d.forget(env(2, 1, 5)); // unknown stream: nothing to do
        assertTrue(d.firstTime(env(1, 1, 500)));
        assertFalse(d.firstTime(env(1, 1, 500)));
    }

    @Test
    public void tellsTheHighestSeqOfAStream() {
        Deduplicator d = new Deduplicator();
        assertEquals(-1, d.highest(env(1, 1, 5).stream()));
        d.check(env(1, 1, 5));
        d.check(env(1, 1, 3));
        assertEquals(5, d.highest(env(1, 1, 99).stream()));
        assertEquals(-1, d.highest(env(1, 2, 5).stream()));
    }
}
