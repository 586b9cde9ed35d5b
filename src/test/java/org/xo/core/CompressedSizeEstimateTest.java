package org.xo.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class CompressedSizeEstimateTest {
    private static final Envelope CHAT = new Envelope(1, 1, 1, 1_000, "room@conference.xo", "alice", Kind.GROUPCHAT,
            "<message to=\"room@conference.xo\" type=\"groupchat\"><body>on the way</body></message>");

    @Test
    public void startsAtTheRawSize() {
        assertEquals(EnvelopeCodec.encodedSize(CHAT), new CompressedSizeEstimate().size(CHAT));
    }

    @Test
    public void learnsFromBatchesOnly() {
        CompressedSizeEstimate estimate = new CompressedSizeEstimate();
        estimate.observe(1, 1000, 300);
        assertEquals("a lone envelope says little about a batch", 1.0, estimate.ratio(), 0);
        for (int i = 0; i < 10; i++) {
            estimate.observe(20, 1000, 400);
        }
        assertEquals(0.4, estimate.ratio(), 0.01);
        assertTrue(estimate.size(CHAT) < EnvelopeCodec.encodedSize(CHAT));
    }

    @Test
    public void neverBelowTheFloorNorAboveRaw() {
        CompressedSizeEstimate estimate = new CompressedSizeEstimate();
        for (int i = 0; i < 20; i++) {
            estimate.observe(100, 10_000, 10);
        }
        assertEquals(CompressedSizeEstimate.MIN_RATIO, estimate.ratio(), 0);
        for (int i = 0; i < 40; i++) {
            estimate.observe(2, 100, 130); // larger than raw: sent uncompressed
        }
        assertEquals(1.0, estimate.ratio(), 0.001);
        estimate.observe(5, 0, 0);
        assertEquals(1.0, estimate.ratio(), 0.001);
    }
}
