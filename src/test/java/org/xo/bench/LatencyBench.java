package org.xo.bench;

import static org.xo.bench.Bench.fmt;
import static org.xo.bench.Bench.intOption;
import static org.xo.bench.Bench.progress;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.xo.it.NodeProcess;
import org.xo.it.XmppTestClient;

/**
 * {@code bin/xo-bench latency}: groupchat messages from a client on one XO node to a client on another, and the
 * same two clients' traffic through one plain Openfire (the XO plugin not loaded at all) in the same run.
 * Latency is measured with paced sends (one JVM, one clock) over every message sent: one that never arrives counts
 * as infinitely late, so a p99 over 1 % loss is "inf", not the p99 of the survivors. Throughput with a burst.
 */
final class LatencyBench {
    private static final String ROOM = "bench";

    private LatencyBench() {
    }

    /** One system's figures; CPU is what each serving JVM spent during the burst, per message. */
    record Run(double p50Ms, double p99Ms, double msgsPerS, int latencyLost, int burstLost, double[] cpuMsPerMsg) {
        double busiestCpuMsPerMsg() {
            return java.util.Arrays.stream(cpuMsPerMsg).max().orElse(Double.NaN);
        }
    }

    static void run(Map<String, String> options) throws Exception {
        int messages = intOption(options, "messages", 1000);
        int rate = intOption(options, "rate", 200);
        int burst = intOption(options, "burst", 2000);
        progress("starting two XO nodes and one plain Openfire (no XO plugin)...");
        int port = NodeProcess.freePort();
        try (NodeProcess alpha = NodeProcess.start("alpha.bench", port);
             NodeProcess beta = NodeProcess.start("beta.bench", port);
             NodeProcess plain = NodeProcess.builder().domain("plain.bench").multicastPort(NodeProcess.freePort())
                     .withoutPlugin().start();
             XmppTestClient alice = new XmppTestClient(alpha.clientPort(), "alpha.bench", "alice");
             XmppTestClient bob = new XmppTestClient(beta.clientPort(), "beta.bench", "bob");
             XmppTestClient carol = new XmppTestClient(plain.clientPort(), "plain.bench", "carol");
             XmppTestClient dave = new XmppTestClient(plain.clientPort(), "plain.bench", "dave")) {
            alice.join(ROOM, "alice");
            bob.join(ROOM, "bob");
            carol.join(ROOM, "carol");
            dave.join(ROOM, "dave");
            XmppTestClient.eventually("alice sees bob across nodes", () -> alice.occupantNicks(ROOM).contains("bob"));

            progress("XO: %d paced messages at %d/s, then a burst of %d", messages, rate, burst);
            Run xo = measure(alice, bob, "xo", messages, rate, burst, alpha.pid(), beta.pid());
            progress("XO: p50 %s ms, p99 %s ms, %s msgs/s", fmt(xo.p50Ms), fmt(xo.p99Ms), fmt(xo.msgsPerS));
            progress("plain Openfire: the same traffic between two clients of one server");
            Run cs = measure(carol, dave, "plain", messages, rate, burst, plain.pid());
            progress("plain: p50 %s ms, p99 %s ms, %s msgs/s", fmt(cs.p50Ms), fmt(cs.p99Ms), fmt(cs.msgsPerS));

            Map<String, Object> result = new LinkedHashMap<>();
            result.put("scenario", "latency");
            result.put("messages", messages);
            result.put("rate", rate);
            result.put("burst", burst);
            result.put("p50_ms", fmt(xo.p50Ms));
            result.put("p99_ms", fmt(xo.p99Ms));
            result.put("msgs_per_s", fmt(xo.msgsPerS));
            result.put("plain_p50_ms", fmt(cs.p50Ms));
            result.put("plain_p99_ms", fmt(cs.p99Ms));
            result.put("plain_msgs_per_s", fmt(cs.msgsPerS));
            result.put("added_p50_ms", fmt(xo.p50Ms - cs.p50Ms));
            result.put("ratio", fmt(xo.msgsPerS / cs.msgsPerS));
            // Here both XO nodes share the plain server's two cores; on separate machines, throughput is bounded by
            // the busiest node's CPU per message instead.
            result.put("xo_cpu_ms_per_msg_alpha", fmt(xo.cpuMsPerMsg[0]));
            result.put("xo_cpu_ms_per_msg_beta", fmt(xo.cpuMsPerMsg[1]));
            result.put("plain_cpu_ms_per_msg", fmt(cs.cpuMsPerMsg[0]));
            result.put("ratio_separate_machines", fmt(cs.busiestCpuMsPerMsg() / xo.busiestCpuMsPerMsg()));
            result.put("lost", xo.latencyLost + xo.burstLost);
            result.put("plain_lost", cs.latencyLost + cs.burstLost);
            Bench.result(result);
        }
    }

    private static Run measure(XmppTestClient sender, XmppTestClient receiver, String label, int messages, int rate,
                               int burst, long... serverPids) throws Exception {
        String prefix = "bench " + label + " ";
        Map<Integer, Long> latencyNanos = new ConcurrentHashMap<>();
        Map<Integer, Long> arrivals = new ConcurrentHashMap<>();
        receiver.connection.addSyncStanzaListener(stanza -> {
            long now = System.nanoTime();
            String body = ((Message) stanza).getBody();
            if (body != null && body.startsWith(prefix)) {
                String[] parts = body.split(" ");
                int seq = Integer.parseInt(parts[2]);
                latencyNanos.putIfAbsent(seq, now - Long.parseLong(parts[3]));
                arrivals.putIfAbsent(seq, now);
            }
        }, StanzaTypeFilter.MESSAGE);

        long gapNanos = TimeUnit.SECONDS.toNanos(1) / Math.max(1, rate);
        long next = System.nanoTime();
        for (int i = 0; i < messages; i++) {
            // Parking, not spinning: a spinning sender would take a core from the servers it measures.
            java.util.concurrent.locks.LockSupport.parkNanos(next - System.nanoTime());
            sender.say(ROOM, prefix + i + " " + System.nanoTime());
            next += gapNanos;
            if ((i + 1) % Math.max(1, messages / 5) == 0) {
                progress("%s: %d/%d paced messages sent", label, i + 1, messages);
            }
        }
        awaitCount(latencyNanos, messages, label);
        double[] ms = new double[messages];
        java.util.Arrays.fill(ms, Double.POSITIVE_INFINITY); // never arrived
        latencyNanos.forEach((seq, nanos) -> {
            if (seq < messages) {
                ms[seq] = nanos / 1e6;
            }
        });
        java.util.Arrays.sort(ms);
        int latencyReceived = (int) latencyNanos.keySet().stream().filter(k -> k < messages).count();

        long[] cpuBefore = cpuNanos(serverPids);
        long start = System.nanoTime();
        for (int i = messages; i < messages + burst; i++) {
            sender.say(ROOM, prefix + i + " " + System.nanoTime());
        }
        awaitCount(arrivals, messages + burst, label);
        long[] cpuAfter = cpuNanos(serverPids);
        long last = arrivals.entrySet().stream().filter(e -> e.getKey() >= messages)
                .mapToLong(Map.Entry::getValue).max().orElse(start);
        int burstReceived = (int) arrivals.keySet().stream().filter(k -> k >= messages).count();
        double seconds = Math.max(1e-9, (last - start) / 1e9);
        double[] cpuMsPerMsg = new double[serverPids.length];
        for (int i = 0; i < serverPids.length; i++) {
            cpuMsPerMsg[i] = (cpuAfter[i] - cpuBefore[i]) / 1e6 / Math.max(1, burstReceived);
        }
        return new Run(Bench.percentile(ms, 50), Bench.percentile(ms, 99), burstReceived / seconds,
                messages - latencyReceived, burst - burstReceived, cpuMsPerMsg);
    }

    /** CPU time (user + system) each process has used so far. */
    private static long[] cpuNanos(long... pids) {
        long[] cpu = new long[pids.length];
        for (int i = 0; i < pids.length; i++) {
            cpu[i] = ProcessHandle.of(pids[i]).flatMap(p -> p.info().totalCpuDuration())
                    .map(java.time.Duration::toNanos).orElse(0L);
        }
        return cpu;
    }

    /** Waits until the count stops growing for 3 s or reaches the target. */
    private static void awaitCount(Map<Integer, Long> received, int target, String label) throws InterruptedException {
        int seen = -1;
        long quietSince = System.nanoTime();
        while (received.size() < target) {
            if (received.size() != seen) {
                seen = received.size();
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > TimeUnit.SECONDS.toNanos(3)) {
                progress("%s: %d of %d arrived; the rest counts as lost", label, seen, target);
                return;
            }
            Thread.sleep(20);
        }
    }
}
