package org.xo.gateway;

import static org.junit.Assert.assertEquals;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import org.junit.Test;

public class BridgeTest {
    /** Records what the bridge does to one room, one line per action. */
    private static final class RecordingRoom implements Bridge.Room {
        final String side;
        final List<String> actions;

        RecordingRoom(String side, List<String> actions) {
            this.side = side;
            this.actions = actions;
        }

        @Override
        public void enter(Instant historySince) {
            actions.add(side + " enter" + (historySince == null ? "" : " with history since " + historySince));
        }

        @Override
        public void join(String nick) {
            actions.add(side + " join " + nick);
        }

        @Override
        public void leave(String nick) {
            actions.add(side + " leave " + nick);
        }

        @Override
        public void say(String nick, String body, Instant saidAt) {
            actions.add(side + " " + nick + ": " + body + (saidAt == null ? "" : " (said " + saidAt + ")"));
        }

        @Override
        public void privately(String from, String to, String body) {
            actions.add(side + " " + from + " to " + to + ": " + body);
        }

        @Override
        public void subject(String nick, String subject) {
            actions.add(side + " subject by " + nick + ": " + subject);
        }
    }

    private final List<String> actions = new ArrayList<>();
    private final List<String> counted = new ArrayList<>();
    private Instant now = Instant.parse("2026-12-02T10:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };
    private final Bridge bridge = new Bridge("gw", new RecordingRoom("far", actions), new RecordingRoom("xo", actions),
            counted::add, clock);

    @Test
    public void eachParticipantEntersTheOtherRoomUnderItsOwnNickOnceTheFarRoomIsUp() {
        bridge.start();
        bridge.xoPresence("bob", true);
        bridge.farUp();
        bridge.farPresence("alice", true);
        bridge.xoPresence("carol", true);
        bridge.xoPresence("bob", true); // a status change: no second entry
        assertEquals(List.of("xo enter", "far enter", "far join bob", "xo join alice", "far join carol"), actions);
    }

    @Test
    public void whatTheRoomsReflectFromTheBridgesOwnOccupantsIsDroppedAsEcho() {
        bridge.farUp();
        bridge.xoPresence("bob", true);
        bridge.farPresence("alice", true);
        actions.clear();
        bridge.xoMessage("bob", "hi");
        bridge.farMessage("bob", "hi"); // the far room reflecting bob's stand-in
        bridge.farMessage("alice", "hello");
        bridge.xoMessage("alice", "hello"); // the XO room reflecting alice's stand-in
        bridge.xoMessage("gw", "x");
        bridge.farPresence("bob", true);
        bridge.xoPresence("alice", true);
        assertEquals(List.of("far bob: hi", "xo alice: hello"), actions);
        assertEquals(3, counted.stream().filter("gateway.echoes-dropped"::equals).count());
    }

    @Test
    public void aSubjectCrossesOnceAndIsNotSentBack() {
        bridge.farUp();
        bridge.farPresence("alice", true);
        bridge.farSubject("alice", ""); // no subject yet, told on entry
        bridge.farSubject("alice", "plans");
        bridge.xoSubject("alice", "plans"); // the XO room reflecting it
        bridge.xoSubject("bob", "plans"); // the XO room telling it to someone entering
        bridge.xoSubject("bob", "news"); // bob, not in the far room: set by the bridge's own occupant there
        assertEquals(List.of("far enter", "xo join alice", "xo subject by alice: plans", "far subject by null: news"),
                actions);
    }

    @Test
    public void whenTheFarRoomIsLostItsOccupantsLeaveTheXoRoomAndEveryoneRejoinsOnReturnWithWhatWasSaid() {
        bridge.start();
        bridge.farUp();
        bridge.xoPresence("bob", true);
        bridge.xoPresence("erin", true);
        bridge.farPresence("alice", true);
        actions.clear();
        counted.clear();
        bridge.farDown();
        now = now.plusSeconds(5);
        bridge.xoMessage("bob", "while cut off");
        bridge.xoPresence("carol", true);
        now = now.plusSeconds(1);
        bridge.xoMessage("erin", "bye");
        bridge.xoPresence("erin", false);
        bridge.farUp();
        bridge.farHistoryEnded(); // the far room's subject: its history (none here) is over, the backlog goes
        assertEquals(List.of("xo leave alice", "far leave bob", "far leave erin", "far leave gw",
                "far enter with history since 2026-12-02T10:00:00Z", "far join bob", "far join carol",
                "far bob: while cut off (said 2026-12-02T10:00:05Z)",
                "far join erin", "far erin: bye (said 2026-12-02T10:00:06Z)", "far leave erin"), actions);
        assertEquals(List.of("gateway.to-far.held", "gateway.to-far.held", "gateway.to-far.joins",
                "gateway.to-far.joins", "gateway.to-far.after-outage", "gateway.to-far.after-outage"), counted);
    }

    @Test
    public void theFarHistoryAfterAnOutageReachesTheXoRoomDatedWithoutWhatWasCarriedBefore() {
        bridge.start();
        bridge.farUp();
        bridge.farPresence("alice", true);
        bridge.xoPresence("bob", true);
        now = now.plusSeconds(10);
        bridge.farMessage("alice", "before");
        bridge.farDown();
        bridge.farUp();
        bridge.farPresence("alice", true);
        actions.clear();
        assertEquals(true, bridge.isFarHistoryComing());
        Instant early = Instant.parse("2026-12-02T10:00:10Z");
        bridge.farHistory("alice", "before", early); // the history since the last message begins with it
        bridge.farHistory("bob", "from the edge", early); // bob's stand-in's words: the XO room's own
        bridge.farHistory("alice", "during", early.plusSeconds(3));
        bridge.farHistory("zoe", "in and out", early.plusSeconds(4)); // left the far room meanwhile
        bridge.farHistoryEnded();
        bridge.farHistory("alice", "late", early.plusSeconds(5)); // after the subject: not history of the outage
        assertEquals(List.of("xo alice: during (said 2026-12-02T10:00:13Z)", "xo join zoe",
                "xo zoe: in and out (said 2026-12-02T10:00:14Z)", "xo leave zoe"), actions);
        assertEquals(1, counted.stream().filter("gateway.to-xo.already-carried"::equals).count());
        assertEquals(2, counted.stream().filter("gateway.to-xo.after-outage"::equals).count());
    }

    @Test
    public void whatTheFarRoomsHistoryShowsItHasIsNotSentAgain() {
        bridge.start();
        bridge.farUp();
        bridge.xoPresence("bob", true);
        bridge.farDown();
        bridge.xoMessage("bob", "got there before the cut was seen");
        bridge.xoMessage("bob", "did not");
        bridge.farUp();
        actions.clear();
        bridge.farHistory("bob", "got there before the cut was seen", now);
        bridge.farHistoryEnded();
        assertEquals(List.of("far bob: did not (said " + now + ")"), actions);
        assertEquals(1, counted.stream().filter("gateway.to-far.already-there"::equals).count());
    }

    @Test
    public void anXoParticipantRefusedInTheFarRoomEntersOnceTheNickIsFree() {
        bridge.farUp();
        bridge.xoPresence("alice", true);
        bridge.farRefused("alice"); // the far room has an alice of its own
        bridge.farPresence("alice", true);
        bridge.xoRefused("alice");
        actions.clear();
        bridge.farPresence("alice", false); // the far room's alice leaves
        assertEquals(List.of("far join alice"), actions);
    }

    @Test
    public void anotherGatewaysOccupantsAndTheFarRoomsCopiesOfXoParticipantsNeverCross() {
        bridge.start();
        bridge.xoPresence("bob", true);
        bridge.otherGatewaysOccupant("alice", true); // another gateway's stand-in for a far occupant
        bridge.otherGatewaysOccupant("gw#7a", true); // another gateway's listener
        bridge.farUp();
        bridge.farRefused("bob"); // another gateway's stand-in for bob holds his nick there
        bridge.farPresence("bob", true);
        bridge.farPresence("alice", true); // alice herself: her nick is held in the XO room by the other's stand-in
        actions.clear();
        bridge.xoMessage("alice", "hello");
        bridge.xoMessage("gw#7a", "x");
        bridge.xoSubject("alice", "plans");
        bridge.farMessage("bob", "hi");
        assertEquals("nothing crosses: two gateways bridging at once cannot loop", List.of(), actions);
        assertEquals(1, counted.stream().filter("gateway.to-xo.xo-copies"::equals).count());

        bridge.otherGatewaysOccupant("alice", false); // the other gateway is gone
        bridge.farPresence("bob", false);
        assertEquals("each enters once the nick is free", List.of("xo join alice", "far join bob"), actions);
    }

    @Test
    public void anOccupantKnownAsAnotherGatewaysOnlyLaterLeavesTheFarRoom() {
        bridge.farUp();
        bridge.xoPresence("alice", true); // seen before its presence said what it is
        bridge.otherGatewaysOccupant("alice", true);
        bridge.xoMessage("alice", "hello");
        assertEquals(List.of("far enter", "far join alice", "far leave alice"), actions);
    }

    @Test
    public void aStandbyKeepsAWindowOfTheTalkAndATakeoverCarriesWhatEachRoomLacks() {
        Duration window = Duration.ofSeconds(40);
        bridge.start();
        bridge.standBy(window); // another gateway was elected
        bridge.xoPresence("bob", true);
        bridge.otherGatewaysOccupant("alice", true);
        bridge.xoMessage("bob", "too old");
        now = now.plus(window).plusSeconds(1);
        bridge.xoMessage("alice", "hello from the enterprise"); // carried into the XO room by the elected gateway
        bridge.xoMessage("bob", "carried by the other gateway");
        now = now.plusSeconds(30);
        bridge.xoMessage("bob", "said in the gap");
        bridge.otherGatewaysOccupant("alice", false); // its node lost
        actions.clear();
        bridge.takeOver();
        bridge.farUp();
        bridge.farPresence("alice", true);
        bridge.farHistory("alice", "hello from the enterprise", now.minusSeconds(31)); // the XO room has it
        bridge.farHistory("bob", "carried by the other gateway", now.minusSeconds(30));
        bridge.farHistory("alice", "in the gap", now.minusSeconds(5)); // the XO room does not
        bridge.farHistoryEnded();
        assertEquals(List.of("far enter with history since " + now.minus(window), "far join bob", "xo join alice",
                "xo alice: in the gap (said " + now.minusSeconds(5) + ")", "far bob: said in the gap (said " + now + ")"),
                actions);
    }

    @Test
    public void aListenerWhoseNickTheFarRoomHoldsEntersUnderAnotherAskingForTheSameHistory() {
        bridge.farUp();
        bridge.farDown();
        bridge.farUp();
        actions.clear();
        bridge.farListenerRefused("gw-2");
        bridge.farPresence("gw", true); // the holder of the nick: a gateway's, never carried
        bridge.farPresence("gw", false);
        bridge.farDown();
        assertEquals(List.of("far enter with history since " + now, "far leave gw-2"), actions);
    }

    @Test
    public void theBacklogIsBoundedAndTheOldestGoFirst() {
        bridge.start();
        bridge.xoPresence("bob", true);
        for (int i = 0; i < Bridge.MAX_BACKLOG + 2; i++) {
            bridge.xoMessage("bob", "m" + i);
        }
        actions.clear();
        bridge.farUp();
        assertEquals("far bob: m2 (said " + now + ")", actions.get(2)); // the first entry takes no history
        assertEquals(Bridge.MAX_BACKLOG + 2, actions.size());
        assertEquals(2, counted.stream().filter("gateway.to-far.missed"::equals).count());
    }

    @Test
    public void privateMessagesCrossBetweenParticipantsWhoAreAcross() {
        bridge.farUp();
        bridge.xoPresence("bob", true);
        bridge.farPresence("alice", true);
        actions.clear();
        bridge.xoPrivate("bob", "alice", "psst");
        bridge.farPrivate("alice", "bob", "yes?");
        bridge.xoPrivate("carol", "alice", "not across");
        bridge.farPrivate("alice", "dave", "nobody");
        assertEquals(List.of("far bob to alice: psst", "xo alice to bob: yes?"), actions);
        assertEquals(2, counted.stream().filter("gateway.private-missed"::equals).count());
    }

    @Test
    public void aRefusedStandInNoLongerSpeaksAndTheOtherLeavesWhenItsParticipantDoes() {
        bridge.farUp();
        bridge.xoPresence("alice", true);
        bridge.farRefused("alice"); // the far room has an alice of its own
        bridge.farPresence("alice", true);
        bridge.xoRefused("alice"); // ... and the XO room too
        actions.clear();
        bridge.xoMessage("alice", "mine");
        bridge.farMessage("alice", "theirs");
        bridge.xoPresence("alice", false);
        assertEquals(List.of(), actions);
        bridge.xoPresence("dave", true);
        bridge.xoPresence("dave", false);
        bridge.stop();
        assertEquals(List.of("far join dave", "far leave dave", "far leave gw", "xo leave gw"), actions);
    }
}
