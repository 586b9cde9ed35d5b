package org.xo.core;

/**
 * One overlay event, as it travels between nodes. Immutable; every field is bounded by {@link Limits}.
 *
 * @param originNode  random 64-bit id of the node that created the event (stable across restarts)
 * @param originEpoch start time (seconds) of the origin node's current run: (originNode, originEpoch, seq) is unique
 * @param seq         per-origin-run sequence number, 1, 2, 3, ... with no gaps (the later repair protocol relies on it)
 * @param originTime  origin wall clock, milliseconds since the epoch
 * @param room        overlay room address, e.g. {@code lobby@conference.xo}
 * @param nick        the sending occupant's nick (empty for control kinds)
 * @param kind        what the envelope carries
 * @param stanza      the XMPP stanza as XML text, addressed to the overlay room (empty for control kinds)
 */
public record Envelope(long originNode, int originEpoch, long seq, long originTime, String room, String nick,
                       Kind kind, String stanza) {
}
