package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.NetworkInterface;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.jivesoftware.smack.XMPPException.XMPPErrorException;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.StanzaError;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;
import org.xo.core.Envelope;
import org.xo.core.GroupAddressing;
import org.xo.core.GroupListener;
import org.xo.core.RoomIndex;
import org.xo.core.Kind;
import org.xo.core.OverlayRoom;

/**
 * XO settings changed while two nodes run, on each Openfire: what the users on the other node see of it (nothing,
 * unless the overlay is switched off), and that the change takes effect. Settings are changed the way an operator of a
 * headless node does, as the server's administrator through the plugin's settings query, which stores Openfire
 * properties like the admin console; raw sockets in the test watch where the datagrams go.
 */
@RunWith(Parameterized.class)
public class LiveSettingsIT {
    @Parameters(name = "openfire={0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    @Parameter
    public Openfire openfire;

    /*
     * One pair of nodes serves the tests of one Openfire, as in OverlayChatIT: a pair per test made this class take a
     * minute and a half. Each test has a room of its own and fresh clients, and every setting it changes through
     * change() or remember() is put back afterwards; if putting back fails, the next test gets a new pair.
     */
    private static Openfire pairFor;
    private static NodeProcess alpha;
    private static NodeProcess beta;
    private static int port;
    private static int roomsUsed;
    /** This test's room. */
    private String ops;
    private XmppTestClient alice;
    private XmppTestClient bob;
    private XmppTestClient alphaAdmin;
    private XmppTestClient betaAdmin;
    private final List<AutoCloseable> listeners = new ArrayList<>();
    /** The values of before this test, per administrator, of the settings it changed. */
    private final Map<XmppTestClient, Map<String, String>> changed = new LinkedHashMap<>();

    @Before
    public void connectToThePairWithAliceAndBobInARoom() throws Exception {
        if (pairFor != openfire || !alpha.isAlive() || !beta.isAlive()) {
            stopPair();
            port = NodeProcess.freePort();
            List<NodeProcess> nodes = NodeProcess.startAll(
                    NodeProcess.builder().openfire(openfire).domain("alpha.test").multicastPort(port).briskGoodbyes(),
                    NodeProcess.builder().openfire(openfire).domain("beta.test").multicastPort(port).briskGoodbyes());
            alpha = nodes.get(0);
            beta = nodes.get(1);
            pairFor = openfire;
        }
        ops = "ops" + ++roomsUsed;
        alice = new XmppTestClient(alpha.clientPort(), "alpha.test", "alice");
        bob = new XmppTestClient(beta.clientPort(), "beta.test", "bob");
        // "admin" is the administrator of an Openfire that names none (admin.authorizedJIDs unset).
        alphaAdmin = new XmppTestClient(alpha.clientPort(), "alpha.test", "admin");
        betaAdmin = new XmppTestClient(beta.clientPort(), "beta.test", "admin");
        alice.join(ops, "alice");
        bob.join(ops, "bob");
        XmppTestClient.eventually("alice sees bob", () -> alice.occupantNicks(ops).contains("bob"));
        XmppTestClient.eventually("bob sees alice", () -> bob.occupantNicks(ops).contains("alice"));
        alice.say(ops, "first from alice");
        bob.awaitMessage(m -> "first from alice".equals(m.getBody()), "alice's first message");
        bob.say(ops, "first from bob");
        alice.awaitMessage(m -> "first from bob".equals(m.getBody()), "bob's first message");
        bothGot("first from alice");
        bothGot("first from bob");
    }

    /**
     * Waits until both clients have a message, the sender's own copy from its room included: a mark taken before a
     * late copy arrives would count it as a message delivered again.
     */
    private void bothGot(String body) throws Exception {
        for (XmppTestClient c : List.of(alice, bob)) {
            // received, not awaitMessage: waiting for one message passes over (takes) the others
            XmppTestClient.eventually("'" + body + "' at " + c.domain,
                    () -> c.received.stream().anyMatch(m -> body.equals(m.getBody())));
        }
    }

    /** What the nodes logged about applying settings, for the record (timings are not asserted). */
    private void printApplyLines() {
        for (NodeProcess node : List.of(alpha, beta)) {
            node.log().lines().filter(l -> l.contains("XO settings applied") || l.contains("reconfigured in")
                    || l.contains("DNS-SD")).forEach(l -> System.out.println(node.domain() + " " + openfire + ": " + l));
        }
    }

    @After
    public void putSettingsBackAndDisconnect() throws Exception {
        for (AutoCloseable l : listeners) {
            l.close();
        }
        try {
            for (Map.Entry<XmppTestClient, Map<String, String>> before : changed.entrySet()) {
                putBack(before.getKey(), before.getValue());
            }
        } catch (Exception | AssertionError e) {
            stopPair();
            throw e;
        } finally {
            NodeProcess.closeAll(alice, bob, alphaAdmin, betaAdmin);
        }
    }

    @AfterClass
    public static void stopPair() {
        NodeProcess.closeAll(alpha, beta);
        pairFor = null;
    }

    /** Records the values of before this test of settings it is about to change, to put them back afterwards. */
    private void remember(XmppTestClient admin, Set<String> keys) throws Exception {
        Map<String, String> now = admin.xoSettings();
        Map<String, String> before = changed.computeIfAbsent(admin, a -> new LinkedHashMap<>());
        for (String key : keys) {
            assertNotNull("no setting " + key, now.get(key));
            before.putIfAbsent(key, now.get(key));
        }
    }

    /** Stores settings as the administrator's node's admin console does; they are put back after the test. */
    private void change(XmppTestClient admin, Map<String, String> values) throws Exception {
        remember(admin, values.keySet());
        admin.xoSet(values);
    }

    /** Stores the settings of before that now differ and waits until they are applied. */
    private static void putBack(XmppTestClient admin, Map<String, String> before) throws Exception {
        Map<String, String> now = admin.xoSettings();
        Map<String, String> differing = new LinkedHashMap<>(before);
        differing.entrySet().removeIf(setting -> setting.getValue().equals(now.get(setting.getKey())));
        if (differing.isEmpty() && admin.xoSettingsProblem() == null) {
            return;
        }
        long applied = stat(admin, "settings.applied");
        admin.xoSet(before);
        awaitStat(admin, "settings.applied", applied + 1);
        assertNull(admin.xoSettingsProblem());
    }

    private GroupListener listen(InetAddress group, int onPort) throws Exception {
        GroupListener l = new GroupListener(group, onPort, NetworkInterface.getByName("lo"),
                RoomIndex.of(List.of(ops + "@conference.xo", ops + "@conference.other")));
        listeners.add(l);
        return l;
    }

    private InetAddress opsGroup() {
        return new GroupAddressing().groupFor(OverlayRoom.of(ops, "conference.xo"));
    }

    /** Waits until the node's counter reaches {@code at least}; returns it. */
    private static long awaitStat(XmppTestClient client, String name, long atLeast) throws Exception {
        long[] value = new long[1];
        XmppTestClient.eventually(name + " >= " + atLeast + " at " + client.domain, () -> {
            value[0] = stat(client, name);
            return value[0] >= atLeast;
        });
        return value[0];
    }

    private static long stat(XmppTestClient client, String name) {
        try {
            Long value = client.xoStats().get(name);
            return value == null ? 0 : value;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The types of the presences a client got from an occupant since the last {@link #markWhatClientsGot()}. */
    private static List<String> presencesOf(XmppTestClient client, String occupantJid) {
        return client.presences.stream().filter(p -> occupantJid.equals(String.valueOf(p.getFrom())))
                .map(p -> String.valueOf(p.getType())).toList();
    }

    /** The message bodies a client got since the last {@link #markWhatClientsGot()}. */
    private static List<String> bodies(XmppTestClient client) {
        return client.received.stream().map(Message::getBody).filter(b -> b != null).toList();
    }

    /** From here on, what the clients get is checked; returns the bodies they got so far. */
    private List<String> markWhatClientsGot() {
        List<String> before = new ArrayList<>();
        for (XmppTestClient c : List.of(alice, bob)) {
            before.addAll(bodies(c));
            c.presences.clear();
            c.received.clear();
        }
        return before;
    }

    /**
     * What the other node's user must see of a change: nobody left or came back, and nothing came twice (neither a
     * message of before the mark, nor one since).
     */
    private void assertNobodyLeftAndNothingCameTwice(List<String> bodiesBefore) {
        assertEquals("presences of alice at bob", List.of(), presencesOf(bob, ops + "@conference.beta.test/alice"));
        assertEquals("presences of bob at alice", List.of(), presencesOf(alice, ops + "@conference.alpha.test/bob"));
        for (XmppTestClient c : List.of(alice, bob)) {
            List<String> got = bodies(c);
            assertEquals("messages twice at " + c.domain + ": " + got, got.size(), Set.copyOf(got).size());
            assertTrue("messages again at " + c.domain + ": " + got, got.stream().noneMatch(bodiesBefore::contains));
        }
        assertTrue(alice.occupantNicks(ops).contains("bob"));
        assertTrue(bob.occupantNicks(ops).contains("alice"));
    }

    @Test
    public void aBurstOfChangesAppliesInPlaceAndOnlyAnAdministratorMayMakeIt() throws Exception {
        long epoch = stat(alphaAdmin, "node.epoch");
        assertTrue("alpha runs", epoch > 0);
        GroupListener beacons = listen(InetAddress.getByName("239.192.255.250"), port);
        GroupListener room = listen(opsGroup(), port);
        String longBody = "a long and repetitive line, ".repeat(12);
        alice.say(ops, longBody + "before");
        bob.awaitMessage(m -> (longBody + "before").equals(m.getBody()), "alice's long message");
        XmppTestClient.eventually("alpha's long message went compressed", () -> room.drain().stream()
                .anyMatch(d -> d.flags() == 1 && carries(d.envelopes(), longBody + "before")));
        bothGot(longBody + "before");
        List<String> bodiesBefore = markWhatClientsGot();

        // One setting per request, one after the other, as an admin page saves a form.
        Map<String, String> burst = Map.of("xo.node.name", "alpha-renamed", "xo.compression", "false",
                "xo.discovery.beacon-interval-ms", "500", "xo.pacing.max-delay-ms", "5", "xo.multicast.ttl", "2",
                "xo.history.replay", "10");
        remember(alphaAdmin, burst.keySet());
        long appliedBefore = stat(alphaAdmin, "settings.applied");
        long refusedBefore = stat(alphaAdmin, "settings.refused");
        long t0 = System.nanoTime();
        for (Map.Entry<String, String> setting : burst.entrySet()) {
            alphaAdmin.xoSet(Map.of(setting.getKey(), setting.getValue()));
        }
        awaitStat(alphaAdmin, "settings.applied", appliedBefore + 1);
        System.out.printf("openfire=%s: 6 settings stored and applied in place within %d ms%n", openfire,
                (System.nanoTime() - t0) / 1_000_000);
        assertEquals(refusedBefore, stat(alphaAdmin, "settings.refused"));
        assertEquals("no new run", epoch, stat(alphaAdmin, "node.epoch"));
        Map<String, String> inEffect = alphaAdmin.xoSettings();
        burst.forEach((key, value) -> assertEquals(key, value, inEffect.get(key)));
        assertNull(alphaAdmin.xoSettingsProblem());

        // In effect: the new name and interval in the beacons, the next datagrams uncompressed.
        beacons.drain();
        Thread.sleep(3_000);
        List<Envelope> heard = beacons.envelopes().stream()
                .filter(e -> e.kind() == Kind.BEACON && e.nick().equals("alpha-renamed")).toList();
        assertTrue("beacons every 500 ms under the new name, heard " + heard.size() + " in 3 s", heard.size() >= 3);
        assertEquals("the same run in the beacons", epoch, heard.get(0).originEpoch());
        alice.say(ops, longBody + "after");
        bob.awaitMessage(m -> (longBody + "after").equals(m.getBody()), "alice's long message after the change");
        XmppTestClient.eventually("alpha's next datagrams went uncompressed", () -> room.drain().stream()
                .anyMatch(d -> d.flags() == 0 && carries(d.envelopes(), longBody + "after")));
        bob.say(ops, "bob after the change");
        alice.awaitMessage(m -> "bob after the change".equals(m.getBody()), "bob's message after the change");
        Thread.sleep(2_000);
        assertNobodyLeftAndNothingCameTwice(bodiesBefore);

        // Refused: not an administrator; an invalid value (nothing stored); a value that does not work here.
        XMPPErrorException denied = assertThrows(XMPPErrorException.class,
                () -> alice.xoSet(Map.of("xo.compression", "true")));
        assertEquals(StanzaError.Condition.forbidden, denied.getStanzaError().getCondition());
        XMPPErrorException invalid = assertThrows(XMPPErrorException.class,
                () -> alphaAdmin.xoSet(Map.of("xo.compression", "true", "xo.multicast.port", "many")));
        assertEquals(StanzaError.Condition.bad_request, invalid.getStanzaError().getCondition());
        assertEquals("Property xo.multicast.port must be a whole number from 1 to 65535, not \u201cmany\u201d.",
                invalid.getStanzaError().getDescriptiveText());
        assertEquals("false", alphaAdmin.xoSettings().get("xo.compression"));
        XMPPErrorException noSuchNic = assertThrows(XMPPErrorException.class,
                () -> alphaAdmin.xoSet(Map.of("xo.multicast.interface", "no-such-nic")));
        assertEquals(StanzaError.Condition.bad_request, noSuchNic.getStanzaError().getCondition());
        assertEquals("Property xo.multicast.interface must be the name or an address of a network interface of this"
                + " machine, not \u201cno-such-nic\u201d.", noSuchNic.getStanzaError().getDescriptiveText());
        long applied = stat(alphaAdmin, "settings.applied");
        String port = alphaAdmin.xoSettings().get("xo.multicast.port");
        // A valid value that does not work here: another program holds the port (bound without address reuse).
        try (DatagramChannel squatter = DatagramChannel.open(StandardProtocolFamily.INET)) {
            squatter.bind(new InetSocketAddress(0));
            int held = ((InetSocketAddress) squatter.getLocalAddress()).getPort();
            change(alphaAdmin, Map.of("xo.multicast.port", Integer.toString(held)));
            awaitStat(alphaAdmin, "settings.refused", refusedBefore + 1);
            String problem = alphaAdmin.xoSettingsProblem();
            assertNotNull(problem);
            assertTrue(problem, problem.startsWith("The new multicast settings cannot be used (port: " + port + " \u2192 "
                    + held + "): "));
        }
        assertEquals(applied, stat(alphaAdmin, "settings.applied"));
        alice.say(ops, "still here");
        bob.awaitMessage(m -> "still here".equals(m.getBody()), "a message after the refused change");
        change(alphaAdmin, Map.of("xo.multicast.port", port));
        awaitStat(alphaAdmin, "settings.applied", applied + 1);
        assertNull(alphaAdmin.xoSettingsProblem());
        assertEquals(epoch, stat(alphaAdmin, "node.epoch"));
        assertEquals(List.of(), presencesOf(bob, ops + "@conference.beta.test/alice"));
        printApplyLines();
    }

    private static boolean carries(List<Envelope> envelopes, String body) {
        return envelopes.stream().anyMatch(e -> e.kind() == Kind.GROUPCHAT && e.stanza().contains(body));
    }

    @Test
    public void aPortChangedOnOneNodeAfterTheOtherEndsWithBothChattingOnTheNewPort() throws Exception {
        int newPort = NodeProcess.freePort();
        GroupListener oldPort = listen(opsGroup(), port);
        GroupListener onNewPort = listen(opsGroup(), newPort);
        long alphaEpoch = stat(alphaAdmin, "node.epoch");
        long betaEpoch = stat(betaAdmin, "node.epoch");
        List<String> bodiesBefore = markWhatClientsGot();

        long alphaApplied = stat(alphaAdmin, "settings.applied");
        change(alphaAdmin, Map.of("xo.multicast.port", Integer.toString(newPort)));
        awaitStat(alphaAdmin, "settings.applied", alphaApplied + 1);
        // Apart until beta follows; what is said meanwhile reaches the other side once beta has moved too.
        alice.say(ops, "alice while apart");
        bob.say(ops, "bob while apart");
        alice.awaitMessage(m -> "alice while apart".equals(m.getBody()), "her own message back from her room");
        bob.awaitMessage(m -> "bob while apart".equals(m.getBody()), "his own message back from his room");
        Thread.sleep(1_000);
        assertEquals("apart", List.of("alice while apart"), bodies(alice));
        assertEquals("apart", List.of("bob while apart"), bodies(bob));
        long betaApplied = stat(betaAdmin, "settings.applied");
        change(betaAdmin, Map.of("xo.multicast.port", Integer.toString(newPort)));
        awaitStat(betaAdmin, "settings.applied", betaApplied + 1);
        bob.awaitMessage(m -> "alice while apart".equals(m.getBody()), "what alice said while apart");
        alice.awaitMessage(m -> "bob while apart".equals(m.getBody()), "what bob said while apart");
        oldPort.drain();

        alice.say(ops, "alice on the new port");
        bob.awaitMessage(m -> "alice on the new port".equals(m.getBody()), "alice on the new port");
        bob.say(ops, "bob on the new port");
        alice.awaitMessage(m -> "bob on the new port".equals(m.getBody()), "bob on the new port");
        XmppTestClient.eventually("both nodes' messages on the new port", () -> {
            List<Envelope> heard = onNewPort.envelopes();
            return carries(heard, "alice on the new port") || carries(heard, "bob on the new port");
        });
        Thread.sleep(1_000);
        assertEquals("nothing on the old port", List.of(), oldPort.envelopes().stream()
                .map(e -> e.kind() + " " + e.stanza()).collect(Collectors.toList()));
        assertNobodyLeftAndNothingCameTwice(bodiesBefore);
        assertEquals(alphaEpoch, stat(alphaAdmin, "node.epoch"));
        assertEquals(betaEpoch, stat(betaAdmin, "node.epoch"));
        assertEquals(Integer.toString(newPort), alphaAdmin.xoSettings().get("xo.multicast.port"));
        printApplyLines();
    }

    /** The changes that take users out on purpose: the overlay off and on, and another overlay service. */
    @Test
    public void offAndOnAndAnotherOverlayServiceTakeUsersOutAndBackOnPurpose() throws Exception {
        long epoch = stat(alphaAdmin, "node.epoch");
        markWhatClientsGot();
        change(alphaAdmin, Map.of("xo.enabled", "false"));
        XmppTestClient.eventually("alice left at beta", () -> !bob.occupantNicks(ops).contains("alice"));
        XmppTestClient.eventually("bob left at alpha", () -> !alice.occupantNicks(ops).contains("bob"));

        change(alphaAdmin, Map.of("xo.enabled", "true"));
        XmppTestClient.eventually("alice back at beta", () -> bob.occupantNicks(ops).contains("alice"));
        XmppTestClient.eventually("bob back at alpha", () -> alice.occupantNicks(ops).contains("bob"));
        assertTrue("a new run", stat(alphaAdmin, "node.epoch") > epoch);
        List<String> seen = presencesOf(bob, ops + "@conference.beta.test/alice");
        assertEquals("alice left, then came back: " + seen, "unavailable", seen.get(0));
        assertEquals("alice left, then came back: " + seen, "available", seen.get(seen.size() - 1));
        alice.say(ops, "back again");
        bob.awaitMessage(m -> "back again".equals(m.getBody()), "alice's message after the overlay came back");

        // Another overlay service: ops is another overlay room, which alice enters at once and bob once beta follows.
        change(alphaAdmin, Map.of("xo.overlay.service", "conference.other"));
        XmppTestClient.eventually("alice left the old overlay room", () -> !bob.occupantNicks(ops).contains("alice"));
        XmppTestClient.eventually("bob is not in the new one", () -> !alice.occupantNicks(ops).contains("bob"));
        change(betaAdmin, Map.of("xo.overlay.service", "conference.other"));
        XmppTestClient.eventually("alice and bob meet in the new overlay room", () -> bob.occupantNicks(ops)
                .contains("alice") && alice.occupantNicks(ops).contains("bob"));
        GroupListener newRoom = listen(new GroupAddressing().groupFor(OverlayRoom.of(ops, "conference.other")),
                port);
        bob.say(ops, "in the other overlay");
        alice.awaitMessage(m -> "in the other overlay".equals(m.getBody()), "bob's message in the new room");
        XmppTestClient.eventually("on the new room's group", () -> carries(newRoom.envelopes(),
                "in the other overlay"));
        printApplyLines();
    }
}
