package org.xo.security;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

import javax.crypto.Cipher;

import static org.xo.security.SealException.Reason.REPLAYED;
import static org.xo.security.SealException.Reason.STALE;
import static org.xo.security.SealException.Reason.UNAUTHENTICATED;
import static org.xo.security.SealException.Reason.UNKNOWN_KEY;
import static org.xo.security.SealException.Reason.UNSEALED;

/**
 * Opens sealed datagrams ({@link DatagramSeal}) and rejects replays, for one receiving node. Nothing of a datagram but
 * its header is looked at before it is authenticated, and the replay state changes only for authentic datagrams.
 * <p>
 * <b>Replay window</b>, per sender (the authenticated node id): the seal's time is strictly increasing within a run
 * of the sender, and a later run (another salt) starts later. The window keeps the current run's {@value #WINDOW}
 * highest times and a floor below them: a time at or below the floor, or one already kept, is a replay. So up to
 * {@value #WINDOW} datagrams may arrive out of order. A datagram of another run is a new run only when it is newer
 * than everything heard; then everything of the earlier runs is a replay, else it is one itself.
 * <p>
 * <b>After this receiver restarts</b> it has no windows. A sender it has no window for is accepted only with a time
 * no older than {@link #DEFAULT_TOLERANCE} before this node's clock: a datagram recorded before a restart and
 * replayed later than that is rejected (STALE). What remains open is a replay within the tolerance of the restart.
 * This is why the nodes of a keyed overlay need clocks that agree within the tolerance (NTP, GPS): a sender whose
 * clock is further behind is never accepted. A sender whose clock is ahead is accepted; it only affects itself.
 * <p>
 * <b>Bound</b>: windows of at most {@value #MAX_SENDERS} senders, the least recently heard forgotten first
 * (it then counts as not heard, see above). Only key holders create windows, since a window is made only after
 * authentication. Thread-safe.
 */
public final class Opener {
    /** Times kept per sender above the floor: how far out of order datagrams may arrive. */
    static final int WINDOW = 64;
    /** Senders whose windows are kept. */
    static final int MAX_SENDERS = 4096;
    /** How far behind this node's clock a first datagram of a sender may be sealed. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofSeconds(30);

    /**
     * The replay state of one sender: its current run (salt), the {@link #WINDOW} highest times of that run,
     * ascending, and a floor at or below which every time is a replay.
     */
    private static final class Window {
        int salt;
        long floor;
        final long[] times = new long[WINDOW];
        int size;

        Window(int salt, long floor) {
            this.salt = salt;
            this.floor = floor;
        }

        long high() {
            return size == 0 ? floor : times[size - 1];
        }

        /** A later run of the sender: everything of the earlier ones is a replay from now on. */
        void newRun(int salt) {
            this.floor = high();
            this.salt = salt;
            this.size = 0;
        }

        /** @return false for a replay; else records the time */
        boolean accept(long time) {
            if (time <= floor) {
                return false;
            }
            int at = Arrays.binarySearch(times, 0, size, time);
            if (at >= 0) {
                return false;
            }
            int insert = -at - 1;
            if (size == WINDOW) {
                if (insert == 0) {
                    return false; // below everything kept: older than the window reaches
                }
                floor = times[0];
                System.arraycopy(times, 1, times, 0, insert - 1);
                times[insert - 1] = time;
                return true;
            }
            System.arraycopy(times, insert, times, insert + 1, size - insert);
            times[insert] = time;
            size++;
            return true;
        }
    }

    private final LongSupplier clockMicros;
    private final long toleranceMicros;
    private final Map<Long, Window> windows = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Window> eldest) {
            return size() > MAX_SENDERS;
        }
    };

    /** @param clockMicros wall clock in microseconds since 1970 */
    public Opener(LongSupplier clockMicros, Duration tolerance) {
        this.clockMicros = clockMicros;
        this.toleranceMicros = tolerance.toNanos() / 1000;
    }

    /** An opener on the system clock with the default tolerance. */
    public Opener() {
        this(Sealer::systemMicros, DEFAULT_TOLERANCE);
    }

    /** What an authentic datagram carried. */
    public record Opened(long sender, ByteBuffer datagram) {
    }

    /**
     * @param sealed read from its position to its limit; the position is left unchanged
     * @return the open datagram inside and its authenticated sender
     * @throws SealException when it is not let in, with the reason
     */
    public Opened open(OverlayKeys keys, ByteBuffer sealed) throws SealException {
        if (!DatagramSeal.isSealed(sealed)) {
            throw new SealException(UNSEALED, "not sealed, and this overlay is keyed");
        }
        int length = sealed.remaining();
        if (length < DatagramSeal.OVERHEAD) {
            throw new SealException(UNAUTHENTICATED, "shorter than a sealed header and tag (" + length + " bytes)");
        }
        byte[] bytes = new byte[length];
        sealed.duplicate().get(bytes);
        ByteBuffer header = ByteBuffer.wrap(bytes);
        int keyId = header.getShort(4) & 0xFFFF;
        long sender = header.getLong(DatagramSeal.SENDER_OFFSET);
        int salt = header.getInt(DatagramSeal.SALT_OFFSET);
        long time = header.getLong(DatagramSeal.SALT_OFFSET + 4);
        OverlayKeys.Key key = keys.byId(keyId);
        if (key == null) {
            throw new SealException(UNKNOWN_KEY, String.format("sealed with key %04x, this node has %s", keyId,
                    keys.idsText()));
        }
        byte[] open;
        try {
            Cipher cipher = DatagramSeal.cipher(Cipher.DECRYPT_MODE, key, sender, bytes);
            open = cipher.doFinal(bytes, DatagramSeal.HEADER_BYTES, length - DatagramSeal.HEADER_BYTES);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new SealException(UNAUTHENTICATED, "fails authentication under key " + key.idText());
        } catch (GeneralSecurityException e) {
            throw new SealException(UNAUTHENTICATED, "cannot be opened: " + e);
        }
        admit(sender, salt, time);
        return new Opened(sender, ByteBuffer.wrap(open));
    }

    private synchronized void admit(long sender, int salt, long time) throws SealException {
        Window window = windows.get(sender);
        if (window == null) {
            long now = clockMicros.getAsLong();
            if (time < now - toleranceMicros) {
                throw new SealException(STALE, String.format("first datagram heard of node %x was sealed %d s ago,"
                        + " more than the %d s allowed", sender, (now - time) / 1_000_000, toleranceMicros / 1_000_000));
            }
            // What the sender sealed before the tolerance is stale to a first contact, and stays a replay after it.
            window = new Window(salt, now - toleranceMicros);
            windows.put(sender, window);
        } else if (salt != window.salt) {
            if (time <= window.high()) {
                throw new SealException(REPLAYED, String.format("node %x sealed it in an earlier run", sender));
            }
            window.newRun(salt);
        }
        if (!window.accept(time)) {
            throw new SealException(REPLAYED, String.format("node %x sealed it at %d, already received or older"
                    + " than its replay window", sender, time));
        }
    }
}
