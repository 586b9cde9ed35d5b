package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.engine.EngineListener;
import org.xo.transport.norm.Libnorm;

/**
 * The engine's repair on a real lossy link (issue 10): two engines in namespaces a and b, joined by a veth pair whose
 * ends drop a share of the UDP packets they receive (nftables {@code numgen random}: data, digests, NACKs and answers
 * alike), and the link cut for a few seconds in the middle of a conversation. Over plain UDP the repair alone brings
 * b every message once; over NORM it works beside NORM's own. Root, nftables and libnorm; must run in CI.
 */
public class RepairOnLossyLinkIT {
    private static final String ROOM = "net@conference.xo";
    private static final int MESSAGES = 300;
    private static LossyLink link;

    @BeforeClass
    public static void buildTheLink() throws IOException {
        NetNs.requireNftablesOrSkip();
        Libnorm.requireOrSkip();
        link = LossyLink.create();
    }

    @AfterClass
    public static void removeTheLink() {
        if (link != null) {
            link.close();
        }
    }

    @Test
    public void udpWithRepairDeliversEveryMessageOnceAtThirtyPercentLossAndThroughACut() throws Exception {
        deliversEverythingOnce(false, 30);
    }

    @Test
    public void normWithRepairDeliversEveryMessageOnceAtTwentyPercentLossAndThroughACut() throws Exception {
        deliversEverythingOnce(true, 20);
    }

    private void deliversEverythingOnce(boolean norm, int lossPercent) throws Exception {
        link.setLoss(lossPercent);
        Received atB = new Received();
        try (EngineOnLink a = EngineOnLink.start(link, LossyLink.A, 0xA1, norm, e -> { }, ROOM);
             EngineOnLink b = EngineOnLink.start(link, LossyLink.B, 0xB2, norm, atB, ROOM)) {
            Thread.sleep(200); // b's membership report reaches the link before the first message
            for (int i = 0; i < MESSAGES; i++) {
                if (i == MESSAGES / 3) {
                    link.link().down();
                } else if (i == MESSAGES / 2) {
                    link.link().up();
                }
                a.engine.publish(ROOM, "alice", Kind.GROUPCHAT, "<message><body>" + i + "</body></message>");
                Thread.sleep(10);
            }
            long dropped = link.dropped(LossyLink.A) + link.dropped(LossyLink.B);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (atB.distinct() < MESSAGES && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(500); // time for a duplicate to show up
            System.err.printf("[%s, %d%% loss and a cut] b got %d of %d, %d twice; the filters dropped %d packets;"
                    + " repaired %d%n", norm ? "norm" : "udp", lossPercent, atB.distinct(), MESSAGES,
                    atB.duplicates.get(), dropped, b.engine.stats().snapshot().get("stream.repair.events.repaired"));
            assertTrue("the filters dropped packets: the loss was real", dropped > 0);
            assertEquals("every message reached b", MESSAGES, atB.distinct());
            assertEquals("and each once", 0, atB.duplicates.get());
            if (!norm) {
                assertTrue("over UDP the repair brought them",
                        b.engine.stats().snapshot().get("stream.repair.events.repaired") > 0);
            }
        } finally {
            link.setLoss(0);
            link.link().up();
        }
    }

    /** What b's engine delivered: each message's number with how often. */
    private static final class Received implements EngineListener {
        final Map<String, Boolean> seen = new ConcurrentHashMap<>();
        final AtomicInteger duplicates = new AtomicInteger();

        @Override
        public void onRemoteEvent(Envelope e) {
            if (e.kind() == Kind.GROUPCHAT && seen.putIfAbsent(e.stanza(), true) != null) {
                duplicates.incrementAndGet();
            }
        }

        int distinct() {
            return seen.size();
        }
    }
}
