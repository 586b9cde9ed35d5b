package org.xo.openfire;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Live counters of the Openfire side: what was mirrored out and injected in, and what was dropped and why. */
final class BridgeStats {
    static final String[] NAMES = {
            "mirrored.presence", "mirrored.leave", "mirrored.nick", "mirrored.groupchat", "mirrored.subject",
            "mirrored.private", "mirror.rejected-by-room", "mirror.errors", "mirror.oversized", "mirror.adopted",
            "mirror.adopt-failed", "mirror.taken-out-by-room", "mirror.room-destroyed",
            "mirrored.role", "mirrored.moderation", "mirrored.destruction",
            "injected.join", "injected.presence", "injected.leave", "injected.nick", "injected.groupchat",
            "injected.subject", "injected.private", "inject.no-local-room", "inject.bad-stanza",
            "inject.nick-conflict", "inject.join-refused", "inject.dropped-refused", "inject.not-for-us", "inject.errors",
            "inject.lost-with-node", "inject.awaiting-restart", "inject.kept-over-restart", "inject.left-after-restart",
            "inject.removed-by-room", "inject.roles-given", "inject.roles-refused", "inject.kicks", "inject.bans",
            "inject.destructions", "inject.kicks-stale", "mirrored.configuration", "inject.configurations",
            "inject.configuration-superseded", "inject.configuration-refused", "inject.memberships-given",
            "inject.memberships-refused",
            "inject.moderation-refused", "inject.moderation-unforwarded", "inject.queue-full",
            "inject.occupants-full", "inject.held-full",
            "room-to-remote.others-presence",
            "room-to-remote.groupchat", "room-to-remote.unknown", "rooms.completed-as-instant", "rooms.listed-remote",
            "rooms.withheld-private",
            "remote.occupants", "settings.applied", "settings.restarts", "settings.refused", "settings.rejected",
            "settings.denied",
            "gateway.far-up", "gateway.connects", "gateway.disconnects", "gateway.pings", "gateway.pings-missed",
            "gateway.pings-failed", "gateway.to-far.joins", "gateway.to-far.messages", "gateway.to-far.subjects",
            "gateway.to-far.missed", "gateway.to-far.refused", "gateway.to-xo.joins", "gateway.to-xo.messages",
            "gateway.to-xo.subjects", "gateway.to-xo.missed", "gateway.to-xo.refused", "gateway.echoes-dropped",
            "gateway.to-far.held", "gateway.to-far.after-outage", "gateway.to-xo.after-outage",
            "gateway.to-xo.already-carried", "gateway.to-xo.held-up", "gateway.to-far.private",
            "gateway.to-xo.private", "gateway.private-missed", "gateway.to-far.already-there", "gateway.standbys",
            "gateway.takeovers", "gateway.other-gateways-occupants", "gateway.from-other-gateways",
            "gateway.to-xo.xo-copies", "gateway.waiting-for-s2s", "gateway.errors"};

    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();

    void increment(String name) {
        counters.computeIfAbsent(name, n -> new LongAdder()).increment();
    }

    void add(String name, long delta) {
        counters.computeIfAbsent(name, n -> new LongAdder()).add(delta);
    }

    long get(String name) {
        LongAdder adder = counters.get(name);
        return adder == null ? 0 : adder.sum();
    }

    /** @return the listed counters in their order (zero until counted), then any other counted so far, by name */
    Map<String, Long> snapshot() {
        Map<String, Long> snapshot = new LinkedHashMap<>();
        for (String name : NAMES) {
            snapshot.put(name, get(name));
        }
        new java.util.TreeMap<>(counters).forEach((name, adder) -> snapshot.putIfAbsent(name, adder.sum()));
        return snapshot;
    }
}
