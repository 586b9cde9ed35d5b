package org.xo.bench.manet;

import java.util.Arrays;
import java.util.List;

/**
 * Every (message, receiver) outcome of one system in one scenario run, and the figures the report prints. Delivery
 * ratios count (message, receiver) pairs: sent messages times the other nodes.
 *
 * @param system     short name: "xo" or "cs"
 * @param label      name on plots: "XO" or "client/server"
 * @param deliveries one entry per (message, receiver)
 */
public record SystemResult(String system, String label, List<Delivery> deliveries) {

    public SystemResult {
        deliveries = List.copyOf(deliveries);
    }

    public int pairs() {
        return deliveries.size();
    }

    public int delivered() {
        return (int) deliveries.stream().filter(Delivery::delivered).count();
    }

    /** Delivered pairs over all pairs (0 when nothing was sent). */
    public double deliveryRatio() {
        return ratio(delivered(), pairs());
    }

    /** Delivery among the pairs whose receiver was reachable at some point after sending (the goal 1). */
    public double reachableDeliveryRatio() {
        long reachable = deliveries.stream().filter(Delivery::reachableAfter).count();
        long ok = deliveries.stream().filter(d -> d.reachableAfter() && d.delivered()).count();
        return ratio(ok, reachable);
    }

    /** Fraction of the pairs connected at sending that arrived within {@code seconds} (the goal 2, 1 s). */
    public double connectedWithin(double seconds) {
        long connected = deliveries.stream().filter(Delivery::connectedAtSend).count();
        long ok = deliveries.stream().filter(d -> d.connectedAtSend() && d.delivered() && d.latency() <= seconds)
                .count();
        return ratio(ok, connected);
    }

    /** Undelivered pairs whose receiver was never reachable from the sender after sending: lost to partitions. */
    public int undeliveredPartitioned() {
        return (int) deliveries.stream().filter(d -> !d.delivered() && !d.reachableAfter()).count();
    }

    /** Undelivered pairs whose receiver was reachable at some point: the sum of the next two. */
    public int undeliveredReachable() {
        return (int) deliveries.stream().filter(d -> !d.delivered() && d.reachableAfter()).count();
    }

    /**
     * Undelivered pairs cut off at sending but reachable later: what only a repair (history sync, a reliable
     * transport) could have delivered.
     */
    public int undeliveredCutOffAtSend() {
        return (int) deliveries.stream().filter(d -> !d.delivered() && !d.connectedAtSend() && d.reachableAfter())
                .count();
    }

    /** Undelivered pairs connected at sending: lost to radio loss, the protocol, or the end of the run. */
    public int undeliveredConnectedAtSend() {
        return (int) deliveries.stream().filter(d -> !d.delivered() && d.connectedAtSend()).count();
    }

    public int undelivered() {
        return pairs() - delivered();
    }

    /** Latency percentile (0..100) in seconds over delivered pairs, NaN when none arrived. Nearest rank. */
    public double latencyPercentile(double percentile) {
        double[] sorted = sortedLatencies();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /** Latencies of delivered pairs in seconds, ascending. */
    public double[] sortedLatencies() {
        double[] l = deliveries.stream().filter(Delivery::delivered).mapToDouble(Delivery::latency).toArray();
        Arrays.sort(l);
        return l;
    }

    /**
     * Figure 3's curve: the fraction of ALL pairs (delivered or not) that arrived within {@code seconds}; it ends at
     * {@link #deliveryRatio()}, not at 1.
     */
    public double cumulativeDelivery(double seconds) {
        return ratio(deliveries.stream().filter(d -> d.delivered() && d.latency() <= seconds).count(), pairs());
    }

    private static double ratio(long numerator, long denominator) {
        return denominator == 0 ? 0 : numerator / (double) denominator;
    }
}
