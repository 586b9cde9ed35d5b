package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.ExtensionElement;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.StandardExtensionElement;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;
import org.jxmpp.jid.impl.JidCreate;
import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.GroupAddressing;
import org.xo.core.GroupListener;
import org.xo.core.Kind;
import org.xo.core.OverlayRoom;
import org.xo.core.RoomIndex;

/**
 * XEP-0359 across nodes: a message from alice on alpha reaches bob on beta with a stanza-id by beta's room whose id
 * is the one alice's own copy carries by alpha's room, the overlay id of the envelope on the air; Smack's plain
 * groupchat message travels in the codec's compact form; an id a client sets by the room is not believed; two users of
 * one node talking at once get an id each; the room's history shows the same id to a user who joins later.
 */
@RunWith(Parameterized.class)
public class MessageIdIT {
    private static final String ROOM = "stable";
    private static final String SID_NS = "urn:xmpp:sid:0";

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
    private GroupListener air;

    @After
    public void stop() throws Exception {
        if (air != null) {
            air.close();
        }
        NodeProcess.closeAll(alice, bob, alpha, beta);
    }

    /** @return the ids of the message's stanza-ids by that room */
    private static List<String> stanzaIds(Message m, String room) {
        return m.getExtensions("stanza-id", SID_NS).stream()
                .map(e -> (StandardExtensionElement) e)
                .filter(e -> room.equals(e.getAttributeValue("by")))
                .map(e -> e.getAttributeValue("id"))
                .toList();
    }

    @Test
    public void bothNodesShowTheOverlayIdAsTheRoomsStanzaId() throws Exception {
        int port = NodeProcess.freePort();
        List<NodeProcess> nodes = NodeProcess.startAll(
                NodeProcess.builder().openfire(openfire).domain("alpha.test").multicastPort(port),
                NodeProcess.builder().openfire(openfire).domain("beta.test").multicastPort(port));
        alpha = nodes.get(0);
        beta = nodes.get(1);
        air = new GroupListener(new GroupAddressing().groupFor(OverlayRoom.of(ROOM, "conference.xo")), port,
                NetworkInterface.getByName("lo"), RoomIndex.of(List.of(ROOM + "@conference.xo")));
        alice = new XmppTestClient(alpha.clientPort(), "alpha.test", "alice");
        bob = new XmppTestClient(beta.clientPort(), "beta.test", "bob");
        List<String> sentByAlice = new CopyOnWriteArrayList<>();
        alice.connection.addStanzaSendingListener(s -> sentByAlice.add(s.toXML().toString()),
                StanzaTypeFilter.MESSAGE);
        alice.join(ROOM, "alice");
        bob.join(ROOM, "bob");
        XmppTestClient.eventually("alice sees bob", () -> alice.occupantNicks(ROOM).contains("bob"));
        XmppTestClient.eventually("bob sees alice", () -> bob.occupantNicks(ROOM).contains("alice"));
        air.drain();

        String body = "a & b <c> \"5\"";
        alice.say(ROOM, body);
        Message atBob = bob.awaitMessage(m -> body.equals(m.getBody()), "alice's message, its text exact");
        Message own = alice.awaitMessage(m -> body.equals(m.getBody()), "alice's own copy");
        System.out.println("MessageIdIT " + openfire + ": Smack sent " + sentByAlice.get(sentByAlice.size() - 1));
        System.out.println("MessageIdIT " + openfire + ": bob got " + atBob.toXML());

        List<String> atBeta = stanzaIds(atBob, ROOM + "@conference.beta.test");
        List<String> atAlpha = stanzaIds(own, ROOM + "@conference.alpha.test");
        assertEquals("one stanza-id by beta's room: " + atBob.toXML(), 1, atBeta.size());
        assertEquals("one stanza-id by alpha's room: " + own.toXML(), 1, atAlpha.size());
        assertEquals("the same message has the same id on both nodes", atAlpha.get(0), atBeta.get(0));
        assertEquals("and keeps the client's id", own.getStanzaId(), atBob.getStanzaId());

        Envelope onTheAir = groupchatOnTheAir("alice");
        assertEquals("the id is the overlay id of the envelope on the air", onTheAir.overlayId(), atBeta.get(0));
        assertTrue("Smack's plain groupchat message travels compact: " + onTheAir.stanza(),
                EnvelopeCodec.isCompact(onTheAir.stanza()));
        assertTrue(onTheAir.stanza(), onTheAir.stanza().contains(" id=\"" + atBob.getStanzaId() + "\""));

        // A client that sets the room's id itself (XEP-0359 security considerations): not believed on either node.
        String roomJid = ROOM + "@conference.alpha.test";
        Message forged = alice.connection.getStanzaFactory().buildMessageStanza()
                .to(JidCreate.entityBareFrom(roomJid)).ofType(Message.Type.groupchat).setBody("forged")
                .addExtension(StandardExtensionElement.builder("stanza-id", SID_NS)
                        .addAttribute("id", "forged-id").addAttribute("by", roomJid).build())
                .addExtension(StandardExtensionElement.builder("stanza-id", SID_NS)
                        .addAttribute("id", "forged-too").addAttribute("by", ROOM + "@conference.xo").build())
                .build();
        alice.connection.sendStanza(forged);
        Message forgedAtBob = bob.awaitMessage(m -> "forged".equals(m.getBody()), "the forged message");
        Message forgedOwn = alice.awaitMessage(m -> "forged".equals(m.getBody()), "its own copy");
        List<String> beta2 = stanzaIds(forgedAtBob, ROOM + "@conference.beta.test");
        List<String> alpha2 = stanzaIds(forgedOwn, roomJid);
        assertEquals(forgedOwn.toXML().toString(), List.of(groupchatOnTheAir("alice").overlayId()), alpha2);
        assertEquals(alpha2, beta2);
        assertNotEquals("forged-id", alpha2.get(0));
        for (ExtensionElement e : forgedAtBob.getExtensions("stanza-id", SID_NS)) {
            assertTrue(forgedAtBob.toXML().toString(), !e.toXML().toString().contains("forged"));
        }
        assertEquals(0L, (long) alice.xoStats().getOrDefault("mirror.stanza-id-mismatch", 0L));

        // The room's history on beta, for a user who joins later, shows the same id (before the 40 messages below
        // push it out of the room's 25 last).
        try (XmppTestClient carol = new XmppTestClient(beta.clientPort(), "beta.test", "carol")) {
            carol.join(ROOM, "carol");
            Message history = carol.awaitMessage(m -> body.equals(m.getBody()), "alice's message in the history");
            assertEquals(history.toXML().toString(), atBeta, stanzaIds(history, ROOM + "@conference.beta.test"));
        }

        // Two users of alpha talking at once: every message has one id, the same on both nodes, each its own.
        try (XmppTestClient dan = new XmppTestClient(alpha.clientPort(), "alpha.test", "dan")) {
            dan.join(ROOM, "dan");
            XmppTestClient.eventually("bob sees dan", () -> bob.occupantNicks(ROOM).contains("dan"));
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                bodies.add("from alice " + i);
                bodies.add("from dan " + i);
            }
            CompletableFuture<Void> danTalks = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 20; i++) {
                        dan.say(ROOM, "from dan " + i);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            for (int i = 0; i < 20; i++) {
                alice.say(ROOM, "from alice " + i);
            }
            danTalks.get(30, TimeUnit.SECONDS);
            Map<String, String> idsAtAlpha = idsByBody(alice, bodies, ROOM + "@conference.alpha.test");
            Map<String, String> idsAtBeta = idsByBody(bob, bodies, ROOM + "@conference.beta.test");
            assertEquals(idsAtAlpha, idsAtBeta);
            assertEquals("each message its own id", bodies.size(), new HashSet<>(idsAtAlpha.values()).size());
            assertEquals(0L, (long) alice.xoStats().getOrDefault("mirror.unheld", 0L));
            assertEquals(0L, (long) alice.xoStats().getOrDefault("mirror.stanza-id-mismatch", 0L));
        }

    }

    /** @return by body, the one stanza-id by the room of each of these messages as the client received them */
    private static Map<String, String> idsByBody(XmppTestClient client, List<String> bodies, String room)
            throws InterruptedException {
        Map<String, String> ids = new HashMap<>();
        XmppTestClient.eventually(client.connection.getUser() + " has every message", () -> {
            for (Message m : client.received) {
                if (bodies.contains(m.getBody())) {
                    List<String> byRoom = stanzaIds(m, room);
                    assertEquals(m.toXML().toString(), 1, byRoom.size());
                    ids.put(m.getBody(), byRoom.get(0));
                }
            }
            return ids.size() == bodies.size();
        });
        return ids;
    }

    /** @return the one groupchat envelope from that nick heard since the last call */
    private Envelope groupchatOnTheAir(String nick) throws InterruptedException {
        List<Envelope> heard = new CopyOnWriteArrayList<>();
        XmppTestClient.eventually("the groupchat envelope from " + nick + " on the air", () -> {
            air.envelopes().stream().filter(e -> e.kind() == Kind.GROUPCHAT && nick.equals(e.nick()))
                    .forEach(heard::add);
            return !heard.isEmpty();
        });
        assertEquals(1, heard.size());
        return heard.get(0);
    }
}
