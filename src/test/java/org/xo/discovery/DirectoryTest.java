package org.xo.discovery;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Before;
import org.junit.Test;

/** The directory with a hand-driven clock: expiry, merge, restarts and returns. */
public class DirectoryTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(35);
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final List<String> events = new ArrayList<>();
    private Directory directory;

    @Before
    public void setUp() {
        directory = new Directory(TIMEOUT, clock::get);
        directory.addListener(new DirectoryListener() {
            @Override
            public void nodeAppeared(NodeInfo node) {
                events.add("appeared " + node.nodeId() + "/" + node.epoch());
            }

            @Override
            public void nodeLost(NodeInfo node, boolean saidGoodbye) {
                events.add((saidGoodbye ? "goodbye " : "lost ") + node.nodeId() + "/" + node.epoch());
            }

            @Override
            public void roomsChanged() {
                events.add("rooms");
            }
        });
    }

    private void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    private static AdvertisedRoom room(String name, int occupants, String subject) throws Exception {
        return new AdvertisedRoom(name + "@conference.xo", (Inet4Address) InetAddress.getByName("239.192.0.9"),
                45045, occupants, subject);
    }

    private static NodeInfo node(long id, int epoch, AdvertisedRoom... rooms) {
        return new NodeInfo(id, epoch, "node-" + id, Duration.ofSeconds(10), List.of(rooms));
    }

    @Test
    public void nodeExpiresAfterTheTimeoutUnlessHeard() throws Exception {
        assertTrue(directory.accept(node(1, 100, room("lobby", 2, "Plans")), Source.BEACON));
        assertEquals(List.of("appeared 1/100", "rooms"), events);
        advance(Duration.ofSeconds(30));
        assertEquals(Directory.Heard.LIVE, directory.heard(1, 100)); // room traffic keeps it alive
        advance(Duration.ofSeconds(30));
        directory.sweep();
        assertEquals(1, directory.nodes().size());
        assertEquals(Duration.ofSeconds(30), directory.nodes().get(0).sinceHeard());
        advance(Duration.ofSeconds(6));
        directory.sweep();
        assertEquals(List.of(), directory.nodes());
        assertEquals(List.of(), directory.rooms());
        assertEquals(List.of("appeared 1/100", "rooms", "lost 1/100", "rooms"), events);

        // Heard again through traffic alone: back with its last known rooms.
        events.clear();
        assertEquals(Directory.Heard.RETURNED, directory.heard(1, 100));
        assertEquals(List.of("appeared 1/100", "rooms"), events);
        assertEquals("lobby@conference.xo", directory.rooms().get(0).room());
        assertEquals(Directory.Heard.UNKNOWN, directory.heard(99, 1));
        assertEquals(Directory.Heard.STALE, directory.heard(1, 99));
    }

    @Test
    public void slowBeaconingNodeGetsThreeAndAHalfOfItsIntervals() {
        directory.accept(new NodeInfo(1, 1, "slow", Duration.ofSeconds(20), List.of()), Source.BEACON);
        advance(Duration.ofSeconds(69));
        directory.sweep();
        assertEquals(1, directory.nodes().size());
        advance(Duration.ofSeconds(2));
        directory.sweep();
        assertEquals(0, directory.nodes().size());
    }

    @Test
    public void aNewTimeoutAppliesToTheNextSweep() {
        directory.accept(new NodeInfo(1, 1, "fast", Duration.ofSeconds(1), List.of()), Source.BEACON);
        advance(Duration.ofSeconds(20));
        directory.sweep();
        assertEquals(1, directory.nodes().size());
        directory.nodeTimeout(Duration.ofSeconds(15));
        assertEquals(Duration.ofSeconds(15), directory.nodeTimeout());
        directory.sweep();
        assertEquals(List.of("appeared 1/1", "lost 1/1"), events);
    }

    @Test
    public void clearForgetsLiveAndLostNodesWithoutEvents() throws Exception {
        directory.accept(node(1, 1, room("lobby", 1, "")), Source.BEACON);
        directory.accept(node(2, 1), Source.BEACON);
        directory.withdraw(2, 1, Source.BEACON);
        events.clear();
        directory.clear();
        assertEquals(List.of(), events);
        assertEquals(List.of(), directory.nodes());
        assertEquals(List.of(), directory.rooms());
        assertEquals("a lost node is forgotten too", Directory.Heard.UNKNOWN, directory.heard(2, 1));
        assertTrue(directory.accept(node(1, 1), Source.BEACON));
        assertEquals(List.of("appeared 1/1"), events);
    }

    @Test
    public void roomsAreMergedOverLiveNodes() throws Exception {
        directory.accept(node(2, 1, room("lobby", 2, "Old subject"), room("ops", 1, "")), Source.BEACON);
        advance(Duration.ofSeconds(1));
        directory.accept(node(1, 1, room("lobby", 3, "New subject")), Source.BEACON);
        advance(Duration.ofSeconds(1));
        directory.accept(node(3, 1, room("lobby", 1, "")), Source.BEACON); // no subject: does not override

        List<RoomInfo> rooms = directory.rooms();
        assertEquals(2, rooms.size());
        RoomInfo lobby = rooms.get(0);
        assertEquals("lobby@conference.xo", lobby.room());
        assertEquals("New subject", lobby.subject());
        assertEquals(6, lobby.occupants());
        assertEquals(List.of(1L, 2L, 3L), lobby.nodes());
        assertEquals(new RoomInfo("ops@conference.xo", lobby.group(), 45045, "", 1, List.of(2L)), rooms.get(1));

        // A node's new beacon replaces its rooms; an unchanged one raises no event.
        events.clear();
        directory.accept(node(2, 1, room("lobby", 2, "Old subject"), room("ops", 1, "")), Source.BEACON);
        assertEquals(List.of(), events);
        directory.accept(node(2, 1, room("lobby", 2, "Old subject")), Source.BEACON);
        assertEquals(List.of("rooms"), events);
        assertEquals(1, directory.rooms().size());

        // Node 1 expires first (heard earliest): node 2's subject shows again.
        advance(Duration.ofMillis(34_500));
        directory.sweep();
        assertEquals(Set.of(2L, 3L), Set.copyOf(directory.rooms().get(0).nodes()));
        assertEquals("Old subject", directory.rooms().get(0).subject());
    }

    @Test
    public void restartLosesTheOldRunAndStaleRunsAreIgnored() throws Exception {
        directory.accept(node(1, 100, room("lobby", 2, "")), Source.BEACON);
        events.clear();
        assertTrue(directory.accept(node(1, 101, room("ops", 1, "")), Source.BEACON));
        assertEquals(List.of("lost 1/100", "rooms", "appeared 1/101", "rooms"), events);
        assertFalse("a late beacon of the old run", directory.accept(node(1, 100), Source.BEACON));
        assertEquals(101, directory.node(1).orElseThrow().info().epoch());

        // A new run first heard through its room traffic: it appears without rooms until its beacon.
        events.clear();
        assertEquals(Directory.Heard.RESTARTED, directory.heard(1, 102));
        assertEquals(List.of("lost 1/101", "rooms", "appeared 1/102"), events);
        assertEquals(List.of(), directory.node(1).orElseThrow().info().rooms());
    }

    @Test
    public void goodbyeAndSourcesExpireSeparately() throws Exception {
        directory.accept(node(1, 5, room("lobby", 1, "")), Source.DNS_SD);
        advance(Duration.ofSeconds(20));
        directory.accept(node(1, 5, room("lobby", 1, "")), Source.BEACON);
        advance(Duration.ofSeconds(20));
        directory.sweep();
        assertEquals("the DNS-SD source expired, beacons still know it",
                Set.of(Source.BEACON), directory.node(1).orElseThrow().sources());
        directory.accept(node(1, 5, room("lobby", 1, "")), Source.DNS_SD);
        events.clear();
        directory.withdraw(1, 5, Source.DNS_SD);
        assertEquals("beacons still know it", List.of(), events);
        directory.accept(node(3, 5, room("lobby", 1, "")), Source.DNS_SD);
        events.clear();
        directory.withdraw(3, 5, Source.DNS_SD);
        assertEquals("known through DNS-SD only", List.of("lost 3/5", "rooms"), events);
        // (A beacon source that expires loses the node even while DNS-SD lists it: see
        // beaconSilenceLosesANodeThatDnsSdStillLists.)

        directory.accept(node(2, 5), Source.BEACON);
        events.clear();
        assertFalse(directory.accept(new NodeInfo(2, 5, "n", Duration.ZERO, List.of()), Source.BEACON));
        assertEquals("a goodbye drops the node at once, and says it was one", List.of("goodbye 2/5"), events);
        events.clear();
        assertEquals("traffic of the run that said goodbye is late", Directory.Heard.STALE, directory.heard(2, 5));
        assertFalse("so is its beacon", directory.accept(node(2, 5), Source.BEACON));
        assertEquals(List.of(), events);
        assertEquals("its next run", Directory.Heard.RESTARTED, directory.heard(2, 6));
        assertEquals(List.of("appeared 2/6"), events);
    }

    @Test
    public void aFailingListenerDoesNotStopTheOthers() {
        directory.addListener(new DirectoryListener() {
            @Override
            public void nodeAppeared(NodeInfo node) {
                throw new IllegalStateException("on purpose");
            }
        });
        List<Long> seen = new ArrayList<>();
        directory.addListener(new DirectoryListener() {
            @Override
            public void nodeAppeared(NodeInfo node) {
                seen.add(node.nodeId());
            }
        });
        directory.accept(node(4, 1), Source.BEACON);
        assertEquals(List.of(4L), seen);
    }

    @Test
    public void beaconSilenceLosesANodeThatDnsSdStillLists() throws Exception {
        directory.accept(node(5, 100, room("lobby", 2, "Plans")), Source.BEACON);
        directory.accept(node(5, 100), Source.DNS_SD);
        assertEquals("the DNS-SD summary leaves the beacon's rooms", 1, directory.rooms().size());
        for (int i = 0; i < 4; i++) {
            advance(Duration.ofSeconds(10));
            directory.accept(node(5, 100), Source.DNS_SD); // JmDNS's cache keeps listing it
            directory.sweep();
        }
        assertTrue("lost after 35 s without beacons", directory.nodes().isEmpty());
        directory.accept(node(6, 100), Source.DNS_SD);
        advance(Duration.ofSeconds(30));
        directory.accept(node(6, 100), Source.DNS_SD);
        advance(Duration.ofSeconds(30));
        directory.sweep();
        assertEquals("DNS-SD alone keeps a node it refreshes", 1, directory.nodes().size());
    }

    private NodeInfo goodbye(long id, int epoch) {
        return new NodeInfo(id, epoch, "node-" + id, Duration.ZERO, List.of());
    }

    private List<Directory.Doubt> unauthenticated() {
        List<Directory.Doubt> doubts = new ArrayList<>();
        directory.authenticated(false);
        directory.onDoubt(doubts::add);
        return doubts;
    }

    @Test
    public void unauthenticatedNewRunIsHeldWhileTheCurrentRunTalks() {
        List<Directory.Doubt> doubts = unauthenticated();
        directory.accept(node(1, 100), Source.BEACON);
        events.clear();
        // 10 s beacons, 35 s timeout: the handover time is min(25 s, 17.5 s).
        advance(Duration.ofSeconds(5));
        assertFalse("a newer run's beacon is not believed while the run talks", directory.accept(node(1, 200),
                Source.BEACON));
        assertEquals(Directory.Heard.HELD, directory.heard(1, 300));
        assertEquals(List.of(Directory.Doubt.RUN_HELD, Directory.Doubt.RUN_HELD), doubts);
        assertEquals(List.of(), events);
        assertEquals(100, directory.node(1).orElseThrow().info().epoch());

        advance(Duration.ofSeconds(10));
        assertEquals(Directory.Heard.LIVE, directory.heard(1, 100)); // the real run goes on
        advance(Duration.ofMillis(17_400));
        assertEquals(Directory.Heard.HELD, directory.heard(1, 200));
        advance(Duration.ofMillis(200)); // 17.6 s of silence: a restart after a crash
        assertEquals(Directory.Heard.RESTARTED, directory.heard(1, 200));
        assertEquals(List.of("lost 1/100", "appeared 1/200"), events);
    }

    @Test
    public void authenticatedNewRunReplacesTheOldAtOnce() {
        directory.accept(node(1, 100), Source.BEACON);
        events.clear();
        assertEquals(Directory.Heard.RESTARTED, directory.heard(1, 200));
        assertEquals(List.of("lost 1/100", "appeared 1/200"), events);
    }

    @Test
    public void unauthenticatedGoodbyeIsBelievedOnlyIfTheNodeStaysSilent() {
        List<Directory.Doubt> doubts = unauthenticated();
        directory.accept(node(1, 100), Source.BEACON);
        directory.accept(node(2, 100), Source.BEACON);
        events.clear();

        // A goodbye in node 1's name, and node 1 beacons on: someone else said it.
        advance(Duration.ofSeconds(1));
        directory.accept(goodbye(1, 100), Source.BEACON);
        advance(Duration.ofSeconds(9));
        directory.sweep();
        assertTrue(directory.node(1).isPresent());
        directory.accept(node(1, 100), Source.BEACON);
        advance(Duration.ofSeconds(20));
        directory.heard(1, 100);
        directory.sweep();
        assertEquals(List.of(), events);
        assertEquals(List.of(Directory.Doubt.GOODBYE_DOUBTED, Directory.Doubt.GOODBYE_REFUTED), doubts);

        // Node 2 says goodbye and is silent after it: lost once its handover time (17.5 s) has passed.
        directory.heard(2, 100);
        directory.accept(goodbye(2, 100), Source.BEACON);
        advance(Duration.ofMillis(17_400));
        directory.heard(1, 100);
        directory.sweep();
        assertTrue(directory.node(2).isPresent());
        advance(Duration.ofMillis(200));
        directory.sweep();
        assertTrue(directory.node(2).isEmpty());
        assertEquals("a goodbye after all: its restart grace starts", List.of("goodbye 2/100"), events);

        // A partition, not a goodbye of its own, would also explain the silence: the same run may come back.
        directory.accept(node(2, 100), Source.BEACON);
        assertTrue(directory.node(2).isPresent());
    }

    @Test
    public void forgedBeaconIntervalsCannotShortenTheHandoverOrKeepAGhostForDays() {
        List<Directory.Doubt> doubts = unauthenticated();
        directory.accept(node(1, 100), Source.BEACON);
        // A forged beacon of the same run says 50 ms: the handover stays what the longest interval makes it.
        directory.accept(new NodeInfo(1, 100, "node-1", Duration.ofMillis(50), List.of()), Source.BEACON);
        advance(Duration.ofSeconds(1));
        assertEquals(Directory.Heard.HELD, directory.heard(1, 200));

        // A day-long interval counts as one hour: the node is lost 3.5 h after its last word, not 3.5 days.
        directory.accept(new NodeInfo(2, 100, "node-2", Duration.ofHours(24), List.of()), Source.BEACON);
        advance(Duration.ofMinutes(211));
        directory.sweep();
        assertTrue(directory.node(2).isEmpty());
        assertEquals(List.of(Directory.Doubt.RUN_HELD), doubts);
    }

    @Test
    public void aHeldRunTakesOverAtTheSweepOnceTheOldRunIsSilent() throws Exception {
        List<Directory.Doubt> doubts = unauthenticated();
        directory.accept(node(1, 100), Source.BEACON);
        advance(Duration.ofSeconds(1));
        directory.accept(node(1, 200, room("lobby", 1, "")), Source.BEACON); // a restart after a crash
        events.clear();
        advance(Duration.ofMillis(16_400));
        directory.sweep();
        assertEquals(List.of(), events);
        advance(Duration.ofMillis(200)); // 17.6 s since the old run last spoke
        directory.sweep();
        assertEquals(List.of("lost 1/100", "appeared 1/200", "rooms"), events);
        assertEquals(List.of(room("lobby", 1, "")), directory.node(1).orElseThrow().info().rooms());
        assertEquals(List.of(Directory.Doubt.RUN_HELD), doubts);
    }

    @Test
    public void anUnauthenticatedEpochFarAheadOfTheClockIsNeverBelieved() {
        List<Directory.Doubt> doubts = unauthenticated();
        int farFuture = (int) (System.currentTimeMillis() / 1000 + Directory.MAX_EPOCH_AHEAD_SECONDS + 60);
        assertFalse(directory.accept(node(1, farFuture), Source.BEACON));
        assertEquals(Directory.Heard.HELD, directory.heard(1, farFuture));
        assertTrue(directory.nodes().isEmpty());
        assertEquals(List.of(Directory.Doubt.RUN_HELD, Directory.Doubt.RUN_HELD), doubts);
        directory.authenticated(true);
        assertTrue("a keyed overlay's clocks are the operator's business", directory.accept(node(1, farFuture),
                Source.BEACON));
    }
}
