package org.xo.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One XO node (bin/xo-node's main class) in its own JVM, for integration tests: Openfire allows one server per
 * JVM, and a separate process is what a user runs. The node gets a fresh temporary home, a free client port on
 * 127.0.0.1 and multicast interface "lo" unless told otherwise.
 * <pre>
 *   try (NodeProcess a = NodeProcess.start("xo.test", 45100);
 *        NodeProcess b = NodeProcess.builder().domain("xo.test").name("b").multicastPort(45100).start()) {
 *       ... connect Smack clients to a.clientPort() and b.clientPort() ...
 *   }
 * </pre>
 * Class path from the system properties that the pom sets for failsafe: {@code xo.node.jar} (the launcher only,
 * so the plugin's classes come from the plugin JAR), {@code xo.node.classpath.file} (Openfire and its
 * dependencies) and {@code xo.plugin.jar}. The child's stdout and stderr are kept in memory and copied to
 * {@code <home>/node-console.log}; Openfire's own log is {@code <home>/logs/openfire.log}, its console output
 * {@code <home>/logs/console.log}.
 * <p>
 * <b>Which Openfire.</b> {@link Builder#openfire} chooses the embedded 4.2.0 (default) or a server layout
 * ({@link Openfire#V5_1_1}: the launcher starts the layout's Openfire as its child process, in a copy of the
 * layout in the node's home). Everything here works the same for both: the child is the node's business, and
 * {@link #serverPid()} names the JVM that runs Openfire.
 * <pre>
 *   NodeProcess.builder().openfire(Openfire.V5_1_1).domain("xo.test").start()
 * </pre>
 * <p>
 * Nothing outlives the tests: {@link #close()} stops the node and deletes a home it created, and a shutdown hook
 * kills any node still running when the test JVM exits, its Openfire child first. After a node has ended,
 * {@link #stop()} and {@link #kill()} check that its Openfire child ended with it, kill any that did not and
 * fail: that is the launcher's job.
 * <p>
 * In a network namespace ({@link Builder#netns}, root only, see {@link NetNs}) the command is
 * {@code ip netns exec NS java ...}: {@code ip} execs java (no fork), so {@link #pid()} is java's and
 * {@link #stop()}/{@link #kill()} signal the node itself; {@link #command()} shows it. Should an {@code ip} ever
 * fork instead, signals go to its java child.
 */
public final class NodeProcess implements AutoCloseable {
    public static final String READY_PREFIX = "XO node ready:";
    public static final String STOPPED_LINE = "XO node stopped";
    /** Longer than the launcher's own bound for Openfire's shutdown (20 s before SIGKILL). */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    /** How long a server layout's Openfire may take to die after its launcher was SIGKILLed (measured: ~1 s). */
    private static final Duration CHILD_EXIT_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern ANSI_ESCAPE = Pattern.compile("\u001B\\[[0-9;]*m");
    /** Date, time, level: the start of a log line of both Openfires. */
    private static final Pattern ERROR_LINE = Pattern.compile("\\S+ \\S+ ERROR .*");
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    /** Temporary homes not yet deleted: an interrupted test run must not leave them behind either. */
    private static final Set<Path> TEMP_HOMES = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Process p : LIVE) {
                try {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            TEMP_HOMES.forEach(NodeProcess::deleteTree);
        }, "kill-xo-nodes"));
    }

    /**
     * Closes clients in order, then discards the nodes among the resources all at once ({@link #discard()}: a clean
     * stop of a server layout takes seconds), each even if another failed: test teardown must not leave any.
     */
    public static void closeAll(AutoCloseable... resources) {
        List<NodeProcess> nodes = new ArrayList<>();
        for (AutoCloseable resource : resources) {
            if (resource instanceof NodeProcess node) {
                nodes.add(node);
            } else {
                closeQuietly(resource);
            }
        }
        // Not the common pool: on two cores it runs one task at a time.
        nodes.stream().map(node -> CompletableFuture.runAsync(() -> closeQuietly(node::discard),
                NodeProcess::onOwnThread)).toList().forEach(CompletableFuture::join);
    }

    private static void onOwnThread(Runnable task) {
        Thread thread = new Thread(task, "xo-node-lifecycle");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(AutoCloseable resource) {
        try {
            if (resource != null) {
                resource.close();
            }
        } catch (Exception | AssertionError ignored) {
            // keep closing the rest
        }
    }

    /**
     * Starts nodes at the same time (each start is mostly waiting for its Openfire), in the builders' order; if one
     * fails, the others are stopped and the failure is thrown.
     */
    public static List<NodeProcess> startAll(Builder... builders) throws IOException {
        List<CompletableFuture<NodeProcess>> starting = new ArrayList<>();
        for (Builder builder : builders) {
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return builder.start();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, NodeProcess::onOwnThread));
        }
        try {
            return joinAll(starting, started -> closeAll(started.toArray(AutoCloseable[]::new)));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * Stops nodes at the same time ({@link #stop()}: each waits seconds for its Openfire's clean shutdown); returns
     * their exit statuses in the nodes' order. Every node gets its stop; then the first failure is thrown.
     */
    public static List<Integer> stopAll(List<NodeProcess> nodes) {
        List<CompletableFuture<Integer>> stopping = nodes.stream()
                .map(node -> CompletableFuture.supplyAsync(node::stop, NodeProcess::onOwnThread)).toList();
        return joinAll(stopping, stopped -> { });
    }

    /**
     * Waits for every task and returns their results in order; if any failed, hands the others' results to
     * {@code beforeFailing} and throws the first failure.
     */
    private static <T> List<T> joinAll(List<CompletableFuture<T>> tasks, Consumer<List<T>> beforeFailing) {
        List<T> results = new ArrayList<>();
        Throwable failure = null;
        for (CompletableFuture<T> task : tasks) {
            try {
                results.add(task.join());
            } catch (CompletionException e) {
                failure = failure == null ? e.getCause() : failure;
            }
        }
        if (failure != null) {
            beforeFailing.accept(results);
            if (failure instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw (Error) failure;
        }
        return results;
    }

    private static Path newTempHome() throws IOException {
        Path dir = Files.createTempDirectory("xo-node-");
        TEMP_HOMES.add(dir);
        return dir;
    }

    private final Process process;
    /** The launcher's child processes (Openfire of a server layout), seen while it ran: once it is gone they no
     *  longer count as its descendants. */
    private final Set<ProcessHandle> children = ConcurrentHashMap.newKeySet();
    private final Openfire openfire;
    private final Path home;
    private final boolean ownsHome;
    private final String domain;
    private final int clientPort;
    private final String clientAddress;
    private final String netns;
    private final Output output;
    private String readyLine;

    private NodeProcess(Process process, Openfire openfire, Path home, boolean ownsHome, String domain,
                        int clientPort, String clientAddress, String netns, Output output) {
        this.process = process;
        this.openfire = openfire;
        this.home = home;
        this.ownsHome = ownsHome;
        this.domain = domain;
        this.clientPort = clientPort;
        this.clientAddress = clientAddress;
        this.netns = netns;
        this.output = output;
    }

    /** A node for {@code domain} on interface "lo" and the given multicast port, started and ready. */
    public static NodeProcess start(String domain, int multicastPort) throws IOException {
        return builder().domain(domain).multicastPort(multicastPort).start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** What a node that was run to its end printed, and its exit status. */
    public record Result(int exitCode, List<String> stdout, List<String> stderr) {
    }

    public static final class Builder {
        private String domain = "localhost";
        private String name;
        private String multicastInterface = "lo";
        private int multicastPort = 45045;
        private int clientPort;
        private Path home;
        private Openfire openfire = Openfire.V4_2_0;
        private Duration readyTimeout;
        private String netns;
        private String bind;
        private boolean withPlugin = true;
        private final List<String> jvmArgs = new ArrayList<>(List.of("-Xmx256m"));
        private final List<String> extraArgs = new ArrayList<>();

        private Builder() {
        }

        public Builder domain(String domain) {
            this.domain = domain;
            return this;
        }

        /**
         * Which Openfire the node runs; default {@link Openfire#V4_2_0}. For a server layout, {@link #start()} and
         * {@link #runToExit} skip the test when the layout is missing (fail it in CI), see
         * {@link Openfire#requireOrSkip()}.
         */
        public Builder openfire(Openfire openfire) {
            this.openfire = openfire;
            return this;
        }

        /** XO node name ({@code --name}); default: the domain. */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Builder multicastInterface(String multicastInterface) {
            this.multicastInterface = multicastInterface;
            return this;
        }

        public Builder multicastPort(int multicastPort) {
            this.multicastPort = multicastPort;
            return this;
        }

        /** A fixed client port, e.g. to restart a node where its clients expect it; default: a free one. */
        public Builder clientPort(int clientPort) {
            this.clientPort = clientPort;
            return this;
        }

        /** An existing home to reuse (kept on close), e.g. to restart a node; default: a fresh temporary one. */
        public Builder home(Path home) {
            this.home = home;
            return this;
        }

        /**
         * Runs the node inside network namespace {@code ns} ({@code ip netns exec ns java ...}; root only), e.g.
         * {@link NetNs#name(String)}. Its interface and bind address are then the namespace's.
         */
        public Builder netns(String ns) {
            this.netns = ns;
            return this;
        }

        /**
         * The client listener's address ({@code --bind}); default 127.0.0.1. Off loopback the node requires real
         * accounts: register them in-band (see {@link XmppTestClient}).
         */
        public Builder bind(String address) {
            this.bind = address;
            return this;
        }

        /**
         * Starts Openfire without the XO plugin ({@code --no-plugin}), e.g. to install it through the admin console
         * ({@code --admin-port}) as an operator does.
         */
        public Builder withoutPlugin() {
            this.withPlugin = false;
            return this;
        }

        /** Default: 60 s for the embedded Openfire, 200 s for a server layout (its first start sets it up). */
        public Builder readyTimeout(Duration readyTimeout) {
            this.readyTimeout = readyTimeout;
            return this;
        }

        public Builder jvmArg(String arg) {
            jvmArgs.add(arg);
            return this;
        }

        /** Extra command-line options, after the builder's own (a repeated option overrides them). */
        public Builder args(String... args) {
            extraArgs.addAll(List.of(args));
            return this;
        }

        /**
         * For tests that stop or restart a node and watch its users leave elsewhere: beacons every 2 s and a 3 s restart
         * grace. On an open overlay a goodbye is believed only after 2.5 beacon intervals of silence (17.5 s with the
         * defaults), then the grace runs: with these the users leave within about 10 s, well inside a client's wait.
         */
        public Builder briskGoodbyes() {
            return args("--set", "xo.discovery.beacon-interval-ms=2000", "--set", "xo.restart.grace-seconds=3");
        }

        /** Starts the node and waits for its ready line; fails with the node's output if it does not come. */
        public NodeProcess start() throws IOException {
            openfire.requireOrSkip();
            boolean ownsHome = home == null;
            Path dir = ownsHome ? newTempHome() : home;
            int port = clientPort > 0 ? clientPort : freePort();
            Writer console = Files.newBufferedWriter(dir.resolve("node-console.log"), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Process process;
            try {
                process = launch(dir, port);
            } catch (IOException | RuntimeException e) {
                console.close();
                if (ownsHome) {
                    deleteTree(dir);
                }
                throw e;
            }
            NodeProcess node = new NodeProcess(process, openfire, dir, ownsHome, domain, port,
                    bind != null ? bind : "127.0.0.1", netns, new Output(process, console));
            try {
                node.awaitReady(readyTimeout != null ? readyTimeout
                        : openfire == Openfire.V4_2_0 ? Duration.ofSeconds(60) : Duration.ofSeconds(200));
            } catch (IOException | RuntimeException | Error e) {
                try {
                    node.close();
                } catch (RuntimeException | Error cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            }
            return node;
        }

        /** Runs a node that is expected to end by itself (bad configuration, --help) and reports how it ended. */
        public Result runToExit(Duration timeout) throws IOException, InterruptedException {
            openfire.requireOrSkip();
            Path dir = home != null ? home : newTempHome();
            try {
                Process process = launch(dir, clientPort > 0 ? clientPort : freePort());
                Output output = new Output(process, Writer.nullWriter());
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly().waitFor();
                    throw new AssertionError("Node did not exit within " + timeout + "; stdout: " + output.stdout()
                            + " stderr: " + output.stderr());
                }
                LIVE.remove(process);
                output.awaitEnd();
                return new Result(process.exitValue(), output.stdout(), output.stderr());
            } finally {
                if (home == null) {
                    deleteTree(dir);
                }
            }
        }

        private Process launch(Path dir, int port) throws IOException {
            List<String> command = new ArrayList<>();
            if (netns != null) {
                Collections.addAll(command, "ip", "netns", "exec", netns);
            }
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmArgs);
            command.add("-cp");
            command.add(nodeClassPath());
            command.add("org.xo.node.XoNode");
            Collections.addAll(command, "--home", dir.toString(), "--domain", domain,
                    "--client-port", Integer.toString(port), "--interface", multicastInterface,
                    "--multicast-port", Integer.toString(multicastPort));
            if (withPlugin) {
                Collections.addAll(command, "--plugin", requiredFile("xo.plugin.jar").toString());
            } else {
                command.add("--no-plugin");
            }
            if (openfire.layout() != null) {
                Collections.addAll(command, "--openfire", openfire.layout().toString());
            }
            if (name != null) {
                Collections.addAll(command, "--name", name);
            }
            if (bind != null) {
                Collections.addAll(command, "--bind", bind);
            }
            command.addAll(extraArgs);
            Process process = new ProcessBuilder(command).directory(dir.toFile()).start();
            LIVE.add(process);
            return process;
        }
    }

    public int clientPort() {
        return clientPort;
    }

    public Openfire openfire() {
        return openfire;
    }

    /** The version the node's ready line names, e.g. "5.1.1" (a server layout may hold another than 5.1.1). */
    public String openfireVersion() {
        String field = " openfire=";
        int at = readyLine.indexOf(field);
        return at < 0 ? "?" : readyLine.substring(at + field.length()).split(" ")[0];
    }

    /**
     * The process id of the JVM that runs Openfire: the node's own for the embedded Openfire, else the launcher's
     * child (openfire.sh execs java, so the child is that JVM).
     */
    public long serverPid() {
        if (openfire == Openfire.V4_2_0) {
            return pid();
        }
        rememberChildren();
        return children.stream().filter(NodeProcess::isJava).filter(ProcessHandle::isAlive)
                .mapToLong(ProcessHandle::pid).findFirst()
                .orElseThrow(() -> new IllegalStateException("no Openfire JVM below node " + pid() + "\n" + logTail()));
    }

    public String domain() {
        return domain;
    }

    /** Where clients connect: the {@code --bind} address, 127.0.0.1 by default. */
    public String clientAddress() {
        return clientAddress;
    }

    /** The network namespace the node runs in, or null. */
    public String netns() {
        return netns;
    }

    /**
     * The executable of the process this harness started and signals: java, also in a namespace, because
     * {@code ip netns exec} execs its command.
     */
    public String command() {
        return process.toHandle().info().command().orElse("?");
    }

    public Path home() {
        return home;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The "XO node ready: ..." line. */
    public String readyLine() {
        return readyLine;
    }

    /** Everything the node printed on stdout so far. */
    public List<String> stdout() {
        return output.stdout();
    }

    public List<String> stderr() {
        return output.stderr();
    }

    /**
     * The whole Openfire log of this node ({@code <home>/logs/openfire.log}, for both Openfires), empty if not
     * written yet. Openfire 5's lines carry ANSI colour codes around the level.
     */
    public String log() {
        return read(home.resolve("logs/openfire.log"));
    }

    /**
     * The ERROR lines of {@link #log()}, without Openfire 5's colour codes. Once Openfire shuts down, only XO's own
     * errors count: Openfire 5.1.1's SoftwareVersionManager queries a client 5 s after its login and, when the
     * server stops within those 5 s, logs a NullPointerException of its own (SessionManager already gone).
     */
    public List<String> logErrors() {
        List<String> errors = new ArrayList<>();
        boolean shuttingDown = false;
        for (String line : ANSI_ESCAPE.matcher(log()).replaceAll("").split("\n")) {
            shuttingDown |= line.contains("XMPPServer - Shutting down");
            if (ERROR_LINE.matcher(line).matches() && (!shuttingDown || line.contains(" org.xo."))) {
                errors.add(line);
            }
        }
        return errors;
    }

    /** What Openfire printed on its console ({@code <home>/logs/console.log}): start-up errors, "Server halted". */
    public String consoleLog() {
        return read(home.resolve("logs/console.log"));
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last lines of the Openfire log, Openfire's console and the node's own output, for failure messages. */
    public String logTail() {
        return "--- " + home.resolve("logs/openfire.log") + " (tail)\n" + tail(List.of(log().split("\n")), 60)
                + "\n--- " + home.resolve("logs/console.log") + " (tail)\n"
                + tail(List.of(consoleLog().split("\n")), 15)
                + "\n--- node stdout/stderr (tail)\n" + tail(output.all(), 30);
    }

    /**
     * SIGTERM, as an operator's Ctrl-C or service stop: the node stops Openfire and exits. Waits for the exit
     * (SIGKILL after 30 s) and for the last output; returns the exit status. Fails if Openfire outlived the node.
     */
    public int stop() {
        rememberChildren();
        // Through the ProcessHandle: Process.destroy() sends the same SIGTERM but also closes our end of the
        // child's stdout, which would lose the "XO node stopped" line.
        signalTarget().destroy();
        int status = awaitExit();
        requireChildrenEnded();
        return status;
    }

    /**
     * SIGKILL: the node dies without stopping Openfire, as on a crash or power loss. A server layout's Openfire
     * must die with it (the launcher arms a parent-death signal): fails if it did not.
     */
    public int kill() {
        rememberChildren();
        signalTarget().destroyForcibly();
        int status = awaitExit();
        requireChildrenEnded();
        return status;
    }

    /**
     * Waits for a node that ends by itself, e.g. after its Openfire died (SIGKILL after 30 s); returns its exit
     * status once its last output is in. Fails if Openfire outlived the node.
     */
    public int awaitEnd() {
        int status = awaitExit();
        requireChildrenEnded();
        return status;
    }

    /** Stops the node if it still runs and deletes a temporary home. */
    @Override
    public void close() {
        if (process.isAlive()) {
            stop();
        } else {
            output.closeConsole();
            killChildren();
        }
        if (ownsHome) {
            deleteTree(home);
        }
    }

    /**
     * Teardown when how the node ends is not under test: SIGKILL (a server layout's Openfire dies with its launcher)
     * saves the seconds of a clean shutdown; the home is deleted as by {@link #close()}.
     */
    public void discard() {
        if (process.isAlive()) {
            kill();
        } else {
            output.closeConsole();
            killChildren();
        }
        if (ownsHome) {
            deleteTree(home);
        }
    }

    private void rememberChildren() {
        if (process.isAlive()) {
            process.descendants().forEach(children::add);
        }
    }

    /** After the node's exit: its children must be gone within {@link #CHILD_EXIT_TIMEOUT}; survivors are killed. */
    private void requireChildrenEnded() {
        long deadline = System.nanoTime() + CHILD_EXIT_TIMEOUT.toNanos();
        while (children.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            sleep(Duration.ofMillis(50));
        }
        List<Long> survivors = killChildren();
        if (!survivors.isEmpty()) {
            throw new AssertionError("Processes " + survivors + " of node " + pid() + " outlived it by "
                    + CHILD_EXIT_TIMEOUT.toSeconds() + " s and were killed\n" + logTail());
        }
    }

    /** Kills the children still alive and waits for them; returns their process ids. */
    private List<Long> killChildren() {
        List<Long> killed = new ArrayList<>();
        for (ProcessHandle child : children) {
            if (child.isAlive()) {
                killed.add(child.pid());
                child.destroyForcibly();
                child.onExit().join();
            }
        }
        children.clear();
        return killed;
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The java process: ours, unless the node was started with {@code ip netns exec} and that forked rather than
     * exec'd (iproute2 execs; this only guards against a different {@code ip}).
     */
    private ProcessHandle signalTarget() {
        ProcessHandle self = process.toHandle();
        if (netns == null || isJava(self)) {
            return self;
        }
        return self.descendants().filter(NodeProcess::isJava).findFirst().orElse(self);
    }

    private static boolean isJava(ProcessHandle handle) {
        return handle.info().command().map(c -> c.endsWith("/java")).orElse(false);
    }

    private int awaitExit() {
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                signalTarget().destroyForcibly();
                process.destroyForcibly();
                process.waitFor();
            }
            output.awaitEnd();
        } catch (InterruptedException e) {
            signalTarget().destroyForcibly();
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            LIVE.remove(process);
            output.closeConsole();
        }
        return process.exitValue();
    }

    private void awaitReady(Duration timeout) throws IOException {
        try {
            readyLine = output.awaitReady(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while waiting for the node", e);
        }
        rememberChildren();
        if (readyLine == null) {
            String why = process.isAlive() ? "did not become ready within " + timeout.toSeconds() + " s"
                    : "exited with status " + process.exitValue() + " before it was ready";
            throw new AssertionError("XO node (pid " + pid() + ", home " + home + ") " + why + "\n" + logTail());
        }
    }

    /** A port nobody listens on now; the node checks again and fails clearly if it was taken meanwhile. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        }
    }

    private static String nodeClassPath() throws IOException {
        Path nodeJar = requiredFile("xo.node.jar");
        String dependencies = Files.readString(requiredFile("xo.node.classpath.file")).trim();
        return nodeJar + java.io.File.pathSeparator + dependencies;
    }

    private static Path requiredFile(String property) {
        String value = System.getProperty(property);
        if (value == null || !Files.isRegularFile(Path.of(value))) {
            throw new IllegalStateException("System property " + property + " must name an existing file (is "
                    + value + "); run the integration tests with 'mvn verify'");
        }
        return Path.of(value);
    }

    private static String tail(List<String> lines, int n) {
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    /** Deletes a directory tree, e.g. a home given to {@link Builder#home}; a leftover is not worth failing over. */
    public static void deleteTree(Path dir) {
        TEMP_HOMES.remove(dir);
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A leftover temporary directory is not worth failing a test over.
        }
    }

    /** Drains the child's stdout and stderr (a full pipe would block it) into memory and the console file. */
    private static final class Output {
        private final List<String> stdout = Collections.synchronizedList(new ArrayList<>());
        private final List<String> stderr = Collections.synchronizedList(new ArrayList<>());
        private final List<String> all = Collections.synchronizedList(new ArrayList<>());
        private final Writer console;
        private final CountDownLatch readyOrEnd = new CountDownLatch(1);
        private final CountDownLatch ended = new CountDownLatch(2);
        private volatile String readyLine;

        Output(Process process, Writer console) {
            this.console = console;
            drain(process.getInputStream(), stdout, "", "stdout");
            drain(process.getErrorStream(), stderr, "[stderr] ", "stderr");
        }

        private void drain(InputStream in, List<String> lines, String prefix, String name) {
            Thread t = new Thread(() -> {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = reader.readLine()) != null; ) {
                        lines.add(line);
                        all.add(prefix + line);
                        synchronized (console) {
                            console.write(prefix + line + System.lineSeparator());
                            console.flush();
                        }
                        if (readyLine == null && line.startsWith(READY_PREFIX)) {
                            readyLine = line;
                            readyOrEnd.countDown();
                        }
                    }
                } catch (IOException e) {
                    // The process is gone or the console file was closed; either way there is nothing to drain.
                } finally {
                    ended.countDown();
                    if (ended.getCount() == 0) {
                        readyOrEnd.countDown();
                    }
                }
            }, "xo-node-" + name);
            t.setDaemon(true);
            t.start();
        }

        String awaitReady(Duration timeout) throws InterruptedException {
            readyOrEnd.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return readyLine;
        }

        void awaitEnd() throws InterruptedException {
            ended.await(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }

        void closeConsole() {
            synchronized (console) {
                try {
                    console.close();
                } catch (IOException e) {
                    // nothing more will be written
                }
            }
        }

        List<String> stdout() {
            return snapshot(stdout);
        }

        List<String> stderr() {
            return snapshot(stderr);
        }

        List<String> all() {
            return snapshot(all);
        }

        private static List<String> snapshot(List<String> lines) {
            synchronized (lines) {
                return List.copyOf(lines);
            }
        }
    }
}
