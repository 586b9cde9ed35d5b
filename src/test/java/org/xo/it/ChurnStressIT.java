package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * Hunts deadlocks and lost or doubled messages: three nodes, two talkers on each sending a burst into one room at
 * the same moment, while on every node another user keeps joining, changing nick, changing status and leaving.
 * Openfire 4.7+ broadcasts under the room's lock, so a lock of XO's taken on that path and also held while
 * calling into Openfire deadlocks the room within seconds of such a burst.
 * <p>
 * Afterwards every talker has every message exactly once, every node's threads are free of deadlocks (HotSpot's
 * detector, through {@code jcmd}), the rooms still carry a message, no churning user is left behind as a ghost,
 * and every node stops cleanly.
 */
@RunWith(Parameterized.class)
public class ChurnStressIT {
    @Parameters(name = "openfire={0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    @Parameter
    public Openfire openfire;

    private static final String ROOM = "stress";
    private static final String[] DOMAINS = {"alpha.test", "beta.test", "gamma.test"};
    private static final int TALKERS_PER_NODE = 2;
    private static final int BURST = 80;
    private static final long DELIVERY_WAIT_MS = 90_000;
    /** A talker that got nothing for this long gets nothing more: a stuck room. */
    private static final long STALL_MS = 15_000;

    private final List<NodeProcess> nodes = new ArrayList<>();
    private final List<XmppTestClient> talkers = new ArrayList<>();
    private final List<XmppTestClient> churners = new ArrayList<>();
    private ExecutorService pool;

    @Before
    public void startNodesAndTalkers() throws Exception {
        int multicastPort = NodeProcess.freePort();
        nodes.addAll(NodeProcess.startAll(Arrays.stream(DOMAINS)
                .map(domain -> NodeProcess.builder().openfire(openfire).domain(domain).multicastPort(multicastPort))
                .toArray(NodeProcess.Builder[]::new)));
        for (NodeProcess node : nodes) {
            for (int t = 0; t < TALKERS_PER_NODE; t++) {
                XmppTestClient talker = new XmppTestClient(node.clientPort(), node.domain(), talkerNick(node, t));
                talkers.add(talker);
                talker.join(ROOM, talkerNick(node, t));
            }
            churners.add(new XmppTestClient(node.clientPort(), node.domain(), "churn-" + node.domain().charAt(0)));
        }
        List<String> everyTalker = talkers.stream().map(ChurnStressIT::nickOf).sorted().toList();
        for (XmppTestClient talker : talkers) {
            XmppTestClient.eventually(nickOf(talker) + " sees every talker",
                    () -> talker.occupantNicks(ROOM).containsAll(everyTalker));
        }
        pool = Executors.newCachedThreadPool();
    }

    @After
    public void stopEverything() {
        if (pool != null) {
            pool.shutdownNow();
        }
        List<AutoCloseable> all = new ArrayList<>(talkers);
        all.addAll(churners);
        all.addAll(nodes);
        NodeProcess.closeAll(all.toArray(AutoCloseable[]::new));
    }

    @Test
    public void burstsWithChurnLoseNothingDoubleNothingAndDeadlockNothing() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        AtomicBoolean talking = new AtomicBoolean(true);
        List<Future<?>> work = new ArrayList<>();
        AtomicInteger churnCycles = new AtomicInteger();
        for (XmppTestClient churner : churners) {
            work.add(pool.submit(() -> churn(churner, go, talking, churnCycles)));
        }
        List<Future<?>> bursts = new ArrayList<>();
        for (XmppTestClient talker : talkers) {
            bursts.add(pool.submit(() -> {
                go.await();
                for (int i = 0; i < BURST; i++) {
                    talker.say(ROOM, body(talker, i));
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> burst : bursts) {
            burst.get(DELIVERY_WAIT_MS, TimeUnit.MILLISECONDS);
        }
        talking.set(false);
        for (Future<?> churn : work) {
            churn.get(DELIVERY_WAIT_MS, TimeUnit.MILLISECONDS);
        }

        int expected = talkers.size() * BURST;
        Map<XmppTestClient, Map<String, Integer>> seenBy = new HashMap<>();
        for (XmppTestClient talker : talkers) {
            seenBy.put(talker, awaitBodies(talker, expected));
        }
        // Anything doubled arrives right behind: give it a moment to show up, at every talker at once.
        Thread.sleep(1_000);
        for (XmppTestClient talker : talkers) {
            drainBodies(talker, seenBy.get(talker));
        }
        // Deadlocks first: a deadlocked room also loses messages, and the dump says why.
        for (NodeProcess node : nodes) {
            String dump = ThreadDumps.of(node.serverPid());
            assertFalse("deadlock on " + node.domain() + " (Openfire " + openfire + "):\n" + dump,
                    ThreadDumps.hasDeadlock(dump));
        }
        for (XmppTestClient talker : talkers) {
            Map<String, Integer> seen = seenBy.get(talker);
            Map<String, Integer> doubled = new TreeMap<>();
            seen.forEach((body, n) -> {
                if (n > 1) {
                    doubled.put(body, n);
                }
            });
            assertEquals(nickOf(talker) + " received every burst message (missing: " + missing(seen) + ")",
                    expected, seen.size());
            assertTrue(nickOf(talker) + " received messages twice: " + doubled, doubled.isEmpty());
        }
        assertTrue("the churners really churned during the bursts: " + churnCycles, churnCycles.get() >= churners.size());

        // Still alive afterwards: one more message from every node reaches every talker.
        for (NodeProcess node : nodes) {
            XmppTestClient first = talkers.get(nodes.indexOf(node) * TALKERS_PER_NODE);
            first.say(ROOM, "after the storm from " + node.domain());
        }
        List<String> afterTheStorm = new ArrayList<>();
        for (String domain : DOMAINS) {
            afterTheStorm.add("after the storm from " + domain);
        }
        for (XmppTestClient talker : talkers) {
            talker.awaitBodies(afterTheStorm, "the messages after the storm");
        }
        List<String> everyTalker = talkers.stream().map(ChurnStressIT::nickOf).sorted().toList();
        for (XmppTestClient talker : talkers) {
            XmppTestClient.eventually(nickOf(talker) + " sees only the talkers (no churning ghost)",
                    () -> talker.occupantNicks(ROOM).equals(everyTalker));
        }

        // All at once: each clean stop is seconds of waiting for Openfire's shutdown.
        List<Integer> statuses = NodeProcess.stopAll(nodes);
        for (NodeProcess node : nodes) {
            assertEquals(node.domain() + " stops cleanly on SIGTERM", 0, (int) statuses.get(nodes.indexOf(node)));
            assertTrue(node.stdout().contains(NodeProcess.STOPPED_LINE));
        }
    }

    /** Enters, renames, changes status and leaves, over and over, until the talkers are done. */
    private static Void churn(XmppTestClient churner, CountDownLatch go, AtomicBoolean talking,
                              AtomicInteger cycles) throws Exception {
        go.await();
        String base = churner.connection.getUser().getLocalpart().toString();
        for (int round = 0; talking.get(); round++) {
            String nick = base + "-" + round;
            churner.joinWithoutConfiguring(ROOM, nick);
            churner.changeNick(ROOM, nick + "-renamed");
            Presence away = churner.connection.getStanzaFactory().buildPresenceStanza()
                    .to(churner.occupantJid(ROOM, nick + "-renamed")).setMode(Presence.Mode.away)
                    .setStatus("round " + round).build();
            churner.connection.sendStanza(away);
            Presence leave = churner.connection.getStanzaFactory().buildPresenceStanza()
                    .to(churner.occupantJid(ROOM, nick + "-renamed")).ofType(Presence.Type.unavailable).build();
            churner.connection.sendStanza(leave);
            cycles.incrementAndGet();
            Thread.sleep(20);
        }
        return null;
    }

    /** Waits until the talker has the expected number of distinct burst bodies (or the wait is over). */
    private static Map<String, Integer> awaitBodies(XmppTestClient talker, int expected) throws InterruptedException {
        long deadline = System.currentTimeMillis() + DELIVERY_WAIT_MS;
        long lastArrival = System.currentTimeMillis();
        Map<String, Integer> seen = new HashMap<>();
        while (seen.size() < expected && System.currentTimeMillis() < deadline
                && System.currentTimeMillis() - lastArrival < STALL_MS) {
            Message m = talker.messages.poll(250, TimeUnit.MILLISECONDS);
            if (m != null && m.getBody() != null && m.getBody().startsWith("burst ")) {
                seen.merge(m.getBody(), 1, Integer::sum);
                lastArrival = System.currentTimeMillis();
            }
        }
        return seen;
    }

    /** Counts the burst bodies the talker got since {@link #awaitBodies}. */
    private static void drainBodies(XmppTestClient talker, Map<String, Integer> seen) {
        for (Message m; (m = talker.messages.poll()) != null; ) {
            if (m.getBody() != null && m.getBody().startsWith("burst ")) {
                seen.merge(m.getBody(), 1, Integer::sum);
            }
        }
    }

    private String missing(Map<String, Integer> seen) {
        List<String> missing = new ArrayList<>();
        for (XmppTestClient talker : talkers) {
            for (int i = 0; i < BURST; i++) {
                if (!seen.containsKey(body(talker, i))) {
                    missing.add(body(talker, i));
                }
            }
        }
        return missing.size() > 20 ? missing.size() + " messages, e.g. " + missing.subList(0, 20) : missing.toString();
    }

    private static String talkerNick(NodeProcess node, int t) {
        return "talker-" + node.domain().charAt(0) + t;
    }

    private static String nickOf(XmppTestClient client) {
        return client.connection.getUser().getLocalpart().toString();
    }

    private static String body(XmppTestClient talker, int i) {
        return "burst " + nickOf(talker) + " #" + i;
    }
}
