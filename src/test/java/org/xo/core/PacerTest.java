package org.xo.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.After;
import org.junit.Test;

public class PacerTest {
    private static final InetAddress G1 = group("239.193.150.3");
    private static final InetAddress G2 = group("239.192.222.88");

    private record Sent(InetAddress group, List<Envelope> envelopes, String thread) {
    }

    private final LinkedBlockingQueue<Sent> sent = new LinkedBlockingQueue<>();
    /** The pacer's clock; it stands still unless a test moves it, so "sent recently" stays true. */
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private Pacer pacer;

    @After
    public void close() {
        if (pacer != null) {
            pacer.close();
        }
    }

    /** Each test envelope counts its seq as its size, so budgets are easy to reason about. */
    private Pacer pacer(int budget, Duration maxDelay) {
        return pacer(budget, Duration.ofMillis(1), maxDelay);
    }

    private Pacer pacer(int budget, Duration initialRtt, Duration maxDelay) {
        pacer = new Pacer(new Pacer.Settings(budget, 2.0, initialRtt, maxDelay), e -> (int) e.seq(),
                (g, list) -> sent.add(new Sent(g, List.copyOf(list), Thread.currentThread().getName())), now::get);
        return pacer;
    }

    /** Makes the group's link busy: a lone envelope on an idle link goes out at once; the next ones are paced. */
    private void busy(InetAddress group) {
        pacer.submit(group, env(1));
        assertEquals(List.of(env(1)), sent.poll().envelopes());
    }

    private static Envelope env(long size) {
        return new Envelope(1, 1, size, 0, "lobby@conference.xo", "n", Kind.GROUPCHAT, "");
    }

    @Test
    public void batchesSmallEnvelopesUntilTheTimerFires() throws Exception {
        // IMTimeout 200 ms: ample for the submissions below to land in one batch.
        pacer(1000, Duration.ofMillis(100), Duration.ofMillis(500));
        busy(G1);
        List<Envelope> all = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            Envelope e = env(i); // 210 bytes in all, far below the budget
            all.add(e);
            pacer.submit(G1, e);
        }
        Sent first = sent.poll(10, TimeUnit.SECONDS);
        assertEquals(G1, first.group());
        assertEquals("one datagram, in order", all, first.envelopes());
        assertEquals("xo-pacer", first.thread());
        assertNull(sent.poll(100, TimeUnit.MILLISECONDS));
    }

    @Test
    public void sendsFullDatagramsAtOnceWhenTheBudgetIsReached() throws Exception {
        // A timer that would never fire during the test: only the budget can trigger these sends.
        pacer(100, Duration.ofHours(1)).sampleRtt(Duration.ofHours(10));
        busy(G1);
        pacer.submit(G1, env(40));
        pacer.submit(G1, env(50));
        assertTrue(sent.isEmpty());
        pacer.submit(G1, env(30)); // 120 > 100: the first two leave as one datagram, 30 stays queued
        Sent s = sent.poll();
        assertEquals(List.of(env(40), env(50)), s.envelopes());
        assertTrue(sent.isEmpty());
        pacer.submit(G1, env(70)); // exactly the budget: leaves at once
        assertEquals(List.of(env(30), env(70)), sent.poll().envelopes());
        assertTrue(sent.isEmpty());
        pacer.submit(G1, env(5));
        pacer.flushAll();
        assertEquals(List.of(env(5)), sent.poll().envelopes());
    }

    @Test
    public void oversizedEnvelopeGoesAloneAfterWhatWasQueued() {
        pacer(100, Duration.ofHours(1)).sampleRtt(Duration.ofHours(10));
        busy(G1);
        pacer.submit(G1, env(10));
        pacer.submit(G1, env(20));
        pacer.submit(G1, env(150));
        assertEquals(List.of(env(10), env(20)), sent.poll().envelopes());
        assertEquals(List.of(env(150)), sent.poll().envelopes());
        assertTrue(sent.isEmpty());
    }

    @Test
    public void keepsGroupsApartAndFlushesEachOnItsTimer() throws Exception {
        pacer(1000, Duration.ofMillis(100), Duration.ofMillis(500));
        busy(G1);
        busy(G2);
        pacer.submit(G1, env(1));
        pacer.submit(G2, env(2));
        pacer.submit(G1, env(3));
        List<Sent> got = List.of(sent.poll(10, TimeUnit.SECONDS), sent.poll(10, TimeUnit.SECONDS));
        for (Sent s : got) {
            assertEquals(s.group().equals(G1) ? List.of(env(1), env(3)) : List.of(env(2)), s.envelopes());
        }
        assertTrue(got.get(0).group() != got.get(1).group());
    }

    @Test
    public void neverExceedsTheEnvelopeCountOfADatagram() {
        pacer(10_000, Duration.ofHours(1)).sampleRtt(Duration.ofHours(10));
        busy(G1);
        for (int i = 0; i < 300; i++) {
            pacer.submit(G1, env(1));
        }
        assertEquals(Limits.MAX_ENVELOPES_PER_DATAGRAM, sent.poll().envelopes().size());
        pacer.flushAll();
        assertEquals(300 - Limits.MAX_ENVELOPES_PER_DATAGRAM, sent.poll().envelopes().size());
    }

    @Test
    public void aLoneEnvelopeOnAnIdleLinkGoesOutAtOnceFromTheSubmittingThread() {
        pacer(1000, Duration.ofHours(1)).sampleRtt(Duration.ofHours(10));
        pacer.submit(G1, env(5));
        Sent s = sent.poll(); // handed to the sink inside submit: no timer was involved
        assertEquals(List.of(env(5)), s.envelopes());
        assertEquals(Thread.currentThread().getName(), s.thread());
        pacer.submit(G2, env(6)); // another group's link is idle too
        assertEquals(List.of(env(6)), sent.poll().envelopes());
    }

    @Test
    public void anEnvelopeWithinIMTimeoutOfTheLastDatagramIsHeldOneAfterGoesAtOnce() {
        pacer(1000, Duration.ofMinutes(30), Duration.ofHours(2)); // IMTimeout 1 h: only flushAll sends what is held
        long timeout = pacer.imTimeout().toNanos();
        busy(G1);
        now.addAndGet(timeout - 1);
        pacer.submit(G1, env(7));
        assertNull("sent 1 ns less than IMTimeout ago: held", sent.poll());
        pacer.flushAll(); // the held datagram leaves now, so the quiet spell starts again from here
        assertEquals(List.of(env(7)), sent.poll().envelopes());
        now.addAndGet(timeout - 1);
        pacer.submit(G1, env(8));
        assertNull(sent.poll());
        pacer.flushAll();
        assertEquals(List.of(env(8)), sent.poll().envelopes());
        now.addAndGet(timeout);
        pacer.submit(G1, env(9));
        assertEquals("quiet for IMTimeout: at once", List.of(env(9)), sent.poll().envelopes());
    }

    @Test
    public void theTimerSendsWhatWasHeldAndCountsAsTraffic() throws Exception {
        pacer(1000, Duration.ofMillis(250), Duration.ofSeconds(1)); // IMTimeout 500 ms of real time
        busy(G1);
        pacer.submit(G1, env(2));
        pacer.submit(G1, env(3));
        Sent s = sent.poll(10, TimeUnit.SECONDS);
        assertEquals(List.of(env(2), env(3)), s.envelopes());
        assertEquals("xo-pacer", s.thread());
        pacer.submit(G1, env(4)); // the pacer's clock stood still: the timer's datagram was just now
        assertNull(sent.poll());
        assertEquals(List.of(env(4)), sent.poll(10, TimeUnit.SECONDS).envelopes());
    }

    @Test
    public void aZeroTimeoutSendsEveryEnvelopeAtOnceAlone() {
        pacer(1000, Duration.ZERO);
        for (int i = 1; i <= 3; i++) {
            pacer.submit(G1, env(i));
            assertEquals(List.of(env(i)), sent.poll().envelopes());
        }
    }

    @Test
    public void imTimeoutIsGammaTimesRttClampedToMaxDelay() {
        pacer(1000, Duration.ofMillis(50));
        assertEquals(Duration.ofMillis(2), pacer.imTimeout());
        pacer.sampleRtt(Duration.ofMillis(9)); // EWMA 7/8 · 1 + 1/8 · 9 = 2 ms
        assertEquals(Duration.ofMillis(2), pacer.estimatedRtt());
        assertEquals(Duration.ofMillis(4), pacer.imTimeout());
        for (int i = 0; i < 100; i++) {
            pacer.sampleRtt(Duration.ofSeconds(1));
        }
        assertEquals(Duration.ofMillis(50), pacer.imTimeout());
        assertThrows(IllegalArgumentException.class, () -> pacer.sampleRtt(Duration.ofMillis(-1)));
    }

    @Test
    public void closeFlushesAndRefusesMore() {
        pacer(1000, Duration.ofHours(1)).sampleRtt(Duration.ofHours(10));
        busy(G1);
        pacer.submit(G1, env(7));
        pacer.close();
        assertEquals(List.of(env(7)), sent.poll().envelopes());
        assertThrows(IllegalStateException.class, () -> pacer.submit(G1, env(1)));
    }

    @Test
    public void validatesSettings() {
        assertThrows(IllegalArgumentException.class, () -> new Pacer.Settings(0, 2, Duration.ZERO, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new Pacer.Settings(65_000, 2, Duration.ZERO, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new Pacer.Settings(1400, Double.NaN, Duration.ZERO,
                Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new Pacer.Settings(1400, 2, Duration.ofMillis(-1),
                Duration.ZERO));
    }

    private static InetAddress group(String address) {
        try {
            return InetAddress.getByName(address);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
