package org.xo.core;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batches envelopes per multicast group with the timeout algorithm of Leggio and Kojo ("On the efficient
 * implementation of instant messaging servers for wireless users", section 5), with the datagram payload budget in
 * the role of the TCP MSS and each group in the role of the destination client A:
 * <ul>
 * <li>an envelope arriving at an empty queue when nothing was sent to its group for at least
 * {@code IMTimeout = γ · EstimatedRTT} (clamped to {@code [0, maxDelay]}), or never, goes out at once, alone;</li>
 * <li>an envelope arriving at an empty queue when a datagram went to its group less than IMTimeout ago is held and
 * the IMTimeout timer is started;</li>
 * <li>while the queued bytes reach the budget, full datagrams go out at once; if something remains the timer is
 * restarted, otherwise it is cancelled;</li>
 * <li>when the timer fires, everything queued goes out (in as few datagrams as the budget allows);</li>
 * <li>an envelope larger than the budget goes out alone at once, after what was queued before it.</li>
 * </ul>
 * Why the first rule: Algorithm 1 of the paper holds even the first message of an idle link for IMTimeout, but the
 * paper sets IMTimeout for a purpose, "at most one small TCP segment is sent on the network in an RTT", and asks it
 * to be as long as interactivity allows. A message after a quiet spell of IMTimeout cannot break that bound, so
 * holding it would only add latency to every lone chat message; a message following another within IMTimeout is
 * where batching pays (a burst), so it waits as in the paper. Consecutive partial datagrams for a group are thus
 * at least IMTimeout apart, except when an oversized envelope or a flush forces out what was held. A timeout of 0
 * (γ 0 or maxDelay 0) sends every envelope at once, alone: no pacing. Quiet is judged per group, not for the whole
 * link: datagrams are per group, so holding an envelope because another group is busy could only delay it.
 * <p>
 * Envelopes are never split or reordered: datagrams for one group leave in submission order, each holding whole
 * envelopes, at most {@link Limits#MAX_ENVELOPES_PER_DATAGRAM} of them. The sink runs under the group's lock (that
 * is what keeps the order), on the submitting thread or on the single daemon timer thread "xo-pacer"; it should
 * be quick (encode and hand to the socket) and should handle its own errors.
 */
public final class Pacer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Pacer.class);
    /** Weight of a new RTT sample in the estimate, as in TCP's smoothed RTT (RFC 6298). */
    private static final double RTT_ALPHA = 1.0 / 8;

    /**
     * @param payloadBudget bytes of envelopes (see {@link EnvelopeCodec#encodedSize}) per datagram, about one MTU
     * @param gamma         IMTimeout = gamma · estimated RTT
     * @param initialRtt    RTT estimate before any sample
     * @param maxDelay      upper bound of the added latency
     */
    public record Settings(int payloadBudget, double gamma, Duration initialRtt, Duration maxDelay) {
        /** 1400-byte payloads, γ = 2, 1 ms initial RTT, at most 50 ms added latency. */
        public static final Settings DEFAULTS = new Settings(1400, 2.0, Duration.ofMillis(1), Duration.ofMillis(50));

        public Settings {
            int maxPayload = EnvelopeCodec.MAX_PAYLOAD_BYTES;
            if (payloadBudget < 1 || payloadBudget > maxPayload) {
                throw new IllegalArgumentException("Payload budget must be 1.." + maxPayload + " bytes, was "
                        + payloadBudget + ".");
            }
            if (!(gamma >= 0) || Double.isInfinite(gamma)) {
                throw new IllegalArgumentException("Gamma must be a finite number >= 0, was " + gamma + ".");
            }
            if (initialRtt == null || initialRtt.isNegative() || maxDelay == null || maxDelay.isNegative()) {
                throw new IllegalArgumentException("Initial RTT and maximum delay must be durations >= 0.");
            }
        }
    }

    private final Settings settings;
    private final ToIntFunction<Envelope> sizer;
    private final BiConsumer<InetAddress, List<Envelope>> sink;
    private final ScheduledExecutorService timer;
    /** Nanosecond ticks, as {@link System#nanoTime}; only differences count. */
    private final LongSupplier clock;
    private final Map<InetAddress, GroupQueue> queues = new ConcurrentHashMap<>();
    private final Object rttLock = new Object();
    private volatile double estimatedRttNanos;
    private volatile boolean closed;

    /**
     * @param sizer bytes an envelope takes in a datagram payload, normally {@link EnvelopeCodec#encodedSize}
     * @param sink  receives each datagram's worth of envelopes for a group, in order
     */
    public Pacer(Settings settings, ToIntFunction<Envelope> sizer, BiConsumer<InetAddress, List<Envelope>> sink) {
        this(settings, sizer, sink, System::nanoTime);
    }

    /** As above, with the clock that tells how long ago a group last sent (tests step it by hand). */
    Pacer(Settings settings, ToIntFunction<Envelope> sizer, BiConsumer<InetAddress, List<Envelope>> sink,
          LongSupplier clock) {
        this.settings = settings;
        this.clock = clock;
        this.sizer = sizer;
        this.sink = sink;
        this.estimatedRttNanos = settings.initialRtt().toNanos();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "xo-pacer");
            t.setDaemon(true);
            return t;
        });
    }

    public Settings settings() {
        return settings;
    }

    /** Folds one RTT measurement into the estimate (exponentially weighted moving average). */
    public void sampleRtt(Duration sample) {
        if (sample.isNegative()) {
            throw new IllegalArgumentException("An RTT sample cannot be negative: " + sample + ".");
        }
        synchronized (rttLock) {
            estimatedRttNanos += RTT_ALPHA * (sample.toNanos() - estimatedRttNanos);
        }
    }

    public Duration estimatedRtt() {
        return Duration.ofNanos((long) estimatedRttNanos);
    }

    /** @return the current hold time of a partial datagram: γ · estimated RTT, clamped to [0, maxDelay] */
    public Duration imTimeout() {
        double nanos = settings.gamma() * estimatedRttNanos;
        long max = settings.maxDelay().toNanos();
        return Duration.ofNanos(nanos >= max ? max : (long) nanos);
    }

    /**
     * Queues an envelope for a group; may hand datagrams to the sink before returning.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public void submit(InetAddress group, Envelope envelope) {
        if (closed) {
            throw new IllegalStateException("The pacer is closed.");
        }
        queues.computeIfAbsent(group, GroupQueue::new).add(envelope, sizer.applyAsInt(envelope));
    }

    /** Sends everything queued for every group now (used at shutdown). */
    public void flushAll() {
        for (GroupQueue q : queues.values()) {
            q.flush();
        }
    }

    /** Flushes, then stops the timer thread. Idempotent. */
    @Override
    public void close() {
        closed = true;
        flushAll();
        timer.shutdownNow();
    }

    /** One group's pending envelopes. All state is guarded by the instance's monitor. */
    private final class GroupQueue {
        private final InetAddress group;
        private final ArrayDeque<Envelope> envelopes = new ArrayDeque<>();
        private final ArrayDeque<Integer> sizes = new ArrayDeque<>();
        private int queuedBytes;
        private boolean sentAny;
        private long lastSentNanos;
        private ScheduledFuture<?> pending;
        /** Identifies the live timer: a timeout firing after a cancel or restart sees a newer value, ignores itself. */
        private long timerGeneration;

        GroupQueue(InetAddress group) {
            this.group = group;
        }

        synchronized void add(Envelope e, int size) {
            int budget = settings.payloadBudget();
            if (size > budget) {
                drain();
                emit(List.of(e));
                cancelTimer();
                return;
            }
            if (envelopes.isEmpty() && idle()) {
                emit(List.of(e));
                return;
            }
            // A datagram never holds more than the budget: what would overflow goes first, as a full datagram.
            if (queuedBytes + size > budget) {
                emit(takeDatagram());
            }
            envelopes.addLast(e);
            sizes.addLast(size);
            queuedBytes += size;
            if (queuedBytes == budget || envelopes.size() == Limits.MAX_ENVELOPES_PER_DATAGRAM) {
                emit(takeDatagram());
            }
            if (envelopes.isEmpty()) {
                cancelTimer();
            } else if (pending == null || queuedBytes == size) {
                // First envelope of a new partial datagram: (re)start IMTimeout with the current RTT estimate.
                cancelTimer();
                startTimer();
            }
        }

        synchronized void flush() {
            drain();
            cancelTimer();
        }

        private synchronized void onTimeout(long generation) {
            if (generation != timerGeneration) {
                return; // superseded by a later restart or a cancel
            }
            pending = null;
            try {
                drain();
            } catch (RuntimeException ex) {
                LOG.warn("Pacer sink failed for group " + group.getHostAddress(), ex);
            }
        }

        private void drain() {
            while (!envelopes.isEmpty()) {
                emit(takeDatagram());
            }
        }

        /** Removes the longest prefix of the queue that fits one datagram. */
        private List<Envelope> takeDatagram() {
            List<Envelope> out = new ArrayList<>();
            int bytes = 0;
            while (!envelopes.isEmpty() && out.size() < Limits.MAX_ENVELOPES_PER_DATAGRAM
                    && bytes + sizes.peekFirst() <= settings.payloadBudget()) {
                int size = sizes.removeFirst();
                bytes += size;
                queuedBytes -= size;
                out.add(envelopes.removeFirst());
            }
            return out;
        }

        private void emit(List<Envelope> datagram) {
            if (!datagram.isEmpty()) {
                sink.accept(group, datagram);
                sentAny = true;
                lastSentNanos = clock.getAsLong();
            }
        }

        /** @return whether nothing went to this group for at least IMTimeout: a new envelope need not wait */
        private boolean idle() {
            return !sentAny || clock.getAsLong() - lastSentNanos >= imTimeout().toNanos();
        }

        private void startTimer() {
            long generation = ++timerGeneration;
            try {
                pending = timer.schedule(() -> onTimeout(generation), imTimeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closing) {
                drain(); // closed concurrently: nothing will fire any more, so send now rather than never
            }
        }

        private void cancelTimer() {
            timerGeneration++;
            if (pending != null) {
                pending.cancel(false);
                pending = null;
            }
        }
    }
}
