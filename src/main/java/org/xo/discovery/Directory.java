package org.xo.discovery;

import java.net.Inet4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which XO nodes are alive and which rooms they have: fed by beacons ({@link #accept} with {@link Source#BEACON}),
 * by any room traffic of a known node ({@link #heard}), and by DNS-SD ({@link #accept} with
 * {@link Source#DNS_SD}, {@link #withdraw} when the service goes away). Expiry is driven from outside:
 * {@link #sweep()} drops every source of a node that was not refreshed for its timeout; a node with no source left is
 * lost, and so is a node whose beacons stopped (silence or goodbye), even if DNS-SD still lists it: beacons are the
 * liveness signal, DNS-SD alone keeps only nodes whose beacons do not reach this node. The timeout of a node is {@link #nodeTimeout()}, or 3.5 of its own advertised intervals if that is longer (a
 * node that beacons more slowly than this one is not declared lost between two of its beacons).
 * <p>
 * Lost nodes are remembered (bounded) so that hearing one again, through a beacon or only through its room traffic,
 * makes it appear again. A larger epoch is a restart: the old run is lost, then the new one appears. A smaller epoch
 * is a late datagram of an old run and changes nothing; so is the same epoch after that run's goodbye (it ended).
 * <p>
 * Thread-safe. Changes and their listener calls are serialized: each mutator returns only after its events were
 * delivered, in order.
 */
public final class Directory implements DirectoryView {
    private static final Logger LOG = LoggerFactory.getLogger(Directory.class);
    /** Live nodes and remembered lost nodes, each at most. */
    public static final int MAX_NODES = 4096;

    /** What {@link #heard} found. */
    public enum Heard {
        /** A live node, same run: its silence timer restarts. */
        LIVE,
        /** A node heard again after it was lost: it appeared again. */
        RETURNED,
        /** A new run (larger epoch) of a known or lost node: the old run was lost, the new one appeared. */
        RESTARTED,
        /** An older run than the one known: a late datagram. */
        STALE,
        /** A node never announced (or forgotten): traffic alone does not add a node. */
        UNKNOWN
    }

    private static final class Entry {
        NodeInfo info;
        final EnumMap<Source, Long> heardNanos = new EnumMap<>(Source.class);

        Entry(NodeInfo info) {
            this.info = info;
        }

        long lastNanos() {
            long last = Long.MIN_VALUE;
            for (long t : heardNanos.values()) {
                last = Math.max(last, t);
            }
            return last;
        }
    }

    private volatile Duration nodeTimeout;
    private final LongSupplier nanoClock;
    private final Map<Long, Entry> live = new HashMap<>();
    /**
     * A lost node's last run; when that run ended with its goodbye, its later traffic is late (a datagram overtaken by
     * the goodbye), not a return.
     */
    private record Lost(NodeInfo info, boolean saidGoodbye) {
    }

    private final Map<Long, Lost> lost = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Lost> eldest) {
            return size() > MAX_NODES;
        }
    };
    private final List<DirectoryListener> listeners = new CopyOnWriteArrayList<>();

    /** Held while changing and notifying: events reach the listeners in the order of the changes. */
    private final Object changeLock = new Object();

    /**
     * @param nodeTimeout silence after which a node is lost
     * @param nanoClock   monotonic time in nanoseconds ({@code System::nanoTime}; a fake in tests)
     */
    public Directory(Duration nodeTimeout, LongSupplier nanoClock) {
        this.nodeTimeout = checkTimeout(nodeTimeout);
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    private static Duration checkTimeout(Duration nodeTimeout) {
        if (nodeTimeout == null || nodeTimeout.isNegative() || nodeTimeout.isZero()) {
            throw new IllegalArgumentException("Node timeout must be positive.");
        }
        return nodeTimeout;
    }

    @Override
    public Duration nodeTimeout() {
        return nodeTimeout;
    }

    /** A new timeout (a settings change): the next {@link #sweep()} measures every node's silence against it. */
    public synchronized void nodeTimeout(Duration timeout) {
        nodeTimeout = checkTimeout(timeout);
    }

    /**
     * Forgets every node, live and lost, without telling the listeners: when this node stops listening for
     * beacons, nobody has left; the nodes it hears once it listens again are new to it.
     */
    public void clear() {
        synchronized (changeLock) {
            synchronized (this) {
                live.clear();
                lost.clear();
            }
        }
    }

    @Override
    public void addListener(DirectoryListener listener) {
        listeners.add(Objects.requireNonNull(listener));
    }

    @Override
    public void removeListener(DirectoryListener listener) {
        listeners.remove(listener);
    }

    /**
     * Takes a node's announcement from a source: adds the node, refreshes it, replaces its rooms (except that a
     * DNS-SD announcement of a run also known from beacons only refreshes its source: beacons carry the full list).
     *
     * @return false when ignored: an older run than the one known, or a goodbye (see {@link #withdraw})
     */
    public boolean accept(NodeInfo info, Source source) {
        Objects.requireNonNull(source, "source");
        if (info.leaving()) {
            withdraw(info.nodeId(), info.epoch(), source);
            return false;
        }
        synchronized (changeLock) {
            List<Runnable> events = new ArrayList<>();
            boolean accepted;
            synchronized (this) {
                long now = nanoClock.getAsLong();
                Entry e = live.get(info.nodeId());
                if (e != null && info.epoch() < e.info.epoch()) {
                    accepted = false;
                } else if (e == null && isStale(info.nodeId(), info.epoch())) {
                    accepted = false;
                } else {
                    accepted = true;
                    if (e != null && info.epoch() > e.info.epoch()) {
                        loseLocked(e, events);
                        e = null;
                    }
                    if (e == null) {
                        if (live.size() >= MAX_NODES) {
                            return false; // a flood of ids: known nodes stay, new ones wait for room
                        }
                        e = new Entry(info);
                        live.put(info.nodeId(), e);
                        lost.remove(info.nodeId());
                        NodeInfo appeared = info;
                        events.add(() -> each(l -> l.nodeAppeared(appeared)));
                        if (!info.rooms().isEmpty()) {
                            events.add(() -> each(DirectoryListener::roomsChanged));
                        }
                    } else if (source == Source.DNS_SD && e.heardNanos.containsKey(Source.BEACON)) {
                        // Same run, also known from beacons: the DNS-SD summary (no subjects, at most a few rooms)
                        // only refreshes its source and leaves the beacon's full announcement in place.
                        accepted = true;
                    } else {
                        boolean roomsChanged = !e.info.rooms().equals(info.rooms());
                        e.info = info;
                        if (roomsChanged) {
                            events.add(() -> each(DirectoryListener::roomsChanged));
                        }
                    }
                    e.heardNanos.put(source, now);
                }
            }
            events.forEach(Runnable::run);
            return accepted;
        }
    }

    /**
     * Anything heard from a node (room traffic counts): restarts its silence timer, and makes a lost node appear
     * again (with the announcement from before its loss, or no rooms if it restarted, until its next beacon).
     */
    public Heard heard(long nodeId, int epoch) {
        synchronized (changeLock) {
            List<Runnable> events = new ArrayList<>();
            Heard result;
            synchronized (this) {
                long now = nanoClock.getAsLong();
                Entry e = live.get(nodeId);
                if (e != null) {
                    if (epoch == e.info.epoch()) {
                        e.heardNanos.put(Source.BEACON, now);
                        return Heard.LIVE;
                    }
                    if (epoch < e.info.epoch()) {
                        return Heard.STALE;
                    }
                    loseLocked(e, events);
                    appearLocked(new NodeInfo(nodeId, epoch, e.info.name(), e.info.beaconInterval(), List.of()), now,
                            events);
                    result = Heard.RESTARTED;
                } else {
                    Lost gone = lost.get(nodeId);
                    if (gone == null) {
                        return Heard.UNKNOWN;
                    }
                    NodeInfo before = gone.info();
                    if (epoch < before.epoch() || epoch == before.epoch() && gone.saidGoodbye()) {
                        return Heard.STALE;
                    }
                    if (live.size() >= MAX_NODES) {
                        return Heard.UNKNOWN;
                    }
                    lost.remove(nodeId);
                    boolean sameRun = epoch == before.epoch();
                    appearLocked(sameRun ? before
                            : new NodeInfo(nodeId, epoch, before.name(), before.beaconInterval(), List.of()), now, events);
                    result = sameRun ? Heard.RETURNED : Heard.RESTARTED;
                }
            }
            events.forEach(Runnable::run);
            return result;
        }
    }

    /**
     * A source no longer knows the node (a goodbye beacon, a DNS-SD service removed): lost if no source is left, or
     * at once for a goodbye beacon (the node itself said it leaves).
     */
    public void withdraw(long nodeId, int epoch, Source source) {
        synchronized (changeLock) {
            List<Runnable> events = new ArrayList<>();
            synchronized (this) {
                Entry e = live.get(nodeId);
                if (e == null || epoch < e.info.epoch()) {
                    return;
                }
                e.heardNanos.remove(source);
                // A goodbye beacon speaks for the node itself: DNS-SD's cached record cannot outvote it.
                if (e.heardNanos.isEmpty() || source == Source.BEACON) {
                    loseLocked(e, events, source == Source.BEACON);
                }
            }
            events.forEach(Runnable::run);
        }
    }

    /** Drops the sources not refreshed within the node's timeout; nodes left without a source are lost. */
    public void sweep() {
        synchronized (changeLock) {
            List<Runnable> events = new ArrayList<>();
            synchronized (this) {
                long now = nanoClock.getAsLong();
                for (Entry e : List.copyOf(live.values())) {
                    long timeout = timeoutNanos(e.info);
                    Long beacon = e.heardNanos.get(Source.BEACON);
                    e.heardNanos.values().removeIf(t -> now - t > timeout);
                    // Heard through beacons, then silent: lost, whatever DNS-SD says (mDNS caches keep a crashed
                    // node's records for up to an hour). DNS-SD alone holds only nodes whose beacons never came.
                    if (e.heardNanos.isEmpty() || (beacon != null && now - beacon > timeout)) {
                        loseLocked(e, events);
                    }
                }
            }
            events.forEach(Runnable::run);
        }
    }

    @Override
    public synchronized List<KnownNode> nodes() {
        long now = nanoClock.getAsLong();
        List<KnownNode> out = new ArrayList<>(live.size());
        new TreeMap<>(live).values().forEach(e -> out.add(known(e, now)));
        return out;
    }

    @Override
    public synchronized Optional<KnownNode> node(long nodeId) {
        Entry e = live.get(nodeId);
        return e == null ? Optional.empty() : Optional.of(known(e, nanoClock.getAsLong()));
    }

    @Override
    public synchronized List<RoomInfo> rooms() {
        // Most recently heard node first: it decides group, port and (if it has one) the subject.
        List<Entry> entries = new ArrayList<>(live.values());
        entries.sort(Comparator.comparingLong(Entry::lastNanos).reversed()
                .thenComparingLong(e -> e.info.nodeId()));
        Map<String, RoomInfo> merged = new TreeMap<>();
        for (Entry e : entries) {
            for (AdvertisedRoom r : e.info.rooms()) {
                RoomInfo m = merged.get(r.room());
                if (m == null) {
                    merged.put(r.room(), new RoomInfo(r.room(), r.group(), r.port(), r.subject(), r.occupants(),
                            List.of(e.info.nodeId())));
                } else {
                    List<Long> nodes = new ArrayList<>(m.nodes());
                    nodes.add(e.info.nodeId());
                    nodes.sort(null);
                    Inet4Address group = m.group();
                    merged.put(r.room(), new RoomInfo(r.room(), group, m.port(),
                            m.subject().isEmpty() ? r.subject() : m.subject(),
                            (int) Math.min(Integer.MAX_VALUE, (long) m.occupants() + r.occupants()), nodes));
                }
            }
        }
        return List.copyOf(merged.values());
    }

    private KnownNode known(Entry e, long now) {
        return new KnownNode(e.info, e.heardNanos.keySet(), Duration.ofNanos(Math.max(0, now - e.lastNanos())));
    }

    private long timeoutNanos(NodeInfo info) {
        return Math.max(nodeTimeout.toNanos(), info.beaconInterval().toNanos() / 2 * 7);
    }

    private boolean isStale(long nodeId, int epoch) {
        Lost gone = lost.get(nodeId);
        return gone != null && (epoch < gone.info().epoch() || epoch == gone.info().epoch() && gone.saidGoodbye());
    }

    private void appearLocked(NodeInfo info, long now, List<Runnable> events) {
        Entry e = new Entry(info);
        e.heardNanos.put(Source.BEACON, now);
        live.put(info.nodeId(), e);
        events.add(() -> each(l -> l.nodeAppeared(info)));
        if (!info.rooms().isEmpty()) {
            events.add(() -> each(DirectoryListener::roomsChanged));
        }
    }

    private void loseLocked(Entry e, List<Runnable> events) {
        loseLocked(e, events, false);
    }

    /** @param goodbye whether the node's own goodbye beacon withdrew it */
    private void loseLocked(Entry e, List<Runnable> events, boolean goodbye) {
        live.remove(e.info.nodeId());
        lost.put(e.info.nodeId(), new Lost(e.info, goodbye));
        NodeInfo gone = e.info;
        events.add(() -> each(l -> l.nodeLost(gone, goodbye)));
        if (!gone.rooms().isEmpty()) {
            events.add(() -> each(DirectoryListener::roomsChanged));
        }
    }

    private void each(java.util.function.Consumer<DirectoryListener> call) {
        for (DirectoryListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException ex) {
                LOG.warn("A directory listener failed", ex);
            }
        }
    }
}
