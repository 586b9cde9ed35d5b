package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Comparator;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.filter.MessageTypeFilter;
import org.jivesoftware.smack.sasl.SASLErrorException;
import org.jivesoftware.smack.roster.Roster;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jivesoftware.smackx.bookmarks.BookmarkManager;
import org.jivesoftware.smackx.iqregister.AccountManager;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.ping.PingManager;
import org.jivesoftware.smackx.pubsub.PubSubManager;
import org.jivesoftware.smackx.vcardtemp.VCardManager;
import org.jivesoftware.smackx.vcardtemp.packet.VCard;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.jxmpp.jid.BareJid;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Localpart;
import org.jxmpp.jid.parts.Resourcepart;
import org.junit.Assume;
import org.junit.Test;

/** The headless XO node as a user starts it: real JVMs, real sockets, a real Smack client. */
public class NodeStartIT {
    private static final String DOMAIN = "xo.test";
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);

    @Test
    public void madeUpCredentialsLogInAndChatInARoom() throws Exception {
        int multicastPort = NodeProcess.freePort();
        try (NodeProcess node = NodeProcess.builder().domain(DOMAIN).multicastPort(multicastPort).start()) {
            assertTrue(node.readyLine(), node.readyLine().contains("domain=" + DOMAIN));
            assertTrue(node.readyLine(), node.readyLine().contains("clients=127.0.0.1:" + node.clientPort()));
            assertTrue(node.readyLine(), node.readyLine().contains("multicast=lo:" + multicastPort));

            String user = "alice-" + UUID.randomUUID().toString().substring(0, 8);
            XMPPTCPConnection alice = connect(node, user, "made-up password");
            try {
                MultiUserChat room = MultiUserChatManager.getInstanceFor(alice)
                        .getMultiUserChat(JidCreate.entityBareFrom("lobby@conference." + DOMAIN));
                BlockingQueue<Message> received = new ArrayBlockingQueue<>(10);
                room.addMessageListener(received::add);
                room.create(Resourcepart.from("alice")).makeInstant();
                room.sendMessage("hello overlay");

                Message echo = received.poll(10, TimeUnit.SECONDS);
                assertTrue("own groupchat message did not come back\n" + node.logTail(), echo != null);
                assertEquals("hello overlay", echo.getBody());
                assertEquals(Message.Type.groupchat, echo.getType());
            } finally {
                alice.instantShutdown();
            }

            // The account now exists; on a loopback node any password is still accepted.
            connect(node, user, "another password").instantShutdown();

            assertTrue("plugin JAR not extracted", Files.isDirectory(node.home().resolve("plugins/xo")));
            assertTrue("XO plugin not initialized\n" + node.logTail(), node.log().contains("XO plugin started"));
            assertFalse("errors in the node's log\n" + node.logTail(), node.log().contains(" ERROR "));
        }
    }

    /**
     * What clients store through the node's own schema (roster, offline messages, private storage, vCards,
     * persistent rooms with logged history, pubsub) works and is still there after a restart on the same home.
     */
    @Test
    public void clientStateSurvivesARestart() throws Exception {
        Path home = Files.createTempDirectory("xo-node-restart-");
        int multicastPort = NodeProcess.freePort();
        EntityBareJid roomJid = JidCreate.entityBareFrom("archive@conference." + DOMAIN);
        BareJid bobJid = JidCreate.bareFrom("bob@" + DOMAIN);
        try {
            try (NodeProcess node = NodeProcess.builder().domain(DOMAIN).multicastPort(multicastPort).home(home).start()) {
                XMPPTCPConnection bob = connect(node, "bob", "secret");
                Roster.getInstanceFor(bob).setSubscriptionMode(Roster.SubscriptionMode.accept_all);
                XMPPTCPConnection alice = connect(node, "alice", "secret");
                try {
                    Roster roster = Roster.getInstanceFor(alice);
                    roster.createItemAndRequestSubscription(bobJid, "Bob", new String[] {"friends"});
                    awaitUntil("bob accepts the subscription", () -> roster.getEntry(bobJid) != null && roster.getEntry(bobJid).canSeeHisPresence());
                    bob.setReplyTimeout(2_000);
                    bob.disconnect();
                    awaitUntil("bob is offline", () -> !roster.getPresence(bobJid).isAvailable());

                    BookmarkManager.getBookmarkManager(alice).addBookmarkedConference("Archive", roomJid, false,
                            Resourcepart.from("alice"), null);
                    VCard card = new VCard();
                    card.setNickName("Alice A.");
                    VCardManager.getInstanceFor(alice).saveVCard(card);
                    PubSubManager.getInstanceFor(alice, JidCreate.bareFrom("pubsub." + DOMAIN))
                            .createNode("xo-restart-test");

                    MultiUserChat room = MultiUserChatManager.getInstanceFor(alice).getMultiUserChat(roomJid);
                    room.create(Resourcepart.from("alice"));
                    FillableForm config = room.getConfigurationForm().getFillableForm();
                    // Openfire 4.2 reads only "1" as true; Smack would send "true".
                    config.setAnswer("muc#roomconfig_persistentroom", "1");
                    config.setAnswer("muc#roomconfig_enablelogging", "1");
                    room.sendConfigurationForm(config);
                    room.changeSubject("kept across restarts");
                    room.sendMessage("logged line");

                    alice.sendStanza(alice.getStanzaFactory().buildMessageStanza().to(bobJid)
                            .ofType(Message.Type.chat).setBody("while you were away").build());
                    // One session's stanzas are handled in order: after this round trip all of them are stored.
                    assertTrue(PingManager.getInstanceFor(alice).pingMyServer());
                } finally {
                    alice.instantShutdown();
                }
                assertEquals(0, node.stop());
                assertFalse("errors in the node's log\n" + node.logTail(), node.log().contains(" ERROR "));
            }

            try (NodeProcess node = NodeProcess.builder().domain(DOMAIN).multicastPort(multicastPort).home(home).start()) {
                BlockingQueue<Message> offline = new ArrayBlockingQueue<>(10);
                XMPPTCPConnection bob = connect(node, "bob", "secret", c -> c.addAsyncStanzaListener(
                        stanza -> offline.add((Message) stanza), MessageTypeFilter.CHAT));
                XMPPTCPConnection alice = connect(node, "alice", "secret");
                try {
                    Message stored = offline.poll(10, TimeUnit.SECONDS);
                    assertTrue("offline message not delivered\n" + node.logTail(), stored != null);
                    assertEquals("while you were away", stored.getBody());

                    Roster roster = Roster.getInstanceFor(alice);
                    roster.reloadAndWait();
                    assertEquals("Bob", roster.getEntry(bobJid).getName());
                    assertTrue(roster.getEntry(bobJid).canSeeHisPresence());
                    assertEquals(roomJid, BookmarkManager.getBookmarkManager(alice).getBookmarkedConferences()
                            .get(0).getJid());
                    assertEquals("Alice A.", VCardManager.getInstanceFor(alice).loadVCard().getNickName());
                    PubSubManager.getInstanceFor(alice, JidCreate.bareFrom("pubsub." + DOMAIN))
                            .getNode("xo-restart-test");

                    MultiUserChat room = MultiUserChatManager.getInstanceFor(bob).getMultiUserChat(roomJid);
                    BlockingQueue<Message> history = new ArrayBlockingQueue<>(10);
                    room.addMessageListener(history::add);
                    room.join(Resourcepart.from("bob"));
                    // The subject comes after the join presence (XEP-0045 7.2.15).
                    awaitUntil("the room subject arrives", () -> room.getSubject() != null);
                    assertEquals("kept across restarts", room.getSubject());
                    Message logged = history.poll(10, TimeUnit.SECONDS);
                    assertTrue("room history not restored\n" + node.logTail(), logged != null);
                    assertEquals("logged line", logged.getBody());
                } finally {
                    alice.instantShutdown();
                    bob.instantShutdown();
                }
                assertFalse("errors in the node's log\n" + node.logTail(), node.log().contains(" ERROR "));
            }
        } finally {
            deleteTree(home);
        }
    }

    @Test
    public void twoNodesRunSideBySide() throws Exception {
        int multicastPort = NodeProcess.freePort();
        try (NodeProcess a = NodeProcess.builder().domain(DOMAIN).name("node-a").multicastPort(multicastPort).start();
             NodeProcess b = NodeProcess.builder().domain(DOMAIN).name("node-b").multicastPort(multicastPort).start()) {
            assertNotEquals(a.clientPort(), b.clientPort());
            assertNotEquals(a.home(), b.home());
            for (NodeProcess node : new NodeProcess[] {a, b}) {
                assertTrue(node.logTail(), node.isAlive());
                assertTrue(node.logTail(), node.log().contains("XO plugin started"));
                connect(node, "bob", "x").instantShutdown();
                // e.g. a second node failing to bind a port the first one holds
                assertFalse(node.logTail(), node.log().contains(" ERROR "));
            }
        }
    }

    /** Off loopback the node is a normal Openfire: made-up credentials fail, a registered account works. */
    @Test
    public void nonLoopbackNodeRequiresRealAccounts() throws Exception {
        InetAddress lan = firstNonLoopbackAddress();
        Assume.assumeTrue("no non-loopback IPv4 address on this machine", lan != null);
        try (NodeProcess node = NodeProcess.builder().domain(DOMAIN).multicastPort(NodeProcess.freePort())
                .args("--bind", lan.getHostAddress()).start()) {
            assertTrue(node.readyLine(), node.readyLine().contains("clients=" + lan.getHostAddress() + ":"));
            try {
                connect(lan, node, "mallory", "guess", c -> { }).instantShutdown();
                fail("made-up credentials were accepted off loopback");
            } catch (SASLErrorException expected) {
                // the account does not exist
            }
            XMPPTCPConnection registrar = new XMPPTCPConnection(XMPPTCPConnectionConfiguration.builder()
                    .setXmppDomain(node.domain()).setHostAddress(lan).setPort(node.clientPort())
                    .setSecurityMode(SecurityMode.disabled).build());
            try {
                registrar.connect();
                AccountManager accounts = AccountManager.getInstance(registrar);
                accounts.sensitiveOperationOverInsecureConnection(true);
                accounts.createAccount(Localpart.from("carol"), "carols password");
            } finally {
                registrar.instantShutdown();
            }
            connect(lan, node, "carol", "carols password", c -> { }).instantShutdown();
        }
    }

    private static InetAddress firstNonLoopbackAddress() throws SocketException {
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nif.isUp() && !nif.isLoopback()) {
                for (InetAddress address : Collections.list(nif.getInetAddresses())) {
                    if (address instanceof Inet4Address) {
                        return address;
                    }
                }
            }
        }
        return null;
    }

    @Test
    public void sigtermStopsOpenfireAndThePlugin() throws Exception {
        try (NodeProcess node = NodeProcess.builder().domain(DOMAIN).multicastPort(NodeProcess.freePort()).start()) {
            assertEquals(0, node.stop());
            assertEquals(NodeProcess.STOPPED_LINE, node.stdout().get(node.stdout().size() - 1));
            assertEquals("stdout must hold only the ready and stopped lines", 2, node.stdout().size());
            assertTrue(node.logTail(), node.log().contains("Unloaded plugin 'xo'"));
            assertTrue(node.logTail(), node.log().contains("Openfire stopped"));
        }
    }

    @Test
    public void clientPortInUseIsAConfigurationError() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            NodeProcess.Result result = NodeProcess.builder().domain(DOMAIN).clientPort(taken.getLocalPort())
                    .runToExit(EXIT_TIMEOUT);
            assertConfigError(result, "already in use");
        }
    }

    @Test
    public void unknownInterfaceIsAConfigurationError() throws Exception {
        NodeProcess.Result result = NodeProcess.builder().domain(DOMAIN).multicastInterface("nosuch0")
                .runToExit(EXIT_TIMEOUT);
        assertConfigError(result, "nosuch0");
        assertTrue(result.stderr().get(0), result.stderr().get(0).contains("lo"));
    }

    @Test
    public void badNumberIsAConfigurationError() throws Exception {
        NodeProcess.Result result = NodeProcess.builder().args("--multicast-port", "70000").runToExit(EXIT_TIMEOUT);
        assertConfigError(result, "--multicast-port");
    }

    private static void assertConfigError(NodeProcess.Result result, String mention) {
        String what = "exit " + result.exitCode() + ", stdout " + result.stdout() + ", stderr " + result.stderr();
        assertEquals(what, 2, result.exitCode());
        assertEquals(what, 1, result.stderr().size());
        String sentence = result.stderr().get(0);
        assertTrue(what, sentence.contains(mention) && sentence.endsWith("."));
        assertTrue(what, result.stdout().isEmpty());
    }

    /** Plain TCP on loopback, SASL PLAIN: what a local client of an XO node uses. */
    static XMPPTCPConnection connect(NodeProcess node, String user, String password) throws Exception {
        return connect(node, user, password, c -> { });
    }

    /** As above; {@code beforeLogin} registers listeners that must see what arrives right after login. */
    static XMPPTCPConnection connect(NodeProcess node, String user, String password,
            Consumer<XMPPTCPConnection> beforeLogin) throws Exception {
        return connect(InetAddress.getLoopbackAddress(), node, user, password, beforeLogin);
    }

    private static XMPPTCPConnection connect(InetAddress address, NodeProcess node, String user, String password,
            Consumer<XMPPTCPConnection> beforeLogin) throws Exception {
        XMPPTCPConnection connection = new XMPPTCPConnection(XMPPTCPConnectionConfiguration.builder()
                .setXmppDomain(node.domain())
                .setHostAddress(address)
                .setPort(node.clientPort())
                .setSecurityMode(SecurityMode.disabled)
                .setUsernameAndPassword(user, password)
                .setConnectTimeout(10_000)
                .build());
        connection.setReplyTimeout(10_000);
        beforeLogin.accept(connection);
        connection.connect().login();
        return connection;
    }

    private static void awaitUntil(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue("timed out waiting until " + what, System.nanoTime() < deadline);
            Thread.sleep(20);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
