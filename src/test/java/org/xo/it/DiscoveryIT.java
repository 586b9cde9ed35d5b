package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverItems;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;
import org.jxmpp.jid.impl.JidCreate;

/**
 * Three nodes on loopback with fast beacons: rooms that exist elsewhere show up in "browse rooms", a node that
 * goes silent takes its occupants with it, and they come back with it.
 */
@RunWith(Parameterized.class)
public class DiscoveryIT {
    @Parameters(name = "openfire={0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    @Parameter
    public Openfire openfire;

    /** Test-speed liveness: beacons every 300 ms, a node is lost after 1.5 s of silence. */
    private static final String[] FAST_BEACONS = {
            "--set", "xo.discovery.beacon-interval-ms=300", "--set", "xo.discovery.node-timeout-ms=1500"};

    /*
     * One trio of nodes serves the tests of one Openfire (each test has rooms of its own and fresh clients): a trio
     * per test made this class take two minutes. A test that kills a node restarts it, else the next one starts a
     * new trio.
     */
    private static Openfire trioFor;
    private static int port;
    private static Path alphaHome;
    private static NodeProcess alpha;
    private static NodeProcess beta;
    private static NodeProcess gamma;
    private XmppTestClient alice;
    private XmppTestClient bob;
    private XmppTestClient carol;

    @Before
    public void connectToTheTrioOfThisOpenfire() throws Exception {
        if (trioFor != openfire || !alpha.isAlive() || !beta.isAlive() || !gamma.isAlive()) {
            stopTrio();
            port = NodeProcess.freePort();
            alphaHome = Files.createTempDirectory("xo-discovery-alpha-");
            List<NodeProcess> nodes = NodeProcess.startAll(alphaBuilder(),
                    NodeProcess.builder().openfire(openfire).domain("beta.test").multicastPort(port).args(FAST_BEACONS),
                    NodeProcess.builder().openfire(openfire).domain("gamma.test").multicastPort(port)
                            .args(FAST_BEACONS));
            alpha = nodes.get(0);
            beta = nodes.get(1);
            gamma = nodes.get(2);
            trioFor = openfire;
        }
        alice = new XmppTestClient(alpha.clientPort(), "alpha.test", "alice");
        bob = new XmppTestClient(beta.clientPort(), "beta.test", "bob");
        carol = new XmppTestClient(gamma.clientPort(), "gamma.test", "carol");
    }

    private NodeProcess.Builder alphaBuilder() {
        return NodeProcess.builder().openfire(openfire).domain("alpha.test").multicastPort(port).home(alphaHome)
                .args(FAST_BEACONS);
    }

    @After
    public void disconnect() {
        NodeProcess.closeAll(alice, bob, carol);
    }

    @AfterClass
    public static void stopTrio() {
        NodeProcess.closeAll(alpha, beta, gamma);
        if (alphaHome != null) {
            NodeProcess.deleteTree(alphaHome);
        }
        trioFor = null;
    }

    private static List<DiscoverItems.Item> browse(XmppTestClient client) throws Exception {
        return ServiceDiscoveryManager.getInstanceFor(client.connection)
                .discoverItems(JidCreate.domainBareFrom("conference." + client.domain)).getItems();
    }

    private static boolean listed(XmppTestClient client, String room, String nameContains) {
        try {
            return browse(client).stream().anyMatch(i -> i.getEntityID().toString().equals(room)
                    && i.getName() != null && i.getName().contains(nameContains));
        } catch (Exception e) {
            return false;
        }
    }

    private long carolStat(String name) {
        try {
            return carol.xoStats().getOrDefault(name, 0L);
        } catch (Exception e) {
            return 0;
        }
    }

    @Test
    public void aRoomOnOneNodeIsListedOnTheOthersAndJoiningItJoinsTheConversation() throws Exception {
        alice.join("intel", "alice");
        alice.room("intel").changeSubject("Bridge status");

        XmppTestClient.eventually("beta lists alpha's room with its subject",
                () -> listed(bob, "intel@conference.beta.test", "Bridge status"));
        XmppTestClient.eventually("gamma lists it too",
                () -> listed(carol, "intel@conference.gamma.test", "Bridge status"));

        bob.join("intel", "bob");
        XmppTestClient.eventually("bob, joining the listed room, meets alice",
                () -> bob.occupantNicks("intel").contains("alice"));
        XmppTestClient.eventually("and gets its subject", () -> "Bridge status".equals(bob.room("intel").getSubject()));
        alice.say("intel", "welcome, bob");
        bob.awaitMessage(m -> "welcome, bob".equals(m.getBody()), "alice's message in the joined room");
        assertEquals("a room that now exists here is listed once",
                1, browse(bob).stream().filter(i -> i.getEntityID().toString().equals("intel@conference.beta.test")).count());
    }

    @Test
    public void onAnOpenOverlayTheRemoteParticipantWhoWasThereFirstKeepsANickEvenAgainstALowerNodeId()
            throws Exception {
        long alphaId = alice.xoStats().get("node.id");
        long betaId = bob.xoStats().get("node.id");
        boolean alphaLower = Long.compareUnsigned(alphaId, betaId) < 0;
        carol.join("names", "carol");
        // The higher node id joins first: the lower one, arriving second, must not take the nick (anyone can claim 0).
        XmppTestClient first = alphaLower ? bob : alice;
        XmppTestClient second = alphaLower ? alice : bob;
        String secondSuffixed = "sam#" + Long.toHexString(alphaLower ? alphaId : betaId).substring(0, 4);
        first.join("names", "sam");
        XmppTestClient.eventually("gamma shows the first sam", () -> carol.occupantNicks("names").contains("sam"));
        second.join("names", "sam");
        XmppTestClient.eventually("gamma shows the first sam plainly and the lower node id's suffixed",
                () -> carol.occupantNicks("names").equals(List.of("carol", "sam", secondSuffixed)));
        first.say("names", "I keep my nick");
        org.jivesoftware.smack.packet.Message seen =
                carol.awaitMessage(m -> "I keep my nick".equals(m.getBody()), "the first sam's message");
        assertEquals("sam", seen.getFrom().getResourceOrEmpty().toString());
    }

    @Test
    public void aSilentNodesOccupantsLeaveAndComeBackWithIt() throws Exception {
        long lostAtCarol = carolStat("nodes.lost");
        long lostAtBob = bob.xoStats().getOrDefault("nodes.lost", 0L);
        alice.join("watch", "alice");
        bob.join("watch", "bob");
        XmppTestClient.eventually("bob sees alice", () -> bob.occupantNicks("watch").contains("alice"));

        alpha.kill(); // no goodbye, no leave: only silence tells the others
        alice.close();
        XmppTestClient.eventually("alice left with her silent node",
                () -> !bob.occupantNicks("watch").contains("alice"));
        XmppTestClient.eventually("gamma, with no occupant in the room, also declared alpha lost",
                () -> carolStat("nodes.lost") > lostAtCarol);

        alpha = alphaBuilder().start();
        alice = new XmppTestClient(alpha.clientPort(), "alpha.test", "alice");
        bob.presences.clear();
        alice.join("watch", "alice");
        XmppTestClient.eventually("alice is back", () -> bob.occupantNicks("watch").contains("alice"));
        Thread.sleep(2_000); // several beacon intervals: time for any duplicate to show up
        long joins = XmppTestClient.entries(bob.presences,
                p -> p.getFrom().toString().equals("watch@conference.beta.test/alice"));
        assertEquals("alice joined once after the restart (then became a moderator, as at home)", 1, joins);
        assertEquals(List.of("alice", "bob"), bob.occupantNicks("watch"));
        assertTrue(bob.xoStats().get("nodes.lost") > lostAtBob);
    }
}
