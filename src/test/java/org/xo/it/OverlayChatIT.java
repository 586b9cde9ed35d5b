package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smackx.delay.packet.DelayInformation;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;
import org.xo.core.GroupAddressing;
import org.xo.core.OverlayRoom;

/**
 * Two XO nodes (separate JVMs, different XMPP domains) and real Smack clients on each, over real multicast on
 * the loopback interface: what users on either node see of the others.
 */
@RunWith(Parameterized.class)
public class OverlayChatIT {
    @Parameters(name = "openfire={0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    @Parameter
    public Openfire openfire;

    /*
     * One pair of nodes serves the tests of one Openfire (each test has rooms of its own and fresh clients): starting
     * a pair per test made this class take minutes. A test that stops a node gets a new pair for the next one.
     */
    private static Openfire pairFor;
    private static NodeProcess alpha;
    private static NodeProcess beta;
    private static int multicastPort;
    private XmppTestClient alice;
    private XmppTestClient bob;

    @Rule
    public final StuckThreadsOnFailure stuckThreads = new StuckThreadsOnFailure(() -> Arrays.asList(alpha, beta));

    @Before
    public void connectToThePairOfThisOpenfire() throws Exception {
        if (pairFor != openfire || !alpha.isAlive() || !beta.isAlive()) {
            stopPair();
            multicastPort = NodeProcess.freePort();
            List<NodeProcess> nodes = NodeProcess.startAll(
                    NodeProcess.builder().openfire(openfire).domain("alpha.test").multicastPort(multicastPort)
                            .briskGoodbyes(),
                    NodeProcess.builder().openfire(openfire).domain("beta.test").multicastPort(multicastPort)
                            .briskGoodbyes());
            alpha = nodes.get(0);
            beta = nodes.get(1);
            pairFor = openfire;
        }
        alice = new XmppTestClient(alpha.clientPort(), "alpha.test", "alice");
        bob = new XmppTestClient(beta.clientPort(), "beta.test", "bob");
    }

    /** Whatever a test did, the shared pair's logs stay free of errors (a second node failing to bind, say). */
    @After
    public void disconnectAndCheckTheLogs() {
        NodeProcess.closeAll(alice, bob);
        for (NodeProcess node : new NodeProcess[] {alpha, beta}) {
            if (node != null) { // null when the pair did not start: @Before's failure says why
                assertEquals("errors in the log of " + node.home() + "\n" + node.logTail(), List.of(),
                        node.logErrors());
            }
        }
    }

    @AfterClass
    public static void stopPair() {
        NodeProcess.closeAll(alpha, beta);
        pairFor = null;
    }

    private static int indexOf(List<Message> messages, String body) {
        for (int i = 0; i < messages.size(); i++) {
            if (body.equals(messages.get(i).getBody())) {
                return i;
            }
        }
        throw new AssertionError("no '" + body + "' in " + messages);
    }

    private static boolean from(Message m, String room, String domain, String nick) {
        return m.getFrom() != null && m.getFrom().toString().equals(room + "@conference." + domain + "/" + nick);
    }

    @Test
    public void occupantsMessagesStatusAndSubjectCrossNodesBothWays() throws Exception {
        alice.join("crossing", "alice");
        bob.join("crossing", "bob");

        XmppTestClient.eventually("alice sees bob in crossing", () -> alice.occupantNicks("crossing").contains("bob"));
        XmppTestClient.eventually("bob sees alice in crossing", () -> bob.occupantNicks("crossing").contains("alice"));

        alice.say("crossing", "hello from alpha");
        Message atBob = bob.awaitMessage(m -> "hello from alpha".equals(m.getBody()), "alice's message");
        assertTrue("sender shown as the room occupant alice: " + atBob.getFrom(), from(atBob, "crossing", "beta.test", "alice"));
        assertEquals(Message.Type.groupchat, atBob.getType());

        bob.say("crossing", "hello from beta");
        Message atAlice = alice.awaitMessage(m -> "hello from beta".equals(m.getBody()), "bob's message");
        assertTrue(from(atAlice, "crossing", "alpha.test", "bob"));
        // Remote participants are deaf occupants: the rooms never route their message broadcasts to them.
        assertEquals(0L, (long) alice.xoStats().get("room-to-remote.groupchat"));
        assertEquals(0L, (long) bob.xoStats().get("room-to-remote.groupchat"));

        bob.room("crossing").changeAvailabilityStatus("on patrol", Presence.Mode.away);
        alice.awaitPresence(p -> p.getFrom().toString().equals("crossing@conference.alpha.test/bob")
                && p.getMode() == Presence.Mode.away && "on patrol".equals(p.getStatus()), "bob away, on patrol");

        alice.room("crossing").changeSubject("Rally at the bridge");
        XmppTestClient.eventually("bob sees the new subject",
                () -> "Rally at the bridge".equals(bob.room("crossing").getSubject()));
    }

    @Test
    public void privateMessagesReachTheRemoteNickBothWays() throws Exception {
        alice.join("whispers", "alice");
        bob.join("whispers", "bob");
        XmppTestClient.eventually("alice sees bob", () -> alice.occupantNicks("whispers").contains("bob"));
        XmppTestClient.eventually("bob sees alice", () -> bob.occupantNicks("whispers").contains("alice"));

        alice.privateMessage("whispers", "bob", "psst, bob");
        Message atBob = bob.awaitMessage(m -> "psst, bob".equals(m.getBody()), "alice's private message");
        assertEquals(Message.Type.chat, atBob.getType());
        assertTrue("from alice's occupant address: " + atBob.getFrom(), from(atBob, "whispers", "beta.test", "alice"));

        bob.privateMessage("whispers", "alice", "roger, alice");
        Message atAlice = alice.awaitMessage(m -> "roger, alice".equals(m.getBody()), "bob's private reply");
        assertTrue(from(atAlice, "whispers", "alpha.test", "bob"));

        alice.say("whispers", "public again");
        bob.awaitMessage(m -> "public again".equals(m.getBody()), "the next public message");
        assertTrue("the private message was not also broadcast to the room",
                bob.messages.stream().noneMatch(m -> "psst, bob".equals(m.getBody())));
    }

    @Test
    public void lateJoinersSeeRemoteOccupantsAndHistory() throws Exception {
        // The room exists only on alpha while alice talks; beta has never heard of it.
        alice.join("briefing", "alice");
        alice.say("briefing", "first point");
        alice.say("briefing", "second point");
        alice.awaitMessage(m -> "second point".equals(m.getBody()), "own reflection");

        bob.join("briefing", "bob");
        XmppTestClient.eventually("bob sees alice, who joined before beta had the room",
                () -> bob.occupantNicks("briefing").contains("alice"));
        // Replayed history comes in no guaranteed order yet.
        bob.awaitBodies(List.of("first point", "second point"), "alice's earlier messages");

        // A second client on beta joins later still: beta's room now has everything, Openfire replays it.
        try (XmppTestClient carol = new XmppTestClient(beta.clientPort(), "beta.test", "carol")) {
            carol.join("briefing", "carol");
            XmppTestClient.eventually("carol sees alice and bob",
                    () -> carol.occupantNicks("briefing").containsAll(List.of("alice", "bob")));
            Message history = carol.awaitMessage(m -> "first point".equals(m.getBody()), "history from alpha");
            assertTrue(from(history, "briefing", "beta.test", "alice"));
            // XO's history: from the room log, in origin-time order, dated with the origin time, then the subject
            // (empty here), as XEP-0045 asks, on Openfire 4.2 too.
            XmppTestClient.eventually("carol got the subject after the history",
                    () -> carol.received.stream().anyMatch(m -> m.getBody() == null));
            List<Message> got = List.copyOf(carol.received);
            int first = indexOf(got, "first point");
            int second = indexOf(got, "second point");
            int subject = got.indexOf(got.stream().filter(m -> m.getBody() == null).findFirst().orElseThrow());
            assertTrue("history in origin order, then the subject: " + got, first < second && second < subject);
            DelayInformation firstDelay = DelayInformation.from(got.get(first));
            assertNotNull("history is dated", firstDelay);
            assertTrue("dated with its origin time, before the second: " + firstDelay.getStamp(),
                    !firstDelay.getStamp().after(DelayInformation.from(got.get(second)).getStamp()));
        }
    }

    @Test
    public void nickChangesAndLeavesAreSeenElsewhere() throws Exception {
        alice.join("renames", "alice");
        bob.join("renames", "bob");
        XmppTestClient.eventually("alice sees bob", () -> alice.occupantNicks("renames").contains("bob"));

        bob.changeNick("renames", "robert");
        XmppTestClient.eventually("alice sees robert instead of bob",
                () -> alice.occupantNicks("renames").contains("robert") && !alice.occupantNicks("renames").contains("bob"));

        bob.signOff();
        XmppTestClient.eventually("robert signed off: gone at alpha",
                () -> !alice.occupantNicks("renames").contains("robert"));
    }

    @Test
    public void kickedBannedAndDestroyedOccupantsLeaveEveryNode() throws Exception {
        try (XmppTestClient carol = new XmppTestClient(alpha.clientPort(), "alpha.test", "carol")) {
            alice.join("order", "alice"); // creates the room: its owner
            carol.join("order", "carol");
            bob.join("order", "bob");
            XmppTestClient.eventually("bob sees alice and carol",
                    () -> bob.occupantNicks("order").containsAll(List.of("alice", "carol")));

            // Carol's client stays connected throughout: only the room's word can take her out elsewhere.
            alice.room("order").kickParticipant(Resourcepart.from("carol"), "off topic");
            XmppTestClient.eventually("kicked carol gone at beta", () -> !bob.occupantNicks("order").contains("carol"));
            carol.join("order", "carol");
            XmppTestClient.eventually("carol back at beta", () -> bob.occupantNicks("order").contains("carol"));
            alice.room("order").banUser(JidCreate.from("carol@alpha.test"), "again");
            XmppTestClient.eventually("banned carol gone at beta", () -> !bob.occupantNicks("order").contains("carol"));

            alice.room("order").destroy("closing", null);
            XmppTestClient.eventually("the room destroyed by its owner at alpha is destroyed at beta too: bob told so",
                    () -> bob.presences.stream().anyMatch(p -> p.getFrom().toString()
                            .equals("order@conference.beta.test/bob") && p.getType() == Presence.Type.unavailable
                            && p.toXML().toString().contains("<destroy") && p.toXML().toString().contains("closing")));
            // Counted right after the act that the clients see: polled, not read once
            awaitStat(alice, "mirror.taken-out-by-room", 2);
            awaitStat(alice, "mirror.room-destroyed", 1);
            awaitStat(alice, "mirrored.destruction", 1);
            awaitStat(bob, "inject.destructions", 1);
        }
    }

    @Test
    public void remoteParticipantsHaveTheirOwnIdentityTheirHomeRoleAndNoPrivilege() throws Exception {
        try (XmppTestClient carol = new XmppTestClient(alpha.clientPort(), "alpha.test", "carol")) {
            alice.join("watch", "alice"); // creates the room at alpha: owner, moderator
            alice.configureRoom("watch", Map.of("muc#roomconfig_moderatedroom", "1", "muc#roomconfig_whois", "anyone"));
            carol.join("watch", "carol"); // moderated: a visitor at alpha
            bob.join("watch", "bob");
            XmppTestClient.eventually("bob sees alice and carol",
                    () -> bob.occupantNicks("watch").containsAll(List.of("alice", "carol")));
            XmppTestClient.eventually("alice a moderator at beta too", () -> "moderator".equals(role(bob, "watch", "alice")));
            XmppTestClient.eventually("carol a visitor at beta too", () -> "visitor".equals(role(bob, "watch", "carol")));
            org.jivesoftware.smackx.muc.Occupant aliceAtBeta = occupant(bob, "watch", "alice");
            assertEquals("no privilege of its own: not an owner at beta", "none", aliceAtBeta.getAffiliation().name());
            assertTrue("an identity of her own on beta's XO component: " + aliceAtBeta.getJid(),
                    aliceAtBeta.getJid().toString().startsWith("alice.") && aliceAtBeta.getJid().toString()
                            .contains("@xo.beta.test/"));
            assertTrue("not carol's: " + occupant(bob, "watch", "carol").getJid(),
                    !occupant(bob, "watch", "carol").getJid().asBareJid().equals(aliceAtBeta.getJid().asBareJid()));

            alice.room("watch").grantVoice(Resourcepart.from("carol"));
            XmppTestClient.eventually("voice granted at alpha: a participant at beta",
                    () -> "participant".equals(role(bob, "watch", "carol")));
            XmppTestClient.eventually("the role change counted where it was sent and where it was given",
                    () -> stat(alice, "mirrored.role") >= 1 && stat(bob, "inject.roles-given") >= 3);

            alice.room("watch").changeSubject("Night watch"); // a moderator's subject, wherever subjects are restricted
            XmppTestClient.eventually("bob sees alice's subject",
                    () -> "Night watch".equals(bob.room("watch").getSubject()));
        }
    }

    @Test
    public void aModeratorsKickAndBanOfARemoteParticipantApplyAtItsHomeNode() throws Exception {
        try (XmppTestClient erin = new XmppTestClient(beta.clientPort(), "beta.test", "erin")) {
            alice.join("court", "alice"); // owner at alpha
            erin.join("court", "erin"); // owner at beta, so that bob is a plain participant there
            bob.join("court", "bob");
            XmppTestClient.eventually("alice sees bob", () -> alice.occupantNicks("court").contains("bob"));
            XmppTestClient.eventually("alice a moderator at beta", () -> "moderator".equals(role(erin, "court", "alice")));

            alice.room("court").kickParticipant(Resourcepart.from("bob"), "calm down");
            XmppTestClient.eventually("kicked at alpha: out of his own node's room too",
                    () -> !erin.occupantNicks("court").contains("bob"));
            XmppTestClient.eventually("and his client knows", () -> !bob.room("court").isJoined());
            awaitStat(erin, "inject.kicks", 1);

            bob.join("court", "bob"); // a kick is not a ban
            XmppTestClient.eventually("bob back at alpha", () -> alice.occupantNicks("court").contains("bob"));
            alice.room("court").banUser(occupant(alice, "court", "bob").getJid(), "enough");
            XmppTestClient.eventually("banned at alpha: out at beta", () -> !erin.occupantNicks("court").contains("bob"));
            awaitStat(erin, "inject.bans", 1);
            try {
                bob.join("court", "bob");
                throw new AssertionError("bob entered the room that banned him at his own node");
            } catch (org.jivesoftware.smack.XMPPException.XMPPErrorException refused) {
                assertEquals(org.jivesoftware.smack.packet.StanzaError.Condition.forbidden,
                        refused.getStanzaError().getCondition());
            }
            awaitStat(alice, "mirrored.moderation", 2);
        }
    }

    @Test
    public void anOwnersModerationAndSizeReachEveryCopyOfTheRoomAndTheLaterChangeWins() throws Exception {
        long configuredAtBeta = Math.max(0, stat(bob, "inject.configurations")); // -1: not counted yet
        long configuredAtAlpha = Math.max(0, stat(alice, "inject.configurations"));
        alice.join("assembly", "alice"); // owner at alpha
        bob.join("assembly", "bob"); // owner of beta's copy, so he can read its configuration
        XmppTestClient.eventually("alice sees bob", () -> alice.occupantNicks("assembly").contains("bob"));

        alice.configureRoom("assembly", Map.of("muc#roomconfig_moderatedroom", "1", "muc#roomconfig_maxusers", "20"));
        XmppTestClient.eventually("beta's copy is moderated and holds 20", () -> {
            Map<String, String> c = bob.roomConfiguration("assembly");
            return isTrue(c.get("muc#roomconfig_moderatedroom")) && "20".equals(c.get("muc#roomconfig_maxusers"));
        });
        awaitStat(bob, "inject.configurations", configuredAtBeta + 1);

        bob.configureRoom("assembly", Map.of("muc#roomconfig_maxusers", "30"));
        XmppTestClient.eventually("bob's later change reaches alpha, the moderation stays", () -> {
            Map<String, String> c = alice.roomConfiguration("assembly");
            return "30".equals(c.get("muc#roomconfig_maxusers")) && isTrue(c.get("muc#roomconfig_moderatedroom"));
        });
        awaitStat(alice, "inject.configurations", configuredAtAlpha + 1);
        alice.say("assembly", "order");
        bob.awaitMessage(m -> "order".equals(m.getBody()), "a moderator's message in the moderated room");
    }

    private static boolean isTrue(String formValue) {
        return "1".equals(formValue) || "true".equals(formValue);
    }

    private static void awaitStat(XmppTestClient client, String counter, long expected) throws InterruptedException {
        XmppTestClient.eventually(counter + " = " + expected, () -> stat(client, counter) == expected);
    }

    private static long stat(XmppTestClient client, String counter) {
        try {
            return client.xoStats().getOrDefault(counter, -1L);
        } catch (Exception e) {
            return -1;
        }
    }

    private static org.jivesoftware.smackx.muc.Occupant occupant(XmppTestClient client, String room, String nick) {
        try {
            return client.room(room).getOccupant(JidCreate.entityFullFrom(client.roomJid(room) + "/" + nick));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String role(XmppTestClient client, String room, String nick) {
        org.jivesoftware.smackx.muc.Occupant o = occupant(client, room, nick);
        return o == null ? null : o.getRole().name();
    }

    @Test
    public void privateRoomsStayOffAnOpenOverlay() throws Exception {
        alice.join("backroom", "alice");
        bob.join("backroom", "bob");
        XmppTestClient.eventually("alice sees bob in backroom", () -> alice.occupantNicks("backroom").contains("bob"));

        alice.configureRoom("backroom", Map.of("muc#roomconfig_membersonly", "1"));
        XmppTestClient.eventually("members-only: bob no longer sees alice",
                () -> !bob.occupantNicks("backroom").contains("alice"));
        XmppTestClient.eventually("nor alice bob", () -> !alice.occupantNicks("backroom").contains("bob"));
        assertTrue("alpha's status says why: " + uncarried(alice),
                uncarried(alice).getOrDefault("backroom@conference.xo", "").contains("members-only"));
        alice.say("backroom", "members only in here");

        alice.configureRoom("backroom", Map.of("muc#roomconfig_membersonly", "0"));
        XmppTestClient.eventually("open again: bob sees alice", () -> bob.occupantNicks("backroom").contains("alice"));
        XmppTestClient.eventually("and alice bob", () -> alice.occupantNicks("backroom").contains("bob"));
        alice.say("backroom", "open again");
        bob.awaitMessage(m -> "open again".equals(m.getBody()), "the message after the room opened again");
        assertTrue("what was said while private stays on alpha: " + bob.received,
                bob.received.stream().noneMatch(m -> "members only in here".equals(m.getBody())));

        alice.join("vault", "alice");
        alice.configureRoom("vault", Map.of("muc#roomconfig_passwordprotectedroom", "1", "muc#roomconfig_roomsecret",
                "s3cret"));
        XmppTestClient.eventually("alpha keeps the password-protected room to itself",
                () -> uncarried(alice).getOrDefault("vault@conference.xo", "").contains("password-protected"));
        bob.join("vault", "bob");
        alice.say("vault", "behind the password");
        Thread.sleep(3000); // several state replays and repair digests
        assertEquals(List.of("bob"), bob.occupantNicks("vault"));
        assertTrue(bob.received.stream().noneMatch(m -> "behind the password".equals(m.getBody())));

        alice.join("hideout", "alice");
        alice.configureRoom("hideout", Map.of("muc#roomconfig_publicroom", "0"));
        XmppTestClient.eventually("an unlisted room stays on alpha too",
                () -> uncarried(alice).getOrDefault("hideout@conference.xo", "").contains("hidden"));
    }

    @Test
    public void sameNickOnTwoNodesIsDisambiguatedNotLost() throws Exception {
        try (XmppTestClient otherSam = new XmppTestClient(beta.clientPort(), "beta.test", "sam2");
             XmppTestClient sam = new XmppTestClient(alpha.clientPort(), "alpha.test", "sam")) {
            sam.join("twins", "sam");
            otherSam.join("twins", "sam");
            XmppTestClient.eventually("alpha shows beta's sam with a suffix",
                    () -> sam.occupantNicks("twins").stream().anyMatch(n -> n.startsWith("sam#")));
            XmppTestClient.eventually("beta shows alpha's sam with a suffix",
                    () -> otherSam.occupantNicks("twins").stream().anyMatch(n -> n.startsWith("sam#")));
            otherSam.say("twins", "I am the other sam");
            Message seen = sam.awaitMessage(m -> "I am the other sam".equals(m.getBody()), "the other sam's message");
            assertTrue("shown under the suffixed nick: " + seen.getFrom(),
                    seen.getFrom().getResourceOrEmpty().toString().startsWith("sam#"));
        }
    }

    @Test
    public void aRoomItsCreatorNeverConfiguresStillReceivesRemoteOccupants() throws Exception {
        // Like go-sendxmpp: join presence only, so Openfire keeps the new room locked for its creator.
        bob.joinWithoutConfiguring("scratch", "bob");
        bob.awaitPresence(p -> p.getFrom().toString().equals("scratch@conference.beta.test/bob"), "own join");
        alice.join("scratch", "alice");
        bob.awaitPresence(p -> p.getFrom().toString().equals("scratch@conference.beta.test/alice")
                && p.getType() == Presence.Type.available, "alice, once XO completed the locked room");
        alice.say("scratch", "can you hear me?");
        bob.awaitMessage(m -> "can you hear me?".equals(m.getBody()), "alice's message in the completed room");
        assertTrue("XO's own owner request left no reply at bob's client",
                bob.messages.stream().noneMatch(m -> m.getType() == Message.Type.error));
    }

    @Test
    public void aStoppedNodesOccupantsLeaveElsewhere() throws Exception {
        alice.join("stopping", "alice");
        bob.join("stopping", "bob");
        XmppTestClient.eventually("alice sees bob", () -> alice.occupantNicks("stopping").contains("bob"));

        beta.stop();
        // A stopped node's users leave the other nodes when its restart grace ends (RestartCatchUpIT shows them staying
        // when they come back within it); the pair's brisk goodbyes keep that inside the clients' wait.
        XmppTestClient.eventually("bob left with his node, once its restart grace was over",
                () -> !alice.occupantNicks("stopping").contains("bob"));
        assertEquals(List.of("alice"), alice.occupantNicks("stopping"));
    }

    @Test
    public void aRoomTheOverlayCannotCarrySaysSoOnTheStatusAndOnceInTheLog() throws Exception {
        InetAddress group = new GroupAddressing().groupFor(OverlayRoom.of("blocked", "conference.xo"));
        // Another program holds the room's group and port without sharing them: the node cannot join the group.
        try (DatagramChannel squatter = DatagramChannel.open(StandardProtocolFamily.INET)) {
            squatter.bind(new InetSocketAddress(group, multicastPort));
            alice.join("blocked", "alice");
            alice.say("blocked", "anyone out there?");
            alice.say("blocked", "hello?");
            XmppTestClient.eventually("alpha's status names the room it cannot carry",
                    () -> uncarried(alice).containsKey("blocked@conference.xo"));
            assertTrue("with a reason: " + uncarried(alice), !uncarried(alice).get("blocked@conference.xo").isBlank());
            // The overlay logs nothing of the room: a joiner gets Openfire's own history of it.
            try (XmppTestClient carol = new XmppTestClient(alpha.clientPort(), "alpha.test", "carol")) {
                carol.join("blocked", "carol");
                carol.awaitBodies(List.of("anyone out there?", "hello?"), "the uncarried room's history");
            }

            // Other rooms are carried as before.
            alice.join("carried", "alice");
            bob.join("carried", "bob");
            alice.say("carried", "carried still works");
            bob.awaitMessage(m -> "carried still works".equals(m.getBody()), "a message in a carried room");
            long lines = alpha.log().lines().filter(l -> l.contains("Room blocked@conference.xo stays on this node only"))
                    .count();
            assertEquals("one log line for the room, not one per message\n" + alpha.logTail(), 1, lines);
            assertTrue("the log line carries the reason\n" + alpha.logTail(),
                    alpha.log().contains(uncarried(alice).get("blocked@conference.xo")));
        }
    }

    private static Map<String, String> uncarried(XmppTestClient client) {
        try {
            return client.xoUncarriedRooms();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
