package org.xo.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.Assume;

/**
 * Test network topologies made of Linux network namespaces, built with iproute2 ({@code ip}) and, for multicast
 * routing, Debian's {@code smcroute}. Root only; {@link #requireRootOrSkip()} and {@link #requireSmcrouteOrSkip()}
 * skip a test where that is missing, except in CI ({@code CI=true}), where they fail it.
 * <pre>
 *   try (NetNs net = NetNs.create()) {
 *       net.namespace("a"); net.namespace("b"); net.namespace("c");
 *       NetNs.Link ab = net.link("a", "b"), bc = net.link("b", "c");
 *       NetNs.Management ma = net.management("a");   // root ↔ a, for the test's XMPP clients
 *       net.multicastRouter("b");                    // smcroute in b: 239.192.0.0/14 between all of b's links
 *       ... NodeProcess.builder().netns(net.name("a")).multicastInterface(ab.device("a")).bind(ma.nsAddress()) ...
 *       ab.down(); ... ab.up();
 *   }
 * </pre>
 * <b>Names.</b> A namespace is {@code xo-<jvm pid>-<instance>-<name>}. Inside namespace X the end of the link to Y
 * is the device {@code to-Y}; the namespace side of X's management link is {@code mgmt}, its root side
 * {@code xo<pid base 36>-<subnet>}.
 * <p>
 * <b>Addresses.</b> Everything is in {@value #TEST_RANGE}, a private range used ONLY on these veth pairs: nothing is
 * routed to or from it outside this machine (no default route in any namespace, no NAT, nothing on eth0).
 * <ul>
 *   <li>chain link k (k = 1, 2, … in creation order): 10.231.k.0/24, first-named namespace .1, second .2;
 *       these addresses exist only inside the namespaces;</li>
 *   <li>management link of a namespace: 10.231.M.0/24 with M from 101 up, the first subnet no root
 *       address or route uses yet; root side .1, namespace side .2. This is the only part visible in the root
 *       namespace (a connected /24 on a veth).</li>
 * </ul>
 * <b>Isolation.</b> Multicast crosses only where {@link #multicastRouter} put a router: node namespaces keep
 * {@code ip_forward=0} and run no multicast router, and the root namespace has no route into the chain, so
 * nothing joins a management link to the chain ({@link #checkIsolation()} verifies it). IPv6 is disabled on
 * every device made here (no DAD delays, no router solicitations or MLD chatter). Reverse-path filtering is
 * set to 0 in the namespaces: a node receives multicast from sources it has no route to (a node namespace
 * has only connected routes).
 * <p>
 * <b>Cleanup.</b> {@link #close()} ends the processes it started (by pid: {@code ip netns exec} execs, so the
 * pid is the daemon's), kills any process still inside one of its namespaces (by pid, from {@code ip netns
 * pids}), deletes the root-side devices, the namespaces and its temporary directory, collecting errors rather
 * than stopping at the first. A JVM shutdown hook closes what is still open; namespaces and temporary
 * directories left by a test JVM that was killed outright (its pid is gone) are removed by the next
 * {@link #create()}.
 */
public final class NetNs implements AutoCloseable {
    /** The private test range: used only inside these namespaces and on their veth pairs. */
    public static final String TEST_RANGE = "10.231.0.0/16";
    /** What a multicast router forwards: XO's room groups (organization-local scope, the paper's /14). */
    public static final String MULTICAST_RANGE = "239.192.0.0/14";
    private static final int FIRST_MANAGEMENT_SUBNET = 101;
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration ROUTER_READY_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern OUR_NAMESPACE = Pattern.compile("xo-(\\d+)-(\\d+)-[a-z0-9]+");
    private static final Pattern OUR_TEMP_DIR = Pattern.compile("xo-netns-(\\d+)-.*");
    private static final Pattern LOGICAL_NAME = Pattern.compile("[a-z][a-z0-9]{0,7}");
    private static final long PID = ProcessHandle.current().pid();
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final Set<NetNs> OPEN = ConcurrentHashMap.newKeySet();
    /** Management subnets taken in this JVM (another JVM's show up in the root routes). */
    private static final Set<Integer> TAKEN_SUBNETS = ConcurrentHashMap.newKeySet();
    private static volatile String rootProblem;
    private static volatile String smcrouteProblem;
    private static final Map<String, String> COMMAND_PROBLEMS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (NetNs net : OPEN) {
                try {
                    net.close();
                } catch (RuntimeException e) {
                    System.err.println("NetNs cleanup at exit: " + e.getMessage());
                }
            }
        }, "xo-netns-cleanup"));
    }

    private final int instance;
    private final Path dir;
    /** Logical name → namespace name, in creation order. */
    private final Map<String, String> namespaces = new LinkedHashMap<>();
    private final List<Link> links = new ArrayList<>();
    private final Map<String, Management> managements = new LinkedHashMap<>();
    private final Map<String, Process> routers = new LinkedHashMap<>();
    private final Set<String> bridgedHubs = new HashSet<>();
    /** Label → daemon started by {@link #daemon}. */
    private final Map<String, Process> daemons = new LinkedHashMap<>();
    private boolean closed;

    private NetNs(int instance, Path dir) {
        this.instance = instance;
        this.dir = dir;
    }

    // ------------------------------------------------------------------------------------------------ guards

    /**
     * Skips the calling test (JUnit assumption) unless this JVM runs as root and can create network namespaces
     * with {@code ip}; in CI ({@code CI=true}) fails it instead, so namespace tests cannot silently stop running.
     */
    public static void requireRootOrSkip() {
        if (rootProblem == null) {
            rootProblem = probeRoot();
        }
        requireOrSkip(rootProblem);
    }

    /** As {@link #requireRootOrSkip()}, and {@code smcrouted} (Debian package smcroute) must run. */
    public static void requireSmcrouteOrSkip() {
        requireRootOrSkip();
        if (smcrouteProblem == null) {
            smcrouteProblem = probeSmcroute();
        }
        requireOrSkip(smcrouteProblem);
    }

    /** As {@link #requireRootOrSkip()}, and {@code nft} (Debian package nftables) must run. */
    public static void requireNftablesOrSkip() {
        requireCommandOrSkip("nft", "--version");
    }

    /**
     * As {@link #requireRootOrSkip()}, and {@code command probeArgs...} (a version query, say) must run with
     * status 0; the package is named in .ci/run.
     */
    public static void requireCommandOrSkip(String command, String... probeArgs) {
        requireRootOrSkip();
        List<String> probe = new ArrayList<>(List.of(command));
        probe.addAll(List.of(probeArgs));
        requireOrSkip(COMMAND_PROBLEMS.computeIfAbsent(command, c -> {
            Result r = runQuietly(probe);
            return r.code == 0 ? "" : command + " cannot be run (" + r.describe() + ")";
        }));
    }

    private static void requireOrSkip(String problem) {
        if (problem.isEmpty()) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("Network-namespace tests must run in CI (CI=true), but " + problem
                    + ". Run CI as root with iproute2, smcroute, nftables and babeld installed (see .ci/run).");
        }
        Assume.assumeTrue("Skipped: " + problem + " (network-namespace tests need root, iproute2, smcroute, nftables and babeld)",
                false);
    }

    /** @return "" when fine, else why not */
    private static String probeRoot() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return "this is not Linux";
        }
        try {
            String uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).findFirst().orElse("Uid: ?").split("\\s+")[1];
            if (!"0".equals(uid)) {
                return "the test JVM does not run as root (uid " + uid + ")";
            }
        } catch (IOException | RuntimeException e) {
            return "the user id cannot be read from /proc/self/status (" + e + ")";
        }
        Result version = runQuietly(List.of("ip", "-V"));
        if (version.code != 0) {
            return "iproute2's 'ip' cannot be run (" + version.describe() + ")";
        }
        String probe = "xo-" + PID + "-0-probe";
        Result add = runQuietly(List.of("ip", "netns", "add", probe));
        runQuietly(List.of("ip", "netns", "del", probe));
        if (add.code != 0) {
            return "'ip netns add' does not work here (" + add.describe() + ")";
        }
        return "";
    }

    private static String probeSmcroute() {
        Result version = runQuietly(List.of("smcrouted", "-v"));
        return version.code == 0 ? "" : "smcrouted (Debian package smcroute) cannot be run (" + version.describe()
                + ")";
    }

    // ------------------------------------------------------------------------------------------------ building

    /** An empty topology; also removes what a killed test JVM left behind. */
    public static NetNs create() throws IOException {
        removeStale();
        int instance = INSTANCES.incrementAndGet();
        Path dir = Files.createTempDirectory("xo-netns-" + PID + "-" + instance + "-");
        NetNs net = new NetNs(instance, dir);
        OPEN.add(net);
        return net;
    }

    /** Creates namespace {@code xo-<pid>-<instance>-<name>} with lo up; @return its name */
    public synchronized String namespace(String name) throws IOException {
        requireOpen();
        if (!LOGICAL_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("Namespace names here are 1-8 of [a-z0-9], starting with a letter: "
                    + name);
        }
        if (namespaces.containsKey(name)) {
            throw new IllegalArgumentException("Namespace " + name + " exists already");
        }
        String ns = "xo-" + PID + "-" + instance + "-" + name;
        run("ip", "netns", "add", ns);
        namespaces.put(name, ns);
        // Before any device exists, so devices inherit "default"; effective rp_filter is max(all, device).
        sysctl(ns, "net/ipv4/conf/all/rp_filter", "0");
        sysctl(ns, "net/ipv4/conf/default/rp_filter", "0");
        sysctl(ns, "net/ipv4/ip_forward", "0");
        sysctlIfPresent(ns, "net/ipv6/conf/default/disable_ipv6", "1");
        sysctlIfPresent(ns, "net/ipv6/conf/all/disable_ipv6", "1");
        run("ip", "-n", ns, "link", "set", "lo", "up");
        return ns;
    }

    /** The full name of a namespace made by {@link #namespace(String)}, for {@code ip netns exec}. */
    public synchronized String name(String name) {
        String ns = namespaces.get(name);
        if (ns == null) {
            throw new IllegalArgumentException("No namespace " + name + " in " + namespaces.keySet());
        }
        return ns;
    }

    /** A veth pair between two namespaces, up, with 10.231.k.1/24 in {@code a} and 10.231.k.2/24 in {@code b}. */
    public synchronized Link link(String a, String b) throws IOException {
        requireOpen();
        String nsA = name(a);
        String nsB = name(b);
        if (a.equals(b) || links.stream().anyMatch(l -> l.joins(a, b))) {
            throw new IllegalArgumentException("Cannot link " + a + " and " + b + " (same, or linked already)");
        }
        int k = links.size() + 1;
        if (k >= FIRST_MANAGEMENT_SUBNET) {
            throw new IllegalStateException("Too many chain links");
        }
        Link link = new Link(this, a, nsA, "to-" + b, "10.231." + k + ".1", b, nsB, "to-" + a, "10.231." + k + ".2",
                k);
        run("ip", "link", "add", link.devA, "netns", nsA, "type", "veth", "peer", "name", link.devB, "netns", nsB);
        links.add(link);
        for (String[] end : new String[][] {{nsA, link.devA, link.addressA}, {nsB, link.devB, link.addressB}}) {
            sysctlIfPresent(end[0], "net/ipv6/conf/" + end[1] + "/disable_ipv6", "1");
            run("ip", "-n", end[0], "addr", "add", end[2] + "/24", "dev", end[1]);
            run("ip", "-n", end[0], "link", "set", end[1], "up");
        }
        return link;
    }

    /**
     * Attaches namespace {@code member} to a shared Ethernet segment: a Linux bridge {@code br0} in namespace
     * {@code hub} (made on first use; multicast snooping off, so every port sees every multicast frame, as on a
     * radio channel) and a veth pair whose member end is {@code device} with the given MAC and address (CIDR), up.
     * Who hears whom on the segment is then up to filters in the members (see the MANET benchmark).
     */
    public synchronized void bridgePort(String hub, String member, String device, String mac, String cidr)
            throws IOException {
        requireOpen();
        String nsHub = name(hub);
        String nsMember = name(member);
        if (bridgedHubs.add(hub)) {
            run("ip", "-n", nsHub, "link", "add", "br0", "type", "bridge", "stp_state", "0", "mcast_snooping", "0");
            run("ip", "-n", nsHub, "link", "set", "br0", "up");
        }
        String hubPort = "p-" + member;
        run("ip", "link", "add", device, "netns", nsMember, "address", mac, "type", "veth", "peer", "name", hubPort,
                "netns", nsHub);
        sysctlIfPresent(nsMember, "net/ipv6/conf/" + device + "/disable_ipv6", "1");
        sysctlIfPresent(nsHub, "net/ipv6/conf/" + hubPort + "/disable_ipv6", "1");
        run("ip", "-n", nsHub, "link", "set", hubPort, "master", "br0", "up");
        run("ip", "-n", nsMember, "addr", "add", cidr, "dev", device);
        run("ip", "-n", nsMember, "link", "set", device, "up");
    }

    /**
     * A veth pair from the root namespace (where the test's clients run) to {@code name}: root side
     * 10.231.M.1/24, namespace side 10.231.M.2/24 on device {@code mgmt}. Unicast only: see the class comment.
     */
    public synchronized Management management(String name) throws IOException {
        requireOpen();
        String ns = name(name);
        if (managements.containsKey(name)) {
            throw new IllegalArgumentException(name + " has a management link already");
        }
        int subnet = freeManagementSubnet();
        String rootDev = "xo" + Long.toString(PID, 36) + "-" + subnet;
        if (rootDev.length() > 15) {
            throw new IllegalStateException("Interface name too long: " + rootDev);
        }
        Management m = new Management(name, ns, rootDev, "10.231." + subnet + ".1", "mgmt", "10.231." + subnet + ".2",
                subnet);
        try {
            run("ip", "link", "add", rootDev, "type", "veth", "peer", "name", m.nsDevice(), "netns", ns);
        } catch (IOException e) {
            TAKEN_SUBNETS.remove(subnet);
            throw e;
        }
        managements.put(name, m);
        writeRootSysctlIfPresent("net/ipv6/conf/" + rootDev + "/disable_ipv6", "1");
        sysctlIfPresent(ns, "net/ipv6/conf/" + m.nsDevice() + "/disable_ipv6", "1");
        run("ip", "addr", "add", m.rootAddress() + "/24", "dev", rootDev);
        run("ip", "link", "set", rootDev, "up");
        run("ip", "-n", ns, "addr", "add", m.nsAddress() + "/24", "dev", m.nsDevice());
        run("ip", "-n", ns, "link", "set", m.nsDevice(), "up");
        return m;
    }

    /**
     * Makes {@code name} a multicast router: ip_forward=1 and an smcrouted of its own (own config, control socket,
     * pid file and identity in this topology's temporary directory: the defaults under /run are shared by all
     * namespaces) that forwards {@value #MULTICAST_RANGE} from each of the namespace's chain links to all the
     * others. Call after its links exist; waits until the daemon has its multicast interfaces.
     */
    public synchronized void multicastRouter(String name) throws IOException {
        requireOpen();
        String ns = name(name);
        if (routers.containsKey(name)) {
            throw new IllegalArgumentException(name + " routes already");
        }
        List<String> devices = links.stream().filter(l -> l.has(name)).map(l -> l.device(name)).toList();
        if (devices.size() < 2) {
            throw new IllegalStateException(name + " needs at least two chain links to route between, has "
                    + devices);
        }
        sysctl(ns, "net/ipv4/ip_forward", "1");
        StringBuilder conf = new StringBuilder("# smcroute for namespace " + ns + " (written by NetNs)\n");
        for (String dev : devices) {
            conf.append("phyint ").append(dev).append(" enable\n");
        }
        for (String in : devices) {
            List<String> out = devices.stream().filter(d -> !d.equals(in)).toList();
            conf.append("mroute from ").append(in).append(" group ").append(MULTICAST_RANGE).append(" to ")
                    .append(String.join(" ", out)).append('\n');
        }
        Path confFile = dir.resolve("smcroute-" + name + ".conf");
        Files.writeString(confFile, conf);
        Path pidFile = dir.resolve("smcroute-" + name + ".pid");
        Path log = dir.resolve("smcroute-" + name + ".log");
        // -n: foreground, so it is our child and its pid is known; -N: no interfaces but the phyint lines.
        List<String> command = List.of("ip", "netns", "exec", ns, "smcrouted", "-n", "-N",
                "-f", confFile.toString(), "-u", dir.resolve("smcroute-" + name + ".sock").toString(),
                "-P", pidFile.toString(), "-i", "xo-" + PID + "-" + instance + "-" + name, "-l", "info");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        routers.put(name, process);
        long deadline = System.nanoTime() + ROUTER_READY_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("smcrouted in " + ns + " exited with status " + process.exitValue() + ": "
                        + readQuietly(log) + "\nconfig:\n" + conf);
            }
            String vifs = run("ip", "netns", "exec", ns, "cat", "/proc/net/ip_mr_vif");
            boolean allVifs = devices.stream().allMatch(d -> vifs.matches("(?s).*\\s" + Pattern.quote(d) + "\\s.*"));
            if (allVifs && Files.exists(pidFile)) {
                String pid = readQuietly(pidFile).trim();
                if (!pid.equals(Long.toString(process.pid()))) {
                    throw new IOException("smcrouted's pid file says " + pid + " but the started process is "
                            + process.pid() + " ('ip netns exec' should exec, not fork)");
                }
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("smcrouted in " + ns + " not ready within " + ROUTER_READY_TIMEOUT.toSeconds()
                        + " s; VIFs:\n" + vifs + "\nlog:\n" + readQuietly(log));
            }
            sleep(50);
        }
    }

    /**
     * Starts {@code command} inside namespace {@code name} as a foreground daemon, our child (so its pid is known
     * and {@link #close()} stops it); standard output and error go to {@link #file}({@code label + ".log"}).
     */
    public synchronized Process daemon(String name, String label, List<String> command) throws IOException {
        requireOpen();
        if (daemons.containsKey(label)) {
            throw new IllegalArgumentException("A daemon " + label + " runs already");
        }
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name(name)));
        full.addAll(command);
        Process process = new ProcessBuilder(full).redirectErrorStream(true)
                .redirectOutput(file(label + ".log").toFile()).start();
        daemons.put(label, process);
        return process;
    }

    /** A path in this topology's temporary directory (deleted by {@link #close()}), e.g. for a daemon's files. */
    public Path file(String fileName) {
        return dir.resolve(fileName);
    }

    /** What the multicast router in {@code name} logged so far. */
    public String routerLog(String name) {
        return readQuietly(dir.resolve("smcroute-" + name + ".log"));
    }

    /** The kernel's multicast routes in {@code name} ({@code ip mroute show}), e.g. to see what was forwarded. */
    public String multicastRoutes(String name) throws IOException {
        return run("ip", "-n", name(name), "mroute", "show");
    }

    /** Runs a command inside a namespace; @return its stdout; fails with its status and stderr. */
    public String exec(String name, String... command) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name(name)));
        full.addAll(List.of(command));
        return run(full);
    }

    /** Runs {@code command} inside namespace {@code name} with {@code input} as its standard input. */
    public String execInput(String name, String input, String... command) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name(name)));
        full.addAll(List.of(command));
        Result r = runQuietly(full, input);
        if (r.code != 0) {
            throw new IOException("'" + String.join(" ", full) + "' failed: " + r.describe() + "\ninput:\n" + input);
        }
        return r.stdout;
    }

    /** Writes a sysctl inside namespace {@code name}, e.g. {@code setSysctl("a", "net/ipv4/ip_forward", "1")}. */
    public void setSysctl(String name, String key, String value) throws IOException {
        sysctl(name(name), key, value);
    }

    public synchronized List<Link> links() {
        return List.copyOf(links);
    }

    /** The existing link between two namespaces. */
    public synchronized Link findLink(String a, String b) {
        return links.stream().filter(l -> l.joins(a, b)).findFirst().orElseThrow(
                () -> new IllegalArgumentException("No link between " + a + " and " + b));
    }

    /**
     * Verifies that nothing joins a management link to the chain: no namespace with a management link forwards
     * (ip_forward=0, no multicast router, no multicast forwarding on any device) and the root side of every
     * management link does not forward multicast. Throws AssertionError naming what is wrong.
     */
    public synchronized void checkIsolation() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Management m : managements.values()) {
            if (routers.containsKey(m.name())) {
                problems.add(m.name() + " has a management link and runs a multicast router");
            }
            if (!"0".equals(exec(m.name(), "cat", "/proc/sys/net/ipv4/ip_forward").trim())) {
                problems.add(m.name() + " has ip_forward on");
            }
            String mcForwarding = exec(m.name(), "sh", "-c", "cat /proc/sys/net/ipv4/conf/*/mc_forwarding");
            if (mcForwarding.lines().anyMatch(l -> !l.trim().equals("0"))) {
                problems.add(m.name() + " forwards multicast on some device");
            }
            String routes = run("ip", "-n", m.ns(), "-4", "route", "show");
            if (routes.lines().anyMatch(l -> !l.contains("proto kernel"))) {
                problems.add(m.name() + " has routes other than connected ones:\n" + routes);
            }
            Path rootMc = Path.of("/proc/sys/net/ipv4/conf/" + m.rootDevice() + "/mc_forwarding");
            if (Files.exists(rootMc) && !readQuietly(rootMc).trim().equals("0")) {
                problems.add("the root namespace forwards multicast on " + m.rootDevice()
                        + " (a system-wide smcrouted or mrouted running? the tests start their own)");
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("Management links are not isolated from the chain: " + problems);
        }
    }

    // ------------------------------------------------------------------------------------------------ cleanup

    /** Ends what this topology started and deletes everything it made; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<String> errors = new ArrayList<>();
        for (Map.Entry<String, Process> e : routers.entrySet()) {
            stopProcess(e.getValue(), errors, "smcrouted in " + e.getKey());
        }
        for (Map.Entry<String, Process> e : daemons.entrySet()) {
            stopProcess(e.getValue(), errors, "daemon " + e.getKey());
        }
        for (String ns : namespaces.values()) {
            killRemaining(ns, errors);
        }
        for (Management m : managements.values()) {
            // Deleting the namespace deletes its veth end and so the peer, but not if the namespace lingers.
            Result r = runQuietly(List.of("ip", "link", "del", m.rootDevice()));
            if (r.code != 0 && !r.stderr.contains("Cannot find device")) {
                errors.add("ip link del " + m.rootDevice() + ": " + r.describe());
            }
            TAKEN_SUBNETS.remove(m.subnet());
        }
        for (String ns : namespaces.values()) {
            Result r = runQuietly(List.of("ip", "netns", "del", ns));
            if (r.code != 0) {
                errors.add("ip netns del " + ns + ": " + r.describe());
            }
        }
        deleteTree(dir);
        OPEN.remove(this);
        if (!errors.isEmpty()) {
            throw new IllegalStateException("NetNs cleanup incomplete: " + String.join("; ", errors));
        }
    }

    private static void stopProcess(Process p, List<String> errors, String what) {
        try {
            p.toHandle().destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.toHandle().destroyForcibly();
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    errors.add(what + " (pid " + p.pid() + ") does not die");
                }
            }
        } catch (InterruptedException e) {
            p.toHandle().destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Kills (by pid) what still runs in a namespace of ours, e.g. a node a failed test did not stop. */
    private static void killRemaining(String ns, List<String> errors) {
        Result pids = runQuietly(List.of("ip", "netns", "pids", ns));
        if (pids.code != 0) {
            return;
        }
        for (String line : pids.stdout.split("\\s+")) {
            if (line.isBlank()) {
                continue;
            }
            Optional<ProcessHandle> handle = ProcessHandle.of(Long.parseLong(line.trim()));
            if (handle.isEmpty()) {
                continue;
            }
            System.err.println("NetNs: killing pid " + line.trim() + " still running in " + ns + ": "
                    + handle.get().info().commandLine().orElse("?"));
            handle.get().destroyForcibly();
            try {
                handle.get().onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                errors.add("pid " + line.trim() + " in " + ns + " does not die");
            }
        }
    }

    /** Namespaces and temporary directories of test JVMs that no longer run (killed before their hook ran). */
    private static synchronized void removeStale() {
        Result list = runQuietly(List.of("ip", "netns", "list"));
        for (String line : list.stdout.split("\n")) {
            String ns = line.trim().split("\\s+")[0];
            Matcher m = OUR_NAMESPACE.matcher(ns);
            if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                List<String> errors = new ArrayList<>();
                killRemaining(ns, errors);
                runQuietly(List.of("ip", "netns", "del", ns));
                System.err.println("NetNs: removed namespace " + ns + " left by a test JVM that is gone " + errors);
            }
        }
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (Stream<Path> entries = Files.list(tmp)) {
            entries.forEach(p -> {
                Matcher m = OUR_TEMP_DIR.matcher(p.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    deleteTree(p);
                }
            });
        } catch (IOException e) {
            // nothing to clean up then
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("This NetNs is closed");
        }
    }

    private static int freeManagementSubnet() throws IOException {
        String used = run("ip", "-4", "-o", "addr", "show") + "\n" + run("ip", "-4", "route", "show", "table", "all");
        for (int subnet = FIRST_MANAGEMENT_SUBNET; subnet <= 254; subnet++) {
            if (!used.contains("10.231." + subnet + ".") && TAKEN_SUBNETS.add(subnet)) {
                return subnet;
            }
        }
        throw new IOException("No free 10.231.M.0/24 management subnet in the root namespace");
    }

    private static void sysctl(String ns, String key, String value) throws IOException {
        run("ip", "netns", "exec", ns, "sh", "-c", "printf '%s\\n' \"$1\" > \"/proc/sys/$2\"", "sh", value, key);
    }

    private static void sysctlIfPresent(String ns, String key, String value) throws IOException {
        run("ip", "netns", "exec", ns, "sh", "-c",
                "if [ -e \"/proc/sys/$2\" ]; then printf '%s\\n' \"$1\" > \"/proc/sys/$2\"; fi", "sh", value, key);
    }

    private static void writeRootSysctlIfPresent(String key, String value) {
        Path file = Path.of("/proc/sys", key);
        if (Files.exists(file)) {
            try {
                Files.writeString(file, value + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static String run(String... command) throws IOException {
        return run(List.of(command));
    }

    static String run(List<String> command) throws IOException {
        Result r = runQuietly(command);
        if (r.code != 0) {
            throw new IOException("'" + String.join(" ", command) + "' failed: " + r.describe());
        }
        return r.stdout;
    }

    private record Result(int code, String stdout, String stderr) {
        String describe() {
            return "status " + code + (stderr.isBlank() ? "" : ", " + stderr.trim());
        }
    }

    private static Result runQuietly(List<String> command) {
        return runQuietly(command, null);
    }

    /** @param input standard input, or null for /dev/null */
    private static Result runQuietly(List<String> command, String input) {
        Process p;
        try {
            ProcessBuilder builder = new ProcessBuilder(command);
            if (input == null) {
                builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            p = builder.start();
            if (input != null) {
                try (var stdin = p.getOutputStream()) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            return new Result(127, "", e.getMessage());
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        try {
            if (!p.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                return new Result(124, out.getNow(""), "timed out after " + COMMAND_TIMEOUT.toSeconds() + " s");
            }
            return new Result(p.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(130, "", "interrupted");
        } catch (Exception e) {
            return new Result(p.exitValue(), "", "output unreadable: " + e);
        }
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    // ------------------------------------------------------------------------------------------------ records

    /** A veth pair between namespaces {@code a} and {@code b} (logical names). */
    public static final class Link {
        private final NetNs net;
        private final String a;
        private final String nsA;
        private final String devA;
        private final String addressA;
        private final String b;
        private final String nsB;
        private final String devB;
        private final String addressB;
        private final int subnet;

        private Link(NetNs net, String a, String nsA, String devA, String addressA, String b, String nsB, String devB,
                     String addressB, int subnet) {
            this.net = net;
            this.a = a;
            this.nsA = nsA;
            this.devA = devA;
            this.addressA = addressA;
            this.b = b;
            this.nsB = nsB;
            this.devB = devB;
            this.addressB = addressB;
            this.subnet = subnet;
        }

        boolean joins(String x, String y) {
            return a.equals(x) && b.equals(y) || a.equals(y) && b.equals(x);
        }

        boolean has(String name) {
            return a.equals(name) || b.equals(name);
        }

        /** The device of this link inside namespace {@code name} (e.g. the node's multicast interface). */
        public String device(String name) {
            return end(name) == 0 ? devA : devB;
        }

        /** This link's address inside namespace {@code name}. */
        public String address(String name) {
            return end(name) == 0 ? addressA : addressB;
        }

        /** The link's /24, e.g. "10.231.1.0/24". */
        public String subnet() {
            return "10.231." + subnet + ".0/24";
        }

        /** Cuts the link: both ends administratively down (senders on it get "network unreachable"). */
        public void down() throws IOException {
            setUp(a, false);
            setUp(b, false);
        }

        /** Restores the link: both ends up (connected routes come back with the devices). */
        public void up() throws IOException {
            setUp(a, true);
            setUp(b, true);
        }

        /** One end only: the other end stays up but loses its carrier (its sends are silently dropped). */
        public void setUp(String name, boolean up) throws IOException {
            String ns = end(name) == 0 ? nsA : nsB;
            run("ip", "-n", ns, "link", "set", device(name), up ? "up" : "down");
        }

        private int end(String name) {
            if (a.equals(name)) {
                return 0;
            }
            if (b.equals(name)) {
                return 1;
            }
            throw new IllegalArgumentException(name + " is not an end of the link " + this);
        }

        @Override
        public String toString() {
            return a + "(" + devA + " " + addressA + ") <-> " + b + "(" + devB + " " + addressB + ")";
        }
    }

    /**
     * A veth pair from the root namespace to namespace {@code name}: the test's clients connect to
     * {@code nsAddress}, the root side is {@code rootAddress} on {@code rootDevice}.
     */
    public record Management(String name, String ns, String rootDevice, String rootAddress, String nsDevice,
                             String nsAddress, int subnet) {
    }

    /** Namespaces of this JVM still present (a test's teardown expects none). */
    public static List<String> namespacesOfThisJvm() {
        List<String> ours = new ArrayList<>();
        for (String line : runQuietly(List.of("ip", "netns", "list")).stdout.split("\n")) {
            String ns = line.trim().split("\\s+")[0];
            if (ns.startsWith("xo-" + PID + "-")) {
                ours.add(ns);
            }
        }
        return Collections.unmodifiableList(ours);
    }
}
