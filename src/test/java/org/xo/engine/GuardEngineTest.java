package org.xo.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.Kind;
import org.xo.core.StreamId;
import org.xo.engine.EngineStats.Counter;
import org.xo.sync.RepairMessages;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/**
 * The engine's guard against well-formed hostile envelopes on an open overlay, with a real engine on the loopback
 * interface and this test as the stranger who sends them: sequence jumps, the per-origin rate, STATE_REQUEST floods.
 */
public class GuardEngineTest {
    private static final String LOBBY = "lobby@conference.xo";
    private final List<XoEngine> engines = new ArrayList<>();
    private final EnvelopeCodec codec = new EnvelopeCodec(false);
    private NetworkInterface lo;
    private int port;
    private XoEngine engine;
    private RecordingListener listener;

    @Before
    public void setUp() throws Exception {
        lo = Interfaces.resolve("lo");
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
    }

    @After
    public void tearDown() {
        engines.forEach(XoEngine::close);
    }

    /** One engine with the lobby open; 2 s node timeout: a stream is active for 1 s after its last envelope. */
    private void start(int originRate) throws Exception {
        EngineConfig config = EngineConfig.builder().nodeId(2).udp(UdpConfig.on(lo).withPort(port))
                .discovery(false).dnsSd(false).nodeTimeout(java.time.Duration.ofSeconds(2))
                .beaconInterval(java.time.Duration.ofMillis(500)).originEnvelopesPerSecond(originRate).build();
        listener = new RecordingListener();
        engine = new XoEngine(config, new UdpMulticastTransport(config.udp()), listener);
        engines.add(engine);
        engine.start();
        engine.openRoom(LOBBY);
    }

    private void send(List<Envelope> envelopes) throws Exception {
        try (DatagramChannel out = DatagramChannel.open(StandardProtocolFamily.INET)) {
            out.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
            out.send(ByteBuffer.wrap(codec.encode(envelopes)), new InetSocketAddress(engine.groupOf(LOBBY), port));
        }
    }

    private static Envelope message(long node, long seq) {
        return new Envelope(node, 1, seq, System.currentTimeMillis(), LOBBY, "mallory", Kind.GROUPCHAT,
                "<message type=\"groupchat\"><body>" + seq + "</body></message>");
    }

    private Envelope next() throws InterruptedException {
        Object o = listener.heard.poll(10, TimeUnit.SECONDS);
        assertNotNull("nothing delivered within 10 s", o);
        return (Envelope) o;
    }

    private static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue("timed out waiting for " + what, System.nanoTime() < deadline);
            Thread.sleep(10);
        }
    }

    @Test
    public void aSeqFarAheadOfAnActiveStreamIsDroppedAndOneAfterSilenceIsTaken() throws Exception {
        start(EngineConfig.DEFAULT_ORIGIN_ENVELOPES_PER_SECOND);
        send(List.of(message(7, 1)));
        assertEquals(1, next().seq());
        long jump = 2 + XoEngine.MAX_SEQ_JUMP;
        send(List.of(message(7, jump), message(7, 2)));
        assertEquals("the stream goes on; the jump is dropped", 2, next().seq());
        assertEquals(1, engine.stats().get(Counter.GUARD_SEQ_JUMPS));
        send(List.of(message(7, 2 + XoEngine.MAX_SEQ_JUMP))); // exactly the largest jump allowed
        assertEquals(2 + XoEngine.MAX_SEQ_JUMP, next().seq());

        Thread.sleep(1_100); // the stream has been silent for half the node timeout: after a partition, say
        long far = 100 * XoEngine.MAX_SEQ_JUMP;
        send(List.of(message(7, far)));
        assertEquals(far, next().seq());
        assertEquals(1, engine.stats().get(Counter.GUARD_SEQ_JUMPS));
    }

    @Test
    public void oneOriginOverItsRateIsCutWhileAnotherPassesFully() throws Exception {
        start(10); // bursts of 100
        List<Envelope> batch = new ArrayList<>();
        for (long seq = 1; seq <= 300; seq++) {
            batch.add(message(7, seq));
            if (batch.size() == 10) {
                send(batch);
                batch.clear();
            }
        }
        for (long seq = 1; seq <= 20; seq++) {
            send(List.of(message(8, seq)));
        }
        waitFor("the other origin's 20, none lost", () -> listener.heard.stream()
                .filter(o -> ((Envelope) o).originNode() == 8).count() == 20);
        waitFor("every envelope counted", () -> engine.stats().get(Counter.ENVELOPES_RECEIVED) >= 320);
        long limited = engine.stats().get(Counter.GUARD_RATE_LIMITED);
        assertTrue("the flood was cut to its burst and rate: " + limited, limited >= 150 && limited <= 200);
    }

    @Test
    public void aStateRequestFloodCostsOneReplyPerGap() throws Exception {
        start(EngineConfig.DEFAULT_ORIGIN_ENVELOPES_PER_SECOND);
        engine.publish(LOBBY, "alice", Kind.PRESENCE, "<presence/>");
        long t0 = System.nanoTime();
        for (int round = 0; round < 10; round++) {
            List<Envelope> requests = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                long seq = round * 20L + i;
                requests.add(new Envelope(9, 1, seq, System.currentTimeMillis(), LOBBY, "", Kind.STATE_REQUEST, ""));
            }
            send(requests);
            Thread.sleep(100);
        }
        waitFor("every request counted", () -> engine.stats().get(Counter.ENVELOPES_RECEIVED) >= 200);
        Thread.sleep(600); // the last gap's deferred reply
        double seconds = (System.nanoTime() - t0) / 1e9;
        long replies = engine.stats().get(Counter.STATE_REPLIES_SENT);
        assertTrue("at most one reply per 0.5 s: " + replies + " in " + seconds + " s", replies >= 2
                && replies <= seconds / 0.5 + 1);
        long coalesced = engine.stats().get(Counter.GUARD_STATE_REQUESTS_COALESCED);
        assertTrue("every request without a reply of its own was coalesced: " + coalesced,
                coalesced >= 200 - replies && coalesced < 200);
        assertNull(listener.heard.poll(10, TimeUnit.MILLISECONDS));
    }

    @Test
    public void aDigestClaimingAnActiveStreamFarAheadIsIgnored() throws Exception {
        start(EngineConfig.DEFAULT_ORIGIN_ENVELOPES_PER_SECOND);
        send(List.of(message(7, 1)));
        assertEquals(1, next().seq());
        StreamId stream = new StreamId(7, 1, LOBBY);
        String body = RepairMessages.encodeDigest(List.of(new RepairMessages.DigestEntry(stream, 1,
                1 + 10 * XoEngine.MAX_SEQ_JUMP)));
        send(List.of(new Envelope(9, 1, 1, System.currentTimeMillis(), LOBBY, "", Kind.DIGEST, body)));
        waitFor("the digest's entry ignored", () -> engine.stats().get(Counter.GUARD_SEQ_JUMPS) == 1);
        assertEquals("no gap is chased for it", 0, engine.repairBacklog());
        send(List.of(message(7, 2)));
        assertEquals(2, next().seq());
        assertEquals("the next real message is news, not a repair", 0,
                engine.stats().get(Counter.REPAIR_EVENTS_REPAIRED));
    }
}
