package org.xo.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Test;

public class PacerTest {
    private static final InetAddress G1 = group("239.193.150.3");
    private static final InetAddress G2 = group("239.192.222.88");

    private record Sent(InetAddress group, List<Envelope> envelopes, String thread) {
    }

    private final LinkedBlockingQueue<Sent> sent = new LinkedBlockingQueue<>();
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
                (g, list) -> sent.add(new Sent(g, List.copyOf(list), Thread.currentThread().getName())));
        return pacer;
    }

    private static Envelope env(long size) {
        return new Envelope(1, 1, size, 0, "lobby@conference.xo", "n", Kind.GROUPCHAT, "");
    }

    @Test
    public void batchesSmallEnvelopesUntilTheTimerFires() throws Exception {
        // IMTimeout 200 ms: ample for the submissions below to land in one batch.
        pacer(1000, Duration.ofMillis(100), Duration.ofMillis(500));
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
        assertEquals(null, sent.poll(100, TimeUnit.MILLISECONDS));
    }

    @Test
    public void sendsFullDatagramsAtOnceWhenTheBudgetIsReached() throws Exception {
        // A timer that would never fire during the test: only the budget can trigger these sends.
        pacer(100, Duration.ofHours(1)).sampleRtt(Duration.ofHours(10));
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
        for (int i = 0; i < 300; i++) {
            pacer.submit(G1, env(1));
        }
        assertEquals(Limits.MAX_ENVELOPES_PER_DATAGRAM, sent.poll().envelopes().size());
        pacer.flushAll();
        assertEquals(300 - Limits.MAX_ENVELOPES_PER_DATAGRAM, sent.poll().envelopes().size());
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
