package org.xo.it;

import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;
import org.xo.transport.norm.Libnorm;

/**
 * Two nodes set to {@code xo.transport=norm} (the plugin loads JNA and libnorm from its own class loader, in the JVM
 * Openfire's start script runs) chat across the overlay with real clients, on each Openfire.
 */
@RunWith(Parameterized.class)
public class NormOverlayIT {
    @Parameters(name = "openfire={0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    @Parameter
    public Openfire openfire;

    private NodeProcess alpha;
    private NodeProcess beta;
    private XmppTestClient alice;
    private XmppTestClient bob;

    @After
    public void stop() {
        NodeProcess.closeAll(alice, bob, alpha, beta);
    }

    @Test
    public void nodesSetToNormCarryARoomBothWays() throws Exception {
        Libnorm.requireOrSkip();
        int port = NodeProcess.freePort();
        List<NodeProcess> nodes = NodeProcess.startAll(
                NodeProcess.builder().openfire(openfire).domain("alpha.test").multicastPort(port)
                        .args("--set", "xo.transport=norm"),
                NodeProcess.builder().openfire(openfire).domain("beta.test").multicastPort(port)
                        .args("--set", "xo.transport=norm"));
        alpha = nodes.get(0);
        beta = nodes.get(1);
        for (NodeProcess node : nodes) {
            assertTrue("the node runs NORM:\n" + node.logTail(), node.log().contains("NORM transport on lo port "
                    + (port + 1)));
        }
        alice = new XmppTestClient(alpha.clientPort(), "alpha.test", "alice");
        bob = new XmppTestClient(beta.clientPort(), "beta.test", "bob");
        alice.join("reliable", "alice");
        bob.join("reliable", "bob");
        XmppTestClient.eventually("alice sees bob", () -> alice.occupantNicks("reliable").contains("bob"));
        alice.say("reliable", "over norm");
        bob.awaitMessage(m -> "over norm".equals(m.getBody()), "alice's message");
        bob.say("reliable", "and back");
        alice.awaitMessage(m -> "and back".equals(m.getBody()), "bob's message");
    }
}
