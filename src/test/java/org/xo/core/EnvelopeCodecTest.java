package org.xo.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.Deflater;

import org.junit.Test;
import org.xo.core.MalformedDatagramException.Reason;

public class EnvelopeCodecTest {
    private static final String ROOM = "lobby@conference.xo";
    private final EnvelopeCodec plain = new EnvelopeCodec(false);
    private final EnvelopeCodec packed = new EnvelopeCodec(true);

    static Envelope message(long seq, String nick, String body) {
        return new Envelope(0x1122334455667788L, 1_700_000_000, seq, 1_700_000_000_123L, ROOM, nick, Kind.GROUPCHAT,
                "<message to=\"" + ROOM + "\" type=\"groupchat\" id=\"m" + seq + "\"><body>" + body
                        + "</body></message>");
    }

    private static List<Envelope> decode(EnvelopeCodec codec, byte[] datagram) throws MalformedDatagramException {
        EnvelopeCodec.Decoded d = codec.decode(ByteBuffer.wrap(datagram));
        assertEquals(0, d.unknownKinds());
        return d.envelopes();
    }

    @Test
    public void roundTripsOneEnvelopeWithAndWithoutCompression() throws Exception {
        Envelope e = message(1, "alice", "hello");
        byte[] small = plain.encode(List.of(e));
        assertEquals(EnvelopeCodec.HEADER_BYTES + EnvelopeCodec.encodedSize(e), small.length);
        assertEquals(0, small[3]);
        assertEquals(List.of(e), decode(plain, small));

        byte[] compressed = packed.encode(List.of(e));
        assertEquals("the preset dictionary makes even one stanza smaller", 1, compressed[3]);
        assertTrue(compressed.length < small.length);
        assertEquals(List.of(e), decode(plain, compressed));
    }

    @Test
    public void roundTripsEveryKindAndUnicode() throws Exception {
        List<Envelope> batch = new ArrayList<>();
        long seq = 1;
        for (Kind k : Kind.values()) {
            batch.add(new Envelope(-1L, -5, seq++, -42L, "\u4f1a\u8bae@conference.xo", "n\u00efck \ud83d\ude00", k,
                    "<message><body>\u0441\u0432\u044f\u0437\u044c \ud83d\udce1 &amp; \u00e9</body></message>"));
        }
        batch.add(new Envelope(7, 0, Long.MAX_VALUE, 0, "a@b", "", Kind.STATE_REQUEST, ""));
        assertEquals(batch, decode(plain, plain.encode(batch)));
        assertEquals(batch, decode(plain, packed.encode(batch)));
    }

    @Test
    public void roundTripsAFullBatch() throws Exception {
        List<Envelope> batch = new ArrayList<>();
        for (int i = 1; i <= Limits.MAX_ENVELOPES_PER_DATAGRAM; i++) {
            batch.add(message(i, "nick" + i, "message number " + i));
        }
        byte[] compressed = packed.encode(batch);
        assertEquals((byte) 255, compressed[5]);
        assertEquals(batch, decode(plain, compressed));
        assertEquals(batch, decode(plain, plain.encode(batch)));
        batch.add(message(256, "x", "y"));
        assertThrows(IllegalArgumentException.class, () -> plain.encode(batch));
        assertThrows(IllegalArgumentException.class, () -> plain.encode(List.of()));
    }

    @Test
    public void roundTripsMaximumFields() throws Exception {
        String room = "r".repeat(255 - "@conference.xo".length()) + "@conference.xo";
        String nick = "\u00e9".repeat(127) + "n";
        Random random = new Random(1);
        StringBuilder stanza = new StringBuilder();
        while (stanza.length() < Limits.MAX_STANZA_BYTES) {
            stanza.append((char) ('!' + random.nextInt(90))); // incompressible enough to stay uncompressed
        }
        Envelope e = new Envelope(1, 2, 3, 4, room, nick, Kind.GROUPCHAT, stanza.toString());
        byte[] datagram = packed.encode(List.of(e));
        assertTrue(datagram.length <= Limits.MAX_DATAGRAM_BYTES);
        assertEquals(List.of(e), decode(plain, datagram));

        Envelope tooLong = new Envelope(1, 2, 3, 4, ROOM, "n", Kind.GROUPCHAT, stanza + "x");
        assertThrows(IllegalArgumentException.class, () -> plain.encode(List.of(tooLong)));
        Envelope nickTooLong = new Envelope(1, 2, 3, 4, ROOM, nick + "\u00e9", Kind.GROUPCHAT, "");
        assertThrows(IllegalArgumentException.class, () -> plain.encode(List.of(nickTooLong)));
        // Two maximal envelopes do not fit one datagram.
        Envelope big = new Envelope(1, 2, 4, 4, ROOM, "n", Kind.GROUPCHAT, stanza.substring(0, 40_000));
        assertThrows(IllegalArgumentException.class, () -> plain.encode(List.of(big, big)));
    }

    @Test
    public void refusesToEncodeWhatCannotRoundTrip() {
        assertThrows(IllegalArgumentException.class, () -> plain.encode(List.of(
                new Envelope(1, 2, 3, 4, ROOM, "half \ud83d", Kind.GROUPCHAT, ""))));
        assertThrows(IllegalArgumentException.class, () -> plain.encode(List.of(
                new Envelope(1, 2, 3, 4, "Lobby@conference.xo", "n", Kind.GROUPCHAT, ""))));
        assertThrows(IllegalArgumentException.class, () -> plain.encode(List.of(
                new Envelope(1, 2, 0, 4, ROOM, "n", Kind.GROUPCHAT, ""))));
    }

    @Test
    public void keepsKnownEnvelopesAndCountsUnknownKinds() throws Exception {
        Envelope a = message(1, "a", "first");
        Envelope b = message(2, "b", "second");
        Envelope c = message(3, "c", "third");
        byte[] datagram = plain.encode(List.of(a, b, c));
        int kindOffset = EnvelopeCodec.HEADER_BYTES + EnvelopeCodec.encodedSize(a) + 28;
        datagram[kindOffset] = 0x7F;
        EnvelopeCodec.Decoded d = plain.decode(ByteBuffer.wrap(datagram));
        assertEquals(List.of(a, c), d.envelopes());
        assertEquals(1, d.unknownKinds());
    }

    @Test
    public void rejectsForeignAndUnknownVersions() {
        assertReason(Reason.FOREIGN, new byte[0]);
        assertReason(Reason.FOREIGN, "GET / HTTP/1.1".getBytes(StandardCharsets.US_ASCII));
        byte[] d = valid();
        d[2] = 2;
        assertReason(Reason.VERSION, d);
    }

    @Test
    public void rejectsReservedFlagsAndKeys() {
        for (int flags : new int[] {0x02, 0x04, 0x06, 0x80, 0x03}) {
            byte[] d = valid();
            d[3] = (byte) flags;
            assertReason(Reason.FLAGS, d);
        }
        byte[] d = valid();
        d[4] = 1;
        assertReason(Reason.FLAGS, d);
    }

    @Test
    public void rejectsTruncatedAndOversizedDatagrams() {
        byte[] d = valid();
        assertReason(Reason.TRUNCATED, Arrays.copyOf(d, 3));
        assertReason(Reason.TRUNCATED, Arrays.copyOf(d, 7));
        assertReason(Reason.TRUNCATED, Arrays.copyOf(d, d.length - 1));
        byte[] huge = Arrays.copyOf(d, Limits.MAX_DATAGRAM_BYTES + 1);
        assertReason(Reason.OVERSIZED, huge);
    }

    @Test
    public void rejectsBadFields() {
        byte[] trailing = Arrays.copyOf(valid(), valid().length + 1);
        assertReason(Reason.BAD_FIELD, trailing);

        byte[] countZero = valid();
        countZero[5] = 0;
        assertReason(Reason.BAD_FIELD, countZero);

        byte[] countTooHigh = valid();
        countTooHigh[5] = 2;
        assertReason(Reason.BAD_FIELD, countTooHigh);

        Envelope e = message(1, "alice", "x");
        byte[] extraPayload = withPayload(0, 1, concat(payloadOf(e), new byte[] {0}));
        assertReason(Reason.BAD_FIELD, extraPayload);

        byte[] badUtf8 = valid();
        int nickOffset = EnvelopeCodec.HEADER_BYTES + 30 + ROOM.length() + 1;
        badUtf8[nickOffset] = (byte) 0xC3; // a lead byte followed by ASCII
        assertReason(Reason.BAD_FIELD, badUtf8);

        byte[] overlong = valid();
        overlong[nickOffset] = (byte) 0xC0; // overlong encoding of '/', forbidden in UTF-8
        overlong[nickOffset + 1] = (byte) 0xAF;
        assertReason(Reason.BAD_FIELD, overlong);

        byte[] upperRoom = valid();
        upperRoom[EnvelopeCodec.HEADER_BYTES + 30] = 'L';
        assertReason(Reason.BAD_FIELD, upperRoom);

        byte[] seqZero = valid();
        Arrays.fill(seqZero, EnvelopeCodec.HEADER_BYTES + 12, EnvelopeCodec.HEADER_BYTES + 20, (byte) 0);
        assertReason(Reason.BAD_FIELD, seqZero);

        byte[] roomTooLong = valid();
        roomTooLong[EnvelopeCodec.HEADER_BYTES + 29] = (byte) 200; // room length overruns the payload
        assertReason(Reason.BAD_FIELD, roomTooLong);

        ByteBuffer stanzaTooLong = ByteBuffer.wrap(payloadOf(e));
        int stanzaLengthAt = 30 + ROOM.length() + 1 + "alice".length();
        stanzaTooLong.putShort(stanzaLengthAt, (short) 60_001);
        assertReason(Reason.BAD_FIELD, withPayload(0, 1, stanzaTooLong.array()));
    }

    @Test
    public void rejectsBadCompressionAndZipBombs() {
        assertReason(Reason.COMPRESSION, withPayload(1, 1, new byte[] {0x07, 0x00, 0x00}));

        byte[] good = deflate(payloadOf(message(1, "alice", "hello")));
        assertReason(Reason.COMPRESSION, withPayload(1, 1, Arrays.copyOf(good, good.length - 2)));
        assertReason(Reason.COMPRESSION, withPayload(1, 1, concat(good, new byte[] {1, 2})));

        byte[] bomb = deflate(new byte[1_000_000]);
        assertTrue("a megabyte of zeros compresses to " + bomb.length, bomb.length < 2_000);
        assertReason(Reason.COMPRESSION, withPayload(1, 1, bomb));
    }

    private byte[] valid() {
        return plain.encode(List.of(message(1, "alice", "hello")));
    }

    private byte[] payloadOf(Envelope e) {
        byte[] d = plain.encode(List.of(e));
        return Arrays.copyOfRange(d, EnvelopeCodec.HEADER_BYTES, d.length);
    }

    static byte[] withPayload(int flags, int count, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(EnvelopeCodec.HEADER_BYTES + payload.length);
        b.put((byte) 'X').put((byte) 'O').put((byte) 1).put((byte) flags).put((byte) 0).put((byte) count);
        b.putShort((short) payload.length).put(payload);
        return b.array();
    }

    static byte[] deflate(byte[] data) {
        Deflater d = new Deflater(9, true);
        d.setDictionary(EnvelopeCodec.DICTIONARY);
        d.setInput(data);
        d.finish();
        byte[] out = new byte[data.length + 1024];
        int n = d.deflate(out);
        d.end();
        return Arrays.copyOf(out, n);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private void assertReason(Reason expected, byte[] datagram) {
        ByteBuffer before = ByteBuffer.wrap(datagram.clone());
        try {
            packed.decode(ByteBuffer.wrap(datagram));
            fail("expected " + expected);
        } catch (MalformedDatagramException e) {
            assertEquals(e.getMessage(), expected, e.reason());
        }
        assertArrayEquals(before.array(), datagram);
    }
}
