package org.xo.sync;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.Test;
import org.xo.core.StreamId;
import org.xo.sync.RepairMessages.Range;

/** The repair bookkeeping alone, with a clock stepped by hand and no random waits. */
public class RepairerTest {
    private static final String ROOM = "lobby@conference.xo";
    private static final StreamId A = new StreamId(1, 10, ROOM);
    private static final long MS = 1_000_000;

    private static Repairer repairer(int maxAttempts, long horizon) {
        return new Repairer(new Repairer.Settings(0, 0, 500 * MS, maxAttempts, horizon));
    }

    @Test
    public void aGapIsAskedForFilledLateAndNotAskedForAgain() {
        Repairer r = repairer(16, 5000);
        assertEquals(Repairer.Arrival.NEW, r.received(A, 1, 0));
        assertEquals(Repairer.Arrival.NEW, r.received(A, 5, 0));
        assertEquals(List.of(new Range(A, 2, 4)), r.dueNacks(ROOM, 0));
        assertEquals("asked: not again before the retry time", List.of(), r.dueNacks(ROOM, 100 * MS));
        assertEquals(Repairer.Arrival.LATE, r.received(A, 3, 200 * MS));
        assertEquals(List.of(new Range(A, 2, 2), new Range(A, 4, 4)), r.dueNacks(ROOM, 500 * MS));
        r.received(A, 2, 600 * MS);
        r.received(A, 4, 600 * MS);
        assertEquals(0, r.missing());
        assertEquals(List.of(), r.dueNacks(ROOM, 10_000 * MS));
    }

    @Test
    public void aDigestRevealsATailAndAnotherNodesNackPutsOursOff() {
        Repairer r = repairer(16, 5000);
        r.received(A, 1, 0);
        assertFalse(r.digest(A, 1, 10, 0));
        assertTrue("a digest behind ours", r.digest(A, 1, 5, 0));
        assertEquals(9, r.missing());
        assertEquals(5, r.heardNack(new Range(A, 2, 6), 0));
        assertEquals("only what the other node did not ask for", List.of(new Range(A, 7, 10)), r.dueNacks(ROOM, 0));
    }

    @Test
    public void aGapIsAbandonedAfterItsAttemptsAndChasedOnlyWithinTheHorizon() {
        Repairer r = repairer(2, 100);
        r.received(A, 1_000_000_000L, 0); // a stream first heard far along: only the horizon below it is chased
        assertEquals(100, r.missing());
        assertEquals(1, r.dueNacks(ROOM, 0).size());
        assertEquals(1, r.dueNacks(ROOM, 500 * MS).size());
        assertEquals(List.of(), r.dueNacks(ROOM, 10_000 * MS));
        assertEquals(0, r.missing());
        assertEquals(999_999_999L, r.abandoned());
    }

    @Test
    public void oneNackCoversABigGapInRangesWithinTheCap() {
        Repairer r = repairer(16, 100_000);
        r.received(A, 1, 0);
        r.received(A, 3000, 0);
        List<Range> asked = r.dueNacks(ROOM, 0);
        assertEquals(List.of(new Range(A, 2, 1025), new Range(A, 1026, 2049), new Range(A, 2050, 2999)), asked);
    }

    @Test
    public void answersArePendingUntilDueAndDroppedWhenAnotherNodeAnswers() {
        Repairer r = repairer(16, 5000);
        r.nacked(new Range(A, 1, 10), false, 0);
        r.received(A, 4, 0); // another node's answer, heard on the wire
        assertEquals(List.of(new Range(A, 1, 3), new Range(A, 5, 10)), r.dueAnswers(ROOM, 0));
        assertEquals("handed out once", List.of(), r.dueAnswers(ROOM, 0));
    }
}
