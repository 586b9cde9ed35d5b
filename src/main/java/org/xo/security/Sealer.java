package org.xo.security;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.function.LongSupplier;

import javax.crypto.Cipher;

/**
 * Seals the datagrams of one run of one node ({@link DatagramSeal}). One per run: a new one draws a new salt.
 * Thread-safe.
 */
public final class Sealer {
    private final long sender;
    private final int salt;
    private final LongSupplier clockMicros;
    private long lastTime;

    /** @param clockMicros wall clock in microseconds since 1970 */
    public Sealer(long sender, LongSupplier clockMicros) {
        this.sender = sender;
        this.salt = new SecureRandom().nextInt();
        this.clockMicros = clockMicros;
    }

    /** A sealer on the system clock. */
    public Sealer(long sender) {
        this(sender, Sealer::systemMicros);
    }

    static long systemMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    }

    /** @return the sealed form of an open datagram, under the ring's sealing key */
    public byte[] seal(OverlayKeys keys, byte[] open) {
        OverlayKeys.Key key = keys.sealing();
        byte[] sealed = new byte[DatagramSeal.OVERHEAD + open.length];
        ByteBuffer header = ByteBuffer.wrap(sealed);
        DatagramSeal.writeHeader(header, key.id(), sender, salt, nextTime());
        try {
            Cipher cipher = DatagramSeal.cipher(Cipher.ENCRYPT_MODE, key, sender, sealed);
            cipher.doFinal(open, 0, open.length, sealed, DatagramSeal.HEADER_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed to seal: " + e, e); // a JDK without AES-GCM
        }
        return sealed;
    }

    /** The nonce's time: never the same twice in this run, whatever the clock does. */
    private synchronized long nextTime() {
        lastTime = Math.max(lastTime + 1, clockMicros.getAsLong());
        return lastTime;
    }
}
