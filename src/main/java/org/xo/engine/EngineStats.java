package org.xo.engine;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import org.xo.core.MalformedDatagramException;
import org.xo.security.SealException;

/** Live counters of one engine. Thread-safe; the names are stable (the admin status page shows them). */
public final class EngineStats {

    /** Every counter, in display order, with its stable name. */
    public enum Counter {
        DATAGRAMS_SENT("datagrams.sent"),
        DATAGRAMS_RECEIVED("datagrams.received"),
        /** Datagrams sent as two because their envelopes compressed worse than estimated (see the pacer's packing). */
        DATAGRAMS_SPLIT("datagrams.split"),
        BYTES_SENT("bytes.sent"),
        BYTES_RECEIVED("bytes.received"),
        ENVELOPES_SENT("envelopes.sent"),
        /** Envelopes in well-formed datagrams, unknown kinds included. */
        ENVELOPES_RECEIVED("envelopes.received"),
        ENVELOPES_DELIVERED("envelopes.delivered"),
        ENVELOPES_DUPLICATE("envelopes.duplicate"),
        ENVELOPES_OWN("envelopes.own"),
        ENVELOPES_OTHER_ROOM("envelopes.other-room"),
        ENVELOPES_UNKNOWN_KIND("envelopes.unknown-kind"),
        /** Envelopes whose room hash two rooms open here share: dropped, never delivered to a guessed room. */
        ENVELOPES_AMBIGUOUS_ROOM("envelopes.ambiguous-room"),
        /** Seqs a stream (origin run and room) skipped when it jumped ahead: what a repair would ask for. */
        STREAM_GAPS("stream.gaps"),
        /** Holds of a room's next seq that their holder did not end in time, broken (see XoEngine.holdStream). */
        STREAM_HOLDS_BROKEN("stream.holds-broken"),
        DROPPED_FOREIGN("dropped.foreign"),
        DROPPED_VERSION("dropped.version"),
        DROPPED_FLAGS("dropped.flags"),
        DROPPED_TRUNCATED("dropped.truncated"),
        DROPPED_OVERSIZED("dropped.oversized"),
        DROPPED_BAD_FIELD("dropped.bad-field"),
        DROPPED_COMPRESSION("dropped.compression"),
        PUBLISH_REJECTED("publish.rejected"),
        /** Local events of rooms the overlay does not carry, dropped (see XoEngine.publish). */
        PUBLISH_UNCARRIED("publish.uncarried"),
        /** Opens of a room whose multicast group could not be joined (logged; see XoEngine.uncarriedRooms). */
        ROOMS_UNCARRIED("rooms.uncarried"),
        LISTENER_ERRORS("listener.errors"),
        STATE_REQUESTS_SENT("state.requests.sent"),
        STATE_REPLIES_SENT("state.replies.sent"),
        /** Datagrams the transport failed to send (logged, at most once a second). */
        SEND_ERRORS("send.errors"),
        BEACONS_SENT("beacons.sent"),
        /** Beacons of other nodes, for this overlay, seen for the first time (malformed ones included). */
        BEACONS_RECEIVED("beacons.received"),
        BEACONS_MALFORMED("beacons.malformed"),
        NODES_LOST("nodes.lost"),
        NODES_RETURNED("nodes.returned"),
        /** Nodes that said goodbye and whose occupants stay for the restart grace (counted in nodes.lost too). */
        NODES_RESTART_GRACES("nodes.restart-graces"),
        /** Restart graces that ran out: the occupants their node did not announce again left then. */
        NODES_RESTART_GRACES_ENDED("nodes.restart-graces-ended"),
        /** DNS-SD peers resolved (first time, or a new run). */
        DNSSD_PEERS("dnssd.peers"),
        /** DNS-SD peers whose service went away. */
        DNSSD_REMOVED("dnssd.removed"),
        /** DNS-SD records of peers that broke the TXT layout, ignored. */
        DNSSD_MALFORMED("dnssd.malformed"),
        /** Updates of this node's TXT record. */
        DNSSD_UPDATES("dnssd.updates"),
        /** DNS-SD failed to start (logged). */
        DNSSD_FAILURES("dnssd.failures"),
        /** A clear (or foreign) datagram on a keyed overlay; see org.xo.security.Opener for these five. */
        DROPPED_UNSEALED("dropped.unsealed"),
        DROPPED_UNKNOWN_KEY("dropped.unknown-key"),
        DROPPED_UNAUTHENTICATED("dropped.unauthenticated"),
        DROPPED_REPLAYED("dropped.replayed"),
        DROPPED_STALE("dropped.stale"),
        /** A sealed datagram on an open overlay: only a node with the key can read it. */
        DROPPED_SEALED("dropped.sealed"),
        /** Envelopes of an origin beyond its rate (EngineConfig.originEnvelopesPerSecond), dropped. */
        GUARD_RATE_LIMITED("guard.rate-limited"),
        /** STATE_REQUESTs, DIGESTs and NACKs of an origin beyond its request rate, dropped. */
        GUARD_REQUESTS_RATE_LIMITED("guard.requests.rate-limited"),
        /** Origins whose rate buckets were forgotten for newer ones (a flood of origin ids). */
        GUARD_ORIGINS_FORGOTTEN("guard.origins.forgotten"),
        /** STATE_REQUESTs answered by the room's next replay instead of one of their own (one replay per gap). */
        GUARD_STATE_REQUESTS_COALESCED("guard.state-requests.coalesced"),
        /** Open overlay: envelopes far ahead of their stream while it is active, dropped (see XoEngine). */
        GUARD_SEQ_JUMPS("guard.seq-jumps"),
        /** Open overlay: beacons and envelopes of a new run of a node whose current run still talks, dropped. */
        GUARD_RUNS_HELD("guard.runs-held"),
        /** Open overlay: goodbye beacons not believed at once (the node is lost if it then stays silent). */
        GUARD_GOODBYES_DOUBTED("guard.goodbyes.doubted"),
        /** Open overlay: doubted goodbyes whose node spoke again: someone else said them. */
        GUARD_GOODBYES_REFUTED("guard.goodbyes.refuted"),
        /** New nodes not added because the directory (or the table of DNS-SD peers) was full. */
        GUARD_DIRECTORY_FULL("guard.directory.full"),
        /** Remote occupant records a room forgot for newer ones (RoomState.MAX_REMOTE_OCCUPANTS). */
        GUARD_ROOM_OCCUPANTS_FULL("guard.room-occupants.full"),
        /** Streams the duplicate filter forgot for newer ones (Deduplicator.DEFAULT_MAX_STREAMS). */
        GUARD_STREAMS_FORGOTTEN("guard.streams.forgotten"),
        REPAIR_DIGESTS_SENT("stream.repair.digests.sent"),
        REPAIR_DIGESTS_RECEIVED("stream.repair.digests.received"),
        REPAIR_NACKS_SENT("stream.repair.nacks.sent"),
        REPAIR_NACKS_RECEIVED("stream.repair.nacks.received"),
        /** Requests of this node put off because another node asked for the same seqs first. */
        REPAIR_NACKS_SUPPRESSED("stream.repair.nacks.suppressed"),
        /** Received NACKs that asked for more streams or longer ranges than answered (the rest ignored). */
        REPAIR_NACKS_CAPPED("stream.repair.nacks.capped"),
        /** Events this node sent again for others (from its log). */
        REPAIR_ANSWERS_SENT("stream.repair.answers.sent"),
        /** Answer ranges put off by the per-room answer bandwidth. */
        REPAIR_RATE_LIMITED("stream.repair.rate-limited"),
        /** Events received here for the first time into a known gap: what repair brought. */
        REPAIR_EVENTS_REPAIRED("stream.repair.events.repaired"),
        /** Seqs given up: asked for too often without an answer, or beyond the log's per-origin bound. */
        REPAIR_ABANDONED("stream.repair.abandoned"),
        /** Digests and NACKs whose body broke the layout, dropped. */
        REPAIR_DROPPED_MALFORMED("stream.repair.dropped-malformed"),
        /** Presences, leaves and nick changes older than one already seen of the same occupant: marked seen only. */
        REPAIR_PRESENCES_SUPERSEDED("stream.repair.presences-superseded"),
        /** Events dropped from the room log by its bounds. */
        LOG_PRUNED("stream.log.pruned"),
        /** Room log calls that failed (logged); delivery then follows the in-memory duplicate filter. */
        LOG_ERRORS("stream.log.errors");

        private final String key;

        Counter(String key) {
            this.key = key;
        }

        /** @return the stable display name, e.g. {@code datagrams.sent} */
        public String key() {
            return key;
        }

        /** @return the counter of datagrams dropped for that reason */
        public static Counter dropped(MalformedDatagramException.Reason reason) {
            return switch (reason) {
                case FOREIGN -> DROPPED_FOREIGN;
                case VERSION -> DROPPED_VERSION;
                case FLAGS -> DROPPED_FLAGS;
                case TRUNCATED -> DROPPED_TRUNCATED;
                case OVERSIZED -> DROPPED_OVERSIZED;
                case BAD_FIELD -> DROPPED_BAD_FIELD;
                case COMPRESSION -> DROPPED_COMPRESSION;
            };
        }

        /** @return the counter of datagrams the overlay key did not let in for that reason */
        public static Counter dropped(SealException.Reason reason) {
            return switch (reason) {
                case UNSEALED -> DROPPED_UNSEALED;
                case UNKNOWN_KEY -> DROPPED_UNKNOWN_KEY;
                case UNAUTHENTICATED -> DROPPED_UNAUTHENTICATED;
                case REPLAYED -> DROPPED_REPLAYED;
                case STALE -> DROPPED_STALE;
            };
        }
    }

    private final Map<Counter, LongAdder> counters = new EnumMap<>(Counter.class);

    EngineStats() {
        for (Counter c : Counter.values()) {
            counters.put(c, new LongAdder());
        }
    }

    void add(Counter c, long n) {
        counters.get(c).add(n);
    }

    void increment(Counter c) {
        counters.get(c).increment();
    }

    public long get(Counter c) {
        return counters.get(c).sum();
    }

    /** @return the datagrams dropped as malformed or by the overlay key, all reasons together */
    public long droppedTotal() {
        long n = get(Counter.DROPPED_SEALED);
        for (MalformedDatagramException.Reason r : MalformedDatagramException.Reason.values()) {
            n += get(Counter.dropped(r));
        }
        for (SealException.Reason r : SealException.Reason.values()) {
            n += get(Counter.dropped(r));
        }
        return n;
    }

    /** @return every counter by stable name, in {@link Counter} order; a copy (each value read once) */
    public Map<String, Long> snapshot() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Counter c : Counter.values()) {
            out.put(c.key(), get(c));
        }
        return out;
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
