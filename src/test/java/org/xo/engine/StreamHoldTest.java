package org.xo.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.net.DatagramSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.engine.EngineStats.Counter;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/** A held seq: its overlay id is known before the event is published, and nothing else of the room takes it. */
public class StreamHoldTest {
    private static final String LOBBY = "lobby@conference.xo";
    private static final Duration WAIT = Duration.ofSeconds(5);
    private XoEngine engine;

    @Before
    public void start() throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        UdpConfig udp = UdpConfig.on(Interfaces.resolve("lo")).withPort(port);
        engine = new XoEngine(EngineConfig.builder().nodeId(1).udp(udp).discovery(false).build(),
                new UdpMulticastTransport(udp), e -> { });
        engine.start();
        engine.openRoom(LOBBY);
    }

    @After
    public void stop() {
        engine.close();
    }

    @Test
    public void theHeldEventHasTheOverlayIdTheHoldAnnounced() {
        try (XoEngine.StreamHold hold = engine.holdStream(LOBBY, WAIT)) {
            Envelope published = hold.publish("alice", Kind.GROUPCHAT, "<message/>");
            assertEquals(hold.overlayId(), published.overlayId());
        }
        assertNull("a room that is not open is not held", engine.holdStream("dev@conference.xo", WAIT));
    }

    @Test
    public void otherEventsOfTheRoomWaitForTheHold() throws Exception {
        XoEngine.StreamHold hold = engine.holdStream(LOBBY, WAIT);
        CompletableFuture<Envelope> bob = CompletableFuture.supplyAsync(
                () -> engine.publish(LOBBY, "bob", Kind.GROUPCHAT, "<message/>"));
        Thread.sleep(300);
        assertFalse("bob's message waits for the held seq", bob.isDone());
        Envelope alice = hold.publish("alice", Kind.GROUPCHAT, "<message/>");
        hold.close();
        assertEquals(hold.overlayId(), alice.overlayId());
        assertEquals(alice.seq() + 1, bob.get(5, TimeUnit.SECONDS).seq());
        assertNull("a second hold waits at most its wait", holdWhileHeld());
    }

    private XoEngine.StreamHold holdWhileHeld() throws Exception {
        try (XoEngine.StreamHold first = engine.holdStream(LOBBY, WAIT)) {
            assertNotNull(first);
            return CompletableFuture.supplyAsync(() -> engine.holdStream(LOBBY, Duration.ofMillis(100)))
                    .get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    public void aHoldClosedWithoutAnEventLeavesNoGap() {
        XoEngine.StreamHold hold = engine.holdStream(LOBBY, WAIT);
        hold.close();
        assertEquals(hold.overlayId(), engine.publish(LOBBY, "bob", Kind.GROUPCHAT, "<message/>").overlayId());
    }

    @Test
    public void anAbandonedHoldIsBrokenAfterItsTimeout() {
        XoEngine.StreamHold abandoned = engine.holdStream(LOBBY, WAIT);
        long start = System.nanoTime();
        Envelope next = engine.publish(LOBBY, "bob", Kind.GROUPCHAT, "<message/>");
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue("waited " + waitedMs + " ms", waitedMs >= XoEngine.HOLD_TIMEOUT.toMillis() - 50);
        assertEquals(1, engine.stats().get(Counter.STREAM_HOLDS_BROKEN));
        assertEquals("the broken hold's seq is not lost", abandoned.overlayId(), next.overlayId());
        Envelope late = abandoned.publish("alice", Kind.GROUPCHAT, "<message/>");
        assertEquals(next.seq() + 1, late.seq());
        abandoned.close();
    }
}
