package org.xo.bench;

import static org.xo.bench.Bench.fmt;
import static org.xo.bench.Bench.intOption;
import static org.xo.bench.Bench.progress;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

import org.xo.core.Kind;
import org.xo.it.EngineOnLink;
import org.xo.it.LossyLink;
import org.xo.it.NetNs;
import org.xo.transport.norm.Libnorm;

/**
 * {@code bin/xo-bench loss}: what a lossy link costs a room, over plain UDP and over NORM. Two real engines in two
 * network namespaces joined by a veth pair whose ends drop 0, 10, 20 and 30 % of incoming UDP packets (nftables
 * {@code numgen random}); one publishes 1,000 groupchat messages of about 100 bytes at 200/s, the other's listener
 * takes them. Latency runs from publish to listener (one JVM, one clock); a message that never arrives counts as
 * infinitely late, so a p99 with more than 1 % lost is {@code inf}. Over UDP the engine's repair (on by default:
 * NACKs for gaps, digests for a lost tail) brings back what the link drops; stragglers are awaited up to 10 s over
 * UDP, 60 s over NORM. Root, nftables and libnorm (Debian's libnorm1).
 */
final class LossBench {
    private static final String ROOM = "loss@conference.xo";
    private static final int WARM_UP = 500;

    private LossBench() {
    }

    static void run(Map<String, String> options) throws Exception {
        int messages = intOption(options, "messages", 1000);
        int rate = intOption(options, "rate", 200);
        List<String> transports = List.of(options.getOrDefault("transports", "udp,norm").split(","));
        List<Integer> losses = new ArrayList<>();
        for (String loss : options.getOrDefault("losses", "0,10,20,30").split(",")) {
            losses.add(Integer.parseInt(loss.trim()));
        }
        try {
            NetNs.requireNftablesOrSkip();
            if (transports.contains("norm")) {
                Libnorm.requireOrSkip();
            }
        } catch (AssertionError | RuntimeException e) { // JUnit's assumption failure, or CI=true's hard failure
            System.err.println("xo-bench loss: " + e.getMessage());
            System.exit(2);
        }
        progress("two namespaces joined by a veth pair with an nftables loss filter on both ends");
        try (LossyLink link = LossyLink.create()) {
            for (String transport : transports) {
                // The first case of a fresh JVM would also measure the JIT compiling the engine's hot paths.
                progress("%s: warm-up, not reported", transport.trim());
                runCase(link, transport.trim(), 0, WARM_UP, rate, false);
            }
            for (String transport : transports) {
                for (int loss : losses) {
                    runCase(link, transport.trim(), loss, messages, rate, true);
                }
            }
        }
    }

    private static void runCase(LossyLink link, String transport, int loss, int messages, int rate, boolean report)
            throws Exception {
        boolean norm = transport.equals("norm");
        link.setLoss(loss);
        AtomicLongArray published = new AtomicLongArray(messages);
        AtomicLongArray arrived = new AtomicLongArray(messages);
        AtomicInteger delivered = new AtomicInteger();
        AtomicInteger duplicates = new AtomicInteger();
        if (report) {
            progress("%s at %d%% loss: %d messages at %d/s...", transport, loss, messages, rate);
        }
        try (EngineOnLink sender = EngineOnLink.start(link, LossyLink.A, 0xA, norm, e -> { }, ROOM);
             EngineOnLink receiver = EngineOnLink.start(link, LossyLink.B, 0xB, norm, e -> {
                 if (e.kind() != Kind.GROUPCHAT) {
                     return;
                 }
                 long now = System.nanoTime();
                 int id = Integer.parseInt(e.stanza().replaceAll(".*<body>(\\d+) .*", "$1"));
                 if (arrived.compareAndSet(id, 0, now)) {
                     delivered.incrementAndGet();
                 } else {
                     duplicates.incrementAndGet();
                 }
             }, ROOM)) {
            Thread.sleep(500); // memberships settle, the state requests of the opens are answered
            String padding = "y".repeat(40);
            long start = System.nanoTime();
            long interval = TimeUnit.SECONDS.toNanos(1) / rate;
            for (int i = 0; i < messages; i++) {
                long due = start + i * interval;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                published.set(i, System.nanoTime());
                sender.engine.publish(ROOM, "alice", Kind.GROUPCHAT, "<message to=\"" + ROOM
                        + "\" type=\"groupchat\"><body>" + i + " " + padding + "</body></message>");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(norm ? 60 : 10);
            while (System.nanoTime() < deadline && delivered.get() < messages) {
                Thread.sleep(20);
            }
            Thread.sleep(200); // late duplicates
        }
        double[] latencies = new double[messages];
        for (int i = 0; i < messages; i++) {
            long at = arrived.get(i);
            latencies[i] = at == 0 ? Double.POSITIVE_INFINITY : (at - published.get(i)) / 1e6;
        }
        if (!report) {
            return;
        }
        Arrays.sort(latencies);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("transport", transport);
        result.put("loss", loss);
        result.put("delivered", delivered.get());
        result.put("total", messages);
        result.put("p50_ms", ms(Bench.percentile(latencies, 50)));
        result.put("p99_ms", ms(Bench.percentile(latencies, 99)));
        result.put("max_ms", ms(latencies[messages - 1]));
        result.put("duplicates", duplicates.get());
        progress("%s at %d%% loss: %d of %d delivered, p50 %s ms, p99 %s ms", transport, loss, delivered.get(),
                messages, result.get("p50_ms"), result.get("p99_ms"));
        Bench.result(result);
    }

    private static String ms(double value) {
        return Double.isInfinite(value) ? "inf" : fmt(value);
    }
}
