package org.xo.bench;

import static org.xo.bench.Bench.fmt;
import static org.xo.bench.Bench.intOption;
import static org.xo.bench.Bench.progress;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.NetworkInterface;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.xo.core.EnvelopeCodec;
import org.xo.core.Kind;
import org.xo.engine.EngineConfig;
import org.xo.engine.EngineStats.Counter;
import org.xo.engine.XoEngine;
import org.xo.transport.Interfaces;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/**
 * {@code bin/xo-bench bytes}: UDP payload bytes on the air per groupchat message, for bodies of several sizes, sent
 * one message per datagram and in bursts, in rooms of M occupants. Two real engines on loopback multicast with the
 * default settings (compression on); the figures are the sender's own byte counter (UDP payload, no IP/UDP headers)
 * and every message must reach the other engine. Bodies are English-like text (common words), so compression is
 * what real chat sees. The stanza is the plain groupchat message that travels body-only.
 */
final class BytesBench {
    private static final String[] WORDS = ("the of and to in is you that it he was for on are as with his they at be "
            + "this have from or one had by word but not what all were we when your can said there use an each which "
            + "she do how their if will up other about out many then them these so some her would make like him into "
            + "time has look two more write go see number no way could people my than first water been call who oil "
            + "its now find long down day did get come made may part").split(" ");
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private BytesBench() {
    }

    static void run(Map<String, String> options) throws Exception {
        int messages = intOption(options, "messages", 100);
        int burst = intOption(options, "burst", 10);
        NetworkInterface lo = Interfaces.resolve("lo");
        for (int body : new int[] {5, 50, 200}) {
            for (int occupants : new int[] {1, 10, 100}) {
                progress("body %d bytes, %d occupants: %d messages one per datagram, then %d bursts of %d", body,
                        occupants, messages, messages / burst, burst);
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("body_bytes", body);
                result.put("occupants", occupants);
                measure(lo, body, occupants, messages, burst, result);
                Bench.result(result);
            }
        }
    }

    private static void measure(NetworkInterface lo, int bodyBytes, int occupants, int messages, int burst,
                                Map<String, Object> result) throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        String room = "bench" + bodyBytes + "x" + occupants + "@conference.xo";
        AtomicLong delivered = new AtomicLong();
        try (XoEngine sender = engine(1, lo, port, e -> { });
             XoEngine receiver = engine(2, lo, port, e -> delivered.incrementAndGet())) {
            receiver.openRoom(room);
            sender.openRoom(room);
            for (int i = 1; i <= occupants; i++) {
                String nick = "occupant" + i;
                sender.publish(room, nick, Kind.PRESENCE, "<presence><x xmlns=\"http://jabber.org/protocol/muc#user\">"
                        + "<item affiliation=\"none\" role=\"participant\"/></x></presence>");
            }
            await(() -> delivered.get() >= occupants, "the occupants' presences");
            Random random = new Random(bodyBytes * 1000L + occupants);

            long bytes = sender.stats().get(Counter.BYTES_SENT);
            long datagrams = sender.stats().get(Counter.DATAGRAMS_SENT);
            long before = delivered.get();
            for (int i = 0; i < messages; i++) {
                long sent = sender.stats().get(Counter.DATAGRAMS_SENT);
                sender.publish(room, "occupant1", Kind.GROUPCHAT, stanza(random, bodyBytes));
                await(() -> sender.stats().get(Counter.DATAGRAMS_SENT) > sent, "message " + i + " sent");
            }
            await(() -> delivered.get() - before == messages, "every single message delivered");
            long singleBytes = sender.stats().get(Counter.BYTES_SENT) - bytes;
            long singleDatagrams = sender.stats().get(Counter.DATAGRAMS_SENT) - datagrams;
            if (singleDatagrams != messages) {
                throw new IllegalStateException(singleDatagrams + " datagrams for " + messages + " lone messages");
            }

            int bursts = messages / burst;
            bytes = sender.stats().get(Counter.BYTES_SENT);
            datagrams = sender.stats().get(Counter.DATAGRAMS_SENT);
            long envelopes = sender.stats().get(Counter.ENVELOPES_SENT);
            long burstBefore = delivered.get();
            for (int b = 0; b < bursts; b++) {
                long queued = sender.stats().get(Counter.ENVELOPES_SENT) + burst;
                for (int i = 0; i < burst; i++) {
                    sender.publish(room, "occupant1", Kind.GROUPCHAT, stanza(random, bodyBytes));
                }
                await(() -> sender.stats().get(Counter.ENVELOPES_SENT) >= queued, "burst " + b + " sent");
            }
            await(() -> delivered.get() - burstBefore == (long) bursts * burst, "every burst message delivered");
            long burstMessages = sender.stats().get(Counter.ENVELOPES_SENT) - envelopes;
            long burstBytes = sender.stats().get(Counter.BYTES_SENT) - bytes;
            long burstDatagrams = sender.stats().get(Counter.DATAGRAMS_SENT) - datagrams;

            result.put("xo_bytes_per_msg", fmt((double) singleBytes / messages));
            result.put("xo_burst_bytes_per_msg", fmt((double) burstBytes / burstMessages));
            result.put("burst_datagrams_per_msg", fmt((double) burstDatagrams / burstMessages));
            progress("one per datagram: %s bytes/message; bursts: %s bytes/message in %d datagrams",
                    fmt((double) singleBytes / messages), fmt((double) burstBytes / burstMessages), burstDatagrams);
        }
    }

    private static XoEngine engine(long id, NetworkInterface lo, int port, org.xo.engine.EngineListener listener)
            throws IOException {
        EngineConfig config = EngineConfig.builder().nodeId(id).nodeName("bytes-" + id)
                .udp(UdpConfig.on(lo).withPort(port)).discovery(false).build();
        XoEngine engine = new XoEngine(config, new UdpMulticastTransport(config.udp()), listener);
        engine.start();
        return engine;
    }

    /** A plain groupchat message whose body is exactly {@code bytes} bytes of English-like ASCII text. */
    static String stanza(Random random, int bytes) {
        StringBuilder body = new StringBuilder();
        while (body.length() < bytes) {
            body.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
        }
        body.setLength(bytes);
        return EnvelopeCodec.BODY_ONLY_PREFIX + body + EnvelopeCodec.BODY_ONLY_SUFFIX;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Timed out waiting for " + what + ".");
            }
            Thread.sleep(0, 200_000);
        }
    }
}
