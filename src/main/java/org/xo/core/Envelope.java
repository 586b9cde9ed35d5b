package org.xo.core;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;

/**
 * One overlay event, as it travels between nodes. Immutable; every field is bounded by {@link Limits}.
 * <p>
 * Streams: each (originNode, originEpoch, room) is a stream of its own, numbered 1, 2, 3, ... with no gaps, so a
 * receiver of a room tells a loss in it from traffic of other rooms. The room's state requests are numbered in the
 * room's stream like its events; beacons are numbered in the stream of the control address they carry.
 *
 * @param originNode  random 64-bit id of the node that created the event (stable across restarts)
 * @param originEpoch start time (seconds) of the origin node's current run
 * @param seq         the event's number in its stream, 1, 2, 3, ... with no gaps (the later repair relies on it):
 *                    (originNode, originEpoch, room, seq) is unique
 * @param originTime  origin wall clock, milliseconds since the epoch
 * @param room        overlay room address, e.g. {@code lobby@conference.xo}
 * @param nick        the sending occupant's nick (empty for control kinds)
 * @param kind        what the envelope carries
 * @param stanza      the XMPP stanza as XML text, addressed to the overlay room (empty for control kinds)
 */
public record Envelope(long originNode, int originEpoch, long seq, long originTime, String room, String nick,
                       Kind kind, String stanza) {
    private static final Base64.Encoder ID_ENCODER = Base64.getUrlEncoder().withoutPadding();

    /**
     * The event's stable overlay id, the same on every node, fit for an XEP-0359 {@code <stanza-id id="…">}: unpadded
     * base64url (RFC 4648 section 5) of originNode (8 bytes, big-endian), originEpoch (4), the {@link RoomHash} of
     * the room (6) and seq as an unsigned LEB128 varint (1 to 9 bytes): 26 characters while seq is below 128, 27
     * below 16,384. Unique within the room (node, epoch and seq alone are); the room hash keeps ids of one node's
     * rooms apart where they are shown side by side.
     */
    public String overlayId() {
        return overlayId(originNode, originEpoch, room, seq);
    }

    /**
     * Orders versions of a room setting ({@link Kind#isRoomSetting}): by origin time, then origin node (a tie every node
     * breaks alike), then seq.
     *
     * @return whether this envelope is later than the other
     */
    public boolean isLaterThan(Envelope other) {
        if (originTime != other.originTime) {
            return originTime > other.originTime;
        }
        if (originNode != other.originNode) {
            return Long.compareUnsigned(originNode, other.originNode) > 0;
        }
        return seq > other.seq;
    }

    /** @return the stream the envelope is numbered in */
    public StreamId stream() {
        return new StreamId(originNode, originEpoch, room);
    }

    /** @return the {@link #overlayId()} of the envelope with these fields */
    public static String overlayId(long originNode, int originEpoch, String room, long seq) {
        ByteBuffer b = ByteBuffer.allocate(8 + 4 + RoomHash.BYTES + Varint.MAX_BYTES);
        b.putLong(originNode).putInt(originEpoch);
        RoomHash.put(b, RoomHash.of(room));
        Varint.write(b, seq);
        return ID_ENCODER.encodeToString(Arrays.copyOf(b.array(), b.position()));
    }
}
