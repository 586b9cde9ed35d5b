package org.xo.discovery;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import javax.jmdns.JmDNS;
import javax.jmdns.ServiceInfo;

import org.junit.After;
import org.junit.Test;
import org.xo.transport.Interfaces;

/**
 * Real JmDNS on the loopback interface (127.0.0.1), two advertisers and one foreign service in one JVM: about 10 s,
 * most of it JmDNS's own start (about 3.5 s until the first resolve) and close (about 2 s each, in parallel here).
 */
public class DnsSdAdvertiserTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String OVERLAY = "conference.xo";

    /** Not InetAddress.getLoopbackAddress(): that is ::1 in a JVM that prefers IPv6 addresses, as tests run. */
    private final Inet4Address lo = Interfaces.ipv4Address(Interfaces.resolve("lo")).orElseThrow();
    private DnsSdAdvertiser a;
    private DnsSdAdvertiser b;
    private JmDNS bogus;

    private static final class Node {
        final Directory directory = new Directory(Duration.ofSeconds(35), System::nanoTime);
        final Map<DnsSdAdvertiser.Event, AtomicInteger> events = new EnumMap<>(DnsSdAdvertiser.Event.class);

        Node() {
            for (DnsSdAdvertiser.Event e : DnsSdAdvertiser.Event.values()) {
                events.put(e, new AtomicInteger());
            }
        }

        int count(DnsSdAdvertiser.Event e) {
            return events.get(e).get();
        }
    }

    private DnsSdAdvertiser advertiser(Node node, long id, String name) {
        return new DnsSdAdvertiser(new DnsSdAdvertiser.Settings(lo, id, 1_700_000_000, name, OVERLAY, 45045,
                Duration.ofSeconds(10), Duration.ofMillis(500), Duration.ofMillis(200)), node.directory,
                e -> node.events.get(e).incrementAndGet());
    }

    private static AdvertisedRoom room(String name, int occupants) throws Exception {
        return new AdvertisedRoom(name + "@" + OVERLAY, (Inet4Address) InetAddress.getByName("239.192.7.7"), 45045,
                occupants, "subject never on DNS-SD");
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Not within " + WAIT.toSeconds() + " s: " + what);
            }
            Thread.sleep(50);
        }
    }

    @After
    public void tearDown() throws Exception {
        CompletableFuture<Void> raw = CompletableFuture.runAsync(() -> {
            try {
                if (bogus != null) {
                    bogus.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        });
        for (DnsSdAdvertiser d : new DnsSdAdvertiser[] {a, b}) {
            if (d != null) {
                d.close();
            }
        }
        for (DnsSdAdvertiser d : new DnsSdAdvertiser[] {a, b}) {
            if (d != null) {
                assertTrue("closed in time", d.awaitClosed(Duration.ofSeconds(5)));
            }
        }
        raw.get();
    }

    @Test
    public void peersOnLoopbackFindEachOtherFollowUpdatesAndWithdrawOnClose() throws Exception {
        Node na = new Node();
        Node nb = new Node();
        long t0 = System.nanoTime();
        a = advertiser(na, 0xaaaa0000aaaa0001L, "alpha");
        b = advertiser(nb, 0xbbbb0000bbbb0002L, "bravo");
        a.start(List.of(room("lobby", 3)));
        b.start(List.of());
        // A foreign service of the same type with a broken TXT record: counted, never in the directory.
        CompletableFuture<Void> bad = CompletableFuture.runAsync(() -> {
            try {
                bogus = JmDNS.create(lo, "xo-bogus");
                bogus.registerService(ServiceInfo.create(DnsSdRecord.SERVICE_TYPE, "bogus [00000000]", 45045, 0, 0,
                        Map.of("txtvers", "1", "id", "not-hex", "epoch", "5", "bi", "10000", "svc", OVERLAY)));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue("start returns at once", System.nanoTime() - t0 < 1_000_000_000L);

        await("bravo resolves alpha with its rooms", () -> nb.directory.node(0xaaaa0000aaaa0001L)
                .filter(k -> k.sources().equals(Set.of(Source.DNS_SD)) && k.info().rooms().size() == 1).isPresent());
        await("alpha resolves bravo", () -> na.directory.node(0xbbbb0000bbbb0002L).isPresent());
        System.out.printf("DNS-SD discovery on lo: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        KnownNode alpha = nb.directory.node(0xaaaa0000aaaa0001L).orElseThrow();
        assertEquals("alpha", alpha.info().name());
        assertEquals(1_700_000_000, alpha.info().epoch());
        assertEquals(Duration.ofSeconds(10), alpha.info().beaconInterval());
        assertEquals(List.of(new AdvertisedRoom("lobby@" + OVERLAY, room("x", 0).group(), 45045, 3, "")),
                alpha.info().rooms());
        bad.get();
        await("the malformed record is counted", () -> nb.count(DnsSdAdvertiser.Event.MALFORMED) > 0);
        assertEquals("own service ignored, bogus never accepted", 1, nb.directory.nodes().size());
        assertEquals(1, na.directory.nodes().size());

        a.update(List.of(room("lobby", 3), room("ops", 1)));
        await("bravo sees alpha's new room", () -> nb.directory.node(0xaaaa0000aaaa0001L)
                .map(k -> k.info().rooms().size() == 2).orElse(false));
        assertEquals(1, na.count(DnsSdAdvertiser.Event.UPDATED));

        // Refreshed while registered: the DNS-SD source of a peer never goes stale.
        Thread.sleep(700);
        assertTrue(nb.directory.node(0xaaaa0000aaaa0001L).orElseThrow().sinceHeard().toMillis() < 700);

        a.close();
        await("alpha's goodbye withdraws it", () -> nb.directory.node(0xaaaa0000aaaa0001L).isEmpty());
        assertTrue(a.awaitClosed(Duration.ofSeconds(5)));
        // Counted just after the directory changed, on bravo's worker thread.
        await("the removal is counted", () -> nb.count(DnsSdAdvertiser.Event.PEER_REMOVED) == 1);
        assertEquals(Optional.empty(), nb.directory.node(0xaaaa0000aaaa0001L));
    }

    @Test
    public void aDnsSdSummaryNeverReplacesTheBeaconsFullAnnouncement() throws Exception {
        Directory d = new Directory(Duration.ofSeconds(35), System::nanoTime);
        NodeInfo fromBeacon = new NodeInfo(7, 1, "n", Duration.ofSeconds(10), List.of(room("lobby", 2)));
        d.accept(fromBeacon, Source.BEACON);
        d.accept(new NodeInfo(7, 1, "n", Duration.ofSeconds(10), List.of()), Source.DNS_SD);
        KnownNode k = d.node(7).orElseThrow();
        assertEquals(fromBeacon, k.info());
        assertEquals(Set.of(Source.BEACON, Source.DNS_SD), k.sources());
        d.withdraw(7, 1, Source.DNS_SD);
        assertTrue("still known through beacons", d.node(7).isPresent());
        d.accept(new NodeInfo(7, 1, "n", Duration.ofSeconds(10), List.of()), Source.DNS_SD);
        d.withdraw(7, 1, Source.BEACON);
        assertTrue("a goodbye beacon outvotes DNS-SD", d.node(7).isEmpty());
        // DNS-SD alone: its summary is the announcement.
        d.accept(new NodeInfo(8, 1, "m", Duration.ofSeconds(10), List.of(room("ops", 1))), Source.DNS_SD);
        assertEquals(1, d.node(8).orElseThrow().info().rooms().size());
    }
}
