package org.xo.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The 48-bit reference to a room that wire version 2 carries instead of its address, and that overlay ids include:
 * the first 6 bytes of SHA-256 over the normalized room address in UTF-8, as an unsigned number.
 * <p>
 * 48 bits because a receiver resolves the hash only against the rooms it has open: a room of another node that
 * shares a multicast group with an open room and has the same hash would be mis-delivered, and at 2<sup>-48</sup>
 * per envelope that takes about 9,000 years of 1,000 such envelopes a second. Two open rooms of one node with the
 * same hash are ambiguous: their envelopes are dropped and counted, never guessed.
 */
public final class RoomHash {
    public static final int BYTES = 6;

    private RoomHash() {
    }

    /** @return the hash of a room address, 0 to 2<sup>48</sup>-1 */
    public static long of(String room) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(room.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime has SHA-256", e);
        }
        long h = 0;
        for (int i = 0; i < BYTES; i++) {
            h = (h << 8) | (digest[i] & 0xff);
        }
        return h;
    }

    /** Writes a hash as its 6 bytes, big-endian. */
    public static void put(ByteBuffer out, long hash) {
        for (int shift = 8 * (BYTES - 1); shift >= 0; shift -= 8) {
            out.put((byte) (hash >>> shift));
        }
    }

    /** Reads 6 bytes written by {@link #put}; the caller checks that they are there. */
    public static long get(ByteBuffer in) {
        long h = 0;
        for (int i = 0; i < BYTES; i++) {
            h = (h << 8) | (in.get() & 0xff);
        }
        return h;
    }
}
