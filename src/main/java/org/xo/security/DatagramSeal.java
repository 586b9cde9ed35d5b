package org.xo.security;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The sealed datagram: an open XO datagram (see {@code org.xo.core.EnvelopeCodec}), authenticated and encrypted
 * with AES-256-GCM under the overlay key. Big-endian; the header is in clear and authenticated (GCM's associated
 * data), the rest is ciphertext:
 * <pre>
 * sealed = magic     2 bytes  'X' 'O', as every XO datagram
 *          version   u8       2
 *          flags     u8       0x80 exactly: sealed (an open node drops it as dropped.sealed, never parses it)
 *          keyId     u16      which key of the ring ({@link OverlayKeys}); an unknown one is dropped.unknown-key
 *          sender    i64      the sending node's id
 *          salt      u32      random, drawn once per run of the sender
 *          time      i64      microseconds since 1970 at sealing, strictly increasing within the run
 *          ciphertext         of the whole open datagram, followed by the 16-byte GCM tag
 * </pre>
 * Overhead: {@value #OVERHEAD} bytes per datagram (26 of header, 16 of tag).
 * <p>
 * <b>Key and nonce.</b> Each sender seals under its own subkey, HMAC-SHA256(overlay key, "xo seal v1" || sender), and
 * the 96-bit GCM nonce is salt || time. Nonces never repeat under one subkey: within a run, time is strictly
 * increasing (the next value is the clock or the previous value plus one, whichever is larger); across runs, the
 * salt is drawn anew, so a repeat would need the same 32-bit salt <em>and</em> the same microsecond, which only a
 * clock set back between runs makes possible at all. Across senders the subkeys differ. GCM with a repeated nonce
 * gives away the authentication key, which is why uniqueness does not rest on the clock alone.
 * <p>
 * <b>Why AES-256-GCM</b> rather than ChaCha20-Poly1305: both are JDK AEADs with the same 12-byte nonce and 16-byte
 * tag; AES-GCM is hardware-accelerated by the JDK's intrinsics on x86 (AES-NI, CLMUL) and ARMv8 and is FIPS-approved,
 * which procurement for tactical networks tends to ask for. ChaCha20 would be the pick on CPUs without AES
 * instructions.
 * <p>
 * <b>Replays</b>: the time field doubles as a per-sender sequence, see {@link Opener}.
 */
public final class DatagramSeal {
    static final int FLAG_SEALED = 0x80;
    private static final int VERSION = 2;
    static final int HEADER_BYTES = 2 + 1 + 1 + 2 + 8 + 4 + 8;
    static final int TAG_BYTES = 16;
    /** Bytes a sealed datagram has more than the open one. */
    public static final int OVERHEAD = HEADER_BYTES + TAG_BYTES;
    static final int SENDER_OFFSET = 6;
    static final int SALT_OFFSET = 14;
    private static final byte[] SUBKEY_LABEL = "xo seal v1".getBytes(StandardCharsets.US_ASCII);

    private DatagramSeal() {
    }

    /** @return whether the datagram claims to be sealed (magic, version, the sealed flag alone); position unchanged */
    public static boolean isSealed(ByteBuffer datagram) {
        int p = datagram.position();
        return datagram.remaining() >= 4 && datagram.get(p) == 'X' && datagram.get(p + 1) == 'O'
                && datagram.get(p + 2) == VERSION && (datagram.get(p + 3) & 0xFF) == FLAG_SEALED;
    }

    static void writeHeader(ByteBuffer out, int keyId, long sender, int salt, long time) {
        out.put((byte) 'X').put((byte) 'O').put((byte) VERSION).put((byte) FLAG_SEALED)
                .putShort((short) keyId).putLong(sender).putInt(salt).putLong(time);
    }

    /** A GCM cipher set up for one datagram of {@code sender} under {@code key}; the nonce is the header's salt and time. */
    static Cipher cipher(int mode, OverlayKeys.Key key, long sender, byte[] header) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key.secret(), "HmacSHA256"));
        mac.update(SUBKEY_LABEL);
        mac.update(ByteBuffer.allocate(8).putLong(sender).array());
        SecretKeySpec subkey = new SecretKeySpec(mac.doFinal(), "AES");
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, subkey, new GCMParameterSpec(TAG_BYTES * 8, header, SALT_OFFSET, 12));
        cipher.updateAAD(header, 0, HEADER_BYTES);
        return cipher;
    }
}
