package org.xo.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.Base64;

import org.junit.Test;

public class EnvelopeTest {
    private static Envelope env(long node, int epoch, String room, long seq) {
        return new Envelope(node, epoch, seq, 1_700_000_000_000L, room, "alice", Kind.GROUPCHAT, "<message/>");
    }

    @Test
    public void overlayIdIsTheStreamAndSeqInUrlSafeBase64() {
        Envelope e = env(0x0102030405060708L, 0x11223344, "lobby@conference.xo", 300);
        String id = e.overlayId();
        assertEquals(27, id.length()); // 8 + 4 + 6 + 2 varint bytes
        assertTrue(id, id.matches("[A-Za-z0-9_-]+"));
        ByteBuffer b = ByteBuffer.wrap(Base64.getUrlDecoder().decode(id));
        assertEquals(0x0102030405060708L, b.getLong());
        assertEquals(0x11223344, b.getInt());
        assertEquals(RoomHash.of("lobby@conference.xo"), RoomHash.get(b));
        assertEquals("300 as a varint", (300 & 0x7f) | 0x80, b.get() & 0xff);
        assertEquals(300 >>> 7, b.get());
        assertEquals(26, env(1, 1, "lobby@conference.xo", 127).overlayId().length());
    }

    @Test
    public void overlayIdIsStableAndTellsStreamsAndSeqsApart() {
        Envelope e = env(7, 9, "lobby@conference.xo", 5);
        assertEquals("the same on every node: no time, nick or text in it",
                e.overlayId(), new Envelope(7, 9, 5, 42, "lobby@conference.xo", "bob", Kind.PRESENCE, "").overlayId());
        assertNotEquals(e.overlayId(), env(7, 9, "lobby@conference.xo", 6).overlayId());
        assertNotEquals(e.overlayId(), env(7, 9, "dev@conference.xo", 5).overlayId());
        assertNotEquals(e.overlayId(), env(7, 10, "lobby@conference.xo", 5).overlayId());
        assertNotEquals(e.overlayId(), env(8, 9, "lobby@conference.xo", 5).overlayId());
    }

    @Test
    public void roomHashIsFortyEightBitsOfSha256() {
        // SHA-256("abc") begins ba7816bf8f01.
        assertEquals(0xba7816bf8f01L, RoomHash.of("abc"));
    }

    @Test
    public void roomSettingsAreOrderedByOriginTimeThenUnsignedNodeThenSeq() {
        Envelope base = new Envelope(5, 1, 3, 1_000, "r@c.xo", "", Kind.CONFIG, "<iq/>");
        Envelope later = new Envelope(1, 1, 1, 1_001, "r@c.xo", "", Kind.CONFIG, "<iq/>");
        Envelope highNode = new Envelope(-1L, 1, 1, 1_000, "r@c.xo", "", Kind.CONFIG, "<iq/>"); // 0xffff... unsigned
        Envelope nextSeq = new Envelope(5, 1, 4, 1_000, "r@c.xo", "", Kind.CONFIG, "<iq/>");
        assertTrue(later.isLaterThan(base));
        assertFalse(base.isLaterThan(later));
        assertTrue(highNode.isLaterThan(base));
        assertFalse(base.isLaterThan(highNode));
        assertTrue(nextSeq.isLaterThan(base));
        assertFalse(base.isLaterThan(base));
    }
}
