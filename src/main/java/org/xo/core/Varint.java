package org.xo.core;

import java.nio.ByteBuffer;

/**
 * Unsigned LEB128 varints (7 bits a byte, least significant group first, high bit set on every byte but the last)
 * and the zigzag mapping of signed numbers onto them, as wire version 2 and overlay ids use them.
 */
public final class Varint {
    /** A 64-bit number takes at most 10 bytes. */
    public static final int MAX_BYTES = 10;

    private Varint() {
    }

    public static void write(ByteBuffer out, long value) {
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out.put((byte) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.put((byte) v);
    }

    /** @return the bytes {@link #write} takes for {@code value} */
    public static int size(long value) {
        int n = 1;
        for (long v = value >>> 7; v != 0; v >>>= 7) {
            n++;
        }
        return n;
    }

    public static long zigzag(long signed) {
        return (signed << 1) ^ (signed >> 63);
    }

    public static long unzigzag(long encoded) {
        return (encoded >>> 1) ^ -(encoded & 1);
    }
}
