package org.xo.sync;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.Kind;

public class RoomStateTest {
    private static final String ROOM = "lobby@conference.xo";
    private long seq;

    private Envelope env(long node, String nick, Kind kind, String stanza) {
        return new Envelope(node, 1, ++seq, 0, ROOM, nick, kind, stanza);
    }

    private Envelope local(String nick, Kind kind) {
        return env(1, nick, kind, "<x/>");
    }

    @Test
    public void keepsLatestPresenceOfEachLocalOccupant() {
        RoomState s = new RoomState(ROOM, 25);
        Envelope aliceJoin = local("alice", Kind.PRESENCE);
        s.recordLocal(aliceJoin);
        Envelope bobJoin = local("bob", Kind.PRESENCE);
        s.recordLocal(bobJoin);
        Envelope aliceAway = local("alice", Kind.PRESENCE);
        s.recordLocal(aliceAway);
        assertEquals(Set.of("alice", "bob"), s.localNicks());
        assertEquals(List.of(bobJoin, aliceAway), s.snapshotForReplay());

        s.recordLocal(local("bob", Kind.LEAVE));
        assertEquals(Set.of("alice"), s.localNicks());
        assertEquals(List.of(aliceAway), s.snapshotForReplay());
    }

    @Test
    public void nickChangeReKeysTheOccupant() {
        RoomState s = new RoomState(ROOM, 25);
        s.recordLocal(local("alice", Kind.PRESENCE));
        Envelope change = env(1, "alice", Kind.NICK_CHANGE, "<presence to='" + ROOM + "/Alice2'><show>away</show></presence>");
        s.recordLocal(change);
        assertEquals(Set.of("Alice2"), s.localNicks());
        assertEquals(List.of(change), s.snapshotForReplay());
        s.recordLocal(local("Alice2", Kind.LEAVE));
        assertTrue(s.isEmpty());
    }

    @Test
    public void findsTheNewNickInTheStanza() {
        assertEquals(Optional.of("n\u00e9w nick"), RoomState.newNick(
                "<presence xmlns=\"jabber:client\" to=\"r@c.xo/n&#233;w nick\" from=\"u@d/r\"><x/></presence>"));
        assertEquals(Optional.empty(), RoomState.newNick("<presence to='r@c.xo'/>"));
        assertEquals(Optional.empty(), RoomState.newNick("<presence to='r@c.xo/'/>"));
        assertEquals(Optional.empty(), RoomState.newNick("not xml"));
        assertEquals(Optional.empty(), RoomState.newNick(
                "<!DOCTYPE p [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><presence to='r@c/&e;'/>"));
    }

    @Test
    public void keepsTheLastLocalMessagesAndTheLastSubject() {
        RoomState s = new RoomState(ROOM, 3);
        List<Envelope> messages = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Envelope m = local("alice", Kind.GROUPCHAT);
            messages.add(m);
            s.recordLocal(m);
        }
        s.recordRemote(env(2, "carol", Kind.GROUPCHAT, "<m/>")); // remote messages are their node's to repeat
        s.recordRemote(env(2, "carol", Kind.PRESENCE, "<p/>"));
        s.recordLocal(local("alice", Kind.SUBJECT));
        Envelope remoteSubject = env(2, "carol", Kind.SUBJECT, "<message><subject>news</subject></message>");
        s.recordRemote(remoteSubject);
        s.recordLocal(local("alice", Kind.PRESENCE));
        s.recordLocal(local("alice", Kind.PRIVATE));

        List<Envelope> replay = s.snapshotForReplay();
        assertEquals(5, replay.size());
        assertEquals(Kind.PRESENCE, replay.get(0).kind());
        assertEquals(remoteSubject, replay.get(1));
        assertEquals(messages.subList(2, 5), replay.subList(2, 5));
    }

    @Test
    public void aResizedHistoryDropsTheOldestAtOnceAndGrowsFromThen() {
        RoomState s = new RoomState(ROOM, 4);
        List<Envelope> messages = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            messages.add(local("alice", Kind.GROUPCHAT));
            s.recordLocal(messages.get(i));
        }
        s.resizeHistory(2);
        assertEquals(messages.subList(2, 4), s.snapshotForReplay());

        s.resizeHistory(3);
        Envelope next = local("alice", Kind.GROUPCHAT);
        s.recordLocal(next);
        assertEquals(List.of(messages.get(2), messages.get(3), next), s.snapshotForReplay());

        s.resizeHistory(0);
        assertTrue(s.isEmpty());
        assertThrows(IllegalArgumentException.class, () -> s.resizeHistory(-1));
    }

    @Test
    public void refusesEnvelopesOfAnotherRoom() {
        RoomState s = new RoomState(ROOM, 3);
        Envelope other = new Envelope(1, 1, 1, 0, "other@conference.xo", "n", Kind.PRESENCE, "");
        assertThrows(IllegalArgumentException.class, () -> s.recordLocal(other));
        assertThrows(IllegalArgumentException.class, () -> new RoomState(ROOM, -1));
    }

    @Test
    public void recordsRemoteOccupantsPerNodeUntilTheyLeave() {
        RoomState s = new RoomState(ROOM, 25);
        Envelope alice = env(7, "alice", Kind.PRESENCE, "<presence/>");
        s.recordRemote(alice);
        Envelope bob = env(7, "bob", Kind.PRESENCE, "<presence/>");
        s.recordRemote(bob);
        Envelope bobAway = env(7, "bob", Kind.PRESENCE, "<presence><show>away</show></presence>");
        s.recordRemote(bobAway);
        Envelope carl = env(7, "carl", Kind.PRESENCE, "<presence/>");
        s.recordRemote(carl);
        s.recordRemote(env(7, "carl", Kind.LEAVE, "<presence type=\"unavailable\"/>"));
        Envelope renamed = env(7, "alice", Kind.NICK_CHANGE, "<presence to=\"" + ROOM + "/alicia\"/>");
        s.recordRemote(renamed);
        Envelope other = env(8, "alice", Kind.PRESENCE, "<presence/>");
        s.recordRemote(other);
        s.recordRemote(env(7, "bob", Kind.GROUPCHAT, "<message/>"));

        assertEquals(Set.of("alicia", "bob"), s.remoteNicks(7));
        assertEquals(Set.of("alice"), s.remoteNicks(8));
        assertEquals("remote occupants are never repeated", List.of(), s.snapshotForReplay());
        assertEquals(Set.of(bobAway, renamed), Set.copyOf(s.removeRemoteOccupants(7)));
        assertEquals(Set.of(), s.remoteNicks(7));
        assertEquals(List.of(other), s.removeRemoteOccupants(8));
    }

    @Test
    public void knowsTheSubjectText() {
        RoomState s = new RoomState(ROOM, 25);
        assertEquals(Optional.empty(), s.subjectText());
        s.recordRemote(env(7, "bob", Kind.SUBJECT,
                "<message type=\"groupchat\"><subject>Plans &amp; routes</subject></message>"));
        assertEquals(Optional.of("Plans & routes"), s.subjectText());
        s.recordLocal(env(1, "alice", Kind.SUBJECT, "<message><subject/></message>"));
        assertEquals(Optional.of(""), s.subjectText());
        s.recordLocal(env(1, "alice", Kind.SUBJECT, "<message><subject>broken"));
        assertEquals(Optional.empty(), s.subjectText());
    }

    @Test
    public void remoteOccupantsAreBoundedAndTheEldestIsForgottenFirst() {
        RoomState s = new RoomState(ROOM, 0);
        for (int i = 0; i < RoomState.MAX_REMOTE_OCCUPANTS; i++) {
            assertTrue(s.recordRemote(env(9, "ghost-" + i, Kind.PRESENCE, "<p/>")));
        }
        assertFalse("one more forgets the eldest", s.recordRemote(env(9, "one-more", Kind.PRESENCE, "<p/>")));
        assertEquals(RoomState.MAX_REMOTE_OCCUPANTS, s.remoteNicks(9).size());
        assertFalse(s.remoteNicks(9).contains("ghost-0"));
        assertTrue(s.remoteNicks(9).contains("one-more"));
    }

    @Test
    public void theLatestConfigurationByOriginTimeThenNodeIsReplayedAfterThePresencesWhateverTheOrderHeard() {
        RoomState s = new RoomState(ROOM, 25);
        Envelope join = local("alice", Kind.PRESENCE);
        s.recordLocal(join);
        Envelope early = new Envelope(7, 1, 1, 1_000, ROOM, "owner", Kind.CONFIG, "<iq/>");
        Envelope late = new Envelope(5, 1, 1, 2_000, ROOM, "owner", Kind.CONFIG, "<iq/>");
        Envelope sameTimeHigherNode = new Envelope(9, 1, 1, 2_000, ROOM, "owner", Kind.CONFIG, "<iq/>");
        s.recordRemote(late);
        s.recordRemote(early); // heard after, said before: the room keeps the later one
        assertEquals(List.of(join, late), s.snapshotForReplay());
        s.recordLocal(sameTimeHigherNode);
        assertEquals(List.of(join, sameTimeHigherNode), s.snapshotForReplay());
        s.recordLocal(local("alice", Kind.LEAVE));
        assertFalse("the configuration alone is state to repeat", s.isEmpty());
    }
}
