package org.xo.gateway;

import static org.junit.Assert.assertEquals;

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
        public void enter() {
            actions.add(side + " enter");
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
        public void say(String nick, String body) {
            actions.add(side + " " + nick + ": " + body);
        }

        @Override
        public void subject(String nick, String subject) {
            actions.add(side + " subject by " + nick + ": " + subject);
        }
    }

    private final List<String> actions = new ArrayList<>();
    private final List<String> counted = new ArrayList<>();
    private final Bridge bridge = new Bridge("gw", new RecordingRoom("far", actions), new RecordingRoom("xo", actions),
            counted::add);

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
    public void whenTheFarRoomIsLostItsOccupantsLeaveTheXoRoomAndEveryoneRejoinsOnReturn() {
        bridge.start();
        bridge.farUp();
        bridge.xoPresence("bob", true);
        bridge.farPresence("alice", true);
        actions.clear();
        bridge.farDown();
        bridge.xoMessage("bob", "while cut off");
        bridge.xoPresence("carol", true);
        bridge.farUp();
        assertEquals(List.of("xo leave alice", "far leave bob", "far leave gw", "far enter", "far join bob",
                "far join carol"), actions);
        assertEquals(List.of("gateway.to-far.joins", "gateway.to-xo.joins", "gateway.to-far.missed",
                "gateway.to-far.joins", "gateway.to-far.joins"), counted);
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
