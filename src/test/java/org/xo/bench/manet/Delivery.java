package org.xo.bench.manet;

/**
 * What happened to one message at one receiver in one system of a MANET run.
 *
 * @param message         message number, the same in both systems (both replay one traffic schedule)
 * @param sender          sending node
 * @param receiver        receiving node (never the sender)
 * @param sentAt          seconds from the start of traffic when the message was generated (the moment the
 *                        generator had it ready; a client/server sender that first has to reconnect sends later)
 * @param latency         seconds from {@code sentAt} to the first arrival at the receiver, NaN if it never arrived
 * @param connectedAtSend the receiver was in the sender's connected component when the message was generated (in
 *                        the topology the emulated network carried at that moment)
 * @param reachableAfter  the receiver was in the sender's connected component in that topology or a later one
 *                        of the run (the "reachable at some point after sending")
 */
public record Delivery(int message, int sender, int receiver, double sentAt, double latency, boolean connectedAtSend,
                       boolean reachableAfter) {

    public boolean delivered() {
        return !Double.isNaN(latency);
    }
}
