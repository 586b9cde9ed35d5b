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
import java.util.concurrent.TimeUnit;
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
 * <b>Unauthenticated</b> input ({@link #authenticated(boolean)} false: an open overlay, where anyone can send what
 * a node says) cannot end a run that is still talking: a larger epoch is believed only once the current run has been
 * silent for its handover time ({@link Heard#HELD} until then; the next {@link #sweep()} after that makes the newest
 * run held the node's, as a restart), and a goodbye beacon only when no beacon or traffic of the run follows within
 * that time (the node is lost then; what it says meanwhile refutes the goodbye). The handover
 * time is 2.5 of the longest beacon interval the run ever advertised, at most half its timeout: the real node's next
 * beacon always comes within it, and a forged short interval cannot shorten it. Advertised intervals count up to
 * {@value #MAX_TRUSTED_INTERVAL_HOURS} h, and an epoch more than a day ahead of this node's clock is never believed.
 * <p>
 * Thread-safe. Changes and their listener calls are serialized: each mutator returns only after its events were
 * delivered, in order.
 */
public final class Directory implements DirectoryView {
    private static final Logger LOG = LoggerFactory.getLogger(Directory.class);
    /** Live nodes and remembered lost nodes, each at most. */
    public static final int MAX_NODES = 4096;
    /**
     * Unauthenticated runs (epochs: seconds of their start) further ahead of this node's clock are never believed: a
     * forged far-future epoch would otherwise make every later run of the real node look older than it.
     */
    static final long MAX_EPOCH_AHEAD_SECONDS = TimeUnit.DAYS.toSeconds(1);
    /** Longer advertised beacon intervals count as this long (a forged day-long interval cannot keep a ghost a week). */
    static final long MAX_TRUSTED_INTERVAL_HOURS = 1;

    /** What unauthenticated input could not do, reported to {@link #onDoubt}. */
    public enum Doubt {
        /** A new run of a node whose current run is still talking: not believed (yet). */
        RUN_HELD,
        /** A goodbye beacon: the node is lost only if it stays silent for its handover time. */
        GOODBYE_DOUBTED,
        /** The run of a doubted goodbye spoke again: the goodbye was not its own. */
        GOODBYE_REFUTED,
        /** A new node while {@link #MAX_NODES} are live: not added. */
        FULL
    }

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
        /** A newer run than the one known while that one still talks, on unauthenticated input: not believed. */
        HELD,
        /** A node never announced (or forgotten): traffic alone does not add a node. */
        UNKNOWN
    }

    private static final class Entry {
        NodeInfo info;
        final EnumMap<Source, Long> heardNanos = new EnumMap<>(Source.class);
        /** The longest beacon interval this run advertised (capped): its handover time grows with it only. */
        long maxIntervalNanos;
        /** When a doubted goodbye of this run came; 0 for none. */
        long goodbyeNanos;
        /** The newest run held back while this one talked: it takes over once this one is silent (see sweep). */
        NodeInfo heldRun;

        Entry(NodeInfo info) {
            this.info = info;
            this.maxIntervalNanos = cappedInterval(info);
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
    private volatile boolean authenticated = true;
    private volatile java.util.function.Consumer<Doubt> doubts = d -> { };
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

    /**
     * Whether what this directory is told is authenticated (a keyed overlay: only key holders speak); false makes
     * the rules for unauthenticated input apply (see the class comment). True until set.
     */
    public void authenticated(boolean on) {
        authenticated = on;
    }

    /** Tells {@code sink} (on the caller's thread, under this directory's locks: it must be quick) what was doubted. */
    public void onDoubt(java.util.function.Consumer<Doubt> sink) {
        doubts = Objects.requireNonNull(sink);
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
        if (aheadOfTime(info.epoch())) {
            doubts.accept(Doubt.RUN_HELD);
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
                } else if (e != null && info.epoch() > e.info.epoch() && stillTalking(e, now)) {
                    hold(e, info);
                    accepted = false;
                } else {
                    accepted = true;
                    if (e != null && info.epoch() > e.info.epoch()) {
                        loseLocked(e, events);
                        e = null;
                    }
                    if (e == null) {
                        if (live.size() >= MAX_NODES) {
                            doubts.accept(Doubt.FULL);
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
                        e.maxIntervalNanos = Math.max(e.maxIntervalNanos, cappedInterval(info));
                        if (roomsChanged) {
                            events.add(() -> each(DirectoryListener::roomsChanged));
                        }
                    }
                    e.heardNanos.put(source, now);
                    if (source == Source.BEACON) {
                        refuteGoodbye(e);
                    }
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
        if (aheadOfTime(epoch)) {
            doubts.accept(Doubt.RUN_HELD);
            return Heard.HELD;
        }
        synchronized (changeLock) {
            List<Runnable> events = new ArrayList<>();
            Heard result;
            synchronized (this) {
                long now = nanoClock.getAsLong();
                Entry e = live.get(nodeId);
                if (e != null) {
                    if (epoch == e.info.epoch()) {
                        e.heardNanos.put(Source.BEACON, now);
                        refuteGoodbye(e);
                        return Heard.LIVE;
                    }
                    if (epoch < e.info.epoch()) {
                        return Heard.STALE;
                    }
                    if (stillTalking(e, now)) {
                        hold(e, new NodeInfo(nodeId, epoch, e.info.name(), e.info.beaconInterval(), List.of()));
                        return Heard.HELD;
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
                        doubts.accept(Doubt.FULL);
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
                if (source == Source.BEACON && !authenticated) {
                    // Anyone could have said it: the node is lost if its run stays silent (see sweep).
                    if (epoch == e.info.epoch() && e.goodbyeNanos == 0) {
                        e.goodbyeNanos = nanoClock.getAsLong();
                        doubts.accept(Doubt.GOODBYE_DOUBTED);
                    }
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
                    boolean handedOver = beacon != null && now - beacon >= handoverNanos(e);
                    if (e.heldRun != null && handedOver && live.size() <= MAX_NODES) {
                        // The run held back is the node's restart: the old one went silent (its goodbye said or not).
                        loseLocked(e, events);
                        appearLocked(e.heldRun, now, events);
                    } else if (e.heardNanos.isEmpty() || (beacon != null && now - beacon > timeout)
                            || e.goodbyeNanos != 0 && handedOver) {
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
        return Math.max(nodeTimeout.toNanos(), cappedInterval(info) / 2 * 7);
    }

    private static long cappedInterval(NodeInfo info) {
        return Math.min(info.beaconInterval().toNanos(), TimeUnit.HOURS.toNanos(
                MAX_TRUSTED_INTERVAL_HOURS));
    }

    /** How long a run must be silent before unauthenticated input may end it (see the class comment). */
    private long handoverNanos(Entry e) {
        return Math.min(e.maxIntervalNanos / 2 * 5, timeoutNanos(e.info) / 2);
    }

    /** Under this: whether unauthenticated input must not end the entry's run yet, since it spoke lately. */
    private boolean stillTalking(Entry e, long now) {
        Long beacon = e.heardNanos.get(Source.BEACON);
        return !authenticated && beacon != null && now - beacon < handoverNanos(e);
    }

    /** @return whether an epoch is to be doubted for good: unauthenticated and too far ahead of this node's clock */
    private boolean aheadOfTime(int epoch) {
        return !authenticated && epoch > System.currentTimeMillis() / 1000 + MAX_EPOCH_AHEAD_SECONDS;
    }

    /** Under this: a newer run is held back; the newest one held takes over if the entry's run goes silent. */
    private void hold(Entry e, NodeInfo newer) {
        if (e.heldRun == null || newer.epoch() > e.heldRun.epoch()
                || newer.epoch() == e.heldRun.epoch() && !newer.rooms().isEmpty()) {
            e.heldRun = newer;
        }
        doubts.accept(Doubt.RUN_HELD);
    }

    /** Under this: the run spoke after a doubted goodbye, which was thus not its own. */
    private void refuteGoodbye(Entry e) {
        if (e.goodbyeNanos != 0) {
            e.goodbyeNanos = 0;
            doubts.accept(Doubt.GOODBYE_REFUTED);
        }
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

    /** Lost by silence, or by a newer run: as after a goodbye if the run said one (doubted, and not refuted). */
    private void loseLocked(Entry e, List<Runnable> events) {
        loseLocked(e, events, e.goodbyeNanos != 0);
    }

    /**
     * @param goodbye whether the run ended with its goodbye. Only an authenticated goodbye makes the run's later
     *                traffic late for good: an unauthenticated one was believed after the run's silence, which a
     *                partition also explains, and the run may speak again when it heals.
     */
    private void loseLocked(Entry e, List<Runnable> events, boolean goodbye) {
        live.remove(e.info.nodeId());
        lost.put(e.info.nodeId(), new Lost(e.info, goodbye && authenticated));
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
