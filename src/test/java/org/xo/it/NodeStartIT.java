package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.net.ssl.X509TrustManager;

import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.filter.MessageTypeFilter;
import org.jivesoftware.smack.sasl.SASLErrorException;
import org.jivesoftware.smack.roster.Roster;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jivesoftware.smackx.bookmarks.BookmarkManager;
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
import org.jxmpp.jid.parts.Resourcepart;
import org.junit.Test;
import org.junit.experimental.runners.Enclosed;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * The headless XO node as a user starts it: real JVMs, real sockets, a real Smack client, on either Openfire
 * ({@link EitherOpenfire}), plus what only --openfire can get wrong ({@link ServerLayout}).
 */
@RunWith(Enclosed.class)
public class NodeStartIT {
    private static final String DOMAIN = "xo.test";
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    /** Openfire 5's log colours the level: "\e[1;31mERROR\e[m". */
    private static final Pattern SS_LOCAL_ADDRESS = Pattern.compile("^\\S+\\s+\\S+\\s+\\S+\\s+(\\S+):(\\d+)\\s");

    /** Everything a node does, once per Openfire. */
    @RunWith(Parameterized.class)
    public static class EitherOpenfire {
        @Parameters(name = "openfire={0}")
        public static Object[] openfires() {
            return Openfire.values();
        }

        @Parameter
        public Openfire openfire;

        private NodeProcess.Builder node() {
            return NodeProcess.builder().openfire(openfire).domain(DOMAIN);
        }

        @Test
        public void aLoopbackNodeLogsInAnyoneChatsListensOnlyOnItsClientPortAndStopsOnSigterm() throws Exception {
            int multicastPort = NodeProcess.freePort();
            try (NodeProcess node = node().multicastPort(multicastPort).start()) {
                // Nothing but the client listener, on the bind address: any other would clash between nodes.
                assertEquals(node.logTail(), Set.of("127.0.0.1:" + node.clientPort()), tcpListeners(node.serverPid()));
                assertTrue(node.readyLine(), node.readyLine().contains("domain=" + DOMAIN));
                assertTrue(node.readyLine(), node.readyLine().contains("clients=127.0.0.1:" + node.clientPort()));
                assertTrue(node.readyLine(), node.readyLine().contains("multicast=lo:" + multicastPort));
                if (openfire == Openfire.V4_2_0) {
                    assertEquals(node.readyLine(), "4.2.0", node.openfireVersion());
                } else {
                    assertNotEquals(node.readyLine(), "4.2.0", node.openfireVersion());
                }

                String user = "alice-" + UUID.randomUUID().toString().substring(0, 8);
                XMPPTCPConnection alice = connect(node, user, "made-up password");
                try {
                    MultiUserChat room = MultiUserChatManager.getInstanceFor(alice)
                            .getMultiUserChat(JidCreate.entityBareFrom("lobby@conference." + DOMAIN));
                    BlockingQueue<Message> received = new ArrayBlockingQueue<>(10);
                    // Bodies only: Openfire 5 also sends the (empty) room subject as a message on entering.
                    room.addMessageListener(m -> {
                        if (m.getBody() != null) {
                            received.add(m);
                        }
                    });
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

                // A client that insists on STARTTLS, as most real ones do, gets the node's certificate for its domain.
                X509Certificate shown = startTlsCertificate(node, user);
                assertTrue("certificate names " + DOMAIN + ": " + shown.getSubjectAlternativeNames(),
                        shown.getSubjectAlternativeNames().stream().anyMatch(name -> DOMAIN.equals(name.get(1))));
                assertFalse("made before the start, not by Openfire's slower generator",
                        node.log().contains("Generating a new private key and corresponding self-signed certificate"));

                assertTrue("plugin JAR not extracted", Files.isDirectory(node.home().resolve("plugins/xo")));
                assertTrue("XO plugin not initialized\n" + node.logTail(), node.log().contains("XO plugin started"));
                assertNoErrors(node);

                // SIGTERM: Openfire and the plugin stop cleanly (the harness also fails if Openfire outlives it).
                long server = node.serverPid();
                assertEquals(0, node.stop());
                assertFalse("Openfire (pid " + server + ") still runs", isAlive(server));
                assertEquals(NodeProcess.STOPPED_LINE, node.stdout().get(node.stdout().size() - 1));
                assertEquals("stdout must hold only the ready and stopped lines", 2, node.stdout().size());
                assertTrue(node.logTail(), node.log().contains("Unloaded plugin 'xo'"));
                assertTrue(node.logTail(), node.log().contains("Openfire stopped"));
            }
        }

        /**
         * What clients store through Openfire (roster, offline messages, private storage, vCards, persistent rooms
         * with logged history, pubsub) works and is still there after a restart on the same home, and the restart
         * applies the options it was given.
         */
        @Test
        public void clientStateSurvivesARestart() throws Exception {
            Path home = Files.createTempDirectory("xo-node-restart-");
            int multicastPort = NodeProcess.freePort();
            EntityBareJid roomJid = JidCreate.entityBareFrom("archive@conference." + DOMAIN);
            BareJid bobJid = JidCreate.bareFrom("bob@" + DOMAIN);
            try {
                int firstPort;
                try (NodeProcess node = node().multicastPort(multicastPort).home(home).start()) {
                    firstPort = node.clientPort();
                    XMPPTCPConnection bob = connect(node, "bob", "secret");
                    Roster.getInstanceFor(bob).setSubscriptionMode(Roster.SubscriptionMode.accept_all);
                    XMPPTCPConnection alice = connect(node, "alice", "secret");
                    try {
                        Roster roster = Roster.getInstanceFor(alice);
                        roster.createItemAndRequestSubscription(bobJid, "Bob", new String[] {"friends"});
                        awaitUntil("bob accepts the subscription",
                                () -> roster.getEntry(bobJid) != null && roster.getEntry(bobJid).canSeeHisPresence());
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
                    assertTrue(node.logTail(), node.log().contains("XO plugin started"));
                    assertFalse(node.logTail(), node.log().contains("XO is disabled"));
                    assertEquals(0, node.stop());
                    assertNoErrors(node);
                }

                // Options given to the later start take effect from its first moment: another client port (a
                // listener setting) and a --set for the XO plugin; on a server layout both live in its database.
                try (NodeProcess node = node().multicastPort(multicastPort).home(home)
                        .args("--set", "xo.enabled=false").start()) {
                    assertNotEquals(firstPort, node.clientPort());
                    assertTrue(node.readyLine(), node.readyLine().contains("clients=127.0.0.1:" + node.clientPort()));
                    assertEquals(Set.of("127.0.0.1:" + node.clientPort()), tcpListeners(node.serverPid()));
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
                        assertTrue("--set did not reach the XO plugin\n" + node.logTail(),
                                node.log().contains("XO is disabled (xo.enabled=false)"));
                    } finally {
                        alice.instantShutdown();
                        bob.instantShutdown();
                    }
                    assertNoErrors(node);
                }
            } finally {
                deleteTree(home);
            }
        }

        /**
         * Off loopback (here in a network namespace, as the multi-hop tests run nodes, reached over its management
         * link), made-up credentials are refused; an account registered in-band logs in and chats; SIGTERM reaches the
         * node through {@code ip netns exec}, which execs java, and it stops its Openfire.
         */
        @Test
        public void aNodeOffLoopbackInANetworkNamespaceRequiresRealAccounts() throws Exception {
            NetNs.requireRootOrSkip();
            try (NetNs net = NetNs.create()) {
                net.namespace("a");
                NetNs.Management management = net.management("a");
                InetAddress address = InetAddress.getByName(management.nsAddress());
                try (NodeProcess node = node().netns(net.name("a")).bind(management.nsAddress())
                        .multicastPort(NodeProcess.freePort()).start()) {
                    assertTrue(node.readyLine(), node.readyLine().contains("clients=" + management.nsAddress() + ":"));
                    try {
                        connect(address, node, "mallory", "guess", c -> { }).instantShutdown();
                        fail("made-up credentials were accepted off loopback");
                    } catch (SASLErrorException expected) {
                        // the account does not exist
                    }
                    try (XmppTestClient alice = XmppTestClient.registered(node, "alice")) {
                        alice.join("lobby", "alice");
                    }
                    assertTrue(node.logTail(), node.log().contains("XO plugin started"));
                    assertEquals(0, node.stop());
                }
            }
        }

        /**
         * A crash of the node takes its Openfire along; the home starts again (database recovered, no leftover). A
         * home holds one kind of Openfire: the other one refuses it rather than damaging its database.
         */
        @Test
        public void sigkillLeavesNoOpenfireAndTheHomeStartsAgainOnItsOwnOpenfireOnly() throws Exception {
            Path home = Files.createTempDirectory("xo-node-kill-");
            try {
                try (NodeProcess node = node().home(home).multicastPort(NodeProcess.freePort()).start()) {
                    connect(node, "alice", "x").instantShutdown();
                    long server = node.serverPid();
                    // The harness also fails kill() if Openfire outlives the node.
                    node.kill();
                    assertFalse("Openfire (pid " + server + ") outlived the node", isAlive(server));
                }
                try (NodeProcess node = node().home(home).multicastPort(NodeProcess.freePort()).start()) {
                    connect(node, "alice", "x").instantShutdown();
                    assertTrue(node.logTail(), node.log().contains("XO plugin started"));
                    node.discard(); // how it stops is not under test here; a clean stop takes seconds
                }
                Openfire other = openfire == Openfire.V4_2_0 ? Openfire.V5_1_1 : Openfire.V4_2_0;
                assertConfigError(NodeProcess.builder().openfire(other).domain(DOMAIN).home(home)
                        .runToExit(EXIT_TIMEOUT), "home of its own");
            } finally {
                deleteTree(home);
            }
        }

        @Test
        public void clientPortInUseIsAConfigurationError() throws Exception {
            try (ServerSocket taken = new ServerSocket()) {
                taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                NodeProcess.Result result = node().clientPort(taken.getLocalPort()).runToExit(EXIT_TIMEOUT);
                assertConfigError(result, "already in use");
            }
        }

        @Test
        public void unknownInterfaceIsAConfigurationError() throws Exception {
            NodeProcess.Result result = node().multicastInterface("nosuch0").runToExit(EXIT_TIMEOUT);
            assertConfigError(result, "nosuch0");
            assertTrue(result.stderr().get(0), result.stderr().get(0).contains("lo"));
        }

        @Test
        public void badNumberIsAConfigurationError() throws Exception {
            NodeProcess.Result result = node().args("--multicast-port", "70000").runToExit(EXIT_TIMEOUT);
            assertConfigError(result, "--multicast-port");
        }
    }

    /** What only a node of a server layout does or can get wrong. */
    public static class ServerLayout {
        private static NodeProcess.Builder node() {
            return NodeProcess.builder().openfire(Openfire.V5_1_1).domain(DOMAIN);
        }

        /** The node must not outlive its Openfire either: it ends with status 1 and says why. */
        @Test
        public void anOpenfireThatDiesEndsTheNodeWithOneSentence() throws Exception {
            try (NodeProcess node = node().multicastPort(NodeProcess.freePort()).start()) {
                ProcessHandle.of(node.serverPid()).ifPresent(ProcessHandle::destroyForcibly);
                assertEquals(node.logTail(), 1, node.awaitEnd());
                assertEquals("no stopped line after a crash", List.of(node.readyLine()), node.stdout());
                String sentence = node.stderr().get(node.stderr().size() - 1);
                assertTrue(sentence, sentence.startsWith("Openfire exited unexpectedly with status 137")
                        && sentence.endsWith("."));
            }
        }

        /**
         * A launcher that died before its child's parent-death signal was armed leaves that Openfire running, named
         * in openfire.pid: the next start stops it first, so it gets the home and its client port back.
         */
        @Test
        public void aLeftoverOpenfireOfTheHomeIsStoppedFirst() throws Exception {
            Path home = Files.createTempDirectory("xo-node-leftover-");
            Process leftover = null;
            try {
                int port;
                try (NodeProcess node = node().home(home).multicastPort(NodeProcess.freePort()).start()) {
                    port = node.clientPort();
                    assertEquals(0, node.stop());
                }
                ProcessBuilder openfire = new ProcessBuilder(home.resolve("bin/openfire.sh").toString())
                        .redirectErrorStream(true).redirectOutput(home.resolve("logs/leftover.log").toFile());
                openfire.environment().put("OPENFIRE_HOME", home.toString());
                openfire.environment().put("JAVA_HOME", System.getProperty("java.home"));
                leftover = openfire.start();
                Files.writeString(home.resolve("openfire.pid"), leftover.pid() + "\n");
                Process started = leftover;
                awaitUntil("the leftover Openfire accepts clients", Duration.ofSeconds(120), () -> accepts(port));

                try (NodeProcess node = node().home(home).clientPort(port).multicastPort(NodeProcess.freePort())
                        .start()) {
                    assertFalse("leftover Openfire " + started.pid() + " still runs", started.isAlive());
                    assertTrue(node.stderr().toString(), node.stderr().contains("xo-node: stopping Openfire (pid "
                            + started.pid() + ") that an earlier run of this home left running."));
                    connect(node, "alice", "x").instantShutdown();
                    node.discard(); // how it stops is not under test here; a clean stop takes seconds
                }
            } finally {
                if (leftover != null) {
                    leftover.destroyForcibly().waitFor();
                }
                deleteTree(home);
            }
        }

        private static boolean accepts(int port) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 250);
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Test
        public void aFolderThatIsNoServerLayoutIsAConfigurationError() throws Exception {
            Path dir = Files.createTempDirectory("xo-not-openfire-");
            try {
                NodeProcess.Result result = NodeProcess.builder().args("--openfire", dir.toString())
                        .runToExit(EXIT_TIMEOUT);
                assertConfigError(result, "is not an Openfire server layout");
            } finally {
                deleteTree(dir);
            }
        }

        /** openfire.sh evals its command line: a home path with a blank would break it halfway through a start. */
        @Test
        public void aHomeWithABlankIsAConfigurationError() throws Exception {
            Path home = Files.createTempDirectory("xo node ");
            try {
                assertConfigError(node().home(home).runToExit(EXIT_TIMEOUT), "choose a plain path");
            } finally {
                deleteTree(home);
            }
        }

        /** --set keys are written into openfire.xml and removed again: Openfire's own entries there are off limits. */
        @Test
        public void setOfAnOpenfireXmlSettingIsAConfigurationError() throws Exception {
            assertConfigError(node().args("--set", "setup=false").runToExit(EXIT_TIMEOUT),
                    "--set setup names a setting");
        }

        /** A made-up layout of Openfire 4.7.5: the files the check reads, a server JAR holding only its manifest. */
        @Test
        public void anOpenfireOlderThan4Point8IsAConfigurationError() throws Exception {
            Path dir = Files.createTempDirectory("xo-openfire-4.7.5-");
            try {
                Files.createDirectories(dir.resolve("bin"));
                Files.createFile(dir.resolve("bin/openfire.sh"));
                Files.createDirectories(dir.resolve("lib"));
                Manifest manifest = new Manifest();
                manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
                manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, "4.7.5");
                try (OutputStream out = Files.newOutputStream(dir.resolve("lib/xmppserver-4.7.5.jar"));
                     JarOutputStream jar = new JarOutputStream(out, manifest)) {
                    jar.flush();
                }
                NodeProcess.Result result = NodeProcess.builder().args("--openfire", dir.toString())
                        .runToExit(EXIT_TIMEOUT);
                assertConfigError(result, "holds Openfire 4.7.5, but an XO node needs Openfire 4.8 or newer");
            } finally {
                deleteTree(dir);
            }
        }
    }

    private static void assertConfigError(NodeProcess.Result result, String mention) {
        String what = "exit " + result.exitCode() + ", stdout " + result.stdout() + ", stderr " + result.stderr();
        assertEquals(what, 2, result.exitCode());
        assertEquals(what, 1, result.stderr().size());
        String sentence = result.stderr().get(0);
        assertTrue(what, sentence.contains(mention) && sentence.endsWith("."));
        assertTrue(what, result.stdout().isEmpty());
    }

    /** No ERROR line in Openfire's log, on either Openfire: the overlay starts on both. */
    private static void assertNoErrors(NodeProcess node) {
        assertEquals("errors in the node's log\n" + node.logTail(), List.of(), node.logErrors());
    }

    /** "address:port" of every listening TCP socket of the process, IPv4-mapped addresses as IPv4 (from ss). */
    private static Set<String> tcpListeners(long pid) throws IOException, InterruptedException {
        Process ss = new ProcessBuilder("ss", "-Hltnp").redirectErrorStream(true).start();
        String output = new String(ss.getInputStream().readAllBytes());
        assertEquals(output, 0, ss.waitFor());
        Set<String> listeners = new TreeSet<>();
        for (String line : output.split("\n")) {
            Matcher m = SS_LOCAL_ADDRESS.matcher(line);
            if (line.contains("pid=" + pid + ",") && m.find()) {
                String address = m.group(1).replace("[::ffff:", "").replace("[", "").replace("]", "");
                listeners.add(address + ":" + m.group(2));
            }
        }
        return listeners;
    }

    private static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
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

    /** Logs in over STARTTLS, trusting whatever the node shows, and returns the certificate it showed. */
    private static X509Certificate startTlsCertificate(NodeProcess node, String user) throws Exception {
        AtomicReference<X509Certificate> shown = new AtomicReference<>();
        X509TrustManager trustWhatIsShown = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("a client was not expected here");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                shown.set(chain[0]);
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        XMPPTCPConnection connection = new XMPPTCPConnection(XMPPTCPConnectionConfiguration.builder()
                .setXmppDomain(node.domain())
                .setHostAddress(InetAddress.getLoopbackAddress())
                .setPort(node.clientPort())
                .setSecurityMode(SecurityMode.required)
                .setCustomX509TrustManager(trustWhatIsShown)
                .setUsernameAndPassword(user, "any")
                .setConnectTimeout(10_000)
                .build());
        try {
            connection.connect().login();
            assertTrue("the stream is encrypted", connection.isSecureConnection());
        } finally {
            connection.instantShutdown();
        }
        return shown.get();
    }

    private static void awaitUntil(String what, BooleanSupplier condition) throws InterruptedException {
        awaitUntil(what, Duration.ofSeconds(10), condition);
    }

    private static void awaitUntil(String what, Duration timeout, BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
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
