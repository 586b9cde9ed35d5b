package org.xo.node;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.jivesoftware.openfire.XMPPServer;
import org.jivesoftware.util.JiveGlobals;

/**
 * Openfire 4.2.0 embedded in the launcher's JVM (Openfire allows one server per JVM), on an {@link EmbeddedHome}.
 * Its properties are set before the server starts, so every start applies the node's current options.
 */
final class EmbeddedServer implements OpenfireServer {
    private final NodeHome home;
    private final Map<String, String> properties;
    private final CountDownLatch ended = new CountDownLatch(1);
    private XMPPServer server;

    EmbeddedServer(NodeHome home, Map<String, String> properties) {
        this.home = home;
        this.properties = properties;
    }

    @Override
    public void start() throws IOException {
        // Logging must be configured before the first Openfire class creates a logger.
        System.setProperty("xo.node.logs", home.logs().toString());
        System.setProperty("log4j.configuration", XoNode.class.getResource("log4j.properties").toString());
        // Openfire also prints banners and progress to System.out/err; keep the console for the launcher's lines.
        PrintStream console = new PrintStream(
                new FileOutputStream(home.logs().resolve("console.log").toFile(), true), true, StandardCharsets.UTF_8);
        System.setOut(console);
        System.setErr(console);

        // XMPPServer finds its home through this property, JiveGlobals through setHomeDirectory.
        System.setProperty("openfireHome", home.dir().toString());
        JiveGlobals.setHomeDirectory(home.dir().toString());
        JiveGlobals.setConfigName("conf/openfire.xml");
        // The first property write opens the database and installs the schema on a new home.
        JiveGlobals.setProperties(properties);

        server = new XMPPServer();
        if (!server.isStarted()) {
            throw new IOException("XMPPServer reports that it is not started");
        }
    }

    @Override
    public String version() {
        return server.getServerInfo().getVersion().getVersionString();
    }

    @Override
    public boolean isRunning() {
        return server != null && server.isStarted() && ended.getCount() > 0;
    }

    /** Openfire 4.2 does not end by itself here: this returns 0 once {@link #stop()} has stopped it. */
    @Override
    public int awaitEnd() throws InterruptedException {
        ended.await();
        return 0;
    }

    /**
     * Openfire 4.2's stop() destroys the plugins only after it has stopped every module (client listener,
     * sessions, MUC service), so the plugins are shut down first: the XO plugin's destroyPlugin then still sees
     * its rooms and occupants and can tell the other nodes that they leave.
     */
    @Override
    public void stop() {
        if (server != null && ended.getCount() > 0) {
            if (server.getPluginManager() != null) {
                server.getPluginManager().shutdown();
            }
            server.stop();
        }
        ended.countDown();
    }
}
