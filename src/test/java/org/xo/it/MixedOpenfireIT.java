package org.xo.it;

import static org.junit.Assert.assertEquals;

import java.util.List;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * One overlay, two Openfires: a node on the embedded Openfire 4.2.0 and a node on Openfire 5.1.1, as in a network
 * where some nodes have been upgraded and others not. Their users see each other and talk both ways.
 */
public class MixedOpenfireIT {
    private NodeProcess old;
    private NodeProcess current;
    private XmppTestClient alice;
    private XmppTestClient bob;

    @Before
    public void startOneNodeOfEach() throws Exception {
        int multicastPort = NodeProcess.freePort();
        List<NodeProcess> nodes = NodeProcess.startAll(
                NodeProcess.builder().openfire(Openfire.V4_2_0).domain("old.test").multicastPort(multicastPort),
                NodeProcess.builder().openfire(Openfire.V5_1_1).domain("current.test").multicastPort(multicastPort));
        old = nodes.get(0);
        current = nodes.get(1);
        alice = new XmppTestClient(old.clientPort(), "old.test", "alice");
        bob = new XmppTestClient(current.clientPort(), "current.test", "bob");
    }

    @After
    public void stopNodes() {
        NodeProcess.closeAll(alice, bob, old, current);
    }

    @Test
    public void usersOfA420NodeAndA511NodeChatBothWays() throws Exception {
        alice.join("ops", "alice");
        bob.join("ops", "bob");
        XmppTestClient.eventually("alice (4.2.0) sees bob (5.1.1)", () -> alice.occupantNicks("ops").contains("bob"));
        XmppTestClient.eventually("bob (5.1.1) sees alice (4.2.0)", () -> bob.occupantNicks("ops").contains("alice"));

        alice.say("ops", "from 4.2.0");
        Message atBob = bob.awaitMessage(m -> "from 4.2.0".equals(m.getBody()), "alice's message on 5.1.1");
        assertEquals("ops@conference.current.test/alice", atBob.getFrom().toString());
        bob.say("ops", "from 5.1.1");
        Message atAlice = alice.awaitMessage(m -> "from 5.1.1".equals(m.getBody()), "bob's message on 4.2.0");
        assertEquals("ops@conference.old.test/bob", atAlice.getFrom().toString());

        bob.privateMessage("ops", "alice", "just between us");
        Message whisper = alice.awaitMessage(m -> "just between us".equals(m.getBody()), "bob's private message");
        assertEquals(Message.Type.chat, whisper.getType());
        alice.privateMessage("ops", "bob", "likewise");
        bob.awaitMessage(m -> "likewise".equals(m.getBody()), "alice's private reply");

        bob.room("ops").changeAvailabilityStatus("upgrading", Presence.Mode.dnd);
        alice.awaitPresence(p -> p.getFrom().toString().equals("ops@conference.old.test/bob")
                && p.getMode() == Presence.Mode.dnd && "upgrading".equals(p.getStatus()), "bob's new status");
        alice.changeNick("ops", "alicia");
        XmppTestClient.eventually("bob sees alicia instead of alice",
                () -> bob.occupantNicks("ops").contains("alicia") && !bob.occupantNicks("ops").contains("alice"));

        // Remote participants are deaf occupants on both Openfires.
        assertEquals(0L, (long) alice.xoStats().get("room-to-remote.groupchat"));
        assertEquals(0L, (long) bob.xoStats().get("room-to-remote.groupchat"));
    }
}
