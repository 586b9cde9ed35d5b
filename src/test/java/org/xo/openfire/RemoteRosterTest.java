package org.xo.openfire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.Test;
import org.xo.openfire.RemoteRoster.Admission;
import org.xo.openfire.RemoteRoster.Participant;

public class RemoteRosterTest {
    private static final long LOW = 0x00aa_0000_0000_0001L;
    private static final long HIGH = 0xbb00_0000_0000_0002L;
    private static final String PRESENCE = "<presence/>";

    private final RemoteRoster roster = new RemoteRoster();

    @Test
    public void everyParticipantGetsAResourceOfItsOwnAndIsFoundByItAndByItsEnvelopes() {
        Participant sam = roster.admit("ops", LOW, "sam", PRESENCE, true).newcomer();
        Participant samElsewhere = roster.admit("intel", LOW, "sam", PRESENCE, true).newcomer();

        assertNotEquals(sam.resource, samElsewhere.resource);
        assertSame(sam, roster.find("ops", LOW, "sam"));
        assertSame(samElsewhere, roster.byResource(samElsewhere.resource));
        assertEquals("sam", sam.localNick());
        assertFalse(sam.joined());
        assertEquals(2, roster.size());
    }

    @Test
    public void everyRemoteUserHasAnIdentityOfItsOwnThatSurvivesNickChanges() {
        Participant sam = roster.admit("ops", LOW, "Sam Smith@home", PRESENCE, true).newcomer();
        Participant samElsewhere = roster.admit("ops", HIGH, "Sam Smith@home", PRESENCE, true).newcomer();
        Participant bob = roster.admit("ops", LOW, "bob", PRESENCE, true).newcomer();
        assertEquals("the nick escaped (XEP-0106), then its node", "sam\\20smith\\40home." + Long.toHexString(LOW),
                sam.user);
        assertNotEquals("one per node", sam.user, samElsewhere.user);
        assertNotEquals(sam.user, bob.user);
        roster.rename(sam, "samuel", PRESENCE, true);
        assertEquals("sam\\20smith\\40home." + Long.toHexString(LOW), sam.user);
        Participant odd = roster.admit("ops", LOW, "\u0007bell", PRESENCE, true).newcomer();
        assertTrue("a nick that cannot be a node part is digested: " + odd.user,
                odd.user.matches("u[0-9a-f]+\\." + Long.toHexString(LOW)));
    }

    @Test(expected = IllegalStateException.class)
    public void aParticipantIsAdmittedOnce() {
        roster.admit("ops", LOW, "sam", PRESENCE, true);
        roster.admit("ops", LOW, "sam", PRESENCE, true);
    }

    @Test
    public void ofTwoRemoteParticipantsWithOneNickTheLowerNodeIdKeepsItWhateverTheOrder() {
        Participant first = roster.admit("ops", HIGH, "Sam", PRESENCE, true).newcomer();
        Admission second = roster.admit("ops", LOW, "sam", PRESENCE, true);

        assertEquals("sam", second.newcomer().localNick());
        assertSame("the higher node id gives its nick up", first, second.displaced());
        assertEquals("Sam#bb00", first.localNick());

        RemoteRoster other = new RemoteRoster();
        other.admit("ops", LOW, "sam", PRESENCE, true);
        Admission late = other.admit("ops", HIGH, "Sam", PRESENCE, true);
        assertNull(late.displaced());
        assertEquals("Sam#bb00", late.newcomer().localNick());
    }

    @Test
    public void onAnOpenOverlayANodeIdOfZeroTakesNoNickFromTheParticipantHoldingIt() {
        Participant holder = roster.admit("ops", HIGH, "sam", PRESENCE, false).newcomer();
        Admission forged = roster.admit("ops", 0L, "sam", PRESENCE, false);
        assertNull("nobody displaced", forged.displaced());
        assertEquals("sam", holder.localNick());
        assertEquals("sam#0", forged.newcomer().localNick());
        Participant bob = roster.admit("ops", 0L, "bob", PRESENCE, false).newcomer();
        assertNull(roster.rename(bob, "SAM", PRESENCE, false));
        assertEquals("renaming into a held nick is arriving too", "SAM#0", bob.localNick());
        assertEquals("sam", holder.localNick());
    }

    @Test
    public void theNickRuleIsPerRoom() {
        roster.admit("ops", HIGH, "sam", PRESENCE, true);
        Admission elsewhere = roster.admit("intel", LOW, "sam", PRESENCE, true);
        assertNull(elsewhere.displaced());
        assertEquals("sam", roster.find("ops", HIGH, "sam").localNick());
    }

    @Test
    public void aLocalNickConflictSuffixesWithFourThenAllDigitsThenGivesUp() {
        Participant sam = roster.admit("ops", HIGH, "sam", PRESENCE, true).newcomer();

        assertTrue(roster.nextNickAfterConflict(sam));
        assertEquals("sam#bb00", sam.localNick());
        assertTrue(roster.nextNickAfterConflict(sam));
        assertEquals("sam#" + Long.toHexString(HIGH), sam.localNick());
        assertFalse(roster.nextNickAfterConflict(sam));
    }

    @Test
    public void aRenameRekeysTheParticipantClearsItsSuffixAndAppliesTheRuleAgain() {
        Participant high = roster.admit("ops", HIGH, "sam", PRESENCE, true).newcomer();
        roster.nextNickAfterConflict(high);
        Participant low = roster.admit("ops", LOW, "robin", PRESENCE, true).newcomer();

        Participant displaced = roster.rename(high, "max", "<presence><show>away</show></presence>", true);
        assertNull(displaced);
        assertEquals("max", high.localNick());
        assertSame(high, roster.find("ops", HIGH, "max"));
        assertNull(roster.find("ops", HIGH, "sam"));
        assertEquals("<presence><show>away</show></presence>", high.presenceXml());

        assertSame("low takes high's new nick and high yields", high, roster.rename(low, "Max", PRESENCE, true));
        assertEquals("Max", low.localNick());
        assertEquals("max#bb00", high.localNick());
    }

    @Test
    public void participantsLeaveOneByOneByNodeByRoomOrAllAtOnce() {
        Participant a = roster.admit("ops", LOW, "a", PRESENCE, true).newcomer();
        roster.admit("ops", HIGH, "b", PRESENCE, true);
        roster.admit("intel", HIGH, "c", PRESENCE, true);
        roster.admit("intel", LOW, "d", PRESENCE, true);

        roster.remove(a);
        assertNull(roster.byResource(a.resource));
        assertEquals(Set.of("b", "c"), nicks(roster.removeNode(HIGH)));
        assertEquals(Set.of("d"), nicks(roster.removeRoom("intel")));
        assertEquals(0, roster.size());

        roster.admit("ops", LOW, "e", PRESENCE, true);
        assertEquals(Set.of("e"), nicks(roster.removeAll()));
        assertTrue(roster.removeAll().isEmpty());
    }

    @Test
    public void aJoinIsMarkedOnlyWhenConfirmed() {
        Participant sam = roster.admit("ops", LOW, "sam", PRESENCE, true).newcomer();
        roster.markJoined(sam);
        assertTrue(sam.joined());
    }

    private static Set<String> nicks(List<Participant> participants) {
        return participants.stream().map(Participant::originNick).collect(Collectors.toSet());
    }

    @Test
    public void theSnapshotShowsEachParticipantAsItsRoomDoesAndChangesOnlyWithTheRoster() {
        Participant sam = roster.admit("ops", HIGH, "sam", PRESENCE, true).newcomer();
        roster.admit("ops", LOW, "sam", PRESENCE, true);
        long before = roster.changes();
        roster.updatePresence(sam, "<presence><show>away</show></presence>");
        assertEquals("a status change is no change of who sits where", before, roster.changes());

        roster.markJoined(sam);

        assertNotEquals(before, roster.changes());
        assertEquals(List.of(new RemoteOccupant("ops", "sam", "sam", LOW, false, false),
                        new RemoteOccupant("ops", "sam#bb00", "sam", HIGH, true, false)), roster.snapshot());
        roster.remove(sam);
        assertEquals(1, roster.snapshot().size());
    }

    @Test
    public void countsParticipantsPerRoom() {
        Participant sam = roster.admit("ops", LOW, "sam", PRESENCE, true).newcomer();
        roster.admit("ops", LOW, "kim", PRESENCE, true);
        roster.admit("intel", LOW, "sam", PRESENCE, true);
        assertEquals(2, roster.sizeOf("ops"));
        roster.remove(sam);
        assertEquals(1, roster.sizeOf("ops"));
        roster.removeNode(LOW);
        assertEquals(0, roster.sizeOf("ops"));
        assertEquals(0, roster.sizeOf("intel"));
    }

    @Test
    public void aNodesParticipantsWaitForItsRestartUntilALaterRunAnnouncesThem() {
        Participant sam = roster.admit("ops", LOW, "sam", PRESENCE, true).newcomer();
        Participant sue = roster.admit("intel", LOW, "sue", PRESENCE, true).newcomer();
        Participant other = roster.admit("ops", HIGH, "tom", PRESENCE, true).newcomer();

        assertEquals(2, roster.awaitRestart(LOW, 100));
        assertTrue(sam.awaitingRestart());
        assertFalse("another node's participant", other.awaitingRestart());
        assertFalse("a late presence of the run that ended", roster.announcedAgain(sam, 100));
        assertTrue("the new run", roster.announcedAgain(sam, 101));
        assertFalse("announced once", roster.announcedAgain(sam, 101));
        assertEquals(List.of(new RemoteOccupant("intel", "sue", "sue", LOW, false, true),
                new RemoteOccupant("ops", "sam", "sam", LOW, false, false),
                new RemoteOccupant("ops", "tom", "tom", HIGH, false, false)), roster.snapshot());

        assertEquals("only those not announced again leave", List.of(sue), roster.removeAwaitingRestart(LOW));
        assertSame(sam, roster.find("ops", LOW, "sam"));
        assertNull(roster.find("intel", LOW, "sue"));
        assertEquals(2, roster.size());
    }

    @Test
    public void aPresenceShowsTheSameWhateverItsAddressesAndId() throws Exception {
        String before = "<presence id=\"a1\" to=\"ops@conference.xo/sam\"><c xmlns=\"http://jabber.org/protocol/caps\""
                + " ver=\"x\"/></presence>";
        assertTrue(Stanzas.showSame(before, Stanzas.parse("<presence id=\"b2\" from=\"u@d/r\" to=\"ops@conference.xo/sam\">"
                + "<c xmlns=\"http://jabber.org/protocol/caps\" ver=\"x\"/></presence>")));
        assertFalse(Stanzas.showSame(before, Stanzas.parse("<presence id=\"a1\" to=\"ops@conference.xo/sam\">"
                + "<show>away</show><c xmlns=\"http://jabber.org/protocol/caps\" ver=\"x\"/></presence>")));
        assertFalse("malformed before", Stanzas.showSame("<presence", Stanzas.parse("<presence/>")));
    }
}
