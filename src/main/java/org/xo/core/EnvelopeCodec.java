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
 * Envelopes to and from datagram bytes, wire version 2. Fixed-size integers are big-endian (network order); varint
 * is an unsigned LEB128 varint and zigzag a signed number mapped onto one ({@link Varint}).
 * <pre>
 * datagram = magic       2 bytes  'X' 'O' (0x58 0x4F)
 *            version     u8       2
 *            flags       u8       bit0 = payload is raw DEFLATE (RFC 1951) with {@link #DICTIONARY} as preset
 *                                 dictionary; bit7 alone = sealed, opened before the codec sees it (see
 *                                 org.xo.security.DatagramSeal); any other bit → dropped (FLAGS)
 *            originNode  i64      origin of the datagram's first envelope, and of every other that does not say
 *            originEpoch i32      otherwise (a state reply repeats subjects of other origins)
 *            baseTime    zigzag   origin time of the first envelope, milliseconds since originEpoch × 1000
 *            payload              to the end of the datagram (after inflation when bit0 is set): 1..255 envelopes
 *                                 back to back, nothing after the last
 * envelope = head        u8       bits 0-6 kind code; bit 7 = a form byte follows
 *            form        u8       only when head bit 7 is set, then not 0; without it all four bits are 0:
 *                                 bit0 = stanza is XML, else the compact message form below
 *                                 bit1 = room is the full address, else its {@link RoomHash}
 *                                 bit2 = the envelope's own originNode i64 and originEpoch i32 follow
 *                                 bit3 = the compact message has an id (only without bit0)
 *                                 bits 4-7 reserved, 0
 *            [originNode i64, originEpoch i32]  when form bit2
 *            seq         varint   1.. (the envelope's number in its stream, see {@link Envelope})
 *            timeDelta   zigzag   origin time minus the datagram's origin time (baseTime)
 *            room        6 bytes  {@link RoomHash}, or when form bit1: roomLen u8 + room UTF-8 (normalized
 *                                 {@link OverlayRoom} address, 1..255 bytes)
 *            nickLen u8 + nick UTF-8 (0..255 bytes)
 *            [idLen u8 + id UTF-8 (0..255 bytes)]  when form bit3
 *            stanzaLen varint + stanza UTF-8 (0..{@value Limits#MAX_STANZA_BYTES} bytes); in the compact form the
 *                                 text is the body only, see below
 * </pre>
 * The compact message form stands for exactly one of two stanza texts, character for character, and the receiver
 * rebuilds that very text:
 * <pre>
 *   without id (form bit3 clear): {@value #BODY_ONLY_PREFIX}BODY{@value #BODY_ONLY_SUFFIX}
 *   with id (form bit3 set):      {@value #ID_PREFIX}ID{@value #ID_SUFFIX}BODY{@value #BODY_ONLY_SUFFIX}
 * </pre>
 * BODY is the escaped text between {@code <body>} and {@code </body>} as it was (no {@code <} in it), ID the escaped
 * text of the id attribute as it was (no {@code <} and no {@code "} in it, at most 255 bytes): nothing is unescaped
 * or normalized. Attribute order is type then id, as written above; the same message with its attributes the other
 * way round, another quote character, whitespace, a namespace declaration or any other attribute or child is XML.
 * The adapter writes a client's plain groupchat message in exactly this shape.
 * <p>
 * Repair (see {@code org.xo.sync}) adds two control kinds in the same layout: DIGEST (0x42) and NACK (0x43), with the
 * full room address, an empty nick, a per-run serial as seq (they are not numbered in any room stream) and as stanza
 * the unpadded base64url text of the binary body documented in {@code org.xo.sync.RepairMessages}. Repair answers are
 * no kind of their own: they are the original envelopes, sent again by any node that holds them; where a datagram
 * holds envelopes of several origins, each one whose origin is not the datagram's first carries its own (form bit2,
 * 12 bytes), which is why answers of one stream are sent together.
 * <p>
 * The encoder writes room events (kind codes below 0x40) with the room hash and control envelopes (state requests,
 * beacons, digests, NACKs) with the full address; the compact form whenever the stanza is exactly one of those two texts, whatever
 * the kind. A plain groupchat message alone in a datagram thus costs 16 bytes of header, about 4 of baseTime, and 11
 * plus nick plus body in the envelope (seq and body below 128 bytes); its id adds 3 bytes plus the id.
 * <p>
 * A receiver resolves a room hash against the rooms it has open ({@link RoomIndex}): a hash of no open room is
 * another room's envelope, counted ({@link Decoded#otherRooms()}); a hash two open rooms share is counted as
 * {@link Decoded#ambiguousRooms()}; both are dropped, never delivered to a guessed room.
 * <p>
 * The whole datagram is at most {@value Limits#MAX_DATAGRAM_BYTES} bytes, an inflated payload at most
 * {@value Limits#MAX_INFLATED_PAYLOAD}. Every envelope has the same layout whatever its kind, so an envelope of a
 * kind code this version does not know is skipped and counted ({@link Decoded#unknownKinds()}) while the others of
 * the datagram are kept; kind codes are 7 bits. Decoding is strict: every length and varint is checked before it is
 * used, UTF-8 must be well formed, and nothing may trail the last envelope. Another version (v1 included) is
 * dropped as a whole (reason VERSION): nodes of different wire versions do not understand each other.
 * <p>
 * Thread-safe: each thread reuses its own Deflater/Inflater (creating one per datagram costs more than the
 * compression itself; they cannot be shared between threads).
 */
public final class EnvelopeCodec {
    /** Wire version written and accepted. */
    public static final int VERSION_2 = 2;
    /** The most bytes before the payload: magic, version, flags, origin and the longest baseTime. */
    public static final int MAX_HEADER_BYTES = 2 + 1 + 1 + 8 + 4 + Varint.MAX_BYTES;
    /** The most raw (uncompressed) envelope bytes one datagram carries. */
    public static final int MAX_PAYLOAD_BYTES = Limits.MAX_DATAGRAM_BYTES - MAX_HEADER_BYTES;
    /** The stanza that travels as its body text only, around that text. */
    public static final String BODY_ONLY_PREFIX = "<message type=\"groupchat\"><body>";
    public static final String BODY_ONLY_SUFFIX = "</body></message>";
    /** The compact message with an id, around the id; the body and {@link #BODY_ONLY_SUFFIX} follow. */
    public static final String ID_PREFIX = "<message type=\"groupchat\" id=\"";
    public static final String ID_SUFFIX = "\"><body>";

    private static final byte MAGIC_0 = 0x58;
    private static final byte MAGIC_1 = 0x4F;
    private static final int FLAG_DEFLATE = 0x01;
    private static final int HEAD_FORM = 0x80;
    private static final int FORM_XML = 0x01;
    private static final int FORM_ROOM_NAME = 0x02;
    private static final int FORM_ORIGIN = 0x04;
    private static final int FORM_ID = 0x08;
    private static final int MAX_ID_BYTES = 255;
    /** Codes from here on are control envelopes, sent with the full room address. */
    private static final int FIRST_CONTROL_CODE = 0x40;
    /** An envelope's bytes besides seq, room, nick, id and stanza text, at most: head, form, origin, timeDelta,
     * nickLen, idLen, stanzaLen (3 bytes up to {@link Limits#MAX_STANZA_BYTES}). */
    private static final int ENVELOPE_MAX_FIXED_BYTES = 1 + 1 + 12 + Varint.MAX_BYTES + 1 + 1 + 3;

    /**
     * Preset DEFLATE dictionary: fragments that recur in MUC traffic, so that even a single small stanza compresses.
     * Deflate finds the nearest match cheapest, so the most frequent fragments come last. Part of the wire
     * format: changing it breaks every decoder in the field.
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

    /**
     * A decoded datagram: its envelopes of known kinds and resolved rooms, in wire order, and how many were skipped
     * for an unknown kind, a room hash of no open room, or a room hash two open rooms share.
     */
    public record Decoded(List<Envelope> envelopes, int unknownKinds, int otherRooms, int ambiguousRooms) {
        public Decoded {
            envelopes = List.copyOf(envelopes);
        }
    }

    /**
     * @return at least the bytes an envelope that passes {@link #checkBounds} takes inside an uncompressed payload
     * (the exact size depends on its neighbours): the pacer's budget unit
     */
    public static int encodedSize(Envelope e) {
        Compact compact = Compact.of(e.stanza());
        int text = compact == null ? utf8Length(e.stanza())
                : utf8Length(compact.body()) + (compact.id() == null ? 0 : utf8Length(compact.id()));
        return ENVELOPE_MAX_FIXED_BYTES + Varint.size(e.seq()) + roomBytes(e) + utf8Length(e.nick()) + text;
    }

    /** @return whether the stanza travels in the compact message form (see the class comment) */
    public static boolean isCompact(String stanza) {
        return Compact.of(stanza) != null;
    }

    private static boolean fullRoom(Envelope e) {
        return e.kind().code() >= FIRST_CONTROL_CODE;
    }

    private static int roomBytes(Envelope e) {
        return fullRoom(e) ? 1 + utf8Length(e.room()) : RoomHash.BYTES;
    }

    /** A stanza in the compact message form: its id text (null for none) and body text, both escaped as written. */
    private record Compact(String id, String body) {
        /** @return the parts of a stanza that is exactly one of the compact texts, else null */
        static Compact of(String stanza) {
            if (!stanza.endsWith(BODY_ONLY_SUFFIX)) {
                return null;
            }
            int bodyEnd = stanza.length() - BODY_ONLY_SUFFIX.length();
            if (stanza.startsWith(BODY_ONLY_PREFIX) && bodyEnd >= BODY_ONLY_PREFIX.length()) {
                return ofParts(null, stanza.substring(BODY_ONLY_PREFIX.length(), bodyEnd));
            }
            if (!stanza.startsWith(ID_PREFIX)) {
                return null;
            }
            int idEnd = stanza.indexOf(ID_SUFFIX, ID_PREFIX.length());
            if (idEnd < 0 || idEnd + ID_SUFFIX.length() > bodyEnd) {
                return null;
            }
            return ofParts(stanza.substring(ID_PREFIX.length(), idEnd), stanza.substring(idEnd + ID_SUFFIX.length(),
                    bodyEnd));
        }

        private static Compact ofParts(String id, String body) {
            boolean idFits = id == null || id.indexOf('"') < 0 && id.indexOf('<') < 0 && utf8Length(id) >= 0
                    && utf8Length(id) <= MAX_ID_BYTES;
            return idFits && body.indexOf('<') < 0 ? new Compact(id, body) : null;
        }

        String stanza() {
            return (id == null ? BODY_ONLY_PREFIX : ID_PREFIX + id + ID_SUFFIX) + body + BODY_ONLY_SUFFIX;
        }
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
        if (size > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("Envelopes of " + size + " bytes do not fit one datagram (payload limit "
                    + MAX_PAYLOAD_BYTES + ").");
        }
        Envelope first = envelopes.get(0);
        ByteBuffer payload = ByteBuffer.allocate(size);
        for (Envelope e : envelopes) {
            putEnvelope(payload, e, first);
        }
        byte[] body = payload.array();
        int bodyLength = payload.position();
        int flags = 0;
        if (compression) {
            byte[] packed = new byte[bodyLength];
            int packedLength = deflate(body, bodyLength, packed);
            if (packedLength > 0) {
                body = packed;
                bodyLength = packedLength;
                flags |= FLAG_DEFLATE;
            }
        }
        ByteBuffer out = ByteBuffer.allocate(MAX_HEADER_BYTES + bodyLength);
        out.put(MAGIC_0).put(MAGIC_1).put((byte) VERSION_2).put((byte) flags);
        out.putLong(first.originNode()).putInt(first.originEpoch());
        Varint.write(out, Varint.zigzag(first.originTime() - first.originEpoch() * 1000L));
        out.put(body, 0, bodyLength);
        byte[] datagram = new byte[out.position()];
        out.flip().get(datagram);
        return datagram;
    }

    private static void putEnvelope(ByteBuffer out, Envelope e, Envelope first) {
        Compact compact = Compact.of(e.stanza());
        boolean ownOrigin = e.originNode() != first.originNode() || e.originEpoch() != first.originEpoch();
        int form = (compact == null ? FORM_XML : compact.id() == null ? 0 : FORM_ID)
                | (fullRoom(e) ? FORM_ROOM_NAME : 0) | (ownOrigin ? FORM_ORIGIN : 0);
        if (form == 0) {
            out.put((byte) e.kind().code());
        } else {
            out.put((byte) (e.kind().code() | HEAD_FORM)).put((byte) form);
        }
        if (ownOrigin) {
            out.putLong(e.originNode()).putInt(e.originEpoch());
        }
        Varint.write(out, e.seq());
        Varint.write(out, Varint.zigzag(e.originTime() - first.originTime()));
        if (fullRoom(e)) {
            byte[] room = e.room().getBytes(StandardCharsets.UTF_8);
            out.put((byte) room.length).put(room);
        } else {
            RoomHash.put(out, RoomHash.of(e.room()));
        }
        byte[] nick = e.nick().getBytes(StandardCharsets.UTF_8);
        out.put((byte) nick.length).put(nick);
        if (compact != null && compact.id() != null) {
            byte[] id = compact.id().getBytes(StandardCharsets.UTF_8);
            out.put((byte) id.length).put(id);
        }
        byte[] stanza = (compact == null ? e.stanza() : compact.body()).getBytes(StandardCharsets.UTF_8);
        Varint.write(out, stanza.length);
        out.put(stanza);
    }

    private static final ThreadLocal<Deflater> DEFLATERS =
            ThreadLocal.withInitial(() -> new Deflater(Deflater.DEFAULT_COMPRESSION, true));
    private static final ThreadLocal<Inflater> INFLATERS = ThreadLocal.withInitial(() -> new Inflater(true));
    /** One byte more than the limit: filling it proves a payload is too large without inflating further. */
    private static final ThreadLocal<byte[]> INFLATE_BUFFERS =
            ThreadLocal.withInitial(() -> new byte[Limits.MAX_INFLATED_PAYLOAD + 1]);

    /** @return the compressed length, or 0 when compressing does not make the input strictly smaller */
    private static int deflate(byte[] in, int length, byte[] out) {
        Deflater deflater = DEFLATERS.get();
        try {
            deflater.setDictionary(DICTIONARY);
            deflater.setInput(in, 0, length);
            deflater.finish();
            int n = 0;
            // The output buffer is as large as the input: if it fills before the stream ends, compression does not pay.
            while (!deflater.finished() && n < out.length) {
                n += deflater.deflate(out, n, out.length - n);
            }
            return deflater.finished() && n < length ? n : 0;
        } finally {
            deflater.reset();
        }
    }

    /**
     * Decodes one received datagram, from its position to its limit (the position is advanced).
     *
     * @param rooms the rooms open here, which room hashes resolve against
     * @throws MalformedDatagramException when any part of the datagram is invalid: nothing of it is delivered
     */
    public Decoded decode(ByteBuffer datagram, RoomIndex rooms) throws MalformedDatagramException {
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
        if (version != VERSION_2) {
            throw new MalformedDatagramException(VERSION, "wire version " + version + ", this node speaks "
                    + VERSION_2);
        }
        if (total > Limits.MAX_DATAGRAM_BYTES) {
            throw new MalformedDatagramException(OVERSIZED, "datagram of " + total + " bytes");
        }
        if (total < 16) {
            throw new MalformedDatagramException(TRUNCATED, "datagram of " + total + " bytes ends inside its header");
        }
        int flags = in.get(3) & 0xff;
        if ((flags & ~FLAG_DEFLATE) != 0) {
            throw new MalformedDatagramException(FLAGS, "unsupported flags 0x" + Integer.toHexString(flags));
        }
        in.position(4);
        long originNode = in.getLong();
        int originEpoch = in.getInt();
        long baseTime = originEpoch * 1000L + Varint.unzigzag(varint(in, TRUNCATED, "the header"));
        if (!in.hasRemaining()) {
            throw new MalformedDatagramException(TRUNCATED, "datagram without envelopes");
        }
        ByteBuffer payload = (flags & FLAG_DEFLATE) != 0 ? inflate(in) : in;
        return readEnvelopes(payload, originNode, originEpoch, baseTime, rooms);
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

    private static Decoded readEnvelopes(ByteBuffer p, long originNode, int originEpoch, long baseTime,
                                         RoomIndex rooms) throws MalformedDatagramException {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        List<Envelope> envelopes = new ArrayList<>();
        int unknown = 0;
        int other = 0;
        int ambiguous = 0;
        for (int i = 0; p.hasRemaining(); i++) {
            if (i == Limits.MAX_ENVELOPES_PER_DATAGRAM) {
                throw new MalformedDatagramException(BAD_FIELD, "more than " + Limits.MAX_ENVELOPES_PER_DATAGRAM
                        + " envelopes");
            }
            String at = "envelope " + i;
            int head = p.get() & 0xff;
            int form = 0;
            if ((head & HEAD_FORM) != 0) {
                need(p, 1, i);
                form = p.get() & 0xff;
                if (form == 0 || (form & ~(FORM_XML | FORM_ROOM_NAME | FORM_ORIGIN | FORM_ID)) != 0
                        || (form & (FORM_XML | FORM_ID)) == (FORM_XML | FORM_ID)) {
                    throw new MalformedDatagramException(BAD_FIELD, at + ": form 0x" + Integer.toHexString(form));
                }
            }
            long node = originNode;
            int epoch = originEpoch;
            if ((form & FORM_ORIGIN) != 0) {
                need(p, 12, i);
                node = p.getLong();
                epoch = p.getInt();
            }
            long seq = varint(p, BAD_FIELD, at);
            if (seq <= 0) {
                throw new MalformedDatagramException(BAD_FIELD, at + ": seq " + Long.toUnsignedString(seq));
            }
            long originTime = baseTime + Varint.unzigzag(varint(p, BAD_FIELD, at));
            String room;
            long hash = 0;
            if ((form & FORM_ROOM_NAME) != 0) {
                need(p, 1, i);
                room = text(p, p.get() & 0xff, utf8, "room", i);
                if (!isNormalizedRoom(room)) {
                    throw new MalformedDatagramException(BAD_FIELD, at + ": invalid room address");
                }
            } else {
                need(p, RoomHash.BYTES, i);
                hash = RoomHash.get(p);
                room = rooms.room(hash);
            }
            need(p, 1, i);
            String nick = text(p, p.get() & 0xff, utf8, "nick", i);
            String id = null;
            if ((form & FORM_ID) != 0) {
                need(p, 1, i);
                id = text(p, p.get() & 0xff, utf8, "id", i);
            }
            long stanzaLength = varint(p, BAD_FIELD, at);
            if (stanzaLength < 0 || stanzaLength > Limits.MAX_STANZA_BYTES) {
                throw new MalformedDatagramException(BAD_FIELD, at + ": stanza of "
                        + Long.toUnsignedString(stanzaLength) + " bytes");
            }
            String stanza = text(p, (int) stanzaLength, utf8, "stanza", i);
            if ((form & FORM_XML) == 0) {
                Compact compact = Compact.ofParts(id, stanza);
                if (compact == null) {
                    throw new MalformedDatagramException(BAD_FIELD, at + ": markup in a compact message");
                }
                stanza = compact.stanza();
            }
            Kind kind = Kind.fromCode(head & ~HEAD_FORM);
            if (kind == null) {
                unknown++;
            } else if (room == null && rooms.isAmbiguous(hash)) {
                ambiguous++;
            } else if (room == null) {
                other++;
            } else {
                envelopes.add(new Envelope(node, epoch, seq, originTime, room, nick, kind, stanza));
            }
        }
        return new Decoded(envelopes, unknown, other, ambiguous);
    }

    /** Reads a varint of at most 10 bytes that fits 64 bits; running out of bytes is malformed for {@code reason}. */
    private static long varint(ByteBuffer p, MalformedDatagramException.Reason reason, String where)
            throws MalformedDatagramException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!p.hasRemaining()) {
                throw new MalformedDatagramException(reason, where + " ends inside a varint");
            }
            int b = p.get() & 0xff;
            if (shift == 63 && b > 1) {
                throw new MalformedDatagramException(BAD_FIELD, where + ": varint beyond 64 bits");
            }
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new MalformedDatagramException(BAD_FIELD, where + ": varint beyond 64 bits");
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
