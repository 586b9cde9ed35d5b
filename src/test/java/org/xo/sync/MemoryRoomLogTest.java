package org.xo.sync;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.core.StreamId;

public class MemoryRoomLogTest {
    private static final String LOBBY = "lobby@conference.xo";
    private static final RoomLog.Bounds WIDE = new RoomLog.Bounds(10_000, 5_000, Duration.ofHours(72));

    private static Envelope event(long node, long seq, long time) {
        return new Envelope(node, 100, seq, time, LOBBY, "n" + node, Kind.GROUPCHAT, "<message/>");
    }

    @Test
    public void appendSaysWhetherTheEventIsNewAndRangeReturnsItsStreamBySeq() {
        MemoryRoomLog log = new MemoryRoomLog(WIDE);
        assertTrue(log.append(event(1, 2, 1000)));
        assertFalse("the same (stream, seq) again", log.append(event(1, 2, 1000)));
        assertEquals(List.of(event(1, 1, 900), event(1, 3, 1100)),
                log.appendAll(List.of(event(1, 1, 900), event(1, 2, 1000), event(1, 3, 1100))));
        log.append(event(2, 1, 950));
        StreamId one = new StreamId(1, 100, LOBBY);
        assertEquals(List.of(2L, 3L), log.range(one, 2, 99, 10).stream().map(Envelope::seq).toList());
        assertEquals("limit", List.of(1L), log.range(one, 1, 3, 1).stream().map(Envelope::seq).toList());
        assertEquals(new RoomLog.Held(1, 3, 3), log.held(LOBBY).get(one));
        assertEquals(2, log.held(LOBBY).size());
    }

    @Test
    public void recentIsInOriginTimeOrderOfTheGivenKinds() {
        MemoryRoomLog log = new MemoryRoomLog(WIDE);
        log.append(event(2, 1, 300));
        log.append(event(1, 1, 100));
        log.append(new Envelope(1, 100, 2, 200, LOBBY, "n1", Kind.PRESENCE, "<presence/>"));
        log.append(event(1, 3, 400));
        assertEquals(List.of(300L, 400L), log.recent(LOBBY, Set.of(Kind.GROUPCHAT), 2).stream()
                .map(Envelope::originTime).toList());
    }

    @Test
    public void pruneDropsTheOldestBeyondAgePerOriginAndPerRoom() {
        MemoryRoomLog log = new MemoryRoomLog(WIDE);
        for (int seq = 1; seq <= 10; seq++) {
            log.append(event(1, seq, seq * 1000L));
        }
        for (int seq = 1; seq <= 3; seq++) {
            log.append(event(2, seq, 20_000 + seq));
        }
        // Age: 1 s..2 s are older than 30 s - 28 s; per origin 6, per room 8.
        int dropped = log.prune(new RoomLog.Bounds(8, 6, Duration.ofSeconds(28)), Instant.ofEpochMilli(30_000));
        assertEquals(5, dropped);
        StreamId one = new StreamId(1, 100, LOBBY);
        assertEquals(new RoomLog.Held(6, 10, 5), log.held(LOBBY).get(one));
        assertEquals(new RoomLog.Held(1, 3, 3), log.held(LOBBY).get(new StreamId(2, 100, LOBBY)));
    }

    @Test
    public void aFloodBetweenPrunesIsCutBackToTheHardBound() {
        MemoryRoomLog log = new MemoryRoomLog(new RoomLog.Bounds(100, 100, Duration.ofHours(1)));
        for (int seq = 1; seq <= 1000; seq++) {
            log.append(event(1, seq, seq));
        }
        RoomLog.Held held = log.held(LOBBY).get(new StreamId(1, 100, LOBBY));
        assertTrue("held " + held, held.count() <= 110);
        assertEquals(1000, held.last());
    }

    @Test
    public void concurrentAppendsOfTheSameEventsAreNewExactlyOnce() throws Exception {
        MemoryRoomLog log = new MemoryRoomLog(WIDE);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> counts = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                counts.add(pool.submit(() -> {
                    int fresh = 0;
                    for (int seq = 1; seq <= 2000; seq++) {
                        fresh += log.append(event(1, seq, seq)) ? 1 : 0;
                    }
                    return fresh;
                }));
            }
            int total = 0;
            for (Future<Integer> c : counts) {
                total += c.get();
            }
            assertEquals(2000, total);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test(expected = IllegalStateException.class)
    public void aClosedLogIsUnusable() {
        MemoryRoomLog log = new MemoryRoomLog(WIDE);
        log.close();
        log.append(event(1, 1, 1));
    }
}
