package org.xo.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.junit.Assume;

/**
 * A real Prosody (Debian's package) as the "enterprise" server of the gateway tests: started on a loopback address of
 * its own with its MUC component, in a temporary directory that {@link #close()} removes after stopping Prosody by its
 * pid. Other domains are resolved from a hosts file (Prosody's unbound {@code hoststxt}), so /etc/hosts stays as it is.
 * Also the far server of {@code bin/xo-bench gateway}.
 */
public final class ProsodyServer implements AutoCloseable {
    private static final Path PROSODY = Path.of("/usr/bin/prosody");
    private static final Path PROSODYCTL = Path.of("/usr/bin/prosodyctl");
    /**
     * Servers not closed yet: Prosody runs in a session of its own (setsid), so an interrupted run (a bench stopped
     * with Ctrl-C) would leave it and its directory behind.
     */
    private static final Set<ProsodyServer> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(ProsodyServer::close), "stop-prosody"));
    }

    final String address;
    final String domain;
    final int clientPort;
    public final int serverPort;
    private final Path dir;
    private Process process;

    /** Skips the test with one sentence when Prosody is missing; with CI=true fails it instead. */
    public static void requireInstalled() {
        if (Files.isExecutable(PROSODY) && Files.isExecutable(PROSODYCTL)) {
            return;
        }
        String problem = "Prosody is not installed (apt-get install prosody)";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("Gateway tests must run in CI (CI=true), but " + problem + "; .ci/run installs it.");
        }
        Assume.assumeTrue("Skipped: " + problem + ".", false);
    }

    /**
     * @param hosts lines of a hosts file: how Prosody finds the other servers (their s2s on port 5269)
     */
    public ProsodyServer(String address, String domain, List<String> hosts) throws IOException, InterruptedException {
        this.address = address;
        this.domain = domain;
        this.clientPort = NodeProcess.freePort();
        this.serverPort = NodeProcess.freePort();
        this.dir = Files.createTempDirectory("xo-prosody-");
        OPEN.add(this);
        Path data = Files.createDirectories(dir.resolve("data"));
        Path hostsFile = dir.resolve("hosts");
        Files.write(hostsFile, hosts);
        Path config = dir.resolve("prosody.cfg.lua");
        Files.writeString(config, String.join("\n",
                "run_as_root = true",
                "pidfile = \"" + dir.resolve("prosody.pid") + "\"",
                "data_path = \"" + data + "\"",
                "log = { debug = \"" + dir.resolve("prosody.log") + "\" }",
                "interfaces = { \"" + address + "\" }",
                "c2s_ports = { " + clientPort + " }",
                "s2s_ports = { " + serverPort + " }",
                "c2s_direct_tls_ports = { }", "s2s_direct_tls_ports = { }", "http_ports = { }", "https_ports = { }",
                "modules_enabled = { \"roster\", \"saslauth\", \"tls\", \"dialback\", \"disco\", \"ping\", \"posix\" }",
                "modules_disabled = { \"s2s_bidi\" }",
                "authentication = \"internal_hashed\"",
                "c2s_require_encryption = false", "allow_unencrypted_plain_auth = true",
                "s2s_require_encryption = false", "s2s_secure_auth = false",
                "unbound = { hoststxt = \"" + hostsFile + "\" }",
                "VirtualHost \"" + domain + "\"",
                "Component \"conference." + domain + "\" \"muc\"",
                "  restrict_room_creation = false", "  muc_room_locking = false", "  muc_room_default_public = true",
                ""), StandardCharsets.UTF_8);
        try {
            start();
        } catch (IOException | RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
    }

    private void start() throws IOException, InterruptedException {
        process = new ProcessBuilder("setsid", PROSODY.toString(), "-F", "--config",
                dir.resolve("prosody.cfg.lua").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("prosody.out").toFile()))
                .start();
        awaitListening();
    }

    /** Stops Prosody as an outage would (its users and rooms are kept; a room nobody is in is gone). */
    void stop() {
        process.toHandle().destroy(); // SIGTERM to Prosody itself (setsid execs it): it stops in under a second
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.toHandle().destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts Prosody again after {@link #stop()}, on the same address, ports and data. */
    void restart() throws IOException, InterruptedException {
        start();
    }

    public void register(String user, String password) throws IOException, InterruptedException {
        Process ctl = new ProcessBuilder(PROSODYCTL.toString(), "--config", dir.resolve("prosody.cfg.lua").toString(),
                "register", user, domain, password).redirectErrorStream(true).start();
        String out = new String(ctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!ctl.waitFor(30, TimeUnit.SECONDS) || ctl.exitValue() != 0) {
            throw new IOException("prosodyctl register " + user + " failed: " + out);
        }
    }

    public XmppTestClient client(String user, String password) throws Exception {
        return new XmppTestClient(address, clientPort, domain, user, password, false);
    }

    public String log() {
        try {
            return Files.readString(dir.resolve("prosody.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private void awaitListening() throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(address, clientPort), 500);
                return;
            } catch (IOException e) {
                if (!process.isAlive()) {
                    throw new IOException("Prosody ended at start: " + Files.readString(dir.resolve("prosody.out")));
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IOException("Prosody does not accept clients on " + address + ":" + clientPort);
                }
                Thread.sleep(100);
            }
        }
    }

    @Override
    public void close() {
        OPEN.remove(this);
        if (process != null) {
            stop();
        }
        NodeProcess.deleteTree(dir);
    }
}
