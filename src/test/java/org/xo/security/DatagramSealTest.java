package org.xo.security;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Test;

/** Sealing and opening on hand-driven clocks (microseconds), so that restarts and waits take no time. */
public class DatagramSealTest {
    private static final long NODE = 0x0a0b0c0d0e0f1011L;
    private static final byte[] OPEN = "XO\2\0 an open datagram, as the codec writes it".getBytes(StandardCharsets.UTF_8);

    private final OverlayKeys key = OverlayKeys.of(OverlayKeys.randomSecret());
    private final AtomicLong clock = new AtomicLong(1_780_000_000_000_000L);

    private Opener receiver() {
        return new Opener(clock::get, Opener.DEFAULT_TOLERANCE);
    }

    private static byte[] opened(Opener opener, OverlayKeys keys, byte[] sealed) throws SealException {
        ByteBuffer open = opener.open(keys, ByteBuffer.wrap(sealed)).datagram();
        byte[] out = new byte[open.remaining()];
        open.get(out);
        return out;
    }

    private static SealException.Reason rejection(Opener opener, OverlayKeys keys, byte[] sealed) {
        return assertThrows(SealException.class, () -> opener.open(keys, ByteBuffer.wrap(sealed))).reason();
    }

    @Test
    public void roundTripWithAFixedOverheadAndTheContentsHidden() throws Exception {
        byte[] sealed = new Sealer(NODE, clock::get).seal(key, OPEN);
        assertEquals(OPEN.length + DatagramSeal.OVERHEAD, sealed.length);
        assertEquals(42, DatagramSeal.OVERHEAD);
        assertTrue(DatagramSeal.isSealed(ByteBuffer.wrap(sealed)));
        assertFalse(new String(sealed, StandardCharsets.ISO_8859_1).contains("open datagram"));
        Opener.Opened opened = receiver().open(key, ByteBuffer.wrap(sealed));
        assertEquals(NODE, opened.sender());
        assertArrayEquals(OPEN, opened(receiver(), key, sealed));
    }

    @Test
    public void everyTamperedByteIsRejected() {
        byte[] sealed = new Sealer(NODE, clock::get).seal(key, OPEN);
        for (int i = 0; i < sealed.length; i++) {
            byte[] t = sealed.clone();
            t[i] ^= 0x01;
            Opener opener = receiver();
            SealException.Reason reason = assertThrows("byte " + i, SealException.class,
                    () -> opener.open(key, ByteBuffer.wrap(t))).reason();
            // The first four bytes say "sealed", the next two pick the key: changed, they fail earlier.
            Set<SealException.Reason> expected = i < 4 ? Set.of(SealException.Reason.UNSEALED)
                    : i < 6 ? Set.of(SealException.Reason.UNKNOWN_KEY) : Set.of(SealException.Reason.UNAUTHENTICATED);
            assertTrue("byte " + i + ": " + reason, expected.contains(reason));
        }
        byte[] cut = java.util.Arrays.copyOf(sealed, sealed.length - 1);
        assertEquals(SealException.Reason.UNAUTHENTICATED, rejection(receiver(), key, cut));
        byte[] headerOnly = java.util.Arrays.copyOf(sealed, 20);
        assertEquals(SealException.Reason.UNAUTHENTICATED, rejection(receiver(), key, headerOnly));
    }

    @Test
    public void anotherKeyIsUnknownAndAClearDatagramUnsealed() {
        byte[] sealed = new Sealer(NODE, clock::get).seal(key, OPEN);
        OverlayKeys other = OverlayKeys.of(OverlayKeys.randomSecret());
        assertEquals(SealException.Reason.UNKNOWN_KEY, rejection(receiver(), other, sealed));
        assertEquals(SealException.Reason.UNSEALED, rejection(receiver(), key, OPEN));
    }

    @Test
    public void anotherKeyWithTheSameIdFailsAuthentication() throws Exception {
        // Forge the header: the other key's datagram claims our key's id.
        OverlayKeys other = OverlayKeys.of(OverlayKeys.randomSecret());
        byte[] sealed = new Sealer(NODE, clock::get).seal(other, OPEN);
        ByteBuffer.wrap(sealed).putShort(4, (short) key.sealing().id());
        assertEquals(SealException.Reason.UNAUTHENTICATED, rejection(receiver(), key, sealed));
    }

    @Test
    public void aReplayIsRejectedAlsoAfterTheReceiverRestarts() throws Exception {
        Sealer sender = new Sealer(NODE, clock::get);
        byte[] first = sender.seal(key, OPEN);
        clock.addAndGet(1000);
        byte[] second = sender.seal(key, OPEN);
        Opener opener = receiver();
        opened(opener, key, second);
        opened(opener, key, first); // out of order is fine
        assertEquals(SealException.Reason.REPLAYED, rejection(opener, key, first));
        assertEquals(SealException.Reason.REPLAYED, rejection(opener, key, second));

        // The receiver restarts later than the tolerance: what was recorded before is stale to it.
        clock.addAndGet(Opener.DEFAULT_TOLERANCE.toNanos() / 1000 + 1);
        Opener restarted = receiver();
        assertEquals(SealException.Reason.STALE, rejection(restarted, key, first));
        assertEquals(SealException.Reason.STALE, rejection(restarted, key, second));
        // The sender's new datagrams pass, and then the old ones are replays by the window too.
        opened(restarted, key, sender.seal(key, OPEN));
        assertEquals(SealException.Reason.REPLAYED, rejection(restarted, key, second));
    }

    @Test
    public void aSendersEarlierRunIsAReplayOnceItsNewRunWasHeard() throws Exception {
        byte[] oldRun = new Sealer(NODE, clock::get).seal(key, OPEN);
        clock.addAndGet(2_000_000);
        byte[] newRun = new Sealer(NODE, clock::get).seal(key, OPEN);
        Opener opener = receiver();
        opened(opener, key, newRun);
        assertEquals(SealException.Reason.REPLAYED, rejection(opener, key, oldRun));
    }

    @Test
    public void theWindowTakesDatagramsOutOfOrderUpToItsSizeAndNoFurther() throws Exception {
        Sealer sender = new Sealer(NODE, clock::get);
        byte[][] sealed = new byte[Opener.WINDOW + 2][];
        for (int i = 0; i < sealed.length; i++) {
            sealed[i] = sender.seal(key, OPEN);
        }
        Opener opener = receiver();
        opened(opener, key, sealed[1]);
        for (int i = sealed.length - 1; i >= 2; i--) {
            opened(opener, key, sealed[i]); // newest first: WINDOW + 1 of them, so sealed[1] falls below the floor
        }
        assertEquals(SealException.Reason.REPLAYED, rejection(opener, key, sealed[1]));
        assertEquals(SealException.Reason.REPLAYED, rejection(opener, key, sealed[0]));
        assertEquals(SealException.Reason.REPLAYED, rejection(opener, key, sealed[sealed.length - 1]));
    }

    @Test
    public void duringARotationBothKeysAreAcceptedAndTheFirstSeals() throws Exception {
        byte[] oldSecret = OverlayKeys.randomSecret();
        byte[] newSecret = OverlayKeys.randomSecret();
        OverlayKeys oldOnly = OverlayKeys.of(oldSecret);
        OverlayKeys step1 = OverlayKeys.of(oldSecret, newSecret);
        OverlayKeys step2 = OverlayKeys.of(newSecret, oldSecret);
        OverlayKeys newOnly = OverlayKeys.of(newSecret);
        Opener opener = receiver();
        Sealer sender = new Sealer(NODE, clock::get);
        byte[] fromStep1 = sender.seal(step1, OPEN);
        byte[] fromStep2 = sender.seal(step2, OPEN);
        assertArrayEquals(OPEN, opened(receiver(), oldOnly, fromStep1)); // step 1 still speaks to nodes not given B
        assertArrayEquals(OPEN, opened(opener, step1, fromStep2));
        assertArrayEquals(OPEN, opened(receiver(), newOnly, fromStep2));
        assertArrayEquals(OPEN, opened(opener, step2, sender.seal(oldOnly, OPEN)));
        assertEquals(SealException.Reason.UNKNOWN_KEY, rejection(receiver(), newOnly, fromStep1));
    }

    @Test
    public void nonceTimesNeverRepeatInARunAndSaltsDifferBetweenRuns() {
        // A clock that stands still and then goes back: the times still increase.
        AtomicLong stuck = new AtomicLong(clock.get());
        Sealer run1 = new Sealer(NODE, stuck::get);
        Set<Long> times = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            if (i == 500) {
                stuck.addAndGet(-10_000_000);
            }
            assertTrue(times.add(timeOf(run1.seal(key, OPEN))));
        }
        // A second run of the same node on the same clock value: another salt, so another nonce.
        Sealer run2 = new Sealer(NODE, stuck::get);
        byte[] a = run1.seal(key, OPEN);
        byte[] b = run2.seal(key, OPEN);
        assertNotEquals(saltOf(a), saltOf(b));
        Set<Integer> salts = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            salts.add(saltOf(new Sealer(NODE, stuck::get).seal(key, OPEN)));
        }
        assertTrue("salts of 100 runs: " + salts.size(), salts.size() >= 99);
    }

    @Test
    public void randomBytesBehindASealedHeaderAreRejectedWithAReasonNeverAnotherException() {
        java.util.Random random = new java.util.Random(11);
        Opener opener = receiver();
        byte[] genuine = new Sealer(NODE, clock::get).seal(key, OPEN);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[random.nextInt(120)];
            random.nextBytes(b);
            if (b.length >= 6 && random.nextBoolean()) {
                System.arraycopy(genuine, 0, b, 0, 6); // the real magic, flags and key id: it gets to the cipher
            }
            try {
                opener.open(key, ByteBuffer.wrap(b));
                throw new AssertionError("random bytes were let in: " + java.util.Arrays.toString(b));
            } catch (SealException expected) {
                assertTrue(expected.reason() != SealException.Reason.REPLAYED);
            }
        }
    }

    @Test
    public void theSenderTableIsBounded() throws Exception {
        Opener opener = receiver();
        byte[] firstSender = new Sealer(1, clock::get).seal(key, OPEN);
        opened(opener, key, firstSender);
        for (long sender = 2; sender <= Opener.MAX_SENDERS + 1; sender++) {
            opened(opener, key, new Sealer(sender, clock::get).seal(key, OPEN));
        }
        // Sender 1 was forgotten: within the tolerance its datagram passes again; older, it is stale.
        clock.addAndGet(Duration.ofMinutes(1).toNanos() / 1000);
        assertEquals(SealException.Reason.STALE, rejection(opener, key, firstSender));
    }

    private static long timeOf(byte[] sealed) {
        return ByteBuffer.wrap(sealed).getLong(DatagramSeal.SALT_OFFSET + 4);
    }

    private static int saltOf(byte[] sealed) {
        return ByteBuffer.wrap(sealed).getInt(DatagramSeal.SALT_OFFSET);
    }
}
