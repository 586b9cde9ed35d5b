package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.jivesoftware.smack.packet.Message;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * The gateway with a stock Openfire 5.1.1 as the far ("enterprise") server, where {@link GatewayIT} has Prosody: an XO
 * node (each Openfire) bridges its overlay room with a room on the far Openfire's own MUC service over real s2s
 * federation with dialback; a client on each side talks through the bridge both ways, then the far Openfire is
 * stopped and started again and what was said meanwhile arrives once.
 */
@RunWith(Parameterized.class)
public class GatewayOpenfireFarIT {
    /** Addresses of their own: GatewayIT uses 127.0.77.x, bin/xo-bench gateway 127.0.78.x (both with port 5269). */
    private static final String FAR_ADDRESS = "127.0.79.2";
    private static final String NODE_ADDRESS = "127.0.79.3";
    private static final String FAR_DOMAIN = "enterprise.test";
    private static final String NODE_DOMAIN = "edge.test";
    private static final String ROOM = "lobby";

    @Parameters(name = "openfire={0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    @Parameter
    public Openfire openfire;

    @Rule
    public final StuckThreadsOnFailure stuckThreads = new StuckThreadsOnFailure(
            () -> this.node == null ? List.of() : List.of(this.node));

    private FarOpenfire far;
    private NodeProcess node;
    private XmppTestClient alice;
    private XmppTestClient bob;

    @After
    public void stopAll() {
        NodeProcess.closeAll(alice, bob, node, far);
    }

    @Test
    public void clientsOnBothSidesTalkThroughTheBridgeAndAFarRestartLosesNothing() throws Exception {
        openfire.requireOrSkip();
        far = new FarOpenfire(FAR_ADDRESS, FAR_DOMAIN, NODE_ADDRESS,
                List.of(NODE_DOMAIN, "gw." + NODE_DOMAIN, "conference." + NODE_DOMAIN));
        try {
            talkAndRestart();
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n" + diagnostics(), e);
        }
    }

    private void talkAndRestart() throws Exception {
        List<NodeProcess> started = NodeProcess.startAll(far.builder(),
                NodeProcess.builder().openfire(openfire).domain(NODE_DOMAIN).bind(NODE_ADDRESS)
                        .multicastPort(NodeProcess.freePort())
                        .args("--bridge", ROOM + "=" + ROOM + "@conference." + FAR_DOMAIN,
                                "--far-server", FAR_ADDRESS + ":" + FarOpenfire.SERVER_PORT,
                                "--set", "xo.gateway.ping-interval-s=2"));
        far.started(started.get(0));
        node = started.get(1);
        alice = far.client("alice");
        alice.join(ROOM, "alice");
        bob = XmppTestClient.registered(node, "bob");
        bob.join(ROOM, "bob");

        XmppTestClient.eventually("alice in the XO room and bob in the enterprise room, each under their own nick",
                () -> bob.occupantNicks(ROOM).contains("alice") && alice.occupantNicks(ROOM).contains("bob"));
        bob.say(ROOM, "hello from the edge");
        Message atAlice = alice.awaitMessage(m -> "hello from the edge".equals(m.getBody()), "bob's message");
        assertEquals(ROOM + "@conference." + FAR_DOMAIN + "/bob", atAlice.getFrom().toString());
        alice.say(ROOM, "hello from the enterprise");
        Message atBob = bob.awaitMessage(m -> "hello from the enterprise".equals(m.getBody()), "alice's message");
        assertEquals(ROOM + "@conference." + NODE_DOMAIN + "/alice", atBob.getFrom().toString());
        alice.say(ROOM, "before the restart");
        bob.awaitMessage(m -> "before the restart".equals(m.getBody()), "alice's message before the restart");
        XmppTestClient.eventually("the senders' own copies of the first messages",
                () -> count(bob, "hello from the edge") > 0 && count(alice, "before the restart") > 0);
        for (String body : List.of("hello from the edge", "hello from the enterprise", "before the restart")) {
            assertEquals("copies of '" + body + "' at bob", 1, count(bob, body));
            assertEquals("copies of '" + body + "' at alice", 1, count(alice, body));
        }
        List<String> everyone = List.of("alice", "bob", "xo-gateway");
        assertEquals("occupants of the enterprise room", everyone, alice.occupantNicks(ROOM));
        assertEquals("occupants of the XO room", everyone, bob.occupantNicks(ROOM));

        far.stop();
        XmppTestClient.eventually("alice gone from the XO room once the enterprise server is",
                () -> !bob.occupantNicks(ROOM).contains("alice"));
        bob.say(ROOM, "said during the outage");
        bob.awaitMessage(m -> "said during the outage".equals(m.getBody()), "bob's own message in the XO room");
        far.restart();
        alice.close();
        alice = far.client("alice");
        alice.join(ROOM, "alice");
        XmppTestClient.eventually("bob back in the enterprise room, and alice in the XO room",
                () -> alice.occupantNicks(ROOM).containsAll(List.of("bob", "xo-gateway"))
                        && bob.occupantNicks(ROOM).contains("alice"));
        Message held = alice.awaitMessage(m -> "said during the outage".equals(m.getBody()),
                "bob's message of the outage, carried after it");
        assertEquals(ROOM + "@conference." + FAR_DOMAIN + "/bob", held.getFrom().toString());
        assertTrue("dated as said during the outage: " + held.toXML(), held.hasExtension("delay", "urn:xmpp:delay"));

        // A last message each way, and the senders' own copies: echoes or copies of the earlier ones travel ahead.
        bob.say(ROOM, "last from the edge");
        alice.awaitMessage(m -> "last from the edge".equals(m.getBody()), "bob's last message");
        alice.say(ROOM, "last from the enterprise");
        bob.awaitMessage(m -> "last from the enterprise".equals(m.getBody()), "alice's last message");
        XmppTestClient.eventually("the senders' own copies of the last messages",
                () -> count(bob, "last from the edge") > 0 && count(alice, "last from the enterprise") > 0);
        for (String body : List.of("last from the edge", "last from the enterprise")) {
            assertEquals("copies of '" + body + "' at bob", 1, count(bob, body));
            assertEquals("copies of '" + body + "' at alice", 1, count(alice, body));
        }
        assertEquals("the outage's message once at alice: " + alice.received, 1, count(alice, "said during the outage"));
        assertEquals("the outage's message once at bob", 1, count(bob, "said during the outage"));
        assertEquals("no history of before the restart again at bob", 1, count(bob, "before the restart"));
        assertEquals("occupants of the enterprise room after the restart", everyone, alice.occupantNicks(ROOM));
        assertEquals("occupants of the XO room after the restart", everyone, bob.occupantNicks(ROOM));
        java.util.Map<String, Long> stats = bob.xoStats();
        assertTrue("the restart counted as a reconnection: " + stats, stats.get("gateway.disconnects") >= 1
                && stats.get("gateway.connects") >= 2 && stats.get("gateway.far-up") == 1);
    }

    private static long count(XmppTestClient client, String body) {
        return client.copies(body);
    }

    private String diagnostics() {
        return XmppTestClient.bridgeState(bob, alice, ROOM) + "\nnode log:\n" + (node == null ? "no node" : node.logTail())
                + "\nfar Openfire:\n" + (far == null ? "none" : far.logTail());
    }
}
