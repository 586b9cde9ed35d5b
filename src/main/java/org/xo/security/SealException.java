package org.xo.security;

/**
 * A received datagram that the overlay key does not let in, dropped before any of its contents is parsed. Carries no
 * stack trace: a hostile sender can cause it at line rate.
 */
public final class SealException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why; each has its own drop counter. */
    public enum Reason {
        /** A clear (or foreign) datagram on a keyed overlay. */
        UNSEALED,
        /** Sealed under a key id this node's ring does not hold: another overlay, or a key rotated away. */
        UNKNOWN_KEY,
        /** Fails authentication: forged, tampered with, cut short, or sealed with another key of the same id. */
        UNAUTHENTICATED,
        /** Authentic, but already received from its sender, or older than what the replay window still holds. */
        REPLAYED,
        /** Authentic, from a sender not heard yet, but sealed longer ago than the clock tolerance allows. */
        STALE
    }

    private final Reason reason;

    SealException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
