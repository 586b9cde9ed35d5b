package org.xo.bench;

import static org.xo.bench.Bench.fmt;
import static org.xo.bench.Bench.intOption;
import static org.xo.bench.Bench.progress;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.Kind;
import org.xo.core.RoomIndex;
import org.xo.engine.EngineConfig;
import org.xo.engine.EngineListener;
import org.xo.engine.MuteableTransport;
import org.xo.engine.XoEngine;
import org.xo.transport.Interfaces;
import org.xo.transport.Transport;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/**
 * {@code bin/xo-bench pacing}: what the pacer costs and saves. Two real engines on loopback multicast (UDP, default
 * settings, compression on, discovery off); one publishes groupchat messages of about 60 bytes of body into one
 * room, the other must receive every one. Cases: steady rates (default 0.5, 1, 10, 100 and 1000 messages/s) and
 * bursts (default 10 bursts of 100 messages published back to back, 1 s apart), each with pacing on (the defaults:
 * γ 2 · RTT 1 ms, so IMTimeout 2 ms) and off ({@code maxDelay} 0: every envelope leaves at once, alone).
 * <p>
 * The sender's UDP transport is wrapped ({@link MuteableTransport}, never muted) so that every datagram it hands to
 * the socket is timestamped and kept; after the case the datagrams are decoded to find which messages each carried.
 * Figures per case:
 * <ul>
 * <li>{@code datagrams_per_msg}: datagrams the sender sent to the room's group during the case, per message;</li>
 * <li>{@code added_latency_ms} (mean) and its {@code _p50_ms} and {@code _p99_ms}: per message, from just before
 * {@code publish} to just before the datagram carrying it is handed to the UDP socket (one JVM, one clock). That is
 * the pacer's hold plus the engine's own work (encoding, compressing); with pacing off only the latter, so the
 * off line at the same rate is the baseline;</li>
 * <li>{@code delivery_p50_ms}, {@code delivery_p99_ms}: publish to the receiving engine's listener, for reference;</li>
 * <li>{@code sent_in_publish}: the share of messages whose datagram was handed to the socket before their
 * {@code publish} call returned (sent at once, or completing a full datagram), not by the pacer's timer;</li>
 * <li>{@code max_msgs_per_datagram}: the most messages one datagram carried (k of a full datagram in bursts).</li>
 * </ul>
 */
final class PacingBench {
    private static final String ROOM = "pacing@conference.xo";
    private static final Pattern ID = Pattern.compile("<body>(\\d+) ");
    private static final String PADDING = " the quick brown fox jumps over the lazy dog, twice over";
    private static final long DELIVERY_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private PacingBench() {
    }

    /** One case: either a steady rate or bursts. */
    private record Case(String rate, double perSecond, int messages, int burst) {
        static Case steady(double perSecond, int messages) {
            return new Case(perSecond == Math.rint(perSecond) ? String.valueOf((long) perSecond)
                    : String.valueOf(perSecond), perSecond, messages, 1);
        }

        static Case bursts(int bursts, int burst) {
            return new Case("burst" + burst, 1, bursts * burst, burst);
        }
    }

    static void run(Map<String, String> options) throws Exception {
        int chatMessages = intOption(options, "chat-messages", 20);
        int messages = intOption(options, "messages", 200);
        int burst = intOption(options, "burst", 100);
        int bursts = intOption(options, "bursts", 10);
        List<Case> cases = new ArrayList<>();
        for (String rate : options.getOrDefault("rates", "0.5,1,10,100,1000").split(",")) {
            double perSecond = Double.parseDouble(rate.trim());
            // Chat rates take long per message: fewer of them.
            cases.add(Case.steady(perSecond, perSecond <= 1 ? chatMessages : messages));
        }
        cases.add(Case.bursts(bursts, burst));
        NetworkInterface lo = Interfaces.resolve("lo");
        for (boolean pacing : new boolean[] {true, false}) {
            runMode(lo, pacing, cases);
        }
    }

    private static void runMode(NetworkInterface lo, boolean pacing, List<Case> cases) throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        int capacity = cases.stream().mapToInt(Case::messages).max().orElse(0);
        AtomicLongArray arrived = new AtomicLongArray(capacity);
        AtomicInteger delivered = new AtomicInteger();
        EngineListener receiving = e -> {
            if (e.kind() != Kind.GROUPCHAT) {
                return;
            }
            long now = System.nanoTime();
            Matcher m = ID.matcher(e.stanza());
            if (m.find() && arrived.compareAndSet(Integer.parseInt(m.group(1)), 0, now)) {
                delivered.incrementAndGet();
            }
        };
        MuteableTransport wire = new MuteableTransport(new UdpMulticastTransport(UdpConfig.on(lo).withPort(port)));
        try (XoEngine sender = engine(1, lo, port, pacing, wire, e -> { });
             XoEngine receiver = engine(2, lo, port, pacing, new UdpMulticastTransport(UdpConfig.on(lo)
                     .withPort(port)), receiving)) {
            receiver.openRoom(ROOM);
            sender.openRoom(ROOM);
            Thread.sleep(500); // memberships settle, the state requests of the opens are answered
            String mode = pacing ? "on" : "off";
            progress("pacing %s: IMTimeout %s ms; warm-up, not reported", mode,
                    fmt(sender.pacingTimeout().toNanos() / 1e6));
            // The first case of a fresh JVM would also measure the JIT compiling the engine's hot paths.
            measure(sender, wire, arrived, delivered, Case.steady(1000, capacity), null);
            measure(sender, wire, arrived, delivered, Case.bursts(Math.min(capacity, 500) / 100, 100), null);
            for (Case c : cases) {
                progress("pacing %s, rate %s: %d messages...", mode, c.rate(), c.messages());
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("pacing", mode);
                result.put("rate", c.rate());
                measure(sender, wire, arrived, delivered, c, result);
                progress("pacing %s, rate %s: %s datagrams/message, added latency p50 %s ms, p99 %s ms", mode,
                        c.rate(), result.get("datagrams_per_msg"), result.get("added_latency_p50_ms"),
                        result.get("added_latency_p99_ms"));
                Bench.result(result);
            }
        }
    }

    /** Runs one case; fills {@code result} (null for a warm-up). */
    private static void measure(XoEngine sender, MuteableTransport wire, AtomicLongArray arrived,
                                AtomicInteger delivered, Case c, Map<String, Object> result) throws Exception {
        int n = c.messages();
        for (int i = 0; i < n; i++) {
            arrived.set(i, 0);
        }
        delivered.set(0);
        long[] published = new long[n];
        long[] returned = new long[n];
        Thread.sleep(1000); // whatever came before is at least one IMTimeout ago: the link is idle
        InetAddress group = sender.groupOf(ROOM);
        wire.sent.clear();
        long interval = (long) (TimeUnit.SECONDS.toNanos(1) / c.perSecond());
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            if (i % c.burst() == 0) {
                long wait = start + (i / c.burst()) * interval - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            String stanza = EnvelopeCodec.BODY_ONLY_PREFIX + i + PADDING + EnvelopeCodec.BODY_ONLY_SUFFIX;
            published[i] = System.nanoTime();
            sender.publish(ROOM, "alice", Kind.GROUPCHAT, stanza);
            returned[i] = System.nanoTime();
        }
        long deadline = System.nanoTime() + DELIVERY_WAIT_NANOS;
        while (delivered.get() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Only " + delivered.get() + " of " + n + " messages arrived.");
            }
            Thread.sleep(1);
        }
        if (result == null) {
            return;
        }
        long[] left = new long[n];
        int datagrams = 0;
        int mostPerDatagram = 0;
        EnvelopeCodec codec = new EnvelopeCodec(true);
        RoomIndex rooms = RoomIndex.of(List.of(ROOM));
        for (MuteableTransport.Sent s : wire.sent) {
            if (!s.group().equals(group)) {
                continue;
            }
            datagrams++;
            int messages = 0;
            for (Envelope e : codec.decode(ByteBuffer.wrap(s.data()), rooms).envelopes()) {
                Matcher m = ID.matcher(e.stanza());
                if (e.kind() == Kind.GROUPCHAT && m.find()) {
                    left[Integer.parseInt(m.group(1))] = s.nanos();
                    messages++;
                }
            }
            mostPerDatagram = Math.max(mostPerDatagram, messages);
        }
        double[] added = new double[n];
        double[] delivery = new double[n];
        int atOnce = 0;
        for (int i = 0; i < n; i++) {
            if (left[i] == 0) {
                throw new IllegalStateException("Message " + i + " arrived but was not seen leaving the sender.");
            }
            if (left[i] < returned[i]) {
                atOnce++;
            }
            added[i] = (left[i] - published[i]) / 1e6;
            delivery[i] = (arrived.get(i) - published[i]) / 1e6;
        }
        double mean = Arrays.stream(added).average().orElse(Double.NaN);
        Arrays.sort(added);
        Arrays.sort(delivery);
        result.put("messages", n);
        result.put("datagrams_per_msg", fmt3((double) datagrams / n));
        result.put("added_latency_ms", fmt3(mean));
        result.put("added_latency_p50_ms", fmt3(Bench.percentile(added, 50)));
        result.put("added_latency_p99_ms", fmt3(Bench.percentile(added, 99)));
        result.put("delivery_p50_ms", fmt3(Bench.percentile(delivery, 50)));
        result.put("delivery_p99_ms", fmt3(Bench.percentile(delivery, 99)));
        result.put("sent_in_publish", fmt3((double) atOnce / n));
        result.put("max_msgs_per_datagram", mostPerDatagram);
        result.put("imtimeout_ms", fmt(sender.pacingTimeout().toNanos() / 1e6));
    }

    private static String fmt3(double value) {
        return String.format(java.util.Locale.ROOT, "%.3f", value);
    }

    private static XoEngine engine(long id, NetworkInterface lo, int port, boolean pacing, Transport transport,
                                   EngineListener listener) throws IOException {
        EngineConfig.Builder config = EngineConfig.builder().nodeId(id).nodeName("pacing-" + id)
                .udp(UdpConfig.on(lo).withPort(port)).discovery(false);
        if (!pacing) {
            config.maxDelay(Duration.ZERO);
        }
        XoEngine engine = new XoEngine(config.build(), transport, listener);
        engine.start();
        return engine;
    }
}
