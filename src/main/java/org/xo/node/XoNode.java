package org.xo.node;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import sun.misc.Signal;

/**
 * The headless XO node: an Openfire with the XO plugin, either the embedded Openfire 4.2.0 in this JVM
 * ({@link EmbeddedServer}) or, with {@code --openfire DIR}, an Openfire 4.8+ server layout in a JVM of its own
 * ({@link LayoutServer}). Start-up prepares the home directory with the node's properties (the XO plugin reads
 * its own from Openfire's property store: {@code xo.multicast.interface}, {@code xo.multicast.port},
 * {@code xo.node.name}), starts the server and prints one "XO node ready" line on stdout once clients can connect.
 * SIGINT/SIGTERM stop the server, which shuts the plugins down (destroyPlugin), print "XO node stopped" and exit
 * with status 0.
 * <p>
 * Exit status: 0 after a signal or --help, 1 when Openfire fails to start or ends by itself, 2 for bad
 * configuration (one sentence on stderr).
 */
public final class XoNode {
    /**
     * How long Openfire may take to open the client port: 4.2.0 opens it after its first plugin scan (2-3 s), a
     * server layout's first start sets itself up first (10-30 s on a small machine, more under load).
     */
    private static final long START_TIMEOUT_MS = 180_000;
    private static final long PROGRESS_EVERY_MS = 10_000;

    private final NodeOptions options;
    private final NodeHome home;
    private final OpenfireServer server;
    private final PrintStream out;
    private final PrintStream err;
    private boolean ready;
    private boolean stopDone;

    private XoNode(NodeOptions options, NodeHome home, OpenfireServer server, PrintStream out, PrintStream err) {
        this.options = options;
        this.home = home;
        this.server = server;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) throws InterruptedException {
        PrintStream out = System.out;
        PrintStream err = System.err;
        XoNode node;
        try {
            NodeOptions options = NodeOptions.parse(args);
            if (options.help) {
                out.println(NodeOptions.USAGE);
                return;
            }
            if (options.pluginJar == null && !options.noPlugin) {
                options.pluginJar = defaultPluginJar();
            }
            if (options.generateKey != null) {
                out.println(KeyGenerator.generate(options.pluginJar, options.generateKey));
                return;
            }
            options.validate();
            NodeHome home = new NodeHome(options.home);
            home.claim();
            OpenfireServer server;
            if (options.openfire == null) {
                requireFreePort(options.bindAddress, options.clientPort);
                if (options.adminPort != 0) {
                    requireFreePort(options.adminAddress(), options.adminPort, "--admin-port");
                }
                EmbeddedHome embedded = new EmbeddedHome(home);
                embedded.prepare(options);
                if (options.adminPort != 0) {
                    showNewPassword(out, embedded.statusPassword(options.resetStatusPassword),
                            embedded.statusPasswordFile(), adminUrl(options));
                }
                server = new EmbeddedServer(home, NodeProperties.of(options));
            } else {
                // Before the port check: a server that an earlier run left behind may hold the port.
                LayoutServer.stopLeftover(home.dir(), err);
                requireFreePort(options.bindAddress, options.clientPort);
                if (options.adminPort != 0) {
                    requireFreePort(options.bindAddress, options.adminPort, "--admin-port");
                }
                new LayoutHome(home, options.openfire).prepare(options);
                server = new LayoutServer(home.dir(), options.openfire.version());
            }
            node = new XoNode(options, home, server, out, err);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            System.exit(2);
            return;
        } catch (IOException e) {
            err.println("Cannot prepare the node's home directory: " + e.getMessage() + ".");
            System.exit(2);
            return;
        }
        // Runs on the main thread on purpose: a server layout's parent-death signal follows the starting thread.
        System.exit(node.run());
    }

    /**
     * Shows a password made at this start, the only time it is shown: printed as soon as it is stored, so that a
     * start that fails later does not lose it.
     */
    private static void showNewPassword(PrintStream out, String password, Path file, String url) {
        if (password == null) {
            return;
        }
        out.println("XO status password: " + password);
        out.println("  Log in at " + url + " as user " + StatusLoginFilter.USER + ". It is not shown again: only"
                + " its salted hash is kept, in " + file + ".");
        out.println("  For a new password, start the node with --reset-status-password (or delete that file).");
    }

    private static String adminUrl(NodeOptions options) {
        InetAddress address = options.adminAddress();
        String host = address instanceof Inet6Address ? "[" + address.getHostAddress() + "]"
                : address.getHostAddress();
        return "http://" + host + ":" + options.adminPort + "/";
    }

    /** xo.jar next to the node's code: target/xo.jar for both target/classes and target/xo-*-node.jar. */
    private static Path defaultPluginJar() {
        try {
            URL code = XoNode.class.getProtectionDomain().getCodeSource().getLocation();
            return Path.of(code.toURI()).getParent().resolve("xo.jar");
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /** Openfire only logs a failed bind, so a taken client port is detected here, before it starts. */
    private static void requireFreePort(InetAddress address, int port) throws ConfigException {
        requireFreePort(address, port, "--client-port");
    }

    private static void requireFreePort(InetAddress address, int port, String option) throws ConfigException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(address, port));
        } catch (IOException e) {
            throw new ConfigException("Port " + address.getHostAddress() + ":" + port + " (" + option
                    + ") is already in use or cannot be bound; choose another with " + option + ".");
        }
    }

    /** Starts the server, prints the ready line and waits until the server ends; returns the exit status. */
    private int run() throws InterruptedException {
        installStopHandlers();
        String logs = home.logs().resolve("openfire.log").toString();
        try {
            server.start();
        } catch (IOException e) {
            err.println("Openfire did not start (" + e.getMessage() + "); see " + logs + ".");
            stop();
            return 1;
        }
        long started = System.nanoTime();
        String failure = awaitClientPort();
        if (failure != null) {
            err.println(failure + "; see " + logs + " and console.log beside it.");
            stop();
            return 1;
        }
        String line = "XO node ready: domain=" + options.domain
                + " clients=" + options.bindAddress.getHostAddress() + ":" + options.clientPort
                + " multicast=" + options.multicastInterface + ":" + options.multicastPort
                + " home=" + home.dir()
                + " in " + ManagementFactory.getRuntimeMXBean().getUptime() + " ms"
                + " openfire=" + server.version()
                + (options.adminPort == 0 ? "" : " admin=" + adminUrl(options));
        // Under the stop lock, so a signal arriving now yields "ready" then "stopped", or neither.
        synchronized (this) {
            if (!stopDone) {
                out.println(line);
                ready = true;
            }
        }
        int status = server.awaitEnd();
        boolean endedByItself;
        synchronized (this) {
            // A stop in progress holds the lock until the server has ended; then the stop handler exits with 0.
            endedByItself = !stopDone;
            stopDone = true;
        }
        if (!endedByItself) {
            new CountDownLatch(1).await();
        }
        err.println("Openfire exited unexpectedly with status " + status + " after "
                + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started) + " s; see " + logs + ".");
        return 1;
    }

    /** Null once a client can connect, else why not (without the closing reference to the logs). */
    private String awaitClientPort() {
        InetAddress target = options.bindAddress.isAnyLocalAddress()
                ? InetAddress.getLoopbackAddress() : options.bindAddress;
        String address = target.getHostAddress() + ":" + options.clientPort;
        long start = System.currentTimeMillis();
        long nextProgress = start + PROGRESS_EVERY_MS;
        while (System.currentTimeMillis() - start < START_TIMEOUT_MS) {
            if (!server.isRunning()) {
                return "Openfire exited before it accepted clients";
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(target, options.clientPort), 250);
                return null;
            } catch (IOException notYet) {
                if (System.currentTimeMillis() >= nextProgress) {
                    err.println("xo-node: waiting for Openfire " + server.version() + " to accept clients on "
                            + address + " (" + (System.currentTimeMillis() - start) / 1000 + " s)");
                    nextProgress += PROGRESS_EVERY_MS;
                }
                try {
                    Thread.sleep(25);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "Interrupted while waiting for Openfire";
                }
            }
        }
        return "Openfire did not accept clients on " + address + " within " + START_TIMEOUT_MS / 1000 + " s";
    }

    /**
     * SIGINT/SIGTERM: stop and exit 0 (a plain shutdown hook would leave the JVM's 130/143 status).
     * The hook covers every other orderly exit, e.g. SIGHUP. A second signal waits for the first stop.
     */
    private void installStopHandlers() {
        for (String name : new String[] {"INT", "TERM"}) {
            Signal.handle(new Signal(name), signal -> {
                stop();
                System.exit(0);
            });
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "xo-node-stop"));
    }

    /** Idempotent; prints "XO node stopped" only after a ready line. */
    private synchronized void stop() {
        if (stopDone) {
            return;
        }
        stopDone = true;
        server.stop();
        if (ready) {
            out.println("XO node stopped");
        }
    }
}
