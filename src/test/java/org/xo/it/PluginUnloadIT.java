package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.XMPPException.XMPPErrorException;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverItems;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;
import org.jxmpp.jid.impl.JidCreate;

/**
 * Unloading the plugin at run time, as an administrator does by deleting its JAR from plugins/: Openfire's plugin
 * monitor then unloads it (both versions poll plugins/: 4.2.0 every 5 s in developmentMode, else 20 s; 5.1.1 every
 * {@code plugins.loading.monitor.interval} s, default 20). While a local client shares a room with a participant of
 * another node, the plugin is unloaded, reloaded and unloaded again. After each unload nothing of XO may remain:
 * <ul>
 *   <li>in the server's JVM ({@link XoFootprint}): threads, UDP sockets (a multicast membership belongs to its
 *       socket), live instances of the plugin's classes after a full GC, the plugin's class loader;</li>
 *   <li>over XMPP: the component xo.home.test is neither listed nor answers, the remote participant has left the
 *       local room and the local one the remote room;</li>
 *   <li>in Openfire's database: any MUC sysadmin grant (remote participants hold no privilege, loaded or not).</li>
 * </ul>
 * After the reload everything is back and a message crosses nodes.
 */
@RunWith(Parameterized.class)
public class PluginUnloadIT {
    private static final String ROOM = "ops";

    @Parameters(name = "openfire={0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    @Parameter
    public Openfire openfire;

    private int multicastPort;
    private NodeProcess home;
    private NodeProcess peer;
    private XmppTestClient alice;
    private XmppTestClient bob;

    @Before
    public void startHomeAndPeer() throws Exception {
        multicastPort = NodeProcess.freePort();
        NodeProcess.Builder homeNode = NodeProcess.builder().openfire(openfire).domain("home.test")
                .multicastPort(multicastPort);
        if (openfire == Openfire.V4_2_0) {
            homeNode.jvmArg("-DdevelopmentMode=true");
        } else {
            homeNode.args("--set", "plugins.loading.monitor.interval=1");
        }
        // The peer only supplies a remote occupant: the lighter embedded Openfire serves for both parameters.
        // An unload ends the home node's run: its users leave the peer when the restart grace after its goodbye ends,
        // short here so that alice is seen leaving within the clients' wait.
        List<NodeProcess> nodes = NodeProcess.startAll(homeNode.briskGoodbyes(),
                NodeProcess.builder().domain("peer.test").multicastPort(multicastPort).briskGoodbyes());
        home = nodes.get(0);
        peer = nodes.get(1);
        alice = new XmppTestClient(home.clientPort(), "home.test", "alice");
        bob = new XmppTestClient(peer.clientPort(), "peer.test", "bob");
    }

    @After
    public void stopNodes() {
        NodeProcess.closeAll(alice, bob, home, peer);
    }

    @Test
    public void unloadLeavesNothingAndReloadRestoresEverything() throws Exception {
        alice.join(ROOM, "alice");
        bob.join(ROOM, "bob");
        XmppTestClient.eventually("alice sees bob, a remote occupant", () -> alice.occupantNicks(ROOM).contains("bob"));
        XoFootprint loaded = XoFootprint.of(home.serverPid());
        assertLoaded(loaded);

        unload(1);
        assertNothingLeft();

        reload(2);
        // Alice stayed in the room all along: the plugin finds her there when it starts, without a word from her.
        XmppTestClient.eventually("alice sees bob again", () -> alice.occupantNicks(ROOM).contains("bob"));
        XmppTestClient.eventually("bob sees alice again", () -> bob.occupantNicks(ROOM).contains("alice"));
        alice.say(ROOM, "after reload");
        bob.awaitMessage(m -> "after reload".equals(m.getBody()), "alice's message after the reload");
        XoFootprint reloaded = XoFootprint.of(home.serverPid());
        assertLoaded(reloaded);
        // The same sockets, but for the sending socket's ephemeral port.
        assertEquals("UDP sockets after the reload: " + reloaded.udpSockets(), loaded.udpSockets().size(),
                reloaded.udpSockets().size());
        assertEquals("plugin class loaders after the reload", loaded.pluginClassLoaders(),
                reloaded.pluginClassLoaders());

        unload(2);
        assertNothingLeft();
    }

    /** The checks below can see XO: while it runs each of them finds it. */
    private void assertLoaded(XoFootprint footprint) throws Exception {
        // The threads of a running overlay; others start when first needed (xo-instant-rooms, xo-settings, and
        // xo-pacer with the first message held for batching: a lone message goes out at once).
        assertTrue("XO's threads: " + footprint.threads(), footprint.threads().containsAll(
                List.of("xo-udp-rx", "xo-inject", "xo-discovery", "xo-dnssd")));
        assertTrue("a UDP socket on the overlay port: " + footprint.udpSockets(),
                footprint.udpSockets().stream().anyMatch(s -> s.endsWith(":" + multicastPort)));
        assertTrue("instances of XO's classes", footprint.xoInstances().containsKey("org.xo.openfire.XoPlugin"));
        assertTrue("the component is listed", serverItems().contains("xo.home.test"));
        awaitPersistedSysadmins(""); // remote participants hold no privilege
    }

    private void assertNothingLeft() throws Exception {
        XmppTestClient.eventually("alice sees bob, a remote occupant, go", () -> !alice.occupantNicks(ROOM).contains("bob"));
        XmppTestClient.eventually("bob sees alice go", () -> !bob.occupantNicks(ROOM).contains("alice"));
        XoFootprint left = XoFootprint.of(home.serverPid());
        assertEquals("XO's threads", List.of(), left.threads());
        assertEquals("UDP sockets", List.of(), left.udpSockets());
        assertEquals("instances of XO's classes after a full GC", Map.of(), left.xoInstances());
        assertEquals("plugin class loaders (the admin plugin's only)", 1, left.pluginClassLoaders());
        assertFalse("the component is listed", serverItems().contains("xo.home.test"));
        assertThrows("the component answers", XMPPErrorException.class, alice::xoStats);
        awaitPersistedSysadmins("");
    }

    /** Moves the JAR out of plugins/ and waits until Openfire reports the plugin's {@code n}th unload. */
    private void unload(int n) throws Exception {
        Files.move(pluginJar(), parkedJar(), StandardCopyOption.ATOMIC_MOVE);
        XmppTestClient.eventually("the plugin's unload #" + n,
                () -> count(home.log(), "Successfully unloaded plugin 'xo'") >= n);
    }

    /** Puts the JAR back and waits until the plugin has started for the {@code n}th time. */
    private void reload(int n) throws Exception {
        Files.move(parkedJar(), pluginJar(), StandardCopyOption.ATOMIC_MOVE);
        XmppTestClient.eventually("the plugin's start #" + n, () -> count(home.log(), "XO plugin started") >= n);
    }

    private Path pluginJar() {
        return home.home().resolve("plugins/xo.jar");
    }

    private Path parkedJar() {
        return home.home().resolve("xo.jar.unloaded");
    }

    private List<String> serverItems() throws Exception {
        DiscoverItems items = ServiceDiscoveryManager.getInstanceFor(alice.connection)
                .discoverItems(JidCreate.from("home.test"));
        return items.getItems().stream().map(item -> item.getEntityID().toString()).toList();
    }

    /**
     * Waits until the MUC service's sysadmins, as Openfire keeps them in its database (ofMucServiceProp
     * 'sysadmin.jid'), are {@code expected}. Read from the embedded HSQLDB's files: the database writes every change
     * to its text log (openfire.log) within half a second, an update as an INSERT of the row's new value.
     */
    private void awaitPersistedSysadmins(String expected) throws Exception {
        Path db = home.home().resolve("embedded-db");
        Pattern row = Pattern.compile("INSERT INTO OFMUCSERVICEPROP VALUES\\(\\d+,'sysadmin.jid','([^']*)'\\)");
        XmppTestClient.eventually("MUC sysadmins '" + expected + "' in the database", () -> {
            String last = "";
            for (String file : List.of("openfire.script", "openfire.log")) {
                Matcher m = row.matcher(read(db.resolve(file)));
                while (m.find()) {
                    last = m.group(1);
                }
            }
            return last.equals(expected);
        });
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
    private static long count(String text, String phrase) {
        return Pattern.compile(Pattern.quote(phrase)).matcher(text).results().count();
    }
}
