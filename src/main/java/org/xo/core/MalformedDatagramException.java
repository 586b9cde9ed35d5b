package org.xo.core;

/**
 * A received datagram that the decoder rejects as a whole. Checked: the receive path must count and drop it.
 * Carries no stack trace, since a hostile sender can make the decoder throw at line rate.
 */
public final class MalformedDatagramException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a datagram was rejected; each reason has its own drop counter. */
    public enum Reason {
        /** Not an XO datagram (bad magic). */
        FOREIGN,
        /** An XO wire version this decoder does not know. */
        VERSION,
        /** Flags this decoder does not support (a sealed datagram is opened before it reaches the decoder). */
        FLAGS,
        /** Shorter than its header or its declared payload. */
        TRUNCATED,
        /** Larger than {@link Limits#MAX_DATAGRAM_BYTES}. */
        OVERSIZED,
        /** A field is invalid: bad UTF-8, a length out of bounds, an envelope count mismatch, trailing bytes. */
        BAD_FIELD,
        /** The compressed payload does not inflate, or inflates beyond {@link Limits#MAX_INFLATED_PAYLOAD}. */
        COMPRESSION
    }

    private final Reason reason;

    public MalformedDatagramException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
