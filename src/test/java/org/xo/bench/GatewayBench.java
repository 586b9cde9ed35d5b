package org.xo.bench;

import static org.xo.bench.Bench.fmt;
import static org.xo.bench.Bench.intOption;
import static org.xo.bench.Bench.progress;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.DoubleStream;
import java.util.stream.IntStream;

import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Stanza;
import org.xo.it.BackhaulCut;
import org.xo.it.NetNs;
import org.xo.it.NodeProcess;
import org.xo.it.Openfire;
import org.xo.it.ProsodyServer;
import org.xo.it.XmppTestClient;

/**
 * {@code bin/xo-bench gateway}: an XO node bridges its room with a room on a real Prosody over real server-to-server
 * federation (as in GatewayIT), with one client on each side: bob on the node, alice on Prosody. Per Openfire, one
 * case, one RESULT line:
 * <ol>
 *   <li>latency: {@code --messages} each way, paced at {@code --rate} a second each way. One-way latency is from just
 *       before the send call to the other client's receipt, on this JVM's clock (both clients live here; the send
 *       time travels in the body), over every message sent: one that never arrives counts as infinitely late.</li>
 *   <li>throughput: {@code --messages} each way sent at once; msgs_per_s is the number delivered over the time from
 *       the first send to the last arrival.</li>
 *   <li>outage: the backhaul (the s2s link between node and Prosody, both ways) is cut for {@code --outage-s} while
 *       both servers run ({@link BackhaulCut}); {@code --outage-messages} each side are said spread over it, from the
 *       moment of the cut on, so the first fall before the gateway notices (its next missed ping). Prosody keeps 20
 *       messages of room history by default, which is all the far room can tell the bridge of its side's outage.</li>
 * </ol>
 * lost and duplicated count over every message of the case, the outage's included: lost never arrived, duplicated
 * arrived more than once (counted per message).
 */
final class GatewayBench {
    /** Addresses of the bench's own (GatewayIT uses 127.0.77.x): a bench never meets a test's servers. */
    private static final String PROSODY_ADDRESS = "127.0.78.2";
    private static final String NODE_ADDRESS = "127.0.78.3";
    /** The node's s2s listener, on for a gateway (Prosody connects back to it to verify dialback). */
    private static final int NODE_S2S_PORT = 5269;
    private static final String FAR_DOMAIN = "enterprise.bench";
    private static final String NODE_DOMAIN = "edge.bench";
    private static final String ROOM = "lobby";
    /** A phase's missing messages are given up on when nothing arrived for this long. */
    private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** After an outage nothing arrives until the gateway's next attempt gets through: a longer patience. */
    private static final long RECOVERY_QUIET_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Copies that come after all have arrived (a second carrying of the outage) are counted for this long. */
    private static final long LATE_COPIES_MS = 3_000;

    private GatewayBench() {
    }

    private record Plan(int messages, int rate, int outageS, int outageMessages, int pingIntervalS) {
    }

    static void run(Map<String, String> options) throws Exception {
        Plan plan = new Plan(intOption(options, "messages", 200), intOption(options, "rate", 20),
                intOption(options, "outage-s", 8), intOption(options, "outage-messages", 10),
                intOption(options, "ping-interval-s", 2));
        try {
            ProsodyServer.requireInstalled();
            NetNs.requireNftablesOrSkip();
        } catch (AssertionError | RuntimeException e) { // JUnit's assumption failure, or CI=true's hard failure
            System.err.println("xo-bench gateway: " + e.getMessage());
            System.exit(2);
        }
        for (Openfire openfire : Bench.openfires(options)) {
            runCase(openfire, plan);
        }
    }

    private static void runCase(Openfire openfire, Plan plan) throws Exception {
        progress("openfire=%s: Prosody on %s, a gateway node on %s bridging %s with %s@conference.%s", openfire,
                PROSODY_ADDRESS, NODE_ADDRESS, ROOM, ROOM, FAR_DOMAIN);
        try (ProsodyServer prosody = new ProsodyServer(PROSODY_ADDRESS, FAR_DOMAIN,
                List.of(NODE_ADDRESS + " " + NODE_DOMAIN + " gw." + NODE_DOMAIN + " conference." + NODE_DOMAIN))) {
            prosody.register("alice", "pw-alice");
            try (XmppTestClient alice = prosody.client("alice", "pw-alice")) {
                alice.join(ROOM, "alice"); // before the bridge: she owns the enterprise room, as its users would
                try (NodeProcess node = NodeProcess.builder().openfire(openfire).domain(NODE_DOMAIN)
                        .bind(NODE_ADDRESS).multicastPort(NodeProcess.freePort())
                        .args("--bridge", ROOM + "=" + ROOM + "@conference." + FAR_DOMAIN,
                                "--far-server", PROSODY_ADDRESS + ":" + prosody.serverPort,
                                "--set", "xo.gateway.ping-interval-s=" + plan.pingIntervalS)
                        .start()) {
                    try (XmppTestClient bob = XmppTestClient.registered(node, "bob")) {
                        Bench.result(bridged(plan, prosody, node, alice, bob));
                    } catch (Exception | AssertionError e) {
                        // Both logs go with their temporary directories when the case ends.
                        progress("openfire=%s failed (%s); the node's and Prosody's logs follow", openfire, e);
                        String prosodyLog = prosody.log();
                        System.err.println(node.logTail() + "\n--- Prosody log (tail)\n"
                                + prosodyLog.substring(Math.max(0, prosodyLog.length() - 6000)));
                        throw e;
                    }
                }
            }
        }
    }

    /** @return the case's RESULT values: bob (on the gateway node) and alice (on Prosody) talk through the bridge */
    private static Map<String, Object> bridged(Plan plan, ProsodyServer prosody, NodeProcess node,
                                               XmppTestClient alice, XmppTestClient bob) throws Exception {
        // Bob enters once the bridge has put alice into the XO room. Earlier, on 4.2.0: while the bridge's listener
        // had just created the room (still locked) his join was refused with item-not-found, once; together with
        // alice's stand-in's entry his join went unanswered twice, though the room had seated him.
        XmppTestClient.eventually("alice's stand-in in the XO room",
                () -> gatewayCounter(bob, "gateway.to-xo.joins") >= 1);
        bob.join(ROOM, "bob");
        XmppTestClient.eventually("alice in the XO room and bob in the enterprise room",
                () -> bob.occupantNicks(ROOM).contains("alice") && alice.occupantNicks(ROOM).contains("bob"));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("scenario", "gateway");
        result.put("openfire", node.openfireVersion());
        measure(plan, prosody, bob, new Direction("to-far", bob, alice), new Direction("to-xo", alice, bob), result);
        Map<String, Long> stats = bob.xoStats();
        result.put("to_far_after_outage", stats.getOrDefault("gateway.to-far.after-outage", 0L));
        result.put("to_xo_after_outage", stats.getOrDefault("gateway.to-xo.after-outage", 0L));
        return result;
    }

    private static void measure(Plan plan, ProsodyServer prosody, XmppTestClient gatewayClient, Direction toFar,
                                Direction toXo, Map<String, Object> result) throws Exception {
        int n = plan.messages;
        progress("latency: %d messages each way at %d/s each way", n, plan.rate);
        long gapNanos = TimeUnit.SECONDS.toNanos(1) / Math.max(1, plan.rate);
        long next = System.nanoTime();
        for (int seq = 0; seq < n; seq++) {
            // Parking, not spinning: a spinning sender would take a core from the servers it measures. The two ways
            // half a gap apart, as two people talk: sent at the same instant, the medians on 4.2.0 moved from about
            // 20 ms each way to about 10 ms towards the far room and 45 ms back.
            LockSupport.parkNanos(next - System.nanoTime());
            toFar.say(seq);
            LockSupport.parkNanos(next + gapNanos / 2 - System.nanoTime());
            toXo.say(seq);
            next += gapNanos;
            if ((seq + 1) % Math.max(1, n / 5) == 0) {
                progress("latency: %d/%d sent each way", seq + 1, n);
            }
        }
        awaitArrivals("latency", 0, n, QUIET_NANOS, toFar, toXo);
        double[] toFarMs = toFar.latenciesMs(0, n);
        double[] toXoMs = toXo.latenciesMs(0, n);
        double[] bothMs = DoubleStream.concat(Arrays.stream(toFarMs), Arrays.stream(toXoMs)).sorted().toArray();
        result.put("messages", n);
        result.put("rate", plan.rate);
        result.put("p50_ms", fmt(Bench.percentile(bothMs, 50)));
        result.put("p99_ms", fmt(Bench.percentile(bothMs, 99)));
        result.put("to_far_p50_ms", fmt(Bench.percentile(toFarMs, 50)));
        result.put("to_xo_p50_ms", fmt(Bench.percentile(toXoMs, 50)));
        progress("latency: p50 %s ms, p99 %s ms (to the far room %s, to the XO room %s at the median)",
                result.get("p50_ms"), result.get("p99_ms"), result.get("to_far_p50_ms"), result.get("to_xo_p50_ms"));

        progress("throughput: %d messages each way at once", n);
        long burstStart = System.nanoTime();
        for (int seq = n; seq < 2 * n; seq++) {
            toFar.say(seq);
            toXo.say(seq);
        }
        awaitArrivals("throughput", n, 2 * n, QUIET_NANOS, toFar, toXo);
        long lastArrival = Math.max(toFar.lastArrival(n, 2 * n, burstStart), toXo.lastArrival(n, 2 * n, burstStart));
        int delivered = toFar.arrived(n, 2 * n) + toXo.arrived(n, 2 * n);
        result.put("msgs_per_s", fmt(delivered / Math.max(1e-9, (lastArrival - burstStart) / 1e9)));
        progress("throughput: %d delivered, %s msgs/s", delivered, result.get("msgs_per_s"));

        outage(plan, prosody, gatewayClient, toFar, toXo, 2 * n, result);

        progress("counting copies that arrive within %d ms more", LATE_COPIES_MS);
        Thread.sleep(LATE_COPIES_MS);
        int total = 2 * n + plan.outageMessages;
        result.put("lost", toFar.lost(total) + toXo.lost(total));
        result.put("duplicated", toFar.duplicated() + toXo.duplicated());
    }

    /**
     * The backhaul cut for {@code --outage-s}, messages numbered from {@code first} said on both sides meanwhile.
     * Figures, from this machine's clock:
     * <ul>
     *   <li>detect_ms: from the cut until the gateway counted the far room down (its status's {@code since});</li>
     *   <li>bridge_up_ms: from the link's return (the cut's table deleted) until it counted it up again;</li>
     *   <li>recover_first_ms: from the link's return until the first message said during the outage, either way, was
     *       received on the other side;</li>
     *   <li>recover_ms: from the link's return until every message said during the outage had been received on the
     *       other side, both ways ("inf" when one never was).</li>
     * </ul>
     */
    private static void outage(Plan plan, ProsodyServer prosody, XmppTestClient gatewayClient, Direction toFar,
                               Direction toXo, int first, Map<String, Object> result) throws Exception {
        int k = plan.outageMessages;
        long outageNanos = TimeUnit.SECONDS.toNanos(plan.outageS);
        progress("outage: the backhaul cut for %d s, %d messages said on each side meanwhile", plan.outageS, k);
        result.put("outage_s", plan.outageS);
        result.put("outage_messages", 2 * k);
        result.put("ping_interval_s", plan.pingIntervalS);
        boolean noticed;
        long restoredAt;
        long restoredAtMillis;
        try (BackhaulCut cut = BackhaulCut.between(NODE_ADDRESS, NODE_S2S_PORT, PROSODY_ADDRESS,
                prosody.serverPort)) {
            long cutAt = System.nanoTime();
            long cutAtMillis = System.currentTimeMillis();
            for (int i = 0; i < k; i++) {
                LockSupport.parkNanos(cutAt + (2L * i + 1) * outageNanos / (2L * k) - System.nanoTime());
                toFar.say(first + i);
                toXo.say(first + i);
            }
            LockSupport.parkNanos(cutAt + outageNanos - System.nanoTime());
            Map<String, String> down = gatewayClient.xoBridge();
            noticed = "false".equals(down.get("up"));
            result.put("detect_ms", noticed ? sinceMs(down, cutAtMillis) : "inf");
            cut.close();
            restoredAt = System.nanoTime();
            restoredAtMillis = System.currentTimeMillis();
        }
        progress(noticed ? "outage: the backhaul is back (the gateway noticed the cut after %s ms)"
                : "outage: the backhaul is back; the gateway did not notice the cut (raise --outage-s)",
                result.get("detect_ms"));
        awaitArrivals("recovery", first, first + k, RECOVERY_QUIET_NANOS, toFar, toXo);
        Map<String, String> up = gatewayClient.xoBridge();
        result.put("bridge_up_ms", noticed && "true".equals(up.get("up")) ? sinceMs(up, restoredAtMillis) : "inf");
        long firstArrival = Math.min(toFar.firstArrival(first, first + k), toXo.firstArrival(first, first + k));
        boolean all = toFar.arrived(first, first + k) + toXo.arrived(first, first + k) == 2 * k;
        result.put("recover_first_ms", firstArrival == Long.MAX_VALUE ? "inf"
                : fmt((firstArrival - restoredAt) / 1e6));
        result.put("recover_ms", all ? fmt((Math.max(toFar.lastArrival(first, first + k, restoredAt),
                toXo.lastArrival(first, first + k, restoredAt)) - restoredAt) / 1e6) : "inf");
        progress("outage: bridge up %s ms after the link's return; the outage's first message %s ms, all %s ms",
                result.get("bridge_up_ms"), result.get("recover_first_ms"), result.get("recover_ms"));
    }

    private static long gatewayCounter(XmppTestClient gatewayClient, String name) {
        try {
            return gatewayClient.xoStats().getOrDefault(name, 0L);
        } catch (Exception e) {
            throw new IllegalStateException("the gateway's counters cannot be read", e);
        }
    }

    /** @return the time from {@code fromMillis} until the bridge's status last changed, in ms */
    private static String sinceMs(Map<String, String> bridgeStatus, long fromMillis) {
        return fmt(Instant.parse(bridgeStatus.get("since")).toEpochMilli() - fromMillis);
    }

    /** Waits until messages [from, to) have arrived both ways, or none has for {@code quietNanos}. */
    private static void awaitArrivals(String phase, int from, int to, long quietNanos, Direction... directions)
            throws InterruptedException {
        int want = (to - from) * directions.length;
        int seen = -1;
        long quietSince = System.nanoTime();
        long nextProgress = quietSince + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            int arrived = Arrays.stream(directions).mapToInt(d -> d.arrived(from, to)).sum();
            long now = System.nanoTime();
            if (arrived == want) {
                return;
            }
            if (arrived != seen) {
                seen = arrived;
                quietSince = now;
            } else if (now - quietSince > quietNanos) {
                progress("%s: %d of %d arrived, nothing more for %d s; the rest counts as lost", phase, arrived, want,
                        TimeUnit.NANOSECONDS.toSeconds(quietNanos));
                return;
            }
            if (now >= nextProgress) {
                StringBuilder counts = new StringBuilder();
                for (Direction d : directions) {
                    counts.append(String.format(", %s %d/%d", d.name, d.arrived(from, to), to - from));
                }
                progress("%s: waiting%s", phase, counts);
                nextProgress = now + TimeUnit.SECONDS.toNanos(5);
            }
            Thread.sleep(20);
        }
    }

    /** One way through the bridge: the sender says numbered messages; every copy its receiver gets is counted. */
    private static final class Direction {
        final String name;
        private final XmppTestClient sender;
        private final String prefix;
        /** By message number: when its first copy arrived (nanoTime), its one-way latency, how many copies came. */
        private final Map<Integer, Long> arrivedAt = new ConcurrentHashMap<>();
        private final Map<Integer, Long> latencyNanos = new ConcurrentHashMap<>();
        private final Map<Integer, Integer> copies = new ConcurrentHashMap<>();

        Direction(String name, XmppTestClient sender, XmppTestClient receiver) {
            this.name = name;
            this.sender = sender;
            this.prefix = "gateway bench " + name + " ";
            receiver.connection.addSyncStanzaListener(this::received, StanzaTypeFilter.MESSAGE);
        }

        void say(int seq) throws Exception {
            sender.say(ROOM, prefix + seq + " " + System.nanoTime());
        }

        private void received(Stanza stanza) {
            long now = System.nanoTime();
            String body = ((Message) stanza).getBody();
            if (body == null || !body.startsWith(prefix)) {
                return; // the receiver's own messages, echoed by its room
            }
            String[] seqAndSentAt = body.substring(prefix.length()).split(" ");
            int seq = Integer.parseInt(seqAndSentAt[0]);
            if (copies.merge(seq, 1, Integer::sum) == 1) {
                arrivedAt.put(seq, now);
                latencyNanos.put(seq, now - Long.parseLong(seqAndSentAt[1]));
            }
        }

        /** @return latencies of messages [from, to) in ms, sorted, a missing one as infinity */
        double[] latenciesMs(int from, int to) {
            return IntStream.range(from, to).mapToDouble(seq -> {
                Long nanos = latencyNanos.get(seq);
                return nanos == null ? Double.POSITIVE_INFINITY : nanos / 1e6;
            }).sorted().toArray();
        }

        int arrived(int from, int to) {
            return (int) IntStream.range(from, to).filter(arrivedAt::containsKey).count();
        }

        /** @return when the first of messages [from, to) arrived, or Long.MAX_VALUE when none did */
        long firstArrival(int from, int to) {
            return IntStream.range(from, to).mapToObj(arrivedAt::get).filter(Objects::nonNull)
                    .mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
        }

        /** @return when the last of messages [from, to) to arrive did, or {@code none} when none did */
        long lastArrival(int from, int to, long none) {
            return IntStream.range(from, to).mapToObj(arrivedAt::get).filter(Objects::nonNull)
                    .mapToLong(Long::longValue).max().orElse(none);
        }

        int lost(int said) {
            return said - arrived(0, said);
        }

        int duplicated() {
            return (int) copies.values().stream().filter(c -> c > 1).count();
        }
    }
}
