package org.xo.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
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
    static final String ROOM = "lobby@conference.xo";
    static final RoomIndex OPEN = RoomIndex.of(List.of(ROOM));
    static final long NODE = 0x1122334455667788L;
    static final int EPOCH = 1_700_000_000;
    private final EnvelopeCodec plain = new EnvelopeCodec(false);
    private final EnvelopeCodec packed = new EnvelopeCodec(true);

    /** A plain groupchat message, the kind that travels body-only. */
    static Envelope message(long seq, String nick, String body) {
        return new Envelope(NODE, EPOCH, seq, EPOCH * 1000L + 123, ROOM, nick, Kind.GROUPCHAT,
                EnvelopeCodec.BODY_ONLY_PREFIX + body + EnvelopeCodec.BODY_ONLY_SUFFIX);
    }

    private static List<Envelope> decode(EnvelopeCodec codec, byte[] datagram) throws MalformedDatagramException {
        EnvelopeCodec.Decoded d = codec.decode(ByteBuffer.wrap(datagram), OPEN);
        assertEquals(0, d.unknownKinds() + d.otherRooms() + d.ambiguousRooms());
        return d.envelopes();
    }

    @Test
    public void aPlainGroupchatMessageIsLaidOutAsDocumented() throws Exception {
        Envelope e = message(5, "alice", "hi &amp; bye");
        byte[] d = plain.encode(List.of(e));
        ByteBuffer expected = ByteBuffer.allocate(100);
        expected.put(new byte[] {'X', 'O', 2, 0}).putLong(NODE).putInt(EPOCH);
        expected.put(new byte[] {(byte) 0xF6, 0x01}); // baseTime: zigzag(123) = 246 as a varint
        expected.put((byte) 1).put((byte) 5).put((byte) 0); // head (GROUPCHAT, no form byte), seq, timeDelta
        long hash = RoomHash.of(ROOM);
        for (int shift = 40; shift >= 0; shift -= 8) { // big-endian, by hand: the layout under test
            expected.put((byte) (hash >>> shift));
        }
        expected.put((byte) 5).put("alice".getBytes(StandardCharsets.UTF_8));
        expected.put((byte) 12).put("hi &amp; bye".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(Arrays.copyOf(expected.array(), expected.position()), d);
        assertEquals("header 18, envelope 11 + nick + body", 18 + 11 + 5 + 12, d.length);
        int envelopeBytes = d.length - 18;
        assertTrue("the pacer's unit is a bound", EnvelopeCodec.encodedSize(e) >= envelopeBytes);
        assertTrue("that counts the body, not the XML around it",
                EnvelopeCodec.encodedSize(e) < envelopeBytes + EnvelopeCodec.BODY_ONLY_PREFIX.length());
        assertEquals(List.of(e), decode(plain, d));
    }

    @Test
    public void roundTripsOneEnvelopeWithAndWithoutCompression() throws Exception {
        Envelope e = new Envelope(NODE, EPOCH, 1, EPOCH * 1000L, ROOM, "alice", Kind.GROUPCHAT,
                "<message to=\"" + ROOM + "\" type=\"groupchat\" id=\"m1\"><body>hello</body></message>");
        byte[] small = plain.encode(List.of(e));
        assertTrue(small.length <= EnvelopeCodec.MAX_HEADER_BYTES + EnvelopeCodec.encodedSize(e));
        assertEquals(0, small[3]);
        assertEquals(List.of(e), decode(plain, small));

        byte[] compressed = packed.encode(List.of(e));
        assertEquals("the preset dictionary makes even one stanza smaller", 1, compressed[3]);
        assertTrue(compressed.length < small.length);
        assertEquals(List.of(e), decode(plain, compressed));
    }

    @Test
    public void roundTripsEveryKindOriginAndTimeAndUnicode() throws Exception {
        List<Envelope> batch = new ArrayList<>();
        String room = "\u4f1a\u8bae@conference.xo";
        long seq = 1;
        for (Kind k : Kind.values()) {
            batch.add(new Envelope(-1L, -5, seq++, -42L, room, "n\u00efck \ud83d\ude00", k,
                    "<message><body>\u0441\u0432\u044f\u0437\u044c \ud83d\udce1 &amp; \u00e9</body></message>"));
            batch.add(new Envelope(-1L, -5, seq++, Long.MAX_VALUE, room, "n", k,
                    EnvelopeCodec.BODY_ONLY_PREFIX + "\u00e9 &lt;b&gt;" + EnvelopeCodec.BODY_ONLY_SUFFIX));
        }
        // Other origins in the same datagram (a state reply repeats other nodes' subjects), times far apart.
        batch.add(new Envelope(7, 0, Long.MAX_VALUE, 0, room, "", Kind.SUBJECT, "<message><subject/></message>"));
        batch.add(new Envelope(-1L, 6, 3, Long.MIN_VALUE, "a@b", "", Kind.STATE_REQUEST, ""));
        RoomIndex rooms = RoomIndex.of(List.of(room));
        for (EnvelopeCodec codec : List.of(plain, packed)) {
            EnvelopeCodec.Decoded d = plain.decode(ByteBuffer.wrap(codec.encode(batch)), rooms);
            assertEquals(batch, d.envelopes());
        }
    }

    @Test
    public void roundTripsAFullBatch() throws Exception {
        List<Envelope> batch = new ArrayList<>();
        for (int i = 1; i <= Limits.MAX_ENVELOPES_PER_DATAGRAM; i++) {
            batch.add(message(i, "nick" + i, "message number " + i));
        }
        assertEquals(batch, decode(plain, packed.encode(batch)));
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
        Envelope e = new Envelope(1, 2, Long.MAX_VALUE, 4, room, nick, Kind.GROUPCHAT, stanza.toString());
        Envelope control = new Envelope(1, 2, 3, 4, room, nick, Kind.STATE_REQUEST, "");
        byte[] datagram = packed.encode(List.of(e));
        assertTrue(datagram.length <= Limits.MAX_DATAGRAM_BYTES);
        RoomIndex rooms = RoomIndex.of(List.of(room));
        assertEquals(List.of(e), plain.decode(ByteBuffer.wrap(datagram), rooms).envelopes());
        assertEquals(List.of(control), plain.decode(ByteBuffer.wrap(plain.encode(List.of(control))), rooms)
                .envelopes());

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
    public void onlyTheExactPlainMessageTravelsCompact() throws Exception {
        Envelope plainMessage = message(1, "a", "x");
        byte[] bodyOnly = plain.encode(List.of(plainMessage));
        assertEquals("no form byte", 1, bodyOnly[18]);
        for (String stanza : List.of("<message type=\"groupchat\"><body>a<b/></body></message>",
                "<message type=\"groupchat\"><body><![CDATA[x]]></body></message>",
                "<message id=\"1\" type=\"groupchat\"><body>x</body></message>",
                "<message type=\"groupchat\" id='1'><body>x</body></message>",
                "<message type=\"groupchat\" id=\"1\" xml:lang=\"en\"><body>x</body></message>",
                "<message type=\"groupchat\" id=\"a\"b\"><body>x</body></message>",
                "<message type=\"groupchat\" id=\"<\"><body>x</body></message>",
                "<message type=\"groupchat\" id=\"" + "i".repeat(256) + "\"><body>x</body></message>",
                "<message type=\"groupchat\" id=\"1\"><body>x</body><body>y</body></message>",
                "<message type=\"groupchat\" id=\"1\"><body>x</body></message> ",
                "<message xmlns=\"jabber:client\" type=\"groupchat\"><body>x</body></message>",
                "<message type=\"groupchat\"><body>x</body></message></body></message>")) {
            Envelope e = new Envelope(NODE, EPOCH, 1, EPOCH * 1000L + 123, ROOM, "a", Kind.GROUPCHAT, stanza);
            assertFalse(stanza, EnvelopeCodec.isCompact(stanza));
            byte[] d = plain.encode(List.of(e));
            assertEquals(stanza, (byte) 0x81, d[18]);
            assertEquals(stanza, 0x01, d[19]); // form: XML
            assertEquals(List.of(e), decode(plain, d));
        }
    }

    @Test
    public void aPlainGroupchatMessageWithAnIdIsLaidOutAsDocumented() throws Exception {
        String stanza = "<message type=\"groupchat\" id=\"Ab1-&amp;2\"><body>hi &amp; bye</body></message>";
        assertTrue(EnvelopeCodec.isCompact(stanza));
        Envelope e = new Envelope(NODE, EPOCH, 5, EPOCH * 1000L + 123, ROOM, "alice", Kind.GROUPCHAT, stanza);
        byte[] d = plain.encode(List.of(e));
        ByteBuffer expected = ByteBuffer.allocate(100);
        expected.put(new byte[] {'X', 'O', 2, 0}).putLong(NODE).putInt(EPOCH);
        expected.put(new byte[] {(byte) 0xF6, 0x01});
        expected.put((byte) 0x81).put((byte) 0x08).put((byte) 5).put((byte) 0); // head, form: id, seq, timeDelta
        RoomHash.put(expected, RoomHash.of(ROOM));
        expected.put((byte) 5).put("alice".getBytes(StandardCharsets.UTF_8));
        expected.put((byte) 10).put("Ab1-&amp;2".getBytes(StandardCharsets.UTF_8)); // the id as written, escaped
        expected.put((byte) 12).put("hi &amp; bye".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(Arrays.copyOf(expected.array(), expected.position()), d);
        assertTrue(EnvelopeCodec.encodedSize(e) >= d.length - 18);
        assertEquals("rebuilt to the character", List.of(e), decode(plain, d));
        assertEquals(List.of(e), decode(plain, packed.encode(List.of(e))));
    }

    @Test
    public void compactMessagesRoundTripExactlyAtTheirEdges() throws Exception {
        List<Envelope> batch = new ArrayList<>();
        List<String> ids = List.of("", "x", "\u00e9\u4f1a\ud83d\ude00", "a'b&gt;c&#10;d", "&quot;",
                "i".repeat(255), "\u00e9".repeat(127));
        List<String> bodies = List.of("", " ", "&lt;b&gt; &amp; \"q\" 'a'", "\u00e9\ud83d\ude00\n\t",
                "</body>".substring(1), "x".repeat(Limits.MAX_STANZA_BYTES / 4));
        int seq = 1;
        for (String id : ids) {
            for (String body : bodies) {
                String stanza = EnvelopeCodec.ID_PREFIX + id + EnvelopeCodec.ID_SUFFIX + body
                        + EnvelopeCodec.BODY_ONLY_SUFFIX;
                assertTrue(stanza, EnvelopeCodec.isCompact(stanza));
                batch.add(new Envelope(NODE, EPOCH, seq++, EPOCH * 1000L, ROOM, "n", Kind.GROUPCHAT, stanza));
            }
        }
        for (Envelope e : batch) {
            for (EnvelopeCodec codec : List.of(plain, packed)) {
                byte[] d = codec.encode(List.of(e));
                assertEquals(List.of(e), decode(plain, d));
                assertTrue("the id and body travel, not the XML around them",
                        d.length < EnvelopeCodec.MAX_HEADER_BYTES + EnvelopeCodec.encodedSize(e) + 1);
            }
        }
    }

    @Test
    public void keepsKnownEnvelopesAndCountsUnknownKindsAndRooms() throws Exception {
        Envelope a = message(1, "a", "first");
        Envelope b = message(2, "b", "second");
        Envelope c = message(3, "c", "third");
        byte[] datagram = plain.encode(List.of(a, b, c));
        int secondHead = 18 + 11 + 1 + 5;
        assertEquals(1, datagram[secondHead]);
        datagram[secondHead] = 0x7F;
        EnvelopeCodec.Decoded d = plain.decode(ByteBuffer.wrap(datagram), OPEN);
        assertEquals(List.of(a, c), d.envelopes());
        assertEquals(1, d.unknownKinds());

        EnvelopeCodec.Decoded elsewhere = plain.decode(ByteBuffer.wrap(datagram), RoomIndex.of(List.of("x@y")));
        assertEquals(List.of(), elsewhere.envelopes());
        assertEquals(2, elsewhere.otherRooms());
    }

    @Test
    public void aRoomHashTwoOpenRoomsShareIsDroppedNotGuessed() throws Exception {
        long lobby = RoomHash.of(ROOM);
        RoomIndex colliding = RoomIndex.of(List.of(ROOM, "other@conference.xo"), room -> lobby);
        assertTrue(colliding.isAmbiguous(lobby));
        EnvelopeCodec.Decoded d = plain.decode(ByteBuffer.wrap(plain.encode(List.of(message(1, "a", "x")))),
                colliding);
        assertEquals(List.of(), d.envelopes());
        assertEquals(1, d.ambiguousRooms());
        assertEquals(0, d.otherRooms());
    }

    @Test
    public void rejectsForeignAndOtherVersions() {
        assertReason(Reason.FOREIGN, new byte[0]);
        assertReason(Reason.FOREIGN, "GET / HTTP/1.1".getBytes(StandardCharsets.US_ASCII));
        for (int version : new int[] {0, 1, 3, 255}) {
            byte[] d = valid();
            d[2] = (byte) version;
            assertReason(Reason.VERSION, d);
        }
    }

    @Test
    public void rejectsReservedFlags() {
        for (int flags : new int[] {0x02, 0x04, 0x06, 0x80, 0x03}) {
            byte[] d = valid();
            d[3] = (byte) flags;
            assertReason(Reason.FLAGS, d);
        }
    }

    @Test
    public void rejectsTruncatedAndOversizedDatagrams() {
        byte[] d = valid();
        assertReason(Reason.TRUNCATED, Arrays.copyOf(d, 3));
        assertReason(Reason.TRUNCATED, Arrays.copyOf(d, 15));
        assertReason(Reason.TRUNCATED, Arrays.copyOf(d, 17)); // inside baseTime
        assertReason(Reason.TRUNCATED, Arrays.copyOf(d, 18)); // no envelope
        assertReason(Reason.BAD_FIELD, Arrays.copyOf(d, d.length - 1)); // the body overruns
        byte[] huge = Arrays.copyOf(d, Limits.MAX_DATAGRAM_BYTES + 1);
        assertReason(Reason.OVERSIZED, huge);
    }

    @Test
    public void rejectsBadFields() {
        assertReason(Reason.BAD_FIELD, Arrays.copyOf(valid(), valid().length + 1)); // a stray byte is no envelope

        byte[] seqZero = valid();
        seqZero[19] = 0;
        assertReason(Reason.BAD_FIELD, seqZero);

        int nickAt = 18 + 3 + RoomHash.BYTES + 1;
        byte[] badUtf8 = valid();
        badUtf8[nickAt] = (byte) 0xC3; // a lead byte followed by ASCII
        assertReason(Reason.BAD_FIELD, badUtf8);
        byte[] overlong = valid();
        overlong[nickAt] = (byte) 0xC0; // overlong encoding of '/', forbidden in UTF-8
        overlong[nickAt + 1] = (byte) 0xAF;
        assertReason(Reason.BAD_FIELD, overlong);

        byte[] nickTooLong = valid();
        nickTooLong[nickAt - 1] = (byte) 200;
        assertReason(Reason.BAD_FIELD, nickTooLong);

        ByteBuffer p = envelopeStart();
        p.put((byte) 1).put((byte) 1).put((byte) 0).put(new byte[RoomHash.BYTES]).put((byte) 0);
        p.put(new byte[] {(byte) 0xE1, (byte) 0xD4, 0x03}); // stanzaLen 60,001
        assertReason(Reason.BAD_FIELD, bytes(p));

        ByteBuffer markup = envelopeStart();
        markup.put((byte) 1).put((byte) 1).put((byte) 0).put(new byte[RoomHash.BYTES]).put((byte) 0);
        markup.put((byte) 3).put("<b>".getBytes(StandardCharsets.US_ASCII)); // body-only may not hold markup
        assertReason(Reason.BAD_FIELD, bytes(markup));
        for (String id : new String[] {"a\"b", "<x"}) { // an id that would not rebuild the same text
            ByteBuffer badId = envelopeStart();
            badId.put((byte) 0x81).put((byte) 0x08).put((byte) 1).put((byte) 0).put(new byte[RoomHash.BYTES])
                    .put((byte) 0).put((byte) id.length()).put(id.getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
            assertReason(Reason.BAD_FIELD, bytes(badId));
        }
        ByteBuffer cutId = envelopeStart();
        cutId.put((byte) 0x81).put((byte) 0x08).put((byte) 1).put((byte) 0).put(new byte[RoomHash.BYTES])
                .put((byte) 0).put((byte) 9).put((byte) 'a');
        assertReason(Reason.BAD_FIELD, bytes(cutId));

        for (int form : new int[] {0x00, 0x09, 0x10, 0x80}) { // none, XML with an id, reserved bits
            ByteBuffer b = envelopeStart();
            b.put((byte) 0x81).put((byte) form).put((byte) 1).put((byte) 0).put(new byte[RoomHash.BYTES])
                    .put((byte) 0).put((byte) 0);
            assertReason(Reason.BAD_FIELD, bytes(b));
        }

        ByteBuffer upperRoom = envelopeStart();
        upperRoom.put((byte) 0xC0).put((byte) 0x03).put((byte) 1).put((byte) 0).put((byte) 3)
                .put("A@b".getBytes(StandardCharsets.US_ASCII)).put((byte) 0).put((byte) 0);
        assertReason(Reason.BAD_FIELD, bytes(upperRoom));

        ByteBuffer longVarint = envelopeStart();
        longVarint.put((byte) 1);
        for (int i = 0; i < 10; i++) {
            longVarint.put((byte) 0xFF);
        }
        longVarint.put((byte) 0x01);
        assertReason(Reason.BAD_FIELD, bytes(longVarint));

        ByteBuffer tooMany = envelopeStart();
        for (int i = 0; i < Limits.MAX_ENVELOPES_PER_DATAGRAM + 1; i++) {
            tooMany.put((byte) 0x7F).put((byte) 1).put((byte) 0).put(new byte[RoomHash.BYTES]).put((byte) 0)
                    .put((byte) 0);
        }
        assertReason(Reason.BAD_FIELD, bytes(tooMany));
    }

    @Test
    public void rejectsBadCompressionAndZipBombs() {
        assertReason(Reason.COMPRESSION, withPayload(1, new byte[] {0x07, 0x00, 0x00}));

        byte[] good = deflate(payloadOf(message(1, "alice", "hello")));
        assertReason(Reason.COMPRESSION, withPayload(1, Arrays.copyOf(good, good.length - 2)));
        assertReason(Reason.COMPRESSION, withPayload(1, concat(good, new byte[] {1, 2})));

        byte[] bomb = deflate(new byte[1_000_000]);
        assertTrue("a megabyte of zeros compresses to " + bomb.length, bomb.length < 2_000);
        assertReason(Reason.COMPRESSION, withPayload(1, bomb));
    }

    private byte[] valid() {
        return plain.encode(List.of(message(1, "alice", "hello")));
    }

    /** Envelopes as {@link #valid()} lays them out: after its 18 bytes of header (baseTime 2 bytes). */
    private byte[] payloadOf(Envelope e) {
        byte[] d = plain.encode(List.of(e));
        return Arrays.copyOfRange(d, 18, d.length);
    }

    /** A buffer holding an uncompressed header, for envelopes written by hand. */
    private static ByteBuffer envelopeStart() {
        ByteBuffer b = ByteBuffer.allocate(4096);
        b.put(withPayload(0, new byte[0]));
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        return Arrays.copyOf(b.array(), b.position());
    }

    /** A datagram with a version 2 header (origin 1, epoch 1, baseTime 0) and the given payload. */
    static byte[] withPayload(int flags, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(17 + payload.length);
        b.put((byte) 'X').put((byte) 'O').put((byte) EnvelopeCodec.VERSION_2).put((byte) flags);
        b.putLong(1).putInt(1).put((byte) 0).put(payload);
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
            packed.decode(ByteBuffer.wrap(datagram), OPEN);
            fail("expected " + expected);
        } catch (MalformedDatagramException e) {
            assertEquals(e.getMessage(), expected, e.reason());
        }
        assertArrayEquals(before.array(), datagram);
    }
}
