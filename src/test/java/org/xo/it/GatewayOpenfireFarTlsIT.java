package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Test;

/**
 * The gateway's s2s with TLS, where both servers accept the other's certificate: a gateway node on Openfire 5.1.1
 * that turns s2s TLS on ({@code xmpp.server.tls.policy=optional}; a gateway node has it off by default, see
 * NodeProperties) and a far Openfire 5.1.1 whose administrator accepts self-signed certificates, as the node does.
 * Both servers' certificates are the self-signed ones Openfire makes at its first start. Every s2s connection, both
 * ways (the dialback checks too), goes through a {@link RecordingRelay}: each must have started TLS, and nothing said
 * in the rooms may cross in plain text.
 * <p>
 * Not run on the embedded 4.2.0: its s2s truststore is empty ("the trustAnchors parameter must be non-empty"), so its
 * own connection to the far server falls back to plain dialback, whatever it accepts.
 */
public class GatewayOpenfireFarTlsIT {
    /** Addresses of their own (GatewayOpenfireFarIT uses 127.0.79.2-4). */
    private static final String FAR_ADDRESS = "127.0.79.12";
    private static final String NODE_ADDRESS = "127.0.79.13";
    private static final String RELAY_TO_FAR = "127.0.79.14";
    private static final String RELAY_TO_NODE = "127.0.79.15";
    private static final String FAR_DOMAIN = "secure.test";
    private static final String NODE_DOMAIN = "edgetls.test";
    private static final String ROOM = "vault";
    private static final String[] ACCEPT_SELF_SIGNED = {"--set", "xmpp.server.certificate.accept-selfsigned=true",
            "--set", "xmpp.socket.ssl.certificate.strict-validation=false"};

    private RecordingRelay toFar;
    private RecordingRelay toNode;
    private FarOpenfire far;
    private NodeProcess node;
    private XmppTestClient alice;
    private XmppTestClient bob;

    @After
    public void stopAll() {
        NodeProcess.closeAll(alice, bob, node, far, toFar, toNode);
    }

    @Test
    public void withCertificatesBothSidesAcceptTheBridgesS2sIsEncryptedBothWays() throws Exception {
        Openfire.V5_1_1.requireOrSkip();
        toFar = new RecordingRelay(RELAY_TO_FAR, FarOpenfire.SERVER_PORT, FAR_ADDRESS, FarOpenfire.SERVER_PORT);
        toNode = new RecordingRelay(RELAY_TO_NODE, FarOpenfire.SERVER_PORT, NODE_ADDRESS, FarOpenfire.SERVER_PORT);
        Map<String, String> nodeDomains = new LinkedHashMap<>();
        for (String service : List.of("", "gw.", "conference.")) {
            nodeDomains.put(service + NODE_DOMAIN, RELAY_TO_NODE);
        }
        far = new FarOpenfire(FAR_ADDRESS, FAR_DOMAIN, nodeDomains, ACCEPT_SELF_SIGNED);
        try {
            List<NodeProcess> started = NodeProcess.startAll(far.builder(),
                    NodeProcess.builder().openfire(Openfire.V5_1_1).domain(NODE_DOMAIN).bind(NODE_ADDRESS)
                            .multicastPort(NodeProcess.freePort())
                            .args("--bridge", ROOM + "=" + ROOM + "@conference." + FAR_DOMAIN,
                                    "--far-server", RELAY_TO_FAR + ":" + FarOpenfire.SERVER_PORT,
                                    "--set", "xo.gateway.ping-interval-s=2", "--set", "xmpp.server.tls.policy=optional")
                            .args(ACCEPT_SELF_SIGNED));
            far.started(started.get(0));
            node = started.get(1);
            talkOverTls();
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n" + XmppTestClient.bridgeState(bob, alice, ROOM)
                    + "\nnode log:\n" + (node == null ? "no node" : node.logTail()) + "\nfar Openfire:\n"
                    + far.logTail(), e);
        }
    }

    private void talkOverTls() throws Exception {
        alice = far.client("alice");
        alice.join(ROOM, "alice");
        bob = XmppTestClient.registered(node, "bob");
        bob.join(ROOM, "bob");
        XmppTestClient.eventually("alice in the XO room and bob in the far room",
                () -> bob.occupantNicks(ROOM).contains("alice") && alice.occupantNicks(ROOM).contains("bob"));
        bob.say(ROOM, "sealed from the edge");
        alice.awaitMessage(m -> "sealed from the edge".equals(m.getBody()), "bob's message");
        alice.say(ROOM, "sealed from the enterprise");
        bob.awaitMessage(m -> "sealed from the enterprise".equals(m.getBody()), "alice's message");

        String counts = "node to far: " + toFar.startTlsConnections() + " of " + toFar.connections()
                + " connections started TLS; far to node: " + toNode.startTlsConnections() + " of "
                + toNode.connections() + "\nto the far server:" + toFar.describe() + "\nto the node:" + toNode.describe();
        assertTrue("s2s connections both ways: " + counts, toFar.connections() >= 1 && toNode.connections() >= 1);
        assertEquals("every connection to the far server started TLS: " + counts, toFar.connections(),
                toFar.startTlsConnections());
        assertEquals("every connection to the node started TLS: " + counts, toNode.connections(),
                toNode.startTlsConnections());
        for (RecordingRelay relay : List.of(toFar, toNode)) {
            for (String body : List.of("sealed from the edge", "sealed from the enterprise", "<message")) {
                assertFalse("'" + body + "' crossed in plain text (" + counts + ")", relay.sawInPlainText(body));
            }
        }
    }
}
