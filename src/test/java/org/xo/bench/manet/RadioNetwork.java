package org.xo.bench.manet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.xo.it.NetNs;

/**
 * An emulated mobile ad-hoc network of real Linux network namespaces, driven by a {@link Topology}:
 * <pre>
 *   n0 ─┐                  every node namespace nI has device r0 (10.231.250.(I+1)/24, MAC 02:58:4f:00:00:(I+1))
 *   n1 ─┼── br0 in "hub"   on one bridge: one broadcast channel, like a radio; multicast floods to every port
 *   ... ┘
 *   n0 ── to-srv ══ srv    the gateway n0 has a wired link to the infrastructure namespace srv (central server)
 * </pre>
 * <b>Range.</b> Who hears whom is decided in each receiver: an nftables {@code netdev} ingress filter on r0 drops
 * every frame whose source MAC is not in the set {@code neighbours}. {@link #apply} rewrites the sets at each trace
 * step, so a link "comes up" the moment two nodes get within radio range and "goes down" when they part.
 * <p>
 * <b>Bit errors.</b> With P_b &gt; 0 the same filter drops frames from neighbours at random with the probability of
 * {@link Loss#probability} for their size: lengths are bucketed by {@value #LOSS_BUCKET} bytes and each bucket uses
 * its midpoint plus the 14-byte Ethernet header ({@code numgen random mod 10^6 < p * 10^6}). Each receiver draws
 * on its own, as radios do.
 * <p>
 * <b>Unicast routing</b> (for the client/server baseline), every node forwarding (ip_forward=1, no ICMP redirects),
 * one of two {@link Routing} modes:
 * <ul>
 * <li>{@link Routing#IDEAL}: at each step one /32 route per other node: on-link when in range, via the first hop of
 * a shortest path (BFS, lowest node number on ties) when reachable, {@code unreachable} otherwise; the server's
 * address follows the route to n0. Recomputed instantly from the true topology, which favours client/server over
 * any real protocol: it never waits for routing to converge.</li>
 * <li>{@link Routing#BABEL}: Debian's babeld in every node, with its defaults for a wireless interface (hello every
 * 4 s, link quality estimation), announcing each node's address and, on n0, the server's link; its control traffic
 * crosses the same filters as everything else. Like the paper's OSPF, routes lag the topology.</li>
 * </ul>
 * Neighbour (ARP) entries are static, so no resolution traffic competes.
 * <p>
 * <b>Multicast</b> needs a forwarder on this shared channel (the kernel never sends a packet back out the
 * interface it came in on): {@link FloodingRelay}, classical flooding as in the paper's SMF.
 * <p>
 * The namespaces come from {@link NetNs}, which removes everything on {@link #close()} (also after a killed JVM).
 */
final class RadioNetwork implements AutoCloseable {
    static final String DEVICE = "r0";
    static final int LOSS_BUCKET = 64;
    private static final int MTU = 1500;
    private static final int ETHERNET_HEADER = 14;
    private static final Pattern COUNTER = Pattern.compile(
            "counter (\\w+) \\{\\s*packets (\\d+) bytes (\\d+)", Pattern.MULTILINE);

    /** How the client/server baseline's unicast traffic finds its way; see the class comment. */
    enum Routing {
        IDEAL, BABEL;

        static Routing named(String name) {
            return switch (name) {
                case "ideal" -> IDEAL;
                case "babel" -> BABEL;
                default -> throw new IllegalArgumentException("routing is 'ideal' or 'babel', not '" + name + "'.");
            };
        }
    }

    private final NetNs net;
    private final Routing routing;
    private final int nodes;
    private final NetNs.Link wan;
    /** Current state, to rewrite only what changed. */
    private final boolean[][] linked;
    private final String[][] routes;
    private final ExecutorService updater = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "radio-update");
        t.setDaemon(true);
        return t;
    });
    private int steps;
    private int changes;
    private long applyMicrosTotal;
    private long applyMicrosMax;

    private RadioNetwork(NetNs net, Routing routing, int nodes, NetNs.Link wan) {
        this.net = net;
        this.routing = routing;
        this.nodes = nodes;
        this.wan = wan;
        this.linked = new boolean[nodes][nodes];
        this.routes = new String[nodes][nodes + 1];
    }

    /** Builds the namespaces, the channel, the filters (nobody hears anybody yet) and the server's wired link. */
    static RadioNetwork create(int nodes, double bitErrorProbability, Routing routing) throws IOException {
        NetNs net = NetNs.create();
        try {
            net.namespace("hub");
            for (int i = 0; i < nodes; i++) {
                String name = node(i);
                net.namespace(name);
                // Before r0 exists, so it inherits: this node forwards, but never redirects a sender to a peer it
                // "hears" only through the shared bridge.
                net.setSysctl(name, "net/ipv4/ip_forward", "1");
                for (String conf : List.of("all", "default")) {
                    net.setSysctl(name, "net/ipv4/conf/" + conf + "/send_redirects", "0");
                    net.setSysctl(name, "net/ipv4/conf/" + conf + "/accept_redirects", "0");
                }
                net.bridgePort("hub", name, DEVICE, mac(i), address(i) + "/24");
                StringBuilder neighbours = new StringBuilder();
                for (int j = 0; j < nodes; j++) {
                    if (j != i) {
                        neighbours.append(String.format("neigh replace %s lladdr %s dev %s nud permanent%n",
                                address(j), mac(j), DEVICE));
                    }
                }
                if (neighbours.length() > 0) {
                    net.execInput(name, neighbours.toString(), "ip", "-batch", "-");
                }
                net.execInput(name, filter(bitErrorProbability), "nft", "-f", "-");
                if (routing == Routing.BABEL) {
                    // Babel speaks over IPv6 link-local addresses; no duplicate address detection delay.
                    net.setSysctl(name, "net/ipv6/conf/" + DEVICE + "/accept_dad", "0");
                    net.setSysctl(name, "net/ipv6/conf/" + DEVICE + "/disable_ipv6", "0");
                }
            }
            net.namespace("srv");
            NetNs.Link wan = net.link(node(0), "srv");
            net.exec("srv", "ip", "route", "add", subnet(), "via", wan.address(node(0)));
            if (routing == Routing.BABEL) {
                startBabel(net, nodes, wan);
            }
            return new RadioNetwork(net, routing, nodes, wan);
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }

    private static void startBabel(NetNs net, int nodes, NetNs.Link wan) throws IOException {
        Path noConfig = net.file("babeld-empty.conf");
        Files.writeString(noConfig, "# the daemons are configured on their command lines\n");
        for (int i = 0; i < nodes; i++) {
            String name = node(i);
            List<String> command = new ArrayList<>(List.of("babeld", "-c", noConfig.toString(),
                    "-I", net.file("babeld-" + name + ".pid").toString(),
                    "-S", net.file("babeld-" + name + ".state").toString(),
                    "-C", "interface " + DEVICE + " type wireless"));
            if (i == 0) {
                command.addAll(List.of("-C", "redistribute if " + wan.device(name) + " metric 128"));
            }
            command.add(DEVICE);
            net.daemon(name, "babeld-" + name, command);
        }
    }

    /**
     * With {@link Routing#BABEL}, waits until every node in n0's component has a route to the server (or the
     * timeout passes); @return the nodes still without one. Nothing to wait for with ideal routing.
     */
    List<Integer> awaitServerRoutes(Topology.Snapshot snapshot, long timeoutMs) throws IOException,
            InterruptedException {
        List<Integer> missing = new ArrayList<>();
        if (routing == Routing.IDEAL) {
            return missing;
        }
        long deadline = System.currentTimeMillis() + timeoutMs;
        do {
            missing.clear();
            for (int i = 1; i < nodes; i++) {
                if (snapshot.isReachable(0, i) && !hasRouteToServer(i)) {
                    missing.add(i);
                }
            }
            if (missing.isEmpty()) {
                return missing;
            }
            Thread.sleep(200);
        } while (System.currentTimeMillis() < deadline);
        return missing;
    }

    /** Only babeld's routes cover the server's link (nodes have no default route). */
    private boolean hasRouteToServer(int i) throws IOException {
        return net.exec(node(i), "ip", "-4", "route", "show", "match", serverAddress()).lines()
                .anyMatch(l -> l.contains("via"));
    }

    Routing routing() {
        return routing;
    }

    static String node(int i) {
        return "n" + i;
    }

    static String address(int i) {
        return "10.231.250." + (i + 1);
    }

    static String mac(int i) {
        return String.format("02:58:4f:00:%02x:%02x", (i + 1) >> 8, (i + 1) & 0xff);
    }

    private static String subnet() {
        return "10.231.250.0/24";
    }

    int nodes() {
        return nodes;
    }

    /** Namespace name (for {@code ip netns exec} and sockets) of node i. */
    String namespace(int i) {
        return net.name(node(i));
    }

    String serverNamespace() {
        return net.name("srv");
    }

    /** The central server's address, behind the gateway n0. */
    String serverAddress() {
        return wan.address("srv");
    }

    /** The netns toolkit, e.g. for running a command inside a node. */
    NetNs namespaces() {
        return net;
    }

    /**
     * Sets who hears whom and every node's routes to the graph {@code snapshot}; changes only what differs, the
     * nodes in parallel (each change is a process launch; one step must fit well inside a trace sample).
     */
    synchronized void apply(Topology.Snapshot snapshot) throws IOException {
        if (snapshot.nodes() != nodes) {
            throw new IllegalArgumentException("snapshot of " + snapshot.nodes() + " nodes for " + nodes);
        }
        long started = System.nanoTime();
        List<Callable<Void>> updates = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            boolean neighboursChanged = false;
            for (int j = 0; j < nodes; j++) {
                boolean l = i != j && snapshot.isLinked(i, j);
                if (linked[i][j] != l) {
                    linked[i][j] = l;
                    neighboursChanged = true;
                }
            }
            StringBuilder batch = new StringBuilder();
            for (int j = 0; routing == Routing.IDEAL && j <= nodes; j++) {
                String route = route(snapshot, i, j, serverAddress());
                if (route != null && !route.equals(routes[i][j])) {
                    routes[i][j] = route;
                    batch.append(route).append('\n');
                }
            }
            String node = node(i);
            String neighbours = neighboursChanged ? neighbourSet(i) : null;
            if (neighboursChanged) {
                changes++;
            }
            if (neighbours != null || batch.length() > 0) {
                updates.add(() -> {
                    if (neighbours != null) {
                        net.execInput(node, neighbours, "nft", "-f", "-");
                    }
                    if (batch.length() > 0) {
                        net.execInput(node, batch.toString(), "ip", "-batch", "-");
                    }
                    return null;
                });
            }
        }
        try {
            for (Future<Void> f : updater.invokeAll(updates)) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while changing the topology", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
        long micros = (System.nanoTime() - started) / 1000;
        steps++;
        applyMicrosTotal += micros;
        applyMicrosMax = Math.max(applyMicrosMax, micros);
    }

    /**
     * The ideal route (an {@code ip route} command) of node i to node j, or with j == the node count to the server
     * at {@code serverAddress}; null when none is needed.
     */
    static String route(Topology.Snapshot s, int i, int j, String serverAddress) {
        if (j == s.nodes()) {
            if (i == 0) {
                return null; // on the wired link
            }
            return toward(s, i, 0, serverAddress);
        }
        if (i == j) {
            return null;
        }
        return toward(s, i, j, address(j));
    }

    private static String toward(Topology.Snapshot s, int from, int to, String destination) {
        int hops = s.hops(from, to);
        if (hops < 0) {
            return "route replace unreachable " + destination + "/32";
        }
        if (hops == 1) {
            // The server is not on the channel: it is reached through the gateway even from the gateway's neighbours.
            return destination.equals(address(to)) ? "route replace " + destination + "/32 dev " + DEVICE
                    : "route replace " + destination + "/32 via " + address(to) + " dev " + DEVICE;
        }
        for (int k = 0; k < s.nodes(); k++) {
            if (s.isLinked(from, k) && s.hops(k, to) == hops - 1) {
                return "route replace " + destination + "/32 via " + address(k) + " dev " + DEVICE;
            }
        }
        throw new IllegalStateException("no first hop from " + from + " to " + to);
    }

    private String neighbourSet(int i) {
        List<String> macs = new ArrayList<>();
        for (int j = 0; j < nodes; j++) {
            if (linked[i][j]) {
                macs.add(mac(j));
            }
        }
        String flush = "flush set netdev radio neighbours\n";
        return macs.isEmpty() ? flush : flush + "add element netdev radio neighbours { " + String.join(", ", macs)
                + " }\n";
    }

    /** The ingress filter of one node: drop what is out of range, then (P_b &gt; 0) bit errors by frame size. */
    static String filter(double bitErrorProbability) {
        StringBuilder rules = new StringBuilder();
        rules.append("table netdev radio {\n")
                .append("  counter out_of_range { }\n")
                .append("  counter bit_errors { }\n")
                .append("  set neighbours { type ether_addr; }\n")
                .append("  chain ingress {\n")
                .append("    type filter hook ingress device \"").append(DEVICE)
                .append("\" priority 0; policy accept;\n")
                .append("    ether saddr != @neighbours counter name \"out_of_range\" drop\n");
        if (bitErrorProbability > 0) {
            for (int low = 0; low < MTU + ETHERNET_HEADER; low += LOSS_BUCKET) {
                int high = low + LOSS_BUCKET - 1;
                int midpointFrame = (low + high) / 2 + ETHERNET_HEADER;
                long perMillion = Math.round(Loss.probability(bitErrorProbability, midpointFrame) * 1_000_000);
                rules.append(String.format(Locale.ROOT,
                        "    meta length %d-%d numgen random mod 1000000 < %d counter name \"bit_errors\" drop%n",
                        low, high, perMillion));
            }
        }
        rules.append("  }\n}\n");
        return rules.toString();
    }

    /**
     * Frames dropped in all receivers as out of range and as bit errors (packets), and how often the trace changed
     * a node's neighbours.
     */
    Map<String, Long> counters() throws IOException {
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("dropped_out_of_range", 0L);
        out.put("dropped_bit_errors", 0L);
        for (int i = 0; i < nodes; i++) {
            Matcher m = COUNTER.matcher(net.exec(node(i), "nft", "list", "counters", "table", "netdev", "radio"));
            while (m.find()) {
                String key = "dropped_" + m.group(1);
                out.merge(key, Long.parseLong(m.group(2)), Long::sum);
            }
        }
        out.put("topology_steps", (long) steps);
        out.put("neighbour_set_changes", (long) changes);
        out.put("topology_step_mean_ms", steps == 0 ? 0 : applyMicrosTotal / steps / 1000);
        out.put("topology_step_max_ms", applyMicrosMax / 1000);
        return out;
    }

    @Override
    public void close() {
        updater.shutdownNow();
        net.close();
    }
}
