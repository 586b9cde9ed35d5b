package org.xo.core;

/**
 * Hard bounds of the XO wire format, shared by the codec, the engine's publish checks and the decoder's guards.
 * A datagram under these limits always fits one IPv4 UDP datagram (65,507 bytes of payload at most).
 */
public final class Limits {
    /** Overlay room address ({@code name@service}) in UTF-8 bytes; the wire length prefix is one byte. */
    public static final int MAX_ROOM_BYTES = 255;
    /** Occupant nick in UTF-8 bytes; the wire length prefix is one byte. */
    public static final int MAX_NICK_BYTES = 255;
    /** One stanza in UTF-8 bytes: leaves room for the envelope fields and the header inside one datagram. */
    public static final int MAX_STANZA_BYTES = 60_000;
    /** A whole datagram, header included. */
    public static final int MAX_DATAGRAM_BYTES = 65_000;
    /** Envelopes in one datagram; the wire count is one byte. */
    public static final int MAX_ENVELOPES_PER_DATAGRAM = 255;
    /** A compressed payload may not inflate beyond this: the zip-bomb guard. */
    public static final int MAX_INFLATED_PAYLOAD = 65_000;

    private Limits() {
    }
}
