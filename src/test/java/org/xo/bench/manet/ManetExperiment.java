package org.xo.bench.manet;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

import org.xo.core.GroupAddressing;
import org.xo.core.OverlayRoom;
import org.xo.engine.EngineConfig;
import org.xo.it.NodeProcess;

/**
 * The XO paper's experiment (section IV, Figure 3) on one machine: {@code n} nodes move by the scenario's seeded
 * RPGM trace over a {@link RadioNetwork}; each node's user sends the {@link TrafficSchedule} twice at once, through
 * its own XO node (with {@link FloodingRelay} as the network's multicast forwarding) and through one central plain
 * Openfire behind the gateway n0 (client/server baseline, routed by the network's unicast routes). Both systems
 * therefore see the same messages, at the same times, on the same links with the same losses.
 * <p>
 * Timeline: build the network at the trace's t = 0, start the relays, the central server and the XO nodes, connect
 * and join every user (a client/server user unreachable at t = 0 connects at its first send), then play the trace
 * (one topology step per sample) and the traffic for the scenario's duration, then keep the last topology for a
 * drain period so late messages can still arrive. A message's latency runs from the moment the generator had it
 * ready to its first arrival at a receiver (history replays included), so a client/server user's reconnection
 * time counts.
 */
final class ManetExperiment {
    static final String ROOM = "platoon";
    static final String SERVER_DOMAIN = "cs.manet";
    /** The paper's generator waited one second after a failed send before trying again. */
    static final long RETRY_MS = 1_000;
    /** 11 nodes + the server on 2 cores and a few GB: small heaps, one GC thread, C1 only (little traffic). */
    private static final List<String> NODE_JVM = List.of("-Xmx128m", "-Xss512k", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");

    private final Scenario scenario;
    private final RadioNetwork.Routing routing;
    private final double drainSeconds;
    private final Consumer<String> progress;

    /**
     * @param scenario     what to run (nodes, duration, seed, P_b)
     * @param routing      how the client/server baseline's packets are routed
     * @param drainSeconds how long after the last send arrivals are still counted (last topology kept)
     * @param progress     receives one status line at a time
     */
    ManetExperiment(Scenario scenario, RadioNetwork.Routing routing, double drainSeconds,
                    Consumer<String> progress) {
        this.scenario = scenario;
        this.routing = routing;
        this.drainSeconds = drainSeconds;
        this.progress = progress;
    }

    /** One system's users and what reached them. */
    private static final class Side {
        final ChatClient[] clients;
        /** nanoTime of the first arrival of message m at receiver r, at index m * nodes + r; 0 = not yet. */
        final AtomicLongArray arrivals;
        volatile long deadline = Long.MAX_VALUE;

        Side(int nodes, int messages) {
            this.clients = new ChatClient[nodes];
            this.arrivals = new AtomicLongArray(messages * nodes);
        }

        void arrived(int message, int receiver) {
            long now = System.nanoTime();
            int index = message * clients.length + receiver;
            if (message < arrivals.length() / clients.length && now <= deadline) {
                arrivals.compareAndSet(index, 0, now);
            }
        }

        int deliveredSoFar(List<TrafficSchedule.Send> sends) {
            int n = 0;
            for (TrafficSchedule.Send s : sends) {
                for (int r = 0; r < clients.length; r++) {
                    if (r != s.sender() && arrivals.get(s.message() * clients.length + r) != 0) {
                        n++;
                    }
                }
            }
            return n;
        }
    }

    ScenarioResult run() throws Exception {
        int n = scenario.nodes();
        Trace trace = Rpgm.generate(scenario);
        Topology topology = new Topology(trace);
        Topology.Snapshot[] snapshots = new Topology.Snapshot[trace.samples()];
        for (int k = 0; k < snapshots.length; k++) {
            snapshots[k] = topology.at(trace.time(k));
        }
        TraceSummary summary = TraceSummary.of(trace);
        TrafficSchedule schedule = TrafficSchedule.generate(n, scenario.duration(), TrafficSchedule.PAPER_RATE,
                scenario.seed());
        progress.accept(String.format(Locale.ROOT, "%s: %d nodes, %.0f s, seed %d, P_b %s; %d messages; trace %s",
                scenario.name(), n, scenario.duration(), scenario.seed(), scenario.bitErrorProbability(),
                schedule.size(), summary.format()));

        Side xo = new Side(n, schedule.size());
        Side cs = new Side(n, schedule.size());
        List<FloodingRelay> relays = new ArrayList<>();
        List<NodeProcess> processes = new ArrayList<>();
        List<ChatClient> allClients = new ArrayList<>();
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "manet");
            t.setDaemon(true);
            return t;
        });
        RadioNetwork network = RadioNetwork.create(n, scenario.bitErrorProbability(), routing);
        try {
            network.apply(snapshots[0]);
            progress.accept("network up: " + n + " node namespaces on one radio channel, server behind n0, "
                    + routing.name().toLowerCase(Locale.ROOT) + " unicast routing");
            int multicastPort = NodeProcess.freePort();
            List<InetAddress> groups = List.of(
                    new GroupAddressing().groupFor(OverlayRoom.of(ROOM, "conference.xo")),
                    EngineConfig.DEFAULT_CONTROL_GROUP);
            for (int i = 0; i < n; i++) {
                relays.add(new FloodingRelay(network.namespace(i), RadioNetwork.DEVICE,
                        InetAddress.getByName(RadioNetwork.address(i)), multicastPort, groups));
            }

            processes.addAll(startNodes(network, multicastPort, pool));
            List<Integer> unrouted = network.awaitServerRoutes(snapshots[0], 30_000);
            if (!unrouted.isEmpty()) {
                progress.accept("no route to the server yet from nodes " + unrouted + " (they connect later)");
            }
            NodeProcess server = processes.get(0);
            for (int i = 0; i < n; i++) {
                String ns = network.namespace(i);
                String user = "user" + i;
                NodeProcess own = processes.get(i + 1);
                xo.clients[i] = new ChatClient(ns, own.clientAddress(), own.clientPort(), own.domain(), user, ROOM, i,
                        xo::arrived);
                cs.clients[i] = new ChatClient(ns, network.serverAddress(), server.clientPort(), SERVER_DOMAIN, user,
                        ROOM, i, cs::arrived);
                allClients.add(xo.clients[i]);
                allClients.add(cs.clients[i]);
            }
            // The gateway's user makes the central room first, as on a deployed server where the room exists:
            // otherwise users racing to create it get "item-not-found" from the still-locked new room.
            if (!cs.clients[0].connectIfNeeded()) {
                throw new IllegalStateException("the gateway's user cannot reach the central server: "
                        + cs.clients[0].lastFailure());
            }
            int xoJoined = joinAll(xo, pool);
            int csJoined = joinAll(cs, pool);
            if (xoJoined < n) {
                throw new IllegalStateException("only " + xoJoined + " of " + n + " users joined their own XO node");
            }
            progress.accept(String.format("users joined: XO %d/%d, client/server %d/%d (the others connect when "
                    + "they first send)", xoJoined, n, csJoined, n));

            long t0 = System.nanoTime();
            long end = t0 + seconds(scenario.duration() + drainSeconds);
            xo.deadline = end;
            cs.deadline = end;
            for (Side side : List.of(xo, cs)) {
                for (int i = 0; i < n; i++) {
                    ChatClient client = side.clients[i];
                    List<TrafficSchedule.Send> mine = schedule.sendsOf(i);
                    pool.submit(() -> generate(client, mine, t0, end));
                }
            }
            double[] inForceFrom = play(network, snapshots, trace, t0, schedule, xo, cs);
            sleepUntil(end);
            progress.accept("traffic and drain over; collecting");
            for (Side side : List.of(xo, cs)) {
                for (ChatClient c : side.clients) {
                    if (!c.lastFailure().isEmpty()) {
                        progress.accept(c + ": " + c.failedAttempts() + " failed connection attempts, last: "
                                + c.lastFailure());
                    }
                }
            }

            Map<String, Long> counters = new LinkedHashMap<>(network.counters());
            counters.put("relay_first_heard", relays.stream().mapToLong(FloodingRelay::heard).sum());
            counters.put("relay_forwarded", relays.stream().mapToLong(FloodingRelay::forwarded).sum());
            counters.put("relay_duplicates", relays.stream().mapToLong(FloodingRelay::duplicates).sum());
            counters.put("cs_reconnects", (long) sum(cs, ChatClient::reconnects));
            counters.put("cs_failed_connects", (long) sum(cs, ChatClient::failedAttempts));
            counters.put("xo_reconnects", (long) sum(xo, ChatClient::reconnects));
            return new ScenarioResult(scenario.name(), scenario, routing.name().toLowerCase(Locale.ROOT), summary,
                    outcomes("xo", "XO", xo, schedule, snapshots, inForceFrom, t0),
                    outcomes("cs", "client/server", cs, schedule, snapshots, inForceFrom, t0), counters);
        } finally {
            pool.shutdownNow();
            for (ChatClient c : allClients) {
                c.close();
            }
            for (FloodingRelay r : relays) {
                r.close();
            }
            stopAll(processes);
            pool.awaitTermination(5, TimeUnit.SECONDS);
            network.close(); // after the nodes: they must stop cleanly, not be killed with their namespace
        }
    }

    /** Starts the central server and the XO nodes in parallel; @return the server first, then node 0, 1, ... */
    private List<NodeProcess> startNodes(RadioNetwork network, int multicastPort, ExecutorService pool)
            throws Exception {
        long startAt = System.nanoTime();
        List<Future<NodeProcess>> starting = new ArrayList<>();
        starting.add(pool.submit(() -> node(network.serverNamespace(), SERVER_DOMAIN, network.serverAddress(), "lo",
                multicastPort, "--set", "xo.enabled=false")));
        for (int i = 0; i < network.nodes(); i++) {
            String ns = network.namespace(i);
            String domain = RadioNetwork.node(i) + ".manet";
            String address = RadioNetwork.address(i);
            starting.add(pool.submit(() -> node(ns, domain, address, RadioNetwork.DEVICE, multicastPort)));
        }
        List<NodeProcess> started = new ArrayList<>();
        Exception failure = null;
        for (Future<NodeProcess> f : starting) {
            try {
                started.add(f.get());
            } catch (Exception e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            stopAll(started);
            throw failure;
        }
        progress.accept(String.format(Locale.ROOT, "%d XO nodes and the central server ready in %.1f s",
                network.nodes(), (System.nanoTime() - startAt) / 1e9));
        return started;
    }

    /** Connects and joins every user of a side at once; @return how many made it. */
    private static int joinAll(Side side, ExecutorService pool) throws Exception {
        List<Future<Boolean>> joins = new ArrayList<>();
        for (ChatClient c : side.clients) {
            joins.add(pool.submit(c::connectIfNeeded));
        }
        int joined = 0;
        for (Future<Boolean> f : joins) {
            joined += f.get() ? 1 : 0;
        }
        return joined;
    }

    /** A node (XO, or with {@code xo.enabled=false} the plain server) in namespace ns, clients on address. */
    private static NodeProcess node(String ns, String domain, String address, String multicastInterface,
                                    int multicastPort, String... args) throws Exception {
        NodeProcess.Builder b = NodeProcess.builder().netns(ns).domain(domain).bind(address)
                .multicastInterface(multicastInterface).multicastPort(multicastPort)
                .readyTimeout(Duration.ofMinutes(2)).args(args);
        NODE_JVM.forEach(b::jvmArg);
        return b.start();
    }

    /** The paper's generator: at each scheduled time, (re)connect if needed and send; on failure wait 1 s, retry. */
    private static void generate(ChatClient client, List<TrafficSchedule.Send> sends, long t0, long end) {
        try {
            for (TrafficSchedule.Send s : sends) {
                sleepUntil(t0 + seconds(s.at()));
                while (System.nanoTime() < end) {
                    if (client.connectIfNeeded() && client.send(s.message(), s.body())) {
                        break;
                    }
                    Thread.sleep(RETRY_MS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Applies the trace one sample at a time, printing a status line every 10 s of run.
     *
     * @return for each sample, the run time (s) from which the network carried it: when its filters and routes were
     * all written, some ms after the sample time (the first was in force before the run started)
     */
    private double[] play(RadioNetwork network, Topology.Snapshot[] snapshots, Trace trace, long t0,
                          TrafficSchedule schedule, Side xo, Side cs) throws Exception {
        double[] inForceFrom = new double[snapshots.length];
        inForceFrom[0] = Double.NEGATIVE_INFINITY;
        long lastReport = t0;
        for (int k = 1; k < snapshots.length; k++) {
            sleepUntil(t0 + seconds(trace.time(k)));
            network.apply(snapshots[k]);
            long now = System.nanoTime();
            inForceFrom[k] = (now - t0) / 1e9;
            if (now - lastReport >= seconds(10) || k == snapshots.length - 1) {
                lastReport = now;
                double t = (now - t0) / 1e9;
                List<TrafficSchedule.Send> sent = schedule.sends().stream().filter(s -> s.at() <= t).toList();
                long pairs = (long) sent.size() * (scenario.nodes() - 1);
                progress.accept(String.format(Locale.ROOT,
                        "%s t=%3.0f/%.0f s: %d component(s), diameter %d | XO %d/%d | client/server %d/%d "
                                + "(%d reconnects)",
                        scenario.name(), t, scenario.duration(), snapshots[k].components().size(),
                        snapshots[k].diameter(), xo.deliveredSoFar(sent), pairs, cs.deliveredSoFar(sent), pairs,
                        sum(cs, ChatClient::reconnects)));
            }
        }
        return inForceFrom;
    }

    /**
     * Every (message, receiver) outcome; "connected at sending" and "reachable after" are judged on the topology
     * the network actually carried at the generation time (see {@link #play}) and on every later one.
     */
    private static SystemResult outcomes(String system, String label, Side side, TrafficSchedule schedule,
                                         Topology.Snapshot[] snapshots, double[] inForceFrom, long t0) {
        int n = side.clients.length;
        List<Delivery> out = new ArrayList<>();
        for (TrafficSchedule.Send s : schedule.sends()) {
            int first = 0;
            while (first + 1 < snapshots.length && inForceFrom[first + 1] <= s.at()) {
                first++;
            }
            for (int r = 0; r < n; r++) {
                if (r == s.sender()) {
                    continue;
                }
                boolean reachableAfter = false;
                for (int k = first; k < snapshots.length && !reachableAfter; k++) {
                    reachableAfter = snapshots[k].isReachable(s.sender(), r);
                }
                long at = side.arrivals.get(s.message() * n + r);
                double latency = at == 0 ? Double.NaN : Math.max(0, (at - t0) / 1e9 - s.at());
                out.add(new Delivery(s.message(), s.sender(), r, s.at(), latency,
                        snapshots[first].isReachable(s.sender(), r), reachableAfter));
            }
        }
        return new SystemResult(system, label, out);
    }

    private static int sum(Side side, ToIntFunction<ChatClient> counter) {
        int total = 0;
        for (ChatClient c : side.clients) {
            total += c == null ? 0 : counter.applyAsInt(c);
        }
        return total;
    }

    private static void stopAll(List<NodeProcess> processes) {
        List<Thread> stoppers = new ArrayList<>();
        for (NodeProcess p : processes) {
            Thread t = new Thread(p::close, "stop-" + p.domain());
            t.start();
            stoppers.add(t);
        }
        for (Thread t : stoppers) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static long seconds(double s) {
        return (long) (s * 1e9);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }
}
