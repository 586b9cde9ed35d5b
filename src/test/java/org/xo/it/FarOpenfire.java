package org.xo.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * A stock Openfire server layout (../shared/openfire-5.1.1, {@link Openfire#V5_1_1}) without the XO plugin, as the
 * conventional "enterprise" server of a gateway test: the same launcher as a 5.1.1 node (a writable copy of the
 * layout, autosetup, Openfire's own bin/openfire.sh) with {@code --no-plugin}, its s2s listener on, every listener
 * on a loopback address of its own (openfire.xml's {@code network.interface}, which the launcher sets to
 * {@code --bind}), and its MUC service {@code conference.<domain>} as Openfire ships it. Its home outlives
 * {@link #stop()} for {@link #restart()}; {@link #close()} stops the server by its pid and removes the home.
 * <p>
 * It finds the XO node's s2s listener for dialback call-backs through its own {@code dnsutil.dnsOverride}.
 */
final class FarOpenfire implements AutoCloseable {
    /** Openfire's s2s port, on {@link #address} only. */
    static final int SERVER_PORT = 5269;
    /**
     * Homes not yet removed: an interrupted run must not leave them behind (NodeProcess's own hook kills the servers,
     * but removes only the homes it made).
     */
    private static final Set<Path> HOMES = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> HOMES.forEach(NodeProcess::deleteTree), "far-homes"));
    }

    final String address;
    final String domain;
    final int clientPort;
    private final Path home;
    private final NodeProcess.Builder builder;
    private NodeProcess server;

    /**
     * @param peers where this server reaches other servers' s2s listeners (port 5269): address by domain (an XO
     *              node's own domain, gw. and conference.)
     */
    FarOpenfire(String address, String domain, Map<String, String> peers, String... extraArgs) throws IOException {
        Openfire.V5_1_1.requireOrSkip();
        this.address = address;
        this.domain = domain;
        this.clientPort = NodeProcess.freePort();
        this.home = Files.createTempDirectory("xo-far-openfire-");
        HOMES.add(home);
        String override = peers.entrySet().stream()
                .map(peer -> "{" + peer.getKey() + ":" + peer.getValue() + ":" + SERVER_PORT + "}")
                .collect(Collectors.joining(","));
        this.builder = NodeProcess.builder().openfire(Openfire.V5_1_1).withoutPlugin().domain(domain).bind(address)
                .clientPort(clientPort).home(home)
                .args("--set", "xmpp.server.socket.active=true", "--set", "xmpp.server.socket.port=" + SERVER_PORT,
                        "--set", "dnsutil.dnsOverride=" + override)
                .args(extraArgs);
    }

    /** Builds the launcher's arguments; {@link #start()} starts it (in parallel with other nodes: {@link #builder()}). */
    NodeProcess.Builder builder() {
        return builder;
    }

    /** The server once {@link NodeProcess#startAll} or {@link #start()} started it. */
    void started(NodeProcess process) {
        this.server = process;
    }

    void start() throws IOException {
        server = builder.start();
    }

    /** Stops the server as an outage would (a clean shutdown; its users stay, rooms nobody made persistent go). */
    void stop() {
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    /**
     * Kills the server (SIGKILL, as a crash or power loss would): no goodbye to anyone, the peers find out from their
     * connections. Seconds faster than {@link #stop()}, which waits for Openfire's clean shutdown.
     */
    void kill() {
        if (server != null) {
            server.kill();
            server = null;
        }
    }

    /** Starts it again after {@link #stop()} or {@link #kill()}, on the same address, ports and database. */
    void restart() throws IOException {
        start();
    }

    boolean isRunning() {
        return server != null && server.isAlive();
    }

    /** A client of this server; on a loopback address any password logs in (the launcher's loopback accounts). */
    XmppTestClient client(String user) throws Exception {
        return new XmppTestClient(address, clientPort, domain, user, "pw-" + user, false);
    }

    /** Openfire's log, for failure messages. */
    String logTail() {
        return server != null ? server.logTail() : "(far Openfire stopped)\n" + tail(home.resolve("logs/openfire.log"));
    }

    private static String tail(Path log) {
        try {
            String text = Files.exists(log) ? Files.readString(log) : "";
            return text.length() > 6000 ? text.substring(text.length() - 6000) : text;
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public void close() {
        try {
            if (server != null) {
                server.discard();
            }
        } finally {
            NodeProcess.deleteTree(home);
            HOMES.remove(home);
        }
    }
}
