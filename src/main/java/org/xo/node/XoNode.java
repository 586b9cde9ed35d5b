package org.xo.node;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.jivesoftware.openfire.XMPPServer;
import org.jivesoftware.openfire.auth.DefaultAuthProvider;
import org.jivesoftware.util.JiveGlobals;

import sun.misc.Signal;

/**
 * The headless XO node: one embedded Openfire 4.2.0 with the XO plugin, in this JVM (Openfire allows one server
 * per JVM). Start-up prepares the home directory, sets Openfire's properties (the XO plugin reads its own from
 * there: {@code xo.multicast.interface}, {@code xo.multicast.port}, {@code xo.node.name}), starts the server and
 * prints one "XO node ready" line on stdout once clients can connect. SIGINT/SIGTERM stop the server, which
 * shuts the plugins down (destroyPlugin), print "XO node stopped" and exit with status 0.
 * <p>
 * Exit status: 0 after a signal or --help, 1 when Openfire fails to start, 2 for bad configuration (one sentence
 * on stderr).
 */
public final class XoNode {
    /** How long Openfire may take to open the client port (it opens after the first plugin scan). */
    private static final long START_TIMEOUT_MS = 60_000;

    private final NodeOptions options;
    private final NodeHome home;
    private final PrintStream out;
    private XMPPServer server;
    private boolean ready;
    private boolean stopDone;

    private XoNode(NodeOptions options, NodeHome home, PrintStream out) {
        this.options = options;
        this.home = home;
        this.out = out;
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
            if (options.pluginJar == null) {
                options.pluginJar = defaultPluginJar();
            }
            options.validate();
            requireFreePort(options.bindAddress, options.clientPort);
            NodeHome home = new NodeHome(options.home);
            home.claim();
            home.prepare(options);
            node = new XoNode(options, home, out);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            System.exit(2);
            return;
        } catch (IOException e) {
            err.println("Cannot prepare the node's home directory: " + e.getMessage() + ".");
            System.exit(2);
            return;
        }
        if (!node.start(err)) {
            System.exit(1);
        }
        // Keep main (and so the JVM) alive: Openfire's threads may all be daemons. The JVM ends through
        // System.exit in the signal handler, after the server has stopped and "XO node stopped" is printed.
        new CountDownLatch(1).await();
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
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(address, port));
        } catch (IOException e) {
            throw new ConfigException("Client port " + address.getHostAddress() + ":" + port
                    + " is already in use or cannot be bound; choose another with --client-port.");
        }
    }

    private boolean start(PrintStream err) {
        // Logging must be configured before the first Openfire class creates a logger.
        System.setProperty("xo.node.logs", home.logs().toString());
        System.setProperty("log4j.configuration", XoNode.class.getResource("log4j.properties").toString());
        // Openfire also prints banners and progress to System.out/err; keep the console for our own lines.
        try {
            PrintStream console = new PrintStream(
                    new FileOutputStream(home.logs().resolve("console.log").toFile(), true), true,
                    StandardCharsets.UTF_8);
            System.setOut(console);
            System.setErr(console);
        } catch (IOException e) {
            err.println("Cannot write " + home.logs().resolve("console.log") + ": " + e.getMessage() + ".");
            return false;
        }

        // XMPPServer finds its home through this property, JiveGlobals through setHomeDirectory.
        System.setProperty("openfireHome", home.dir().toString());
        JiveGlobals.setHomeDirectory(home.dir().toString());
        JiveGlobals.setConfigName("conf/openfire.xml");
        // The first property write opens the database and installs the schema on a new home.
        JiveGlobals.setProperties(openfireProperties(options));

        installStopHandlers();
        server = new XMPPServer();
        if (!server.isStarted() || !awaitClientPort()) {
            err.println("Openfire did not start; see " + home.logs().resolve("openfire.log") + ".");
            stop();
            return false;
        }
        String line = "XO node ready: domain=" + options.domain
                + " clients=" + options.bindAddress.getHostAddress() + ":" + options.clientPort
                + " multicast=" + options.multicastInterface + ":" + options.multicastPort
                + " home=" + home.dir()
                + " in " + ManagementFactory.getRuntimeMXBean().getUptime() + " ms";
        // Under the stop lock, so a signal arriving now yields "ready" then "stopped", or neither.
        synchronized (this) {
            if (!stopDone) {
                out.println(line);
                ready = true;
            }
        }
        return true;
    }

    /** Everything Openfire and the XO plugin read from the database, rewritten at every start. */
    private static Map<String, String> openfireProperties(NodeOptions o) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("xmpp.domain", o.domain);
        p.put("update.service-enabled", "false");
        p.put("xmpp.socket.plain.active", "true");
        p.put("xmpp.socket.plain.port", Integer.toString(o.clientPort));
        // Optional everywhere: real clients insist on STARTTLS before authenticating, scripts on loopback may skip it.
        p.put("xmpp.client.tls.policy", "optional");
        p.put("provider.auth.className",
                (o.loopback() ? LoopbackAuthProvider.class : DefaultAuthProvider.class).getName());
        p.put("xmpp.auth.anonymous", "false");
        // Only the c2s listener: no legacy SSL, s2s, components, connection managers, BOSH, proxies, mDNS or
        // Flash policy (several of these would bind wildcard ports that clash between nodes on one machine).
        p.put("xmpp.socket.ssl.active", "false");
        p.put("xmpp.server.socket.active", "false");
        p.put("xmpp.component.socket.active", "false");
        p.put("xmpp.component.ssl.active", "false");
        p.put("xmpp.multiplex.socket.active", "false");
        p.put("xmpp.multiplex.ssl.active", "false");
        p.put("httpbind.enabled", "false");
        p.put("xmpp.proxy.enabled", "false");
        p.put("mediaproxy.enabled", "false");
        p.put("multicastDNS.enabled", "false");
        p.put("flash.crossdomain.enabled", "false");
        p.put("xo.node.name", o.nodeName);
        p.put("xo.multicast.interface", o.multicastInterface);
        p.put("xo.multicast.port", Integer.toString(o.multicastPort));
        p.putAll(o.properties);
        return p;
    }

    private boolean awaitClientPort() {
        InetAddress target = options.bindAddress.isAnyLocalAddress()
                ? InetAddress.getLoopbackAddress() : options.bindAddress;
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(target, options.clientPort), 250);
                return true;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(25);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
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

    /**
     * Idempotent. Openfire 4.2's stop() destroys the plugins only after it has stopped every module (client
     * listener, sessions, MUC service), so the plugins are shut down first: the XO plugin's destroyPlugin then
     * still sees its rooms and occupants and can tell the other nodes that they leave.
     */
    private synchronized void stop() {
        if (stopDone) {
            return;
        }
        stopDone = true;
        if (server != null) {
            if (server.getPluginManager() != null) {
                server.getPluginManager().shutdown();
            }
            server.stop();
        }
        if (ready) {
            out.println("XO node stopped");
        }
    }
}
