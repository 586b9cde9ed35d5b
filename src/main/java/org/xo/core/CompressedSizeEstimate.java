package org.xo.core;

/**
 * What an envelope will take in a datagram once the datagram is compressed, learnt from the datagrams sent. The pacer
 * fills datagrams by these estimates, so a burst of chat packs about budget / compressed size envelopes per datagram,
 * not budget / raw size (chat compresses to about a third with the preset dictionary). The estimate starts at the raw
 * size, so nothing is packed beyond the budget before the first measurement; a datagram that still comes out over
 * budget (its envelopes compressed worse than the last ones) is split by the sender.
 * <p>
 * Learnt only from datagrams of two or more envelopes: a lone envelope compresses worse than a batch (no shared
 * context), and batches are what the estimate is for. Thread-safe.
 */
public final class CompressedSizeEstimate {
    /** Weight of a new measurement: high, as a burst is over in a few datagrams (an overshoot costs one split). */
    private static final double WEIGHT = 0.5;
    /**
     * The estimate never goes below a tenth of the raw size: a datagram then holds at most ten budgets of raw
     * envelopes (14 KB by default, well inside what a receiver inflates), whatever a run of freak datagrams measured.
     */
    static final double MIN_RATIO = 0.1;

    private volatile double ratio = 1.0;

    /** @return the bytes {@code e} is expected to take in a compressed payload, at least 1 */
    public int size(Envelope e) {
        return Math.max(1, (int) Math.ceil(EnvelopeCodec.encodedSize(e) * ratio));
    }

    /**
     * One datagram sent.
     *
     * @param envelopes     how many envelopes it carried
     * @param rawBytes      their raw payload size (the sum of {@link EnvelopeCodec#encodedSize})
     * @param payloadBytes  the payload as sent (after compression, without the header)
     */
    public synchronized void observe(int envelopes, int rawBytes, int payloadBytes) {
        if (envelopes < 2 || rawBytes <= 0 || payloadBytes <= 0) {
            return;
        }
        double measured = Math.min(1.0, (double) payloadBytes / rawBytes);
        ratio = Math.max(MIN_RATIO, ratio + WEIGHT * (measured - ratio));
    }

    /** @return compressed size over raw size, as now estimated (1 until measured) */
    public double ratio() {
        return ratio;
    }
}
