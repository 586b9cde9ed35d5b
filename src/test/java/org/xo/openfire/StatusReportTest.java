package org.xo.openfire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Test;
import org.xmpp.packet.JID;
import org.xo.discovery.AdvertisedRoom;
import org.xo.discovery.Directory;
import org.xo.discovery.NodeInfo;
import org.xo.discovery.Source;
import org.xo.engine.EngineStats;

/** The Status page's snapshot: rooms merged from the engine, the local seats and the injector's roster; its JSON. */
public class StatusReportTest {
    private static final long BETA = 0xbe7a_0000_0000_0001L;
    private static final long GAMMA = 0x6a33_0000_0000_0002L;
    private final Messages messages = Messages.of(Locale.ENGLISH);
    private final AtomicLong nanos = new AtomicLong();
    private final Directory directory = new Directory(Duration.ofSeconds(35), nanos::get);

    private static String address(String name) {
        return name + "@conference.xo";
    }

    private static String localName(String address) {
        return address.endsWith("@conference.xo") ? address.substring(0, address.indexOf('@')) : null;
    }

    private StatusReport report(StatusReport.State state, String failure, Map<String, Long> counters) throws Exception {
        return report(new StatusReport.Node("a1fa", "alpha", "alpha.local", "5.1.1", "udp", "udp", List.of()), state, failure,
                counters);
    }

    private StatusReport report(StatusReport.Node self, StatusReport.State state, String failure,
                                Map<String, Long> counters) throws Exception {
        Inet4Address group = (Inet4Address) InetAddress.getByName("239.192.3.4");
        directory.accept(new NodeInfo(BETA, 1, "beta", Duration.ofSeconds(10),
                List.of(new AdvertisedRoom(address("ops"), group, 45045, 1, ""))), Source.BEACON);
        directory.accept(new NodeInfo(GAMMA, 1, "gamma", Duration.ofSeconds(10), List.of()), Source.DNS_SD);
        nanos.addAndGet(Duration.ofSeconds(3).toNanos());
        directory.accept(new NodeInfo(BETA, 1, "beta", Duration.ofSeconds(10),
                List.of(new AdvertisedRoom(address("ops"), group, 45045, 1, ""))), Source.DNS_SD);
        return StatusReport.of(1_700_000_000_000L, self, state, failure,
                List.of(new StatusReport.OpenRoom(address("ops"), "239.192.3.4", 45045),
                        new StatusReport.OpenRoom(address("full"), "239.192.9.9", 45045),
                        new StatusReport.OpenRoom("elsewhere@other.service", "239.192.1.1", 45045)),
                List.of(new LocalOccupancy.Seat(new JID("carol@alpha.local/x"), "ops", "carol", "<presence/>"),
                        new LocalOccupancy.Seat(new JID("alice@alpha.local/x"), "ops", "alice", "<presence/>"),
                        new LocalOccupancy.Seat(new JID("dave@alpha.local/x"), "full", "dave", "<presence/>")),
                List.of(new RemoteOccupant("ops", "bob", "bob", BETA, true, false),
                        new RemoteOccupant("ops", "eve#6a33", "eve", GAMMA, false, false),
                        new RemoteOccupant("quiet", "zed", "zed", 0x77L, true, true)),
                Map.of(address("full"), "Too many open files"),
                directory.nodes(), counters, StatusReportTest::localName, StatusReportTest::address);
    }

    @Test
    public void roomsShowTheirGroupLocalOccupantsAndRemoteOnesWithTheirNode() throws Exception {
        String json = report(StatusReport.State.RUNNING, null, Map.of()).toJson(messages);

        assertContains(json, "\"rooms\":[{\"name\":\"full\",\"address\":\"full@conference.xo\","
                + "\"group\":\"239.192.9.9:45045\",\"uncarried\":\"Too many open files\",\"local\":[\"dave\"],\"remote\":[]}");
        assertContains(json, "{\"name\":\"ops\",\"address\":\"ops@conference.xo\",\"group\":\"239.192.3.4:45045\","
                + "\"uncarried\":null,\"local\":[\"alice\",\"carol\"],\"remote\":["
                + "{\"nick\":\"bob\",\"node\":\"be7a000000000001\",\"nodeName\":\"beta\",\"joined\":true,"
                + "\"awaitingRestart\":false},"
                + "{\"nick\":\"eve#6a33\",\"node\":\"6a33000000000002\",\"nodeName\":\"gamma\",\"joined\":false,"
                + "\"awaitingRestart\":false}]}");
        // A room with remote participants only (the engine closed it meanwhile), of a node no longer heard: it said
        // goodbye, and zed waits for its restart.
        assertContains(json, "{\"name\":\"quiet\",\"address\":\"quiet@conference.xo\",\"group\":\"\",\"uncarried\":null,"
                + "\"local\":[],\"remote\":[{\"nick\":\"zed\",\"node\":\"77\",\"nodeName\":\"77\",\"joined\":true,"
                + "\"awaitingRestart\":true}]}]");
        assertTrue("a room of another overlay service is not this node's", !json.contains("elsewhere"));
    }

    @Test
    public void theBridgeSaysWhetherItIsUpSinceWhenHowMuchCrossedAndItsLastError() throws Exception {
        assertContains(report(StatusReport.State.RUNNING, null, Map.of()).toJson(messages), "\"bridge\":null");
        long now = 1_700_000_000_000L;
        String down = report(StatusReport.State.RUNNING, null, Map.of("gateway.to-far.messages", 12L,
                "gateway.to-xo.messages", 7L)).withBridge(new StatusReport.Bridge("ops", "ops@muc.enterprise.test",
                false, now - 42_000, "no answer to a ping within 15 s", now - 5_000, "")).toJson(messages);
        assertContains(down, "\"bridge\":{\"room\":\"ops\",\"farRoom\":\"ops@muc.enterprise.test\",\"up\":false,"
                + "\"standbyFor\":\"\",\"state\":\"down: retrying with back-off\",\"sinceMs\":" + (now - 42_000) + ",\"since\":\"42 s ago\","
                + "\"toFar\":12,\"toXo\":7,\"lastError\":\"no answer to a ping within 15 s\",\"lastErrorAgo\":\"5 s ago\"}");
        String up = report(StatusReport.State.RUNNING, null, Map.of()).withBridge(new StatusReport.Bridge("ops",
                "ops@muc.enterprise.test", true, now, "", 0, "")).toJson(messages);
        assertContains(up, "\"up\":true,\"standbyFor\":\"\",\"state\":\"up: in the far room\"");
        assertContains(up, "\"lastError\":\"\",\"lastErrorAgo\":\"\"}");
        String standby = report(StatusReport.State.RUNNING, null, Map.of()).withBridge(new StatusReport.Bridge("ops",
                "ops@muc.enterprise.test", false, now, "", 0, "5eed")).toJson(messages);
        assertContains(standby, "\"up\":false,\"standbyFor\":\"5eed\",\"state\":\"standby: node 5eed bridges the"
                + " room; this one takes over if it is gone\"");
    }

    @Test
    public void nodesSayWhenTheyWereLastHeardAndHowTheyWereFound() throws Exception {
        String json = report(StatusReport.State.RUNNING, null, Map.of()).toJson(messages);

        assertContains(json, "\"nodes\":[{\"id\":\"be7a000000000001\",\"name\":\"beta\",\"lastHeardMs\":0,"
                + "\"lastHeard\":\"0 s ago\",\"rooms\":1,\"sources\":[\"beacon\",\"dns-sd\"],\"foundBy\":\"beacon, DNS-SD\"},"
                + "{\"id\":\"6a33000000000002\",\"name\":\"gamma\",\"lastHeardMs\":3000,\"lastHeard\":\"3 s ago\","
                + "\"rooms\":0,\"sources\":[\"dns-sd\"],\"foundBy\":\"DNS-SD\"}]");
    }

    @Test
    public void theOverlayStateIsSaidInPlainWords() throws Exception {
        assertContains(report(StatusReport.State.RUNNING, null, Map.of()).toJson(messages),
                "\"overlay\":{\"state\":\"running\",\"text\":\"running\"}");
        assertContains(report(StatusReport.State.OFF, null, Map.of()).toJson(messages),
                "\"overlay\":{\"state\":\"off\",\"text\":\"off (xo.enabled=false)\"}");
        assertContains(report(StatusReport.State.FAILED, "No network interface named or addressed 'eth9'.", Map.of())
                        .toJson(messages),
                "\"overlay\":{\"state\":\"failed\",\"text\":\"failed to start: No network interface named or"
                        + " addressed 'eth9'.\"}");
        assertContains(StatusReport.unloaded(0).toJson(messages),
                "\"overlay\":{\"state\":\"unloaded\",\"text\":\"the XO plugin is not loaded\"}");
    }

    @Test
    public void theTransportSaysWhenNormWasChosenButUdpCarriesTheRooms() throws Exception {
        assertContains(report(StatusReport.State.RUNNING, null, Map.of()).toJson(messages),
                "\"transport\":\"UDP multicast\"");
        assertContains(report(new StatusReport.Node("a1fa", "alpha", "alpha.local", "5.1.1", "norm", "norm", List.of()),
                StatusReport.State.RUNNING, null, Map.of()).toJson(messages),
                "\"transport\":\"NORM (reliable multicast, RFC 5740)\"");
        assertContains(report(new StatusReport.Node("a1fa", "alpha", "alpha.local", "5.1.1", "udp", "norm", List.of()),
                StatusReport.State.RUNNING, null, Map.of()).toJson(messages),
                "\"transport\":\"norm was chosen but could not be loaded (see openfire.log): udp is used\"");
        assertContains(report(new StatusReport.Node("a1fa", "alpha", "alpha.local", "5.1.1", "", "norm", List.of()),
                StatusReport.State.OFF, null, Map.of()).toJson(messages), "\"transport\":\"-\"");
    }

    @Test
    public void securitySaysWhetherTheOverlayIsOpenToAnyoneOrWhichKeysSealIt() throws Exception {
        assertContains(report(StatusReport.State.RUNNING, null, Map.of()).toJson(messages),
                "\"security\":\"open: anyone on the network can read the overlay and speak in it");
        assertContains(report(new StatusReport.Node("a1fa", "alpha", "alpha.local", "5.1.1", "udp", "udp",
                List.of("3f2a")), StatusReport.State.RUNNING, null, Map.of()).toJson(messages),
                "\"security\":\"overlay key 3f2a: datagrams are authenticated and encrypted");
        assertContains(report(new StatusReport.Node("a1fa", "alpha", "alpha.local", "5.1.1", "udp", "udp",
                List.of("3f2a", "91bc")), StatusReport.State.RUNNING, null, Map.of()).toJson(messages),
                "\"security\":\"overlay key 3f2a, also accepting 91bc:");
        assertContains(report(new StatusReport.Node("a1fa", "alpha", "alpha.local", "5.1.1", "", "udp", List.of()),
                StatusReport.State.OFF, null, Map.of()).toJson(messages), "\"security\":\"-\"");
    }

    @Test
    public void countersComeInGroupsAnOperatorReadsTopDown() throws Exception {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("node.id", 42L);
        for (EngineStats.Counter c : EngineStats.Counter.values()) {
            counters.put(c.key(), 0L);
        }
        counters.put("datagrams.received", 7L);
        counters.put("datagrams.sent", 5L);
        counters.put("bytes.received", 700L);
        counters.put("bytes.sent", 500L);
        counters.putAll(new BridgeStats().snapshot());
        counters.put("log.events", 3L);

        StatusReport report = report(StatusReport.State.RUNNING, null, counters);
        List<StatusReport.CounterGroup> groups = StatusReport.group(counters);
        String json = report.toJson(messages);

        assertEquals(List.of("traffic", "filtered", "dropped", "guard", "sync", "discovery", "mirrored", "injected",
                "rooms", "settings", "gateway", "log", "other"), groups.stream().map(StatusReport.CounterGroup::id).toList());
        assertEquals(List.of("node.id"), List.copyOf(groups.get(groups.size() - 1).counters().keySet()));
        assertTrue(groups.get(2).counters().keySet().containsAll(List.of("dropped.foreign", "dropped.truncated",
                "publish.uncarried", "send.errors")));
        assertContains(json, "\"traffic\":{\"datagramsIn\":7,\"datagramsOut\":5,\"bytesIn\":700,\"bytesOut\":500}");
        assertContains(json, "{\"group\":\"traffic\",\"title\":\"Traffic\",\"values\":{\"datagrams.sent\":5,"
                + "\"datagrams.received\":7,\"datagrams.split\":0,\"bytes.sent\":500,\"bytes.received\":700,");
        assertContains(json, "{\"group\":\"filtered\",\"title\":\"Filtered and duplicates\",\"values\":{"
                + "\"envelopes.duplicate\":0,");
        assertTrue("the header shows the node id; it is no counter on the page", !json.contains("\"node.id\""));
    }

    @Test
    public void textFromTheNetworkCannotBreakOutOfTheJson() throws Exception {
        directory.accept(new NodeInfo(0x99L, 1, "</script><b>\"x\"\n", Duration.ofSeconds(10), List.of()),
                Source.BEACON);
        String json = report(StatusReport.State.RUNNING, null, Map.of()).toJson(messages);

        assertContains(json, "\"name\":\"\\u003c/script\\u003e\\u003cb\\u003e\\\"x\\\"\\n\"");
    }

    private static void assertContains(String json, String expected) {
        assertTrue("expected\n  " + expected + "\nin\n  " + json, json.contains(expected));
    }
}
