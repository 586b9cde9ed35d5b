package org.xo.bench;

import static org.xo.bench.Bench.intOption;
import static org.xo.bench.Bench.progress;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.Kind;
import org.xo.engine.EngineConfig;
import org.xo.engine.EngineListener;
import org.xo.engine.EngineStats.Counter;
import org.xo.engine.XoEngine;
import org.xo.transport.DatagramHandler;
import org.xo.transport.Interfaces;
import org.xo.transport.Transport;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/**
 * {@code bin/xo-bench merge}: a room split in two while both sides keep chatting, then healed. Real engines on real
 * UDP multicast on the loopback interface, split into two sides (nodes 1..N/2 and the rest) by a filter on each
 * node's receive path that drops what the other side sends (by the datagram header's origin node; during the
 * partition each side holds only its own side's new events, so that is what tells the sides apart). Each node
 * publishes {@code --messages} groupchat messages during the partition; then the filter is lifted and the clock
 * runs until every node's listener has every other node's messages.
 * <p>
 * Keys: {@code converge_ms} from the heal to the last message in place; {@code lost} messages still missing after
 * {@code --timeout} seconds; {@code duplicated} deliveries beyond the first; {@code repair_datagrams} and
 * {@code repair_bytes} all nodes sent from the heal to convergence (digests, NACKs and answers: nothing else is said
 * then), and per message repaired ({@code repair_bytes_per_msg}); {@code nacks} and {@code answers} sent by all nodes
 * (without suppression each node would ask for each other node's stream, and each holder answer); {@code idle_bytes_per_s} what one node sends per second in a quiet room over the {@code --idle} seconds
 * after convergence (digests only; 0 skips it).
 */
final class MergeBench {
    private static final String ROOM = "merge@conference.xo";

    private MergeBench() {
    }

    /** A node's receive path with the partition filter in front. */
    private static final class Partitionable implements Transport {
        private final Transport inner;
        private final Map<Long, Integer> sides;
        private final int side;
        volatile boolean partitioned;

        Partitionable(Transport inner, Map<Long, Integer> sides, int side) {
            this.inner = inner;
            this.sides = sides;
            this.side = side;
        }

        @Override
        public void start(DatagramHandler handler) throws IOException {
            inner.start((data, sender) -> {
                // The header's origin node: bytes 4..11 of every XO datagram.
                if (partitioned && data.remaining() >= 12) {
                    Integer from = sides.get(data.getLong(data.position() + 4));
                    if (from != null && from != side) {
                        return;
                    }
                }
                handler.onDatagram(data, sender);
            });
        }

        @Override
        public void join(InetAddress group) throws IOException {
            inner.join(group);
        }

        @Override
        public void leave(InetAddress group) throws IOException {
            inner.leave(group);
        }

        @Override
        public void send(InetAddress group, ByteBuffer datagram) throws IOException {
            inner.send(group, datagram);
        }

        @Override
        public String kind() {
            return inner.kind();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    private static final class Node {
        final long id;
        final Partitionable transport;
        final XoEngine engine;
        /** (origin, seq) of each groupchat message delivered, with how often. */
        final Map<Long, Map<Long, AtomicInteger>> delivered = new ConcurrentHashMap<>();

        Node(long id, int side, Map<Long, Integer> sides, UdpConfig udp) throws IOException {
            this.id = id;
            transport = new Partitionable(new UdpMulticastTransport(udp), sides, side);
            EngineListener listener = new EngineListener() {
                @Override
                public void onRemoteEvent(Envelope e) {
                    if (e.kind() == Kind.GROUPCHAT) {
                        delivered.computeIfAbsent(e.originNode(), o -> new ConcurrentHashMap<>())
                                .computeIfAbsent(e.seq(), s -> new AtomicInteger()).incrementAndGet();
                    }
                }
            };
            engine = new XoEngine(EngineConfig.builder().nodeId(id).udp(udp).discovery(false).build(), transport,
                    listener);
            engine.start();
            engine.openRoom(ROOM);
        }

        int from(long origin) {
            Map<Long, AtomicInteger> seqs = delivered.get(origin);
            return seqs == null ? 0 : seqs.size();
        }

        int duplicates() {
            int n = 0;
            for (Map<Long, AtomicInteger> seqs : delivered.values()) {
                for (AtomicInteger count : seqs.values()) {
                    n += count.get() - 1;
                }
            }
            return n;
        }
    }

    static void run(Map<String, String> options) throws Exception {
        int nodeCount = Math.max(2, intOption(options, "nodes", 2));
        int messages = intOption(options, "messages", 1000);
        int timeoutSeconds = intOption(options, "timeout", 60);
        int idleSeconds = intOption(options, "idle", 40);
        NetworkInterface lo = Interfaces.resolve("lo");
        int port;
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        UdpConfig udp = UdpConfig.on(lo).withPort(port);
        Map<Long, Integer> sides = new ConcurrentHashMap<>();
        List<Node> nodes = new ArrayList<>();
        try {
            for (long id = 1; id <= nodeCount; id++) {
                int side = id <= nodeCount / 2 ? 0 : 1;
                sides.put(id, side);
                nodes.add(new Node(id, side, sides, udp));
            }
            progress("%d nodes on loopback port %d, sides of %d and %d", nodeCount, port, nodeCount / 2,
                    nodeCount - nodeCount / 2);
            for (Node n : nodes) {
                publish(n, 1, "hello");
            }
            await(nodes, 1, 30, "hello");
            awaitNoBacklog(nodes);

            nodes.forEach(n -> n.transport.partitioned = true);
            progress("partitioned; each node publishes %d messages", messages);
            for (Node n : nodes) {
                publish(n, messages, "m");
            }
            Thread.sleep(1000); // the sides settle among themselves; nothing crosses
            progress("sides settled; healing");

            Map<Node, long[]> before = counters(nodes);
            long healed = System.nanoTime();
            nodes.forEach(n -> n.transport.partitioned = false);
            long deadline = healed + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            long lastProgress = healed;
            int missing;
            while ((missing = missing(nodes, messages + 1)) > 0 && System.nanoTime() < deadline) {
                if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(1)) {
                    lastProgress = System.nanoTime();
                    progress("%d messages still missing", missing);
                }
                Thread.sleep(2);
            }
            long convergeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healed);
            long[] repair = delta(nodes, before);
            Thread.sleep(1000); // anything delivered twice arrives now
            int duplicated = nodes.stream().mapToInt(Node::duplicates).sum();
            progress("converged in %d ms: %d missing, %d duplicated, %d datagrams / %d bytes of repair", convergeMs,
                    missing, duplicated, repair[0], repair[1]);

            String idle = "skipped";
            if (idleSeconds > 0) {
                progress("quiet room for %d s: digests only", idleSeconds);
                Map<Node, long[]> quiet = counters(nodes);
                Thread.sleep(TimeUnit.SECONDS.toMillis(idleSeconds));
                idle = Bench.fmt(delta(nodes, quiet)[1] / (double) idleSeconds / nodeCount);
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("scenario", "merge");
            result.put("nodes", nodeCount);
            result.put("messages_per_node", messages);
            result.put("converge_ms", missing == 0 ? convergeMs : "inf");
            result.put("lost", missing);
            result.put("duplicated", duplicated);
            result.put("repair_datagrams", repair[0]);
            result.put("repair_bytes", repair[1]);
            result.put("repair_bytes_per_msg", repair[4] == 0 ? "n/a" : Bench.fmt(repair[1] / (double) repair[4]));
            result.put("nacks", repair[2]);
            result.put("answers", repair[3]);
            result.put("idle_bytes_per_s", idle);
            Bench.result(result);
        } finally {
            nodes.forEach(n -> n.engine.close());
        }
    }

    private static void publish(Node n, int count, String prefix) {
        for (int i = 0; i < count; i++) {
            n.engine.publish(ROOM, "n" + n.id, Kind.GROUPCHAT, EnvelopeCodec.BODY_ONLY_PREFIX + prefix + " " + i
                    + " from node " + n.id + EnvelopeCodec.BODY_ONLY_SUFFIX);
        }
    }

    /** @return messages some node has not received of some other node, of the {@code each} every node sent */
    private static int missing(List<Node> nodes, int each) {
        int missing = 0;
        for (Node n : nodes) {
            for (Node other : nodes) {
                if (other != n) {
                    missing += each - n.from(other.id);
                }
            }
        }
        return missing;
    }

    private static void await(List<Node> nodes, int each, int seconds, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (missing(nodes, each) > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The nodes did not exchange their " + what + " within " + seconds
                        + " s.");
            }
            Thread.sleep(10);
        }
    }

    /** Nodes that opened the room later repair the state requests sent before: not part of the merge. */
    private static void awaitNoBacklog(List<Node> nodes) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (nodes.stream().anyMatch(n -> n.engine.repairBacklog() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(500);
    }

    private static Map<Node, long[]> counters(List<Node> nodes) {
        Map<Node, long[]> out = new LinkedHashMap<>();
        for (Node n : nodes) {
            long[] values = new long[COUNTED.length];
            for (int i = 0; i < COUNTED.length; i++) {
                values[i] = n.engine.stats().get(COUNTED[i]);
            }
            out.put(n, values);
        }
        return out;
    }

    /** What {@link #delta} adds up, in this order. */
    private static final Counter[] COUNTED = {Counter.DATAGRAMS_SENT, Counter.BYTES_SENT, Counter.REPAIR_NACKS_SENT,
            Counter.REPAIR_ANSWERS_SENT, Counter.REPAIR_EVENTS_REPAIRED};

    /** @return the {@link #COUNTED} counters of all nodes together, since {@code before} */
    private static long[] delta(List<Node> nodes, Map<Node, long[]> before) {
        long[] sum = new long[COUNTED.length];
        for (Node n : nodes) {
            for (int i = 0; i < COUNTED.length; i++) {
                sum[i] += n.engine.stats().get(COUNTED[i]) - before.get(n)[i];
            }
        }
        return sum;
    }
}
