package org.xo.core;

/**
 * What an envelope carries. The wire code of each kind is fixed forever: receivers drop codes they do not know
 * (counted), so new kinds can be added without a version bump. Codes are 7 bits (wire version 2 uses the eighth).
 * Codes 0x40 and up are control traffic (no stanza from a client), below are room events mirrored from a local
 * occupant.
 */
public enum Kind {
    /** A groupchat message body from an occupant; stanza is the message. */
    GROUPCHAT(1),
    /** Occupant presence: join, or a status/show change; stanza is the presence. */
    PRESENCE(2),
    /** Occupant left the room; stanza is the unavailable presence. */
    LEAVE(3),
    /** Occupant changed nick: envelope nick is the old nick, stanza is the presence addressed to the new nick. */
    NICK_CHANGE(4),
    /** Subject change; stanza is the message carrying the subject. */
    SUBJECT(5),
    /** Private message to one nick of the room; stanza is the message addressed to room/nick. */
    PRIVATE(6),
    /**
     * A moderator kicked or banned a participant of another node (the room there took out its stand-in); envelope nick
     * is the moderator's, stanza the muc#admin request naming the participant's node and nick, which that node's room
     * applies to its own user.
     */
    MODERATION(7),
    /**
     * A room's owner changed its configuration: stanza is a muc#owner form with the settings that travel (moderated,
     * max occupants; on keyed overlays also members-only, password and listing). Like the subject, the latest (by
     * origin time, then origin node) is the room's, and every node holding the room repeats it in its state replies.
     */
    CONFIG(8),
    /** A node that just joined a room's group asks the others to repeat their current state (occupants, recent history, subject). */
    STATE_REQUEST(0x40),
    /**
     * A node's discovery beacon, on the control group: room field is the control address ({@code xo-control@} and
     * the overlay service), nick the node's name, stanza the compact body of {@code org.xo.discovery.Beacon}.
     */
    BEACON(0x41),
    /**
     * Repair: what the sending node holds of the room's recently active streams (stanza: the body of
     * {@code org.xo.sync.RepairMessages}); not numbered in the room's stream (its seq is a per-run serial).
     */
    DIGEST(0x42),
    /** Repair: ranges of seqs of the room's streams that the sender misses (stanza as for DIGEST; seq likewise). */
    NACK(0x43);

    private final int code;

    Kind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /**
     * @return whether the kind is a setting of the room rather than an event of its origin: every node holding the room
     * repeats the latest one in its state replies (so hearing one does not say that its origin is alive)
     */
    public boolean isRoomSetting() {
        return this == SUBJECT || this == CONFIG;
    }

    /** @return the kind for a wire code, or null when this version does not know it */
    public static Kind fromCode(int code) {
        for (Kind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        return null;
    }
}
