package org.xo.openfire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;
import org.xo.sync.RoomLog;

public class SeqRangesTest {
    private final SeqRanges seqs = new SeqRanges();

    @Test
    public void addingTheSeqBetweenTwoRangesJoinsThemAndAddingOneTwiceIsRefused() {
        for (long seq : new long[] {1, 2, 4, 5}) {
            assertTrue(seqs.add(seq));
        }
        assertEquals(new RoomLog.Held(1, 5, 4), seqs.held());

        assertTrue(seqs.add(3));
        assertFalse(seqs.add(3));
        assertFalse(seqs.add(1));
        assertFalse(seqs.add(5));
        assertEquals(new RoomLog.Held(1, 5, 5), seqs.held());
    }

    @Test
    public void removingFromTheMiddleSplitsARangeAndFromTheEndsShrinksIt() {
        for (long seq = 1; seq <= 5; seq++) {
            seqs.add(seq);
        }

        assertTrue(seqs.remove(3));
        assertFalse(seqs.remove(3));
        assertTrue(seqs.add(3));
        assertTrue(seqs.remove(1));
        assertTrue(seqs.remove(5));
        assertEquals(new RoomLog.Held(2, 4, 3), seqs.held());
        assertFalse(seqs.remove(9));
        for (long seq = 2; seq <= 4; seq++) {
            assertTrue(seqs.remove(seq));
        }
        assertTrue(seqs.isEmpty());
    }
}
