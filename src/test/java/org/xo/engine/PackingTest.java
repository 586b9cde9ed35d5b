package org.xo.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.DatagramSocket;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import org.junit.After;
import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.Kind;
import org.xo.engine.EngineStats.Counter;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/**
 * Datagrams packed by compressed size: a burst of chat fills datagrams up to the payload budget after compression,
 * never beyond it, and what does not compress as estimated is split, not sent oversized. Real UDP on loopback.
 */
public class PackingTest {
    private static final String ROOM = "packing@conference.xo";
    private static final int BUDGET = 1400;

    private XoEngine sender;
    private XoEngine receiver;
    private final ConcurrentHashMap<Long, Envelope> heard = new ConcurrentHashMap<>();

    @After
    public void close() {
        if (sender != null) {
            sender.close();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    private MuteableTransport start(boolean compression) throws Exception {
        NetworkInterface lo = Interfaces.resolve("lo");
        int port;
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        // Pacing that holds a burst's partial datagrams long enough for the burst to fill them.
        EngineConfig.Builder config = EngineConfig.builder().udp(UdpConfig.on(lo).withPort(port)).discovery(false)
                .repair(false).compression(compression).payloadBudget(BUDGET).initialRtt(Duration.ofMillis(100))
                .maxDelay(Duration.ofMillis(200));
        receiver = new XoEngine(config.nodeId(2).build(), new UdpMulticastTransport(config.build().udp()),
                e -> heard.put(e.seq(), e));
        receiver.start();
        receiver.openRoom(ROOM);
        MuteableTransport radio = new MuteableTransport(new UdpMulticastTransport(config.build().udp()));
        sender = new XoEngine(config.nodeId(1).build(), radio, e -> { });
        sender.start();
        sender.openRoom(ROOM);
        return radio;
    }

    private static String chat(int i, String body) {
        return "<message to=\"" + ROOM + "\" type=\"groupchat\" id=\"m" + i + "\"><body>" + body + "</body></message>";
    }

    private List<Envelope> burst(int messages, IntFunction<String> body) {
        List<Envelope> sent = new ArrayList<>();
        for (int i = 0; i < messages; i++) {
            sent.add(sender.publish(ROOM, "alice", Kind.GROUPCHAT, chat(i, body.apply(i))));
        }
        return sent;
    }

    @Test
    public void aBurstOfChatIsPackedByCompressedSizeWithinTheBudget() throws Exception {
        MuteableTransport radio = start(true);
        int before = radio.sent.size();
        List<Envelope> sent = burst(300, i -> "message " + i + " of the burst, about the convoy's next waypoint");
        waitHeard(sent);
        List<MuteableTransport.Sent> datagrams = radio.sent.subList(before, radio.sent.size());
        int raw = sent.stream().mapToInt(EnvelopeCodec::encodedSize).sum();
        int byRawSize = (raw + BUDGET - 1) / BUDGET;
        for (MuteableTransport.Sent d : datagrams) {
            assertTrue("a datagram of " + d.bytes() + " bytes exceeds the budget",
                    d.bytes() <= BUDGET + EnvelopeCodec.MAX_HEADER_BYTES);
        }
        assertTrue(datagrams.size() + " datagrams for 300 messages; packing by raw size needs at least " + byRawSize,
                datagrams.size() < byRawSize * 0.7);
    }

    @Test
    public void envelopesThatCompressWorseThanEstimatedAreSplitNotSentOversized() throws Exception {
        MuteableTransport radio = start(true);
        // Learn a very good ratio from repetitive chat, then send incompressible bodies of the same raw size.
        waitHeard(burst(200, i -> "x".repeat(60)));
        heard.clear();
        int before = radio.sent.size();
        Random random = new Random(7);
        List<Envelope> noise = burst(200, i -> {
            StringBuilder b = new StringBuilder();
            for (int c = 0; c < 60; c++) {
                b.append((char) ('!' + random.nextInt(90)));
            }
            return b.toString().replace("<", "a").replace("&", "b");
        });
        waitHeard(noise);
        for (MuteableTransport.Sent d : radio.sent.subList(before, radio.sent.size())) {
            assertTrue("a datagram of " + d.bytes() + " bytes exceeds the budget",
                    d.bytes() <= BUDGET + EnvelopeCodec.MAX_HEADER_BYTES);
        }
        assertTrue("the first noisy datagrams were split", sender.stats().get(Counter.DATAGRAMS_SPLIT) > 0);
    }

    @Test
    public void withoutCompressionDatagramsArePackedByRawSize() throws Exception {
        MuteableTransport radio = start(false);
        int before = radio.sent.size();
        waitHeard(burst(100, i -> "message " + i + " of the burst, about the convoy's next waypoint"));
        for (MuteableTransport.Sent d : radio.sent.subList(before, radio.sent.size())) {
            assertTrue(d.bytes() <= BUDGET + EnvelopeCodec.MAX_HEADER_BYTES);
        }
        assertEquals(0, sender.stats().get(Counter.DATAGRAMS_SPLIT));
    }

    private void waitHeard(List<Envelope> sent) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && !sent.stream().allMatch(e -> heard.containsKey(e.seq()))) {
            Thread.sleep(20);
        }
        assertTrue("every message arrived", sent.stream().allMatch(e -> heard.containsKey(e.seq())));
    }
}
