package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jivesoftware.smack.packet.Message;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * The gateway with a stock Openfire 5.1.1 as the far ("enterprise") server, where {@link GatewayIT} has Prosody: an XO
 * node (each Openfire) bridges its overlay room with a room on the far Openfire's own MUC service over real s2s
 * federation with dialback; a client on each side talks through the bridge both ways, then their s2s link is cut
 * while both servers run, then the far Openfire crashes (SIGKILL; GatewayIT stops its Prosody cleanly) and starts
 * again: what was said meanwhile arrives once, dated. One far Openfire serves both parameters (its
 * first start, which sets it up, is the slowest part), each node with a domain and address of its own.
 */
@RunWith(Parameterized.class)
public class GatewayOpenfireFarIT {
    /** Addresses of their own: GatewayIT uses 127.0.77.x, bin/xo-bench gateway 127.0.78.x (both with port 5269). */
    private static final String FAR_ADDRESS = "127.0.79.2";
    private static final String FAR_DOMAIN = "enterprise.test";
    /** Started by the first test, stopped after the last. */
    private static FarOpenfire far;

    @Parameters(name = "openfire={0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    @Parameter
    public Openfire openfire;
    /** A room of its own per test as well: the far room keeps the stand-ins of a node that is gone for a while. */
    private String room;

    @Rule
    public final StuckThreadsOnFailure stuckThreads = new StuckThreadsOnFailure(
            () -> this.node == null ? List.of() : List.of(this.node));

    private NodeProcess node;
    private XmppTestClient alice;
    private XmppTestClient bob;

    @After
    public void stopAll() {
        NodeProcess.closeAll(alice, bob, node);
    }

    @AfterClass
    public static void stopTheFarOpenfire() {
        NodeProcess.closeAll(far);
        far = null;
    }

    /** The node's domain: a domain of its own per Openfire, so that nothing of one test's s2s meets the next. */
    private static String nodeDomain(Openfire openfire) {
        return "edge" + openfire.toString().replace(".", "") + ".test";
    }

    /** The node's address for its s2s listener (port 5269), of its own as well. */
    private static String nodeAddress(Openfire openfire) {
        return "127.0.79." + (3 + openfire.ordinal());
    }

    @Test
    public void clientsOnBothSidesTalkThroughTheBridgeAndNeitherACutNorAFarCrashLosesOrDoublesAnything() throws Exception {
        openfire.requireOrSkip();
        room = "lobby" + openfire.toString().replace(".", "");
        try {
            talkAndRestart();
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n" + diagnostics(), e);
        }
    }

    private void talkAndRestart() throws Exception {
        long start = System.nanoTime();
        String nodeDomain = nodeDomain(openfire);
        NodeProcess.Builder gateway = NodeProcess.builder().openfire(openfire).domain(nodeDomain)
                .bind(nodeAddress(openfire)).multicastPort(NodeProcess.freePort())
                .args("--bridge", room + "=" + room + "@conference." + FAR_DOMAIN,
                        "--far-server", FAR_ADDRESS + ":" + FarOpenfire.SERVER_PORT,
                        "--set", "xo.gateway.ping-interval-s=2");
        if (far == null) {
            Map<String, String> nodes = new LinkedHashMap<>();
            for (Openfire each : Openfire.values()) {
                for (String service : List.of("", "gw.", "conference.")) {
                    nodes.put(service + nodeDomain(each), nodeAddress(each));
                }
            }
            far = new FarOpenfire(FAR_ADDRESS, FAR_DOMAIN, nodes);
            List<NodeProcess> started = NodeProcess.startAll(far.builder(), gateway);
            far.started(started.get(0));
            node = started.get(1);
        } else {
            if (!far.isRunning()) {
                far.restart(); // the test before failed while it was stopped
            }
            node = gateway.start();
        }
        stage(start, "servers started");
        alice = far.client("alice");
        alice.join(room, "alice");
        bob = XmppTestClient.registered(node, "bob");
        bob.join(room, "bob");

        XmppTestClient.eventually("alice in the XO room and bob in the enterprise room, each under their own nick",
                () -> bob.occupantNicks(room).contains("alice") && alice.occupantNicks(room).contains("bob"));
        bob.say(room, "hello from the edge");
        Message atAlice = alice.awaitMessage(m -> "hello from the edge".equals(m.getBody()), "bob's message");
        assertEquals(room + "@conference." + FAR_DOMAIN + "/bob", atAlice.getFrom().toString());
        alice.say(room, "hello from the enterprise");
        Message atBob = bob.awaitMessage(m -> "hello from the enterprise".equals(m.getBody()), "alice's message");
        assertEquals(room + "@conference." + nodeDomain + "/alice", atBob.getFrom().toString());
        alice.say(room, "before the restart");
        bob.awaitMessage(m -> "before the restart".equals(m.getBody()), "alice's message before the restart");
        XmppTestClient.eventually("the senders' own copies of the first messages",
                () -> count(bob, "hello from the edge") > 0 && count(alice, "before the restart") > 0);
        for (String body : List.of("hello from the edge", "hello from the enterprise", "before the restart")) {
            assertEquals("copies of '" + body + "' at bob", 1, count(bob, body));
            assertEquals("copies of '" + body + "' at alice", 1, count(alice, body));
        }
        stage(start, "talked both ways");
        List<String> everyone = List.of("alice", "bob", "xo-gateway");
        assertEquals("occupants of the enterprise room", everyone, alice.occupantNicks(room));
        assertEquals("occupants of the XO room", everyone, bob.occupantNicks(room));
        cutTheBackhaul(start);

        far.kill();
        stage(start, "far Openfire killed");
        XmppTestClient.eventually("alice gone from the XO room once the enterprise server is",
                () -> !bob.occupantNicks(room).contains("alice"));
        bob.say(room, "said during the outage");
        bob.awaitMessage(m -> "said during the outage".equals(m.getBody()), "bob's own message in the XO room");
        stage(start, "outage noticed, bob spoke");
        far.restart();
        stage(start, "far Openfire started again");
        alice.close();
        alice = far.client("alice");
        alice.join(room, "alice");
        XmppTestClient.eventually("bob back in the enterprise room, and alice in the XO room",
                () -> alice.occupantNicks(room).containsAll(List.of("bob", "xo-gateway"))
                        && bob.occupantNicks(room).contains("alice"));
        stage(start, "bridge back");
        awaitDated(alice, "said during the outage", room + "@conference." + FAR_DOMAIN + "/bob");

        // A last message each way, and the senders' own copies: echoes or copies of the earlier ones travel ahead.
        bob.say(room, "last from the edge");
        alice.awaitMessage(m -> "last from the edge".equals(m.getBody()), "bob's last message");
        alice.say(room, "last from the enterprise");
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
        assertEquals("occupants of the enterprise room after the restart", everyone, alice.occupantNicks(room));
        assertEquals("occupants of the XO room after the restart", everyone, bob.occupantNicks(room));
        Map<String, Long> stats = bob.xoStats();
        assertTrue("the restart counted as a reconnection: " + stats, stats.get("gateway.disconnects") >= 1
                && stats.get("gateway.connects") >= 2 && stats.get("gateway.far-up") == 1);
    }

    /**
     * Both servers run, only their s2s link is cut (nftables; without root the cut is left out, in CI it must run):
     * what each side says meanwhile reaches the other once, dated; the far side's through Openfire's room history
     * since the bridge last heard it (XEP-0045 {@code since}), which the gateway asks for when it enters again.
     */
    private void cutTheBackhaul(long start) throws Exception {
        try {
            NetNs.requireNftablesOrSkip();
        } catch (org.junit.AssumptionViolatedException e) {
            System.out.println("GatewayOpenfireFarIT: backhaul cut left out: " + e.getMessage());
            return;
        }
        try (BackhaulCut cut = BackhaulCut.between(nodeAddress(openfire), FarOpenfire.SERVER_PORT, FAR_ADDRESS,
                FarOpenfire.SERVER_PORT)) {
            XmppTestClient.eventually("the gateway noticing the cut", () -> bob.xoStat("gateway.far-up") == 0);
            stage(start, "cut noticed");
            alice.say(room, "far side during the cut");
            bob.say(room, "edge during the cut");
            bob.awaitMessage(m -> "edge during the cut".equals(m.getBody()), "bob's own message in the XO room");
        }
        awaitDated(bob, "far side during the cut", room + "@conference." + nodeDomain(openfire) + "/alice");
        awaitDated(alice, "edge during the cut", room + "@conference." + FAR_DOMAIN + "/bob");
        alice.say(room, "after the cut");
        bob.awaitMessage(m -> "after the cut".equals(m.getBody()), "alice's message after the cut");
        for (String body : List.of("hello from the edge", "hello from the enterprise", "before the restart",
                "far side during the cut", "edge during the cut", "after the cut")) {
            assertEquals("copies of '" + body + "' at alice", 1, count(alice, body));
            assertEquals("copies of '" + body + "' at bob", 1, count(bob, body));
        }
        Map<String, Long> stats = bob.xoStats();
        assertTrue("the far side's message came back as the room's history: " + stats,
                stats.get("gateway.to-xo.after-outage") >= 1 && stats.get("gateway.to-far.after-outage") >= 1);
        stage(start, "cut over");
    }

    /** Waits for a message said while the link was down, carried after it: from {@code from}, dated (XEP-0203). */
    private static void awaitDated(XmppTestClient client, String body, String from) throws InterruptedException {
        Message message = client.awaitMessage(m -> body.equals(m.getBody()), "'" + body + "', carried after it");
        assertEquals(from, message.getFrom().toString());
        assertTrue("dated: " + message.toXML(), message.hasExtension("delay", "urn:xmpp:delay"));
    }

    /** Where the time goes, in the test's output: the suite's time is short. */
    private void stage(long start, String what) {
        System.out.printf("GatewayOpenfireFarIT[%s] %.1f s: %s%n", openfire, (System.nanoTime() - start) / 1e9, what);
    }

    private static long count(XmppTestClient client, String body) {
        return client.copies(body);
    }

    private String diagnostics() {
        return XmppTestClient.bridgeState(bob, alice, room) + "\nnode log:\n" + (node == null ? "no node" : node.logTail())
                + "\nfar Openfire:\n" + (far == null ? "none" : far.logTail());
    }
}
