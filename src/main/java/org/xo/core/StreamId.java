package org.xo.core;

/**
 * One stream of events: everything one run of one node sent in one room, numbered 1, 2, 3, ... without gaps (see
 * {@link Envelope}). What a receiver tracks to tell a loss, and what repair asks for.
 *
 * @param originNode  the node that sent the stream
 * @param originEpoch the start time (seconds) of that node's run
 * @param room        overlay room address
 */
public record StreamId(long originNode, int originEpoch, String room) {
    @Override
    public String toString() {
        return Long.toHexString(originNode) + "/" + originEpoch + "@" + room;
    }
}
