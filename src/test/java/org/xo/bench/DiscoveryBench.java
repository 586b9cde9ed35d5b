package org.xo.bench;

import static org.xo.bench.Bench.fmt;
import static org.xo.bench.Bench.intOption;
import static org.xo.bench.Bench.progress;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverItems;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jxmpp.jid.DomainBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.xo.it.NetNs;
import org.xo.it.NodeProcess;
import org.xo.it.XmppTestClient;

/**
 * {@code bin/xo-bench discovery} (issue 3): how fast a new room is listed elsewhere, per hop, and what the beacons
 * that carry it cost, with the default discovery settings (beacon every 10 s, plus one at once on a change).
 * <ul>
 *   <li><b>hop1</b>: two nodes on loopback. A client on A creates a fresh room and sets its subject; a client on
 *       B polls B's conference service (disco#items, every {@value #POLL_MS} ms, from before the room is created)
 *       until the room is listed. Time from the moment the create/join returned on A to the disco#items reply
 *       that first lists it.</li>
 *   <li><b>hop2</b>: the same across the A – B – C namespace chain of {@code MultiHopIT} (smcroute in B), nodes on
 *       A and C. Root only; skipped (NA) elsewhere.</li>
 *   <li><b>beacon bytes/s</b>: one node alone, ten rooms with ~40-character subjects, idle for a window that
 *       starts half a beacon interval after a beacon (so it holds a whole number of periodic beacons);
 *       bytes.sent over the window (XO payload), and with 28 bytes of IPv4 + UDP header per datagram.</li>
 * </ul>
 */
final class DiscoveryBench {
    private static final long POLL_MS = 20;
    /** A run whose room is not listed within this is counted as missed. */
    private static final long LIST_TIMEOUT_MS = 30_000;
    /** Default beacon interval (xo.discovery.beacon-interval-ms); the window is placed between two beacons. */
    private static final long BEACON_INTERVAL_MS = 10_000;
    private static final int IP_UDP_HEADER_BYTES = 28;
    private static final int ROOMS = 10;
    private static final List<String> SUBJECTS = List.of(
            "Pump 3 offline until 14:00, use pump 4",
            "Convoy B departs 06:30 from the north gate",
            "Shift handover notes: see board in hangar 2",
            "Water point Echo restocked, 400 litres left",
            "Radio check every hour on the hour, channel 5",
            "Medical tent moved to grid 4471 next to HQ",
            "Generator fuel low: refuel before 22:00 please",
            "Road to Alpha flooded; detour via the old bridge",
            "Supply request deadline Friday 12:00 local time",
            "Night watch roster posted, swap via the duty desk");

    private DiscoveryBench() {
    }

    /** The listing times of one scenario, in ms (NaN for a run whose room was never listed). */
    record Listing(double[] listedMs, double[] withSubjectMs) {
        int missed() {
            return (int) Arrays.stream(listedMs).filter(Double::isNaN).count();
        }

        double median() {
            return Bench.percentile(sortedValid(listedMs), 50);
        }

        double max() {
            double[] s = sortedValid(listedMs);
            return s.length == 0 ? Double.NaN : s[s.length - 1];
        }

        double subjectMedian() {
            return Bench.percentile(sortedValid(withSubjectMs), 50);
        }

        private static double[] sortedValid(double[] values) {
            return Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
        }
    }

    static void run(Map<String, String> options) throws Exception {
        int runs = intOption(options, "runs", 5);
        int windowS = intOption(options, "window", 60);
        if (runs < 1 || windowS < 1) {
            System.err.println("xo-bench: --runs and --window must be at least 1.");
            System.exit(2);
        }

        Listing hop1 = hop1(runs);
        progress("hop1: median %s ms, max %s ms (with subject: median %s ms)%s", fmt(hop1.median()),
                fmt(hop1.max()), fmt(hop1.subjectMedian()), hop1.missed() > 0 ? ", " + hop1.missed() + " missed" : "");

        Listing hop2 = hop2(runs);
        if (hop2 != null) {
            progress("hop2: median %s ms, max %s ms (with subject: median %s ms)%s", fmt(hop2.median()),
                    fmt(hop2.max()), fmt(hop2.subjectMedian()),
                    hop2.missed() > 0 ? ", " + hop2.missed() + " missed" : "");
        }

        BeaconCost cost = beaconCost(windowS);

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("scenario", "discovery");
        result.put("runs", runs);
        result.put("hop1_ms", fmt(hop1.median()));
        result.put("hop1_max_ms", fmt(hop1.max()));
        result.put("hop1_subject_ms", fmt(hop1.subjectMedian()));
        result.put("hop2_ms", hop2 == null ? "NA" : fmt(hop2.median()));
        result.put("hop2_max_ms", hop2 == null ? "NA" : fmt(hop2.max()));
        result.put("per_hop_ms", hop2 == null ? "NA" : fmt(hop2.median() / 2));
        result.put("missed", hop1.missed() + (hop2 == null ? 0 : hop2.missed()));
        result.put("beacon_bytes_per_s", fmt(cost.bytes / cost.seconds));
        result.put("beacon_bytes_per_s_with_headers",
                fmt((cost.bytes + (double) IP_UDP_HEADER_BYTES * cost.datagrams) / cost.seconds));
        result.put("beacon_datagram_bytes", cost.datagrams == 0 ? "NA" : fmt((double) cost.bytes / cost.datagrams));
        result.put("beacons_sent", cost.beacons);
        result.put("datagrams_sent", cost.datagrams);
        result.put("rooms", ROOMS);
        result.put("window_s", fmt(cost.seconds));
        Bench.result(result);
    }

    // ------------------------------------------------------------------------------------------------ listing

    private static Listing hop1(int runs) throws Exception {
        progress("hop1: starting two nodes on loopback, default discovery settings...");
        int port = NodeProcess.freePort();
        try (NodeProcess alpha = NodeProcess.start("alpha.bench", port);
             NodeProcess beta = NodeProcess.start("beta.bench", port);
             XmppTestClient alice = new XmppTestClient(alpha.clientPort(), "alpha.bench", "alice");
             XmppTestClient bob = new XmppTestClient(beta.clientPort(), "beta.bench", "bob")) {
            return measureListing("hop1", runs, alice, bob);
        }
    }

    /** @return null when the namespace chain cannot be built here (not root, no smcrouted) */
    private static Listing hop2(int runs) throws Exception {
        try {
            NetNs.requireSmcrouteOrSkip();
        } catch (AssertionError | RuntimeException e) { // JUnit's assumption failure, or CI=true's hard failure
            progress("hop2 skipped: %s", e.getMessage());
            return null;
        }
        progress("hop2: building the A - B - C namespace chain (smcroute in B), nodes on A and C...");
        try (NetNs net = NetNs.create()) {
            net.namespace("a");
            net.namespace("b");
            net.namespace("c");
            NetNs.Link ab = net.link("a", "b");
            NetNs.Link bc = net.link("b", "c");
            NetNs.Management mgmtA = net.management("a");
            NetNs.Management mgmtC = net.management("c");
            net.multicastRouter("b");
            net.checkIsolation();
            int port = NodeProcess.freePort();
            try (NodeProcess alpha = chainNode(net, "a", "alpha.bench", ab.device("a"), mgmtA, port);
                 NodeProcess gamma = chainNode(net, "c", "gamma.bench", bc.device("c"), mgmtC, port);
                 XmppTestClient alice = XmppTestClient.registered(alpha, "alice");
                 XmppTestClient carol = XmppTestClient.registered(gamma, "carol")) {
                return measureListing("hop2", runs, alice, carol);
            }
        }
    }

    /** As MultiHopIT starts its nodes: in the namespace, multicast on the chain veth, TTL 8, clients on mgmt. */
    private static NodeProcess chainNode(NetNs net, String ns, String domain, String chainDevice,
                                         NetNs.Management mgmt, int multicastPort) throws IOException {
        NodeProcess node = NodeProcess.builder().netns(net.name(ns)).domain(domain)
                .multicastInterface(chainDevice).multicastPort(multicastPort).bind(mgmt.nsAddress())
                .args("--set", "xo.multicast.ttl=8").start();
        if (!node.command().endsWith("/java")) {
            node.close();
            throw new IllegalStateException("node pid " + node.pid() + " is " + node.command() + ", not java");
        }
        return node;
    }

    private static Listing measureListing(String label, int runs, XmppTestClient creator, XmppTestClient browser)
            throws Exception {
        double[] listed = new double[runs];
        double[] withSubject = new double[runs];
        DomainBareJid service = JidCreate.domainBareFrom("conference." + browser.domain);
        ServiceDiscoveryManager disco = ServiceDiscoveryManager.getInstanceFor(browser.connection);
        disco.discoverItems(service); // warm up the browser's path before the first timed run
        for (int i = 0; i < runs; i++) {
            String room = label + "-" + Long.toString(System.currentTimeMillis(), 36) + "-" + i;
            String subject = SUBJECTS.get(i % SUBJECTS.size());
            Poller poller = new Poller(disco, service, room + "@conference." + browser.domain, subject);
            poller.start();
            MultiUserChat muc = creator.join(room, "creator");
            long created = System.nanoTime();
            muc.changeSubject(subject);
            poller.join(LIST_TIMEOUT_MS + 1_000);
            poller.interrupt();
            poller.join();
            if (poller.error != null) {
                throw poller.error;
            }
            listed[i] = poller.listedNanos == 0 ? Double.NaN : (poller.listedNanos - created) / 1e6;
            withSubject[i] = poller.subjectNanos == 0 ? Double.NaN : (poller.subjectNanos - created) / 1e6;
            progress("%s run %d/%d: %s listed after %s ms, with its subject after %s ms", label, i + 1, runs, room,
                    Double.isNaN(listed[i]) ? "NOT (timeout " + LIST_TIMEOUT_MS + " ms)" : fmt(listed[i]),
                    fmt(withSubject[i]));
            // Past the 250 ms minimum gap between triggered beacons, so each run starts from an idle node.
            Thread.sleep(1_000);
        }
        return new Listing(listed, withSubject);
    }

    /** Polls disco#items on the browser's conference service until the room is listed with its subject. */
    private static final class Poller extends Thread {
        private final ServiceDiscoveryManager disco;
        private final DomainBareJid service;
        private final String roomJid;
        private final String subject;
        volatile long listedNanos;
        volatile long subjectNanos;
        volatile Exception error;

        Poller(ServiceDiscoveryManager disco, DomainBareJid service, String roomJid, String subject) {
            super("xo-bench-disco-poller");
            setDaemon(true);
            this.disco = disco;
            this.service = service;
            this.roomJid = roomJid;
            this.subject = subject;
        }

        @Override
        public void run() {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LIST_TIMEOUT_MS);
            try {
                while (subjectNanos == 0 && System.nanoTime() < deadline && !isInterrupted()) {
                    DiscoverItems items = disco.discoverItems(service);
                    long now = System.nanoTime();
                    for (DiscoverItems.Item item : items.getItems()) {
                        if (roomJid.equals(item.getEntityID().toString())) {
                            if (listedNanos == 0) {
                                listedNanos = now;
                            }
                            if (subjectNanos == 0 && item.getName() != null && item.getName().contains(subject)) {
                                subjectNanos = now;
                            }
                        }
                    }
                    Thread.sleep(POLL_MS);
                }
            } catch (InterruptedException e) {
                // stopped
            } catch (Exception e) {
                error = e;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ beacon cost

    record BeaconCost(long bytes, long datagrams, long beacons, double seconds) {
    }

    private static BeaconCost beaconCost(int windowS) throws Exception {
        progress("beacons: one node alone with %d rooms, subjects of ~40 characters...", ROOMS);
        try (NodeProcess solo = NodeProcess.start("solo.bench", NodeProcess.freePort());
             XmppTestClient dora = new XmppTestClient(solo.clientPort(), "solo.bench", "dora")) {
            for (int i = 0; i < ROOMS; i++) {
                dora.join("room" + i, "dora").changeSubject(SUBJECTS.get(i));
            }
            // Let the triggered beacons settle, then place the window half an interval after a periodic beacon:
            // it then holds window / interval periodic beacons exactly, whatever the phase of the node's timer.
            Thread.sleep(1_000);
            long before = dora.xoStats().getOrDefault("beacons.sent", 0L);
            long waitUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BEACON_INTERVAL_MS + 5_000);
            while (dora.xoStats().getOrDefault("beacons.sent", 0L) == before && System.nanoTime() < waitUntil) {
                Thread.sleep(50);
            }
            Thread.sleep(BEACON_INTERVAL_MS / 2);

            Map<String, Long> start = dora.xoStats();
            long t0 = System.nanoTime();
            progress("beacons: idle window of %d s starts (%s bytes, %s datagrams, %s beacons sent so far)",
                    windowS, start.get("bytes.sent"), start.get("datagrams.sent"), start.get("beacons.sent"));
            long end = t0 + TimeUnit.SECONDS.toNanos(windowS);
            for (long now; (now = System.nanoTime()) < end; ) {
                Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(end - now) + 1, 10_000));
                long elapsedS = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
                if (System.nanoTime() < end) {
                    Map<String, Long> s = dora.xoStats();
                    progress("beacons: %d/%d s, %d bytes in %d datagrams so far", elapsedS, windowS,
                            s.get("bytes.sent") - start.get("bytes.sent"),
                            s.get("datagrams.sent") - start.get("datagrams.sent"));
                }
            }
            Map<String, Long> stop = dora.xoStats();
            double seconds = (System.nanoTime() - t0) / 1e9;
            long bytes = stop.get("bytes.sent") - start.get("bytes.sent");
            long datagrams = stop.get("datagrams.sent") - start.get("datagrams.sent");
            long beacons = stop.get("beacons.sent") - start.get("beacons.sent");
            progress("beacons: %d bytes in %d datagrams, %d beacons over %s s", bytes, datagrams, beacons,
                    fmt(seconds));
            if (datagrams != beacons) {
                progress("beacons: %d datagrams but %d beacons while idle: %s", datagrams, beacons,
                        datagrams > beacons
                                ? "the node sent something besides beacons (bytes/s then includes it)"
                                : "the pacer put several beacons into one datagram");
            }
            return new BeaconCost(bytes, datagrams, beacons, seconds);
        }
    }
}
