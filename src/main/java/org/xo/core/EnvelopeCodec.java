package org.xo.core;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

import static org.xo.core.MalformedDatagramException.Reason.BAD_FIELD;
import static org.xo.core.MalformedDatagramException.Reason.COMPRESSION;
import static org.xo.core.MalformedDatagramException.Reason.FLAGS;
import static org.xo.core.MalformedDatagramException.Reason.FOREIGN;
import static org.xo.core.MalformedDatagramException.Reason.OVERSIZED;
import static org.xo.core.MalformedDatagramException.Reason.TRUNCATED;
import static org.xo.core.MalformedDatagramException.Reason.VERSION;

/**
 * Envelopes to and from datagram bytes, wire version 1. All integers are big-endian (network order).
 * <pre>
 * datagram = magic     2 bytes  'X' 'O' (0x58 0x4F)
 *            version   u8       1
 *            flags     u8       bit0 = payload is raw DEFLATE (RFC 1951) with {@link #DICTIONARY} as preset dictionary
 *                               bit1 = authenticated, bit2 = encrypted: reserved for group keys; a v1 decoder drops
 *                               datagrams with any flag other than bit0 set (reason FLAGS)
 *            keyId     u8       reserved, 0 (else FLAGS)
 *            count     u8       envelopes in the payload, 1..255
 *            payloadLength u16  bytes of payload that follow; the datagram ends right after them
 *            payload            count envelopes back to back (after inflation when bit0 is set)
 * envelope = originNode i64 | originEpoch i32 | seq i64 (&gt; 0) | originTime i64 | kind u8
 *            | roomLen u8 + room UTF-8 (normalized {@link OverlayRoom} address, 1..255 bytes)
 *            | nickLen u8 + nick UTF-8 (0..255 bytes)
 *            | stanzaLen u16 + stanza UTF-8 (0..{@value Limits#MAX_STANZA_BYTES} bytes)
 * </pre>
 * The whole datagram is at most {@value Limits#MAX_DATAGRAM_BYTES} bytes, an inflated payload at most
 * {@value Limits#MAX_INFLATED_PAYLOAD}. Every envelope has the same layout whatever its kind, so an envelope of a
 * kind code this version does not know is skipped and counted ({@link Decoded#unknownKinds()}) while the others of
 * the datagram are kept. Decoding is strict: every length is checked before it is used, UTF-8 must be well formed,
 * the declared count must match and nothing may trail the payload.
 * <p>
 * Thread-safe: each thread reuses its own Deflater/Inflater (creating one per datagram costs more than the
 * compression itself; they cannot be shared between threads).
 */
public final class EnvelopeCodec {
    /** Wire version written and accepted. */
    public static final int VERSION_1 = 1;
    /** Bytes before the payload. */
    public static final int HEADER_BYTES = 8;
    /** Fixed part of an envelope: the numeric fields, the kind and the three length prefixes. */
    public static final int ENVELOPE_FIXED_BYTES = 8 + 4 + 8 + 8 + 1 + 1 + 1 + 2;

    private static final byte MAGIC_0 = 0x58;
    private static final byte MAGIC_1 = 0x4F;
    private static final int FLAG_DEFLATE = 0x01;

    /**
     * Preset DEFLATE dictionary: fragments that recur in MUC traffic, so that even a single small stanza compresses.
     * Deflate finds the nearest match cheapest, so the most frequent fragments come last. Part of wire version 1:
     * changing it breaks every decoder in the field.
     */
    public static final byte[] DICTIONARY = String.join("",
            "<x xmlns=\"jabber:x:conference\"/>",
            "<delay xmlns=\"urn:xmpp:delay\" stamp=\"",
            "<error type=\"cancel\">",
            "<nick xmlns=\"http://jabber.org/protocol/nick\">",
            "<c xmlns=\"http://jabber.org/protocol/caps\" hash=\"sha-1\" node=\"",
            "<origin-id xmlns=\"urn:xmpp:sid:0\" id=\"",
            "<stanza-id xmlns=\"urn:xmpp:sid:0\" id=\"",
            "<active xmlns=\"http://jabber.org/protocol/chatstates\"/>",
            "<composing xmlns=\"http://jabber.org/protocol/chatstates\"/>",
            "<request xmlns=\"urn:xmpp:receipts\"/>",
            "<markable xmlns=\"urn:xmpp:chat-markers:0\"/>",
            "<priority>0</priority>",
            "<show>away</show><show>chat</show><show>dnd</show><show>xa</show>",
            "<status code=\"110\"/><status code=\"210\"/><status code=\"303\"/>",
            "<status>",
            "</status>",
            "<subject>",
            "</subject>",
            " type=\"unavailable\"",
            " type=\"chat\"",
            "<thread>",
            "</thread>",
            "</x></presence>",
            "<item affiliation=\"none\" role=\"participant\"/>",
            "<item affiliation=\"member\" role=\"participant\"/>",
            "<item affiliation=\"owner\" role=\"moderator\"",
            "<x xmlns=\"http://jabber.org/protocol/muc#user\">",
            "<x xmlns=\"http://jabber.org/protocol/muc\"/>",
            "<presence xmlns=\"jabber:client\" ",
            "<presence from=\"",
            "<presence to=\"",
            "<presence ",
            " xml:lang=\"en\"",
            "@conference.",
            " from=\"",
            " to=\"",
            " id=\"",
            "<message xmlns=\"jabber:client\" ",
            "<message from=\"",
            "<message to=\"",
            "<message ",
            " type=\"groupchat\"",
            "<body>",
            "</body></message>").getBytes(StandardCharsets.UTF_8);

    private final boolean compression;

    /** @param compression whether {@link #encode} may compress (decoding always accepts both forms) */
    public EnvelopeCodec(boolean compression) {
        this.compression = compression;
    }

    /** A decoded datagram: its envelopes of known kinds, in wire order, and how many of unknown kinds were skipped. */
    public record Decoded(List<Envelope> envelopes, int unknownKinds) {
        public Decoded {
            envelopes = List.copyOf(envelopes);
        }
    }

    /**
     * @return the bytes an envelope that passes {@link #checkBounds} takes inside an uncompressed payload: the
     * pacer's budget unit
     */
    public static int encodedSize(Envelope e) {
        return ENVELOPE_FIXED_BYTES + utf8Length(e.room()) + utf8Length(e.nick()) + utf8Length(e.stanza());
    }

    /**
     * Checks what {@link #encode} needs of one envelope: room a normalized overlay address, nick and stanza within
     * {@link Limits}, well-formed UTF-16 (no lone surrogate, so the UTF-8 round trip is exact), seq positive.
     *
     * @throws IllegalArgumentException with a sentence naming the field that is out of bounds
     */
    public static void checkBounds(Envelope e) {
        if (e.room() == null || e.nick() == null || e.stanza() == null || e.kind() == null) {
            throw new IllegalArgumentException("Envelope has a missing field: " + e);
        }
        if (e.seq() <= 0) {
            throw new IllegalArgumentException("Envelope seq must be positive, was " + e.seq() + ".");
        }
        if (!OverlayRoom.parse(e.room()).jid().equals(e.room())) {
            throw new IllegalArgumentException("Envelope room '" + e.room() + "' is not a normalized room address.");
        }
        checkText("nick", e.nick(), Limits.MAX_NICK_BYTES);
        checkText("stanza", e.stanza(), Limits.MAX_STANZA_BYTES);
    }

    private static void checkText(String field, String s, int max) {
        int n = utf8Length(s);
        if (n < 0) {
            throw new IllegalArgumentException("The " + field + " contains an unpaired surrogate character.");
        }
        if (n > max) {
            throw new IllegalArgumentException("The " + field + " is " + n + " bytes in UTF-8; the limit is " + max
                    + ".");
        }
    }

    /**
     * Encodes 1..255 envelopes into one datagram, compressed when enabled and smaller.
     *
     * @throws IllegalArgumentException when an envelope is out of bounds or the datagram would exceed
     *                                  {@link Limits#MAX_DATAGRAM_BYTES}
     */
    public byte[] encode(List<Envelope> envelopes) {
        int count = envelopes.size();
        if (count < 1 || count > Limits.MAX_ENVELOPES_PER_DATAGRAM) {
            throw new IllegalArgumentException("A datagram carries 1 to " + Limits.MAX_ENVELOPES_PER_DATAGRAM
                    + " envelopes, not " + count + ".");
        }
        int size = 0;
        for (Envelope e : envelopes) {
            checkBounds(e);
            size += encodedSize(e);
        }
        if (size > Limits.MAX_DATAGRAM_BYTES - HEADER_BYTES) {
            throw new IllegalArgumentException("Envelopes of " + size + " bytes do not fit one datagram (payload limit "
                    + (Limits.MAX_DATAGRAM_BYTES - HEADER_BYTES) + ").");
        }
        ByteBuffer payload = ByteBuffer.allocate(size);
        for (Envelope e : envelopes) {
            payload.putLong(e.originNode()).putInt(e.originEpoch()).putLong(e.seq()).putLong(e.originTime());
            payload.put((byte) e.kind().code());
            byte[] room = e.room().getBytes(StandardCharsets.UTF_8);
            payload.put((byte) room.length).put(room);
            byte[] nick = e.nick().getBytes(StandardCharsets.UTF_8);
            payload.put((byte) nick.length).put(nick);
            byte[] stanza = e.stanza().getBytes(StandardCharsets.UTF_8);
            payload.putShort((short) stanza.length).put(stanza);
        }
        byte[] body = payload.array();
        int flags = 0;
        int bodyLength = size;
        if (compression) {
            byte[] packed = new byte[size];
            int packedLength = deflate(body, packed);
            if (packedLength > 0) {
                body = packed;
                bodyLength = packedLength;
                flags |= FLAG_DEFLATE;
            }
        }
        ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES + bodyLength);
        out.put(MAGIC_0).put(MAGIC_1).put((byte) VERSION_1).put((byte) flags).put((byte) 0).put((byte) count);
        out.putShort((short) bodyLength).put(body, 0, bodyLength);
        return out.array();
    }

    private static final ThreadLocal<Deflater> DEFLATERS =
            ThreadLocal.withInitial(() -> new Deflater(Deflater.DEFAULT_COMPRESSION, true));
    private static final ThreadLocal<Inflater> INFLATERS = ThreadLocal.withInitial(() -> new Inflater(true));
    /** One byte more than the limit: filling it proves a payload is too large without inflating further. */
    private static final ThreadLocal<byte[]> INFLATE_BUFFERS =
            ThreadLocal.withInitial(() -> new byte[Limits.MAX_INFLATED_PAYLOAD + 1]);

    /** @return the compressed length, or 0 when compressing does not make {@code in} strictly smaller */
    private static int deflate(byte[] in, byte[] out) {
        Deflater deflater = DEFLATERS.get();
        try {
            deflater.setDictionary(DICTIONARY);
            deflater.setInput(in);
            deflater.finish();
            int n = 0;
            // The output buffer is as large as the input: if it fills before the stream ends, compression does not pay.
            while (!deflater.finished() && n < out.length) {
                n += deflater.deflate(out, n, out.length - n);
            }
            return deflater.finished() && n < in.length ? n : 0;
        } finally {
            deflater.reset();
        }
    }

    /**
     * Decodes one received datagram, from its position to its limit (the position is advanced).
     *
     * @throws MalformedDatagramException when any part of the datagram is invalid: nothing of it is delivered
     */
    public Decoded decode(ByteBuffer datagram) throws MalformedDatagramException {
        ByteBuffer in = datagram.slice(); // a fresh slice is big-endian whatever the caller's buffer order
        datagram.position(datagram.limit());
        int total = in.remaining();
        if (total < 2 || in.get(0) != MAGIC_0 || in.get(1) != MAGIC_1) {
            throw new MalformedDatagramException(FOREIGN, "not an XO datagram (" + total + " bytes, bad magic)");
        }
        if (total < 3) {
            throw new MalformedDatagramException(TRUNCATED, "datagram ends before its version");
        }
        int version = in.get(2) & 0xff;
        if (version != VERSION_1) {
            throw new MalformedDatagramException(VERSION, "unknown wire version " + version);
        }
        if (total > Limits.MAX_DATAGRAM_BYTES) {
            throw new MalformedDatagramException(OVERSIZED, "datagram of " + total + " bytes");
        }
        if (total < HEADER_BYTES) {
            throw new MalformedDatagramException(TRUNCATED, "datagram of " + total + " bytes ends inside its header");
        }
        int flags = in.get(3) & 0xff;
        int keyId = in.get(4) & 0xff;
        if ((flags & ~FLAG_DEFLATE) != 0 || keyId != 0) {
            throw new MalformedDatagramException(FLAGS, "unsupported flags 0x" + Integer.toHexString(flags)
                    + " / key id " + keyId);
        }
        int count = in.get(5) & 0xff;
        if (count == 0) {
            throw new MalformedDatagramException(BAD_FIELD, "envelope count 0");
        }
        int payloadLength = in.getShort(6) & 0xffff;
        int available = total - HEADER_BYTES;
        if (payloadLength > available) {
            throw new MalformedDatagramException(TRUNCATED, "payload of " + payloadLength + " bytes, " + available
                    + " present");
        }
        if (payloadLength < available) {
            throw new MalformedDatagramException(BAD_FIELD, (available - payloadLength)
                    + " bytes trail the payload");
        }
        in.position(HEADER_BYTES);
        ByteBuffer payload = (flags & FLAG_DEFLATE) != 0 ? inflate(in) : in;
        return readEnvelopes(payload, count);
    }

    private static ByteBuffer inflate(ByteBuffer compressed) throws MalformedDatagramException {
        Inflater inflater = INFLATERS.get();
        try {
            inflater.setDictionary(DICTIONARY);
            inflater.setInput(compressed);
            byte[] out = INFLATE_BUFFERS.get();
            int n = 0;
            while (!inflater.finished()) {
                if (n == out.length) {
                    throw new MalformedDatagramException(COMPRESSION, "payload inflates beyond "
                            + Limits.MAX_INFLATED_PAYLOAD + " bytes");
                }
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new MalformedDatagramException(COMPRESSION, "compressed payload ends early");
                }
                n += got;
            }
            if (n > Limits.MAX_INFLATED_PAYLOAD) {
                throw new MalformedDatagramException(COMPRESSION, "payload inflates beyond "
                        + Limits.MAX_INFLATED_PAYLOAD + " bytes");
            }
            if (inflater.getRemaining() != 0) {
                throw new MalformedDatagramException(COMPRESSION, inflater.getRemaining()
                        + " bytes trail the compressed stream");
            }
            return ByteBuffer.wrap(out, 0, n);
        } catch (DataFormatException e) {
            throw new MalformedDatagramException(COMPRESSION, "invalid compressed payload: " + e.getMessage());
        } finally {
            inflater.reset();
        }
    }

    private static Decoded readEnvelopes(ByteBuffer p, int count) throws MalformedDatagramException {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        List<Envelope> envelopes = new ArrayList<>(count);
        int unknown = 0;
        for (int i = 0; i < count; i++) {
            need(p, 8 + 4 + 8 + 8 + 1 + 1, i); // up to and including roomLen
            long originNode = p.getLong();
            int originEpoch = p.getInt();
            long seq = p.getLong();
            long originTime = p.getLong();
            int code = p.get() & 0xff;
            int roomLength = p.get() & 0xff;
            String room = text(p, roomLength, utf8, "room", i);
            need(p, 1, i);
            String nick = text(p, p.get() & 0xff, utf8, "nick", i);
            need(p, 2, i);
            int stanzaLength = p.getShort() & 0xffff;
            if (stanzaLength > Limits.MAX_STANZA_BYTES) {
                throw new MalformedDatagramException(BAD_FIELD, "envelope " + i + ": stanza of " + stanzaLength
                        + " bytes");
            }
            String stanza = text(p, stanzaLength, utf8, "stanza", i);
            if (seq <= 0) {
                throw new MalformedDatagramException(BAD_FIELD, "envelope " + i + ": seq " + seq);
            }
            if (!isNormalizedRoom(room)) {
                throw new MalformedDatagramException(BAD_FIELD, "envelope " + i + ": invalid room address");
            }
            Kind kind = Kind.fromCode(code);
            if (kind == null) {
                unknown++;
            } else {
                envelopes.add(new Envelope(originNode, originEpoch, seq, originTime, room, nick, kind, stanza));
            }
        }
        if (p.hasRemaining()) {
            throw new MalformedDatagramException(BAD_FIELD, p.remaining() + " bytes follow the " + count
                    + " declared envelopes");
        }
        return new Decoded(envelopes, unknown);
    }

    private static boolean isNormalizedRoom(String room) {
        try {
            return OverlayRoom.parse(room).jid().equals(room);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void need(ByteBuffer p, int n, int index) throws MalformedDatagramException {
        if (p.remaining() < n) {
            throw new MalformedDatagramException(BAD_FIELD, "envelope " + index + " overruns the payload");
        }
    }

    private static String text(ByteBuffer p, int length, CharsetDecoder utf8, String field, int index)
            throws MalformedDatagramException {
        need(p, length, index);
        ByteBuffer bytes = p.slice().limit(length);
        p.position(p.position() + length);
        try {
            utf8.reset();
            return utf8.decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedDatagramException(BAD_FIELD, "envelope " + index + ": " + field + " is not valid UTF-8");
        }
    }

    /** @return UTF-8 length of {@code s}, or -1 when it holds an unpaired surrogate (not encodable) */
    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return -1;
                }
                n += 4;
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return -1;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
