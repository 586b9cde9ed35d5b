package org.xo.engine;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xo.core.CompressedSizeEstimate;
import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.GroupAddressing;
import org.xo.core.Kind;
import org.xo.core.MalformedDatagramException;
import org.xo.core.OverlayRoom;
import org.xo.core.Pacer;
import org.xo.core.RoomIndex;
import org.xo.core.StreamId;
import org.xo.discovery.AdvertisedRoom;
import org.xo.discovery.Beacon;
import org.xo.discovery.Directory;
import org.xo.discovery.DirectoryListener;
import org.xo.discovery.DirectoryView;
import org.xo.discovery.DnsSdAdvertiser;
import org.xo.discovery.MalformedBeaconException;
import org.xo.discovery.NodeInfo;
import org.xo.discovery.Source;
import org.xo.engine.EngineStats.Counter;
import org.xo.security.DatagramSeal;
import org.xo.security.Opener;
import org.xo.security.OverlayKeys;
import org.xo.security.SealException;
import org.xo.security.Sealer;
import org.xo.sync.Deduplicator;
import org.xo.sync.MemoryRoomLog;
import org.xo.sync.RepairMessages;
import org.xo.sync.RepairMessages.MalformedRepairException;
import org.xo.sync.RepairMessages.Range;
import org.xo.sync.Repairer;
import org.xo.sync.RoomLog;
import org.xo.sync.RoomState;
import org.xo.transport.Interfaces;
import org.xo.transport.LogThrottle;
import org.xo.transport.Transport;
import org.xo.transport.UdpConfig;

/**
 * The XO engine: the one entry point of the Openfire adapter into the overlay. It turns local room events into
 * envelopes on the room's multicast group (paced, batched, compressed) and hands the remote events it hears for
 * the rooms open here to an {@link EngineListener}, once each.
 * <p>
 * Rooms are named by their overlay address {@code name@service}, or by a bare name to which
 * {@link EngineConfig#overlayService()} is appended.
 * <p>
 * Send path: {@link #publish} → {@link RoomState} → {@link Pacer} → {@link EnvelopeCodec} → {@link Sealer} (on a
 * keyed overlay, {@link EngineConfig#overlayKeys()}) → {@link Transport}.
 * Receive path (transport thread): the overlay key's gate ({@link Opener}: on a keyed overlay a datagram that is not
 * sealed, authentic and new is dropped before it is parsed; on an open one a sealed datagram is) → decode (room
 * hashes resolved against the open rooms) → drop own envelopes → the guard (per-origin rates, see
 * {@link OriginGuard}; on an open overlay, far-ahead seqs, see {@link #farAhead}, and new runs or goodbyes of nodes
 * still talking, see {@link Directory}) → drop other-room and duplicate envelopes → answer STATE_REQUESTs with the
 * room's {@link RoomState#snapshotForReplay()} (the original envelopes, which receivers that have them drop), at most
 * once per {@link #STATE_REPLY_GAP_NANOS} → listener. Every drop is counted in {@link #stats()}.
 * <p>
 * Room log and repair (see {@code org.xo.sync}): every room-stream envelope published or received here goes into a
 * {@link RoomLog} (the caller's, or one in memory), which decides what is new; a timer thread "xo-repair" sends the
 * rooms' digests, NACKs for gaps and answers from the log, and prunes the log every minute. Events that repair brings
 * reach the listener flagged late ({@link EngineListener#onRemoteEvent(Envelope, boolean)}).
 * <p>
 * A room whose multicast group cannot be joined (the transport says why, e.g. the process is out of file
 * descriptors) is open but not carried: it lives on in the local server only, {@link #uncarriedRooms()} tells why,
 * one warning is logged, {@link #publish} drops its events, and the next {@link #openRoom} of it tries again.
 * <p>
 * Discovery (when {@link EngineConfig#discovery()} is on, see {@code org.xo.discovery}): a timer thread
 * "xo-discovery" sends this node's beacons on the control group and sweeps the {@link #directory()}; received
 * beacons feed it, and every other envelope of a known node counts as heard. When a node is lost, the engine drops
 * its remote occupant records, makes the deduplicator forget exactly their latest presences and calls
 * {@link EngineListener#onNodeLost}; when it is heard again (or restarts with a new epoch), the engine calls
 * {@link EngineListener#onNodeReturned} and sends a STATE_REQUEST in every open room, whose replay brings back the
 * node's current occupants exactly once while its messages stay duplicates. With {@link EngineConfig#dnsSd()}, a
 * {@link DnsSdAdvertiser} also registers the node on the interface's link and feeds the directory with the XO
 * nodes it resolves there; it starts and closes on its own thread (close waits at most 3 s for its goodbye).
 * <p>
 * Settings change while the engine runs through {@link #reconfigure}: one node, one run (origin epoch), the same
 * streams (one sequence per room, see {@link Envelope}) and one duplicate filter from {@link #start()} to
 * {@link #close()}, whatever the transport, groups and timers in between. Only node id and overlay service need a
 * new engine.
 * <p>
 * Thread-safe.
 */
public final class XoEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(XoEngine.class);
    /** An extra beacon for a change goes out at most this long after the previous beacon. */
    static final long MIN_BEACON_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** The control address's room name: beacons carry {@code xo-control@<overlay service>}. */
    public static final String CONTROL_ROOM_NAME = "xo-control";
    /** TXT record updates at most this often (mDNS asks for at most one announcement per second). */
    static final Duration DNS_SD_MIN_UPDATE_GAP = Duration.ofSeconds(1);
    /** How long {@link #close()} waits for the DNS-SD goodbye. */
    static final Duration DNS_SD_CLOSE_WAIT = Duration.ofMillis(800);
    /** How long a new DNS-SD registration waits for the old one's goodbye (JmDNS takes about 2 s). */
    static final Duration DNS_SD_RESTART_WAIT = Duration.ofSeconds(3);

    /** How often the repair timer looks for NACKs, answers and digests that are due. */
    static final Duration REPAIR_TICK = Duration.ofMillis(50);
    /** A room with traffic sends its digest this often; after the traffic it doubles up to {@link #DIGEST_IDLE}. */
    static final long DIGEST_ACTIVE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The slow digest of a quiet room: what finds a tail loss (or a healed partition) long after the traffic. */
    static final long DIGEST_IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** A digest that shows another node behind this one is answered with this node's digest, at most this often. */
    static final long DIGEST_SOON_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /** Streams a digest lists only while they had an event within this time. */
    static final long DIGEST_STREAM_ACTIVE_NANOS = TimeUnit.MINUTES.toNanos(10);
    /** Random waits before asking and before answering, retry time and attempts per gap (see {@link Repairer}). */
    static final long NACK_DELAY_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    static final long ANSWER_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    static final long NACK_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    static final int NACK_MAX_ATTEMPTS = 16;
    /** Events fetched from the log for one requested range at a time. */
    static final int ANSWER_FETCH = 256;
    /** A range the answer bandwidth cut short is taken up again after this. */
    static final long ANSWER_DEFER_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    static final long PRUNE_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** Occupants whose latest presence seq a room remembers (to keep an older one from resurrecting them). */
    static final int MAX_PRESENCE_SEQS = 4096;
    /**
     * A room's state goes out at most once per this gap: STATE_REQUESTs within it get the next replay, so a flood of
     * requests (from any number of origins) costs one replay per room and gap.
     */
    static final long STATE_REPLY_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /**
     * On an open overlay, a seq further ahead of its stream's highest while the stream is active (see
     * {@link #farAhead}) is dropped: the duplicate filter's window, so an accepted jump never makes a real envelope
     * look older than the window.
     */
    static final long MAX_SEQ_JUMP = Deduplicator.DEFAULT_WINDOW;

    private enum State { NEW, RUNNING, CLOSED }

    private record OccupantRun(long originNode, int originEpoch, String nick) {
    }

    /**
     * A room's repair state beside the {@link Repairer}'s: when its digest is due, its answer bandwidth, the streams
     * recently active in it and the latest presence seq of each remote occupant. Flags written on the receive thread,
     * the rest on the repair timer thread.
     */
    private static final class RoomRepair {
        /** An event entered the log since the last look. */
        volatile boolean activity;
        /** A digest heard here was behind this node's: send ours soon. */
        volatile boolean digestSoon;
        long nextDigestNanos = System.nanoTime() + DIGEST_ACTIVE_NANOS;
        long lastDigestNanos = System.nanoTime();
        long quietStepNanos = DIGEST_ACTIVE_NANOS;
        private long lastReplayNanos = System.nanoTime() - STATE_REPLY_GAP_NANOS;
        private boolean replayDue;
        double answerTokens;
        long tokensAtNanos = System.nanoTime();
        private final Map<StreamId, Long> streamActivity = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<StreamId, Long> eldest) {
                return size() > Repairer.MAX_STREAMS_PER_ROOM;
            }
        };
        private final Map<OccupantRun, Long> presenceSeqs = new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<OccupantRun, Long> eldest) {
                return size() > MAX_PRESENCE_SEQS;
            }
        };

        synchronized void active(StreamId stream, long now) {
            streamActivity.put(stream, now);
            activity = true;
        }

        /** @return the streams active within the window, most recent first */
        synchronized List<StreamId> activeStreams(long now) {
            List<Map.Entry<StreamId, Long>> recent = new ArrayList<>();
            for (Map.Entry<StreamId, Long> e : streamActivity.entrySet()) {
                if (now - e.getValue() < DIGEST_STREAM_ACTIVE_NANOS) {
                    recent.add(Map.entry(e.getKey(), e.getValue()));
                }
            }
            recent.sort(Map.Entry.<StreamId, Long>comparingByValue().reversed());
            List<StreamId> out = new ArrayList<>(recent.size());
            recent.forEach(e -> out.add(e.getKey()));
            return out;
        }

        /** A STATE_REQUEST came. @return whether to replay now; if not, the next {@link #deferredReplayDue} will */
        synchronized boolean replayNow(long now) {
            if (now - lastReplayNanos >= STATE_REPLY_GAP_NANOS) {
                lastReplayNanos = now;
                replayDue = false;
                return true;
            }
            replayDue = true;
            return false;
        }

        /** @return whether a request put off by {@link #replayNow} is to be answered now (the gap has passed) */
        synchronized boolean deferredReplayDue(long now) {
            if (!replayDue || now - lastReplayNanos < STATE_REPLY_GAP_NANOS) {
                return false;
            }
            replayDue = false;
            lastReplayNanos = now;
            return true;
        }

        /** @return whether a newer presence-like event of the same occupant (node run and nick) was seen; records it */
        synchronized boolean supersededPresence(Envelope e) {
            OccupantRun key = new OccupantRun(e.originNode(), e.originEpoch(), e.nick());
            Long latest = presenceSeqs.get(key);
            if (latest != null && latest > e.seq()) {
                return true;
            }
            presenceSeqs.put(key, e.seq());
            return false;
        }
    }

    /**
     * A room open on this node; {@code refs} and {@code uncarried} are written under {@link #roomLock}, {@code group}
     * and a reconfiguration's {@code uncarried} also under the send gate's write lock.
     */
    private static final class OpenRoom {
        final OverlayRoom room;
        volatile Inet4Address group;
        final RoomState state;
        int refs = 1;
        /** Why the room's group could not be joined; null while the overlay carries the room. */
        volatile String uncarried;
        /** Taken briefly to number the room's envelopes and queue them in seq order. */
        final ReentrantLock stream = new ReentrantLock();
        /** Signalled under {@link #stream} when a hold ends. */
        final Condition holdEnded = stream.newCondition();
        /** Under {@link #stream}: who holds the room's next seq (see {@link #holdStream}), and until when. */
        StreamHold holder;
        long holdDeadline;
        final RoomRepair repair = new RoomRepair();

        OpenRoom(OverlayRoom room, Inet4Address group, RoomState state) {
            this.room = room;
            this.group = group;
            this.state = state;
        }
    }

    private final EngineListener listener;
    // Replaced by reconfigure, under roomLock and the send gate's write lock.
    private volatile EngineConfig config;
    private volatile Transport transport;
    private volatile EnvelopeCodec codec;
    /** How well this node's datagrams compress: the pacer fills datagrams by compressed size (new with each codec). */
    private volatile CompressedSizeEstimate packing = new CompressedSizeEstimate();
    private volatile GroupAddressing addressing;
    /**
     * Held shared by everything that puts envelopes into the pacer (reading a room's group for them), exclusively by
     * {@link #reconfigure} while it switches pacer, transport and groups: no envelope goes to a pacer, group or
     * transport that is being replaced, and what the old ones hold is sent before the switch.
     */
    private final ReentrantReadWriteLock sendGate = new ReentrantReadWriteLock();
    private final EngineStats stats = new EngineStats();
    private final Deduplicator dedup = new Deduplicator(Deduplicator.DEFAULT_WINDOW, Deduplicator.DEFAULT_MAX_STREAMS,
            skipped -> stats.add(Counter.STREAM_GAPS, skipped));
    /**
     * The next seq of each of this run's streams, by room address (the control address for beacons). Kept when a
     * room closes: a room opened again in the same run goes on with its stream, or receivers would drop the new
     * envelopes as duplicates. One entry per room ever opened in this run.
     */
    private final Map<String, AtomicLong> nextSeqs = new ConcurrentHashMap<>();
    private final Map<String, OpenRoom> rooms = new ConcurrentHashMap<>();
    /** The open rooms by the hash that wire version 2 carries; replaced under {@link #roomLock}. */
    private volatile RoomIndex roomIndex = RoomIndex.EMPTY;
    /**
     * Joined groups with their users (carried rooms, and the beacons when discovery is on): rooms can share a group,
     * even with the beacons, and it is left only when its last user is gone. Guarded by {@link #roomLock}.
     */
    private final Map<InetAddress, Integer> groupRefs = new HashMap<>();
    private final Object roomLock = new Object();
    private final LogThrottle malformedLog = LogThrottle.debug(LOG);
    /** Whether the one warning about a node of another wire version was logged in this run. */
    private final AtomicBoolean versionWarned = new AtomicBoolean();
    private final LogThrottle listenerLog = LogThrottle.warn(LOG);
    private final LogThrottle sendLog = LogThrottle.warn(LOG);
    private final LogThrottle beaconLog = LogThrottle.debug(LOG);
    /** Seals this run's datagrams when the overlay is keyed (a new salt per engine, see org.xo.security). */
    private final Sealer sealer;
    /** Replay windows of the senders heard; kept when the keys change, since they are keyed by sender only. */
    private final Opener opener = new Opener();
    /** Drops of hostile or unreadable input after their first, which was logged as a warning (see {@link #dropped}). */
    private final LogThrottle dropLog = LogThrottle.debug(LOG);
    /** Drop counters whose first drop was logged as a warning in this run; later ones go to the debug log. */
    private final Set<Counter> dropWarned = ConcurrentHashMap.newKeySet();
    /** Rate buckets per origin, and when each stream last moved. */
    private final OriginGuard guard = new OriginGuard(() -> stats.increment(Counter.GUARD_ORIGINS_FORGOTTEN));
    private final Directory directory;
    /** The control address beacons carry in their room field (the overlay service never changes in place). */
    private final String controlRoom;
    /** Nodes lost and not yet heard again; written from directory callbacks, cleared when discovery is turned off. */
    private final Set<Long> lostNodes = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > Directory.MAX_NODES;
        }
    }));
    private final AtomicBoolean adCheckPending = new AtomicBoolean();
    private volatile ScheduledExecutorService discoveryTimer;
    private volatile DnsSdAdvertiser dnsSd;
    /** Closed advertisers whose goodbye may still run on their own threads; see {@link #awaitTermination}. */
    private final Set<DnsSdAdvertiser> closingDnsSd = ConcurrentHashMap.newKeySet();
    /** Written only on the discovery timer thread. */
    private volatile long lastBeaconNanos = System.nanoTime() - MIN_BEACON_GAP_NANOS;
    private volatile List<List<String>> lastAdvertised = List.of();
    /** The bridges this node is configured for, as its beacons name them ({@link #advertiseGateways}). */
    private volatile Set<String> gateways = Set.of();
    /** A node just appeared: this node's next beacon goes out early even unchanged, so that it learns of this one. */
    private final AtomicBoolean beaconOwed = new AtomicBoolean();
    private volatile State state = State.NEW;
    private volatile Pacer pacer;
    private volatile int originEpoch;
    /** Every room-stream event published or received here; decides what is new across restarts. */
    private final RoomLog log;
    /** Whether the log is the engine's own (closed with it) rather than the caller's. */
    private final boolean ownsLog;
    private final Repairer repairer;
    /** The seq field of digests and NACKs: a per-run serial, not a stream seq (receivers never chase it). */
    private final AtomicLong repairSerial = new AtomicLong(1);
    private volatile ScheduledExecutorService repairTimer;
    /**
     * Nodes that said goodbye, with the time (nanoTime) their restart grace ends; written by directory callbacks, ended
     * by the repair timer.
     */
    private final Map<Long, Long> restartGraces = new ConcurrentHashMap<>();
    /** Repair timer thread only. */
    private long abandonedReported;
    private long streamsForgottenReported;
    private long lastPruneNanos = System.nanoTime();
    private final LogThrottle logFailures = LogThrottle.warn(LOG);

    /**
     * @param transport not yet started; the engine starts it and closes it
     * @param listener  receives remote events on the transport's receive thread
     */
    public XoEngine(EngineConfig config, Transport transport, EngineListener listener) {
        this(config, transport, listener, new MemoryRoomLog(config.logBounds()), true);
    }

    /**
     * @param log the room log to keep events in (a persistent one makes "delivered once" hold across restarts); the
     *            caller closes it after the engine
     */
    public XoEngine(EngineConfig config, Transport transport, EngineListener listener, RoomLog log) {
        this(config, transport, listener, log, false);
    }

    private XoEngine(EngineConfig config, Transport transport, EngineListener listener, RoomLog log,
                     boolean ownsLog) {
        this.log = Objects.requireNonNull(log, "log");
        this.ownsLog = ownsLog;
        // Gaps are chased as far back as logs keep events of one origin.
        this.repairer = new Repairer(new Repairer.Settings(NACK_DELAY_MAX_NANOS, ANSWER_DELAY_NANOS,
                NACK_RETRY_NANOS, NACK_MAX_ATTEMPTS, config.logBounds().maxPerOrigin()));
        this.config = config;
        this.transport = transport;
        this.listener = listener;
        this.codec = new EnvelopeCodec(config.compression());
        this.sealer = new Sealer(config.nodeId());
        this.addressing = new GroupAddressing(config.groupBase());
        this.controlRoom = OverlayRoom.of(CONTROL_ROOM_NAME, config.overlayService()).jid();
        this.directory = new Directory(config.nodeTimeout(), System::nanoTime);
        this.directory.authenticated(config.overlayKeys() != null);
        this.directory.onDoubt(this::doubted);
        this.directory.addListener(new DirectoryListener() {
            @Override
            public void nodeLost(NodeInfo node, boolean saidGoodbye) {
                onNodeLost(node, saidGoodbye);
            }

            @Override
            public void nodeAppeared(NodeInfo node) {
                onNodeAppeared(node.nodeId());
            }
        });
    }

    /**
     * Runs of engines in this JVM: an engine restarted within the same second (the overlay turned off and on, a new
     * overlay service) must not reuse its predecessor's epoch, or its envelopes, numbered from 1 again, would be
     * dropped as duplicates.
     */
    private static final AtomicInteger LAST_EPOCH = new AtomicInteger();

    /** Starts the pacer and the transport; this run's envelopes carry originEpoch = now in seconds (strictly increasing in this JVM). */
    public synchronized void start() throws IOException {
        if (state != State.NEW) {
            throw new IllegalStateException("The engine was already started.");
        }
        int now = (int) Instant.now().getEpochSecond();
        originEpoch = LAST_EPOCH.updateAndGet(last -> Math.max(now, last + 1));
        Pacer p = new Pacer(config.pacing(), this::packedSize, this::sendDatagram);
        try {
            transport.start(this::onDatagram);
            if (config.discovery()) {
                transport.join(config.controlGroup());
                synchronized (roomLock) {
                    groupRefs.put(config.controlGroup(), 1);
                }
            }
        } catch (IOException | RuntimeException e) {
            p.close();
            transport.close();
            throw e;
        }
        pacer = p;
        state = State.RUNNING;
        if (config.discovery()) {
            startDiscovery();
        }
        if (config.dnsSd()) {
            startDnsSd(null);
        }
        startRepairTimer();
        LOG.info("XO engine {} (node {}, epoch {}) started", config.nodeName(), Long.toHexString(config.nodeId()),
                originEpoch);
        if (config.overlayKeys() == null) {
            LOG.warn("The XO overlay is open: anyone on the network can read its rooms and speak in them; set"
                    + " xo.security.key-file to a key made with bin/xo-node --generate-key FILE");
        }
    }

    /**
     * Publishes a local room event to the overlay: assigns the next seq, records it in the room's state (for
     * replay to nodes that join later) and queues it for the room's group.
     *
     * @param room   overlay room address or bare room name; the room must be open
     * @param kind   a room event kind (code below 0x40); control envelopes are the engine's own
     * @return the envelope as sent; null when the overlay does not carry the room (see {@link #openRoom}): the event is
     * then dropped and counted as publish.uncarried, since a node that cannot hear a room must not speak in it either
     * (remote occupants would see local ones who never see them), and the local server has the room all the same
     * @throws IllegalArgumentException when a field is invalid or oversized (counted as publish.rejected)
     * @throws IllegalStateException    when the engine is not running or the room is not open (also counted)
     */
    public Envelope publish(String room, String nick, Kind kind, String stanza) {
        return publish(room, nick, kind, stanza, null);
    }

    private Envelope publish(String room, String nick, Kind kind, String stanza, StreamHold hold) {
        try {
            requireRunning();
            if (kind == null || kind.code() >= 0x40) {
                throw new IllegalArgumentException("Only room event kinds can be published, not " + kind + ".");
            }
            OverlayRoom r = resolve(room);
            OpenRoom open = rooms.get(r.jid());
            if (open == null) {
                throw new IllegalStateException("Room " + r.jid() + " is not open on this node.");
            }
            long now = System.currentTimeMillis();
            // Validate before taking a seq: a rejected event must not leave a gap in the room's stream.
            EnvelopeCodec.checkBounds(new Envelope(config.nodeId(), originEpoch, 1, now, r.jid(), nick, kind, stanza));
            Envelope e;
            sendGate.readLock().lock();
            try {
                if (open.uncarried != null) {
                    stats.increment(Counter.PUBLISH_UNCARRIED);
                    return null;
                }
                // Per room in seq order, so that receivers see a gap only where something was lost.
                lockStream(open, hold);
                try {
                    e = new Envelope(config.nodeId(), originEpoch, nextSeq(r.jid()), now, r.jid(), nick, kind, stanza);
                    open.state.recordLocal(e);
                    pacer.submit(open.group, e);
                } finally {
                    unlockStream(open, hold);
                }
            } finally {
                sendGate.readLock().unlock();
            }
            appendToLog(open, e, true);
            if (kind != Kind.GROUPCHAT && kind != Kind.PRIVATE) {
                advertisementMayHaveChanged();
            }
            return e;
        } catch (IllegalArgumentException | IllegalStateException e) {
            stats.increment(Counter.PUBLISH_REJECTED);
            throw e;
        }
    }

    /**
     * Opens a room on this node (reference-counted). The first open joins the room's group and asks the other
     * nodes for the room's state (STATE_REQUEST): their occupants, recent messages and subject come back to the
     * listener.
     * <p>
     * When the group cannot be joined, the room is open all the same but not carried (see the class comment); an open
     * of a room that is not carried tries the join again.
     *
     * @param room overlay room address or bare room name
     * @return whether the overlay carries the room
     */
    public boolean openRoom(String room) {
        requireRunning();
        OverlayRoom r = resolve(room);
        OpenRoom opened;
        boolean created = false;
        synchronized (roomLock) {
            opened = rooms.get(r.jid());
            if (opened == null) {
                created = true;
                opened = new OpenRoom(r, addressing.groupFor(r), new RoomState(r.jid(), config.historyReplay()));
                boolean carried = carry(opened); // before the room is visible: never published to if not carried
                rooms.put(r.jid(), opened);
                roomIndex = RoomIndex.of(rooms.keySet());
                if (!carried) {
                    return false;
                }
            } else {
                opened.refs++;
                if (opened.uncarried == null) {
                    return true;
                }
                if (!carry(opened)) {
                    return false;
                }
            }
        }
        if (created) {
            learnHeldStreams(opened);
        }
        requestState(opened);
        advertisementMayHaveChanged();
        LOG.debug("Opened room {} on group {}", r.jid(), opened.group.getHostAddress());
        return true;
    }

    /**
     * Tells the repairer how far the log already holds each stream of a room (a restart with a persistent log): what
     * it holds is not asked for again, and only what came after is a gap.
     */
    private void learnHeldStreams(OpenRoom open) {
        try {
            log.held(open.room.jid()).forEach((stream, held) -> {
                if (stream.originNode() != config.nodeId()) {
                    repairer.holds(stream, held.last());
                }
            });
        } catch (RuntimeException e) {
            stats.increment(Counter.LOG_ERRORS);
            logFailures.log("Reading the room log of " + open.room.jid() + " failed", e);
        }
    }

    /** Asks the other nodes in a room for its state: their occupants, recent messages and subject come back. */
    private void requestState(OpenRoom open) {
        boolean sent;
        Envelope request;
        // The send gate before the room's stream, as in publish: the other order could deadlock with a reconfigure.
        sendGate.readLock().lock();
        try {
            lockStream(open, null);
            try {
                request = new Envelope(config.nodeId(), originEpoch, nextSeq(open.room.jid()),
                        System.currentTimeMillis(), open.room.jid(), "", Kind.STATE_REQUEST, "");
                sent = submit(open.group, request);
            } finally {
                unlockStream(open, null);
            }
        } finally {
            sendGate.readLock().unlock();
        }
        appendToLog(open, request, true); // numbered in the room's stream: others may ask for it
        if (sent) {
            stats.increment(Counter.STATE_REQUESTS_SENT);
        }
    }

    /**
     * Holds the next seq of a room's stream for one event, so that its overlay id is known before it is published:
     * until the hold publishes or is closed, other events of the room wait. The Openfire adapter needs it because the
     * origin's own room delivers a message before the adapter knows that the room accepted it. A hold that outlives
     * {@link #HOLD_TIMEOUT} (its holder failed to close it) is broken by the next event of the room (counted as
     * stream.holds-broken); it then publishes with the next seq of its time, another overlay id.
     *
     * @param room overlay room address or bare room name
     * @param wait how long to wait for another hold of the room to end
     * @return the hold, or null when the room is not open or not carried, the engine not running, or the wait ran out
     */
    public StreamHold holdStream(String room, Duration wait) {
        OpenRoom open = state == State.RUNNING ? rooms.get(resolve(room).jid()) : null;
        if (open == null || open.uncarried != null) {
            return null;
        }
        open.stream.lock();
        try {
            long deadline = System.nanoTime() + wait.toNanos();
            while (open.holder != null && !holdExpired(open)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                open.holdEnded.awaitNanos(Math.max(1, Math.min(left, open.holdDeadline - System.nanoTime())));
            }
            StreamHold hold = new StreamHold(open, nextSeqs.computeIfAbsent(open.room.jid(), r -> new AtomicLong(1))
                    .get());
            open.holder = hold;
            open.holdDeadline = System.nanoTime() + HOLD_TIMEOUT.toNanos();
            return hold;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            open.stream.unlock();
        }
    }

    /** How long a hold keeps a room's next seq at the most: far longer than a server takes to route one message. */
    public static final Duration HOLD_TIMEOUT = Duration.ofSeconds(2);

    /** Under the room's stream lock: whether the current hold is past its deadline (then it is broken, and counted). */
    private boolean holdExpired(OpenRoom open) {
        if (System.nanoTime() - open.holdDeadline < 0) {
            return false;
        }
        open.holder = null;
        stats.increment(Counter.STREAM_HOLDS_BROKEN);
        return true;
    }

    /** Takes the room's stream lock once no other hold than {@code mine} (null: none) keeps the next seq. */
    private void lockStream(OpenRoom open, StreamHold mine) {
        open.stream.lock();
        try {
            while (open.holder != null && open.holder != mine && !holdExpired(open)) {
                open.holdEnded.awaitNanos(Math.max(open.holdDeadline - System.nanoTime(), 1));
            }
        } catch (InterruptedException e) {
            open.stream.unlock();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while room " + open.room.jid() + " was held.", e);
        }
    }

    /** Releases the room's stream lock; {@code mine}, if it still holds the room, ends with it. */
    private void unlockStream(OpenRoom open, StreamHold mine) {
        if (mine != null && open.holder == mine) {
            open.holder = null;
            open.holdEnded.signalAll();
        }
        open.stream.unlock();
    }

    /**
     * The next seq of one room's stream, held for one event ({@link #holdStream}). Publish through it at most once,
     * and close it in any case (closing after publishing does nothing).
     */
    public final class StreamHold implements AutoCloseable {
        private final OpenRoom open;
        private final long seq;

        private StreamHold(OpenRoom open, long seq) {
            this.open = open;
            this.seq = seq;
        }

        /** @return the overlay id the held event will have ({@link Envelope#overlayId()}) */
        public String overlayId() {
            return Envelope.overlayId(config.nodeId(), originEpoch, open.room.jid(), seq);
        }

        /**
         * Publishes the held event, as {@link XoEngine#publish} does; its seq is the held one unless the hold was
         * broken meanwhile.
         */
        public Envelope publish(String nick, Kind kind, String stanza) {
            return XoEngine.this.publish(open.room.jid(), nick, kind, stanza, this);
        }

        @Override
        public void close() {
            open.stream.lock();
            unlockStream(open, this);
        }
    }

    /** Takes the next seq of this run's stream in a room (or of the control address). */
    private long nextSeq(String room) {
        return nextSeqs.computeIfAbsent(room, r -> new AtomicLong(1)).getAndIncrement();
    }

    /** Joins the room's group unless it is joined already; under {@link #roomLock}. @return whether carried */
    private boolean carry(OpenRoom open) {
        String uncarried = joinFor(open, open.group, transport, groupRefs);
        open.uncarried = uncarried;
        return uncarried == null;
    }

    /**
     * Joins a room's group on a transport unless {@code refs} holds it already, and counts the room among its users;
     * under {@link #roomLock}. A failure is counted and logged (a warning when the room was carried so far), a
     * success after a failure logged too; the caller records the outcome in the room.
     *
     * @return null when the room is carried, else why its group could not be joined
     */
    private String joinFor(OpenRoom open, Inet4Address group, Transport target, Map<InetAddress, Integer> refs) {
        String jid = open.room.jid();
        if (!refs.containsKey(group)) {
            try {
                target.join(group);
            } catch (IOException e) {
                stats.increment(Counter.ROOMS_UNCARRIED);
                if (open.uncarried == null) {
                    LOG.warn("Room {} stays on this node only: the overlay cannot carry it, its multicast group {} was"
                            + " not joined", jid, group.getHostAddress(), e);
                } else {
                    LOG.debug("Room {} is still not carried: its multicast group {} was not joined", jid,
                            group.getHostAddress(), e);
                }
                return e.getMessage();
            }
        }
        refs.merge(group, 1, Integer::sum);
        if (open.uncarried != null) {
            LOG.info("Room {} joined its multicast group {} on a new try: the overlay carries it now", jid,
                    group.getHostAddress());
        }
        return null;
    }

    /**
     * Closes one reference to a room; the last close forgets the room's state and leaves its group (unless another
     * open room shares the group). Closing a room that is not open does nothing.
     */
    public void closeRoom(String room) throws IOException {
        OverlayRoom r = resolve(room);
        synchronized (roomLock) {
            OpenRoom open = rooms.get(r.jid());
            if (open == null) {
                LOG.debug("closeRoom({}): the room is not open", r.jid());
                return;
            }
            if (--open.refs > 0) {
                return;
            }
            rooms.remove(r.jid());
            roomIndex = RoomIndex.of(rooms.keySet());
            repairer.forgetRoom(r.jid());
            // Opened again, the room asks for the others' state: their occupants' presences must pass once more.
            open.state.removeAllRemoteOccupants().forEach(dedup::forget);
            if (open.uncarried == null && groupRefs.merge(open.group, -1, Integer::sum) == 0) {
                groupRefs.remove(open.group);
                if (state == State.RUNNING) {
                    transport.leave(open.group);
                }
            }
        }
        advertisementMayHaveChanged();
        LOG.debug("Closed room {}", r.jid());
    }

    /**
     * Applies new settings to the running engine as the same run of the same node: node id, origin epoch, sequence
     * numbers, duplicate filter, room states, directory and open rooms are kept, so other nodes see no restart and
     * nothing already delivered here passes again. Only what the new settings touch is replaced:
     * <ul>
     * <li>UDP settings (interface, port, TTL, ...): a new transport is started and every open room's group joined on
     * it (and the control group) before the switch; the old transport is closed after it;</li>
     * <li>group base: every open room moves to its new group (joined before the switch, the old one left after);</li>
     * <li>pacing: a new pacer for what is submitted after the switch; compression: the next datagrams;</li>
     * <li>history replay: every open room's log is resized (a shorter one drops its oldest messages at once);</li>
     * <li>discovery: its timer restarts with the new interval, timeout, control group and node name (a beacon goes
     * out at once); turned off, the directory is cleared without anyone being lost (this node stopped listening, nobody
     * left); turned on, every room asks for its state, as a node that just started listening would; DNS-SD re-registers
     * when its record changes (name, interface, port, interval).</li>
     * </ul>
     * The switch is atomic with respect to sends: what the pacer holds is sent through the old transport to the old
     * groups first, and everything submitted after goes through the new ones; no envelope is lost or sent twice by it.
     * A room that moved (new group, port or interface) then asks for its state and repeats its own, as when it was
     * opened, so that nodes which move before or after this one get what was said in between (within the history
     * replay) and drop what they have.
     * <p>
     * A room whose new group cannot be joined stays open but is not carried, as in {@link #openRoom}.
     *
     * @param next       the new settings; the same node id and overlay service
     * @param transports makes the transport for new UDP settings (not started); only called when they changed
     * @return what changed, for the log; empty when nothing did
     * @throws IllegalArgumentException when the node id or the overlay service differ: they make a new node or other
     *                                  rooms, that is a new engine; nothing was changed
     * @throws IOException              when the new transport cannot start or cannot join the control group; the
     *                                  engine runs on as before
     * @throws IllegalStateException    when the engine is not running
     */
    public synchronized List<String> reconfigure(EngineConfig next, Function<UdpConfig, ? extends Transport> transports)
            throws IOException {
        requireRunning();
        Objects.requireNonNull(next, "next");
        EngineConfig before = config;
        if (next.nodeId() != before.nodeId()) {
            throw new IllegalArgumentException("The node id cannot change in a running engine (" + Long.toHexString(
                    before.nodeId()) + " to " + Long.toHexString(next.nodeId()) + "); start a new engine.");
        }
        if (!next.overlayService().equals(before.overlayService())) {
            throw new IllegalArgumentException("The overlay service cannot change in a running engine ("
                    + before.overlayService() + " to " + next.overlayService() + "): its rooms would be other rooms;"
                    + " start a new engine.");
        }
        if (next.equals(before)) {
            return List.of();
        }
        List<String> changes = before.differencesTo(next);
        long t0 = System.nanoTime();
        boolean newTransport = !next.udp().equals(before.udp());
        boolean roomsMove = !next.groupBase().equals(before.groupBase()) || next.udp().port() != before.udp().port()
                || !next.udp().networkInterface().equals(before.udp().networkInterface());
        Transport previous = transport;
        Transport target = previous;
        if (newTransport) {
            target = transports.apply(next.udp());
            try {
                target.start(this::onDatagram);
            } catch (IOException | RuntimeException e) {
                target.close();
                throw new IOException("The new transport could not start: " + e.getMessage(), e);
            }
        }
        try {
            switchTo(next, target);
        } catch (IOException | RuntimeException e) {
            if (newTransport) {
                target.close();
            }
            throw e;
        }
        if (newTransport) {
            previous.close();
        }
        boolean discoveryStarts = next.discovery() && !before.discovery();
        if (discoveryChanged(before, next)) {
            stopDiscoveryTimer();
            if (next.discovery()) {
                startDiscovery();
            } else {
                directory.clear();
                lostNodes.clear();
            }
        }
        if (dnsSdChanged(before, next)) {
            restartDnsSd(next);
        }
        if (roomsMove || discoveryStarts) {
            for (OpenRoom open : rooms.values()) {
                if (open.uncarried == null) {
                    requestState(open);
                    if (roomsMove) {
                        replayState(open);
                    }
                }
            }
        }
        LOG.info("XO engine {} reconfigured in {} ms, same node and run (epoch {}): {}", next.nodeName(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), originEpoch, String.join(", ", changes));
        return changes;
    }

    /**
     * Joins what the new settings need on the target transport, then switches pacer, transport, codec, groups and
     * settings at once under the send gate, then leaves on the same transport the groups no longer needed.
     *
     * @throws IOException when the control group cannot be joined; nothing was switched
     */
    private void switchTo(EngineConfig next, Transport target) throws IOException {
        GroupAddressing nextAddressing = new GroupAddressing(next.groupBase());
        synchronized (roomLock) {
            Map<InetAddress, Integer> refs = new HashMap<>();
            if (next.discovery()) {
                target.join(next.controlGroup()); // first: when it fails, nothing else was joined
                refs.put(next.controlGroup(), 1);
            }
            Map<OpenRoom, Inet4Address> groups = new HashMap<>();
            Map<OpenRoom, String> uncarried = new HashMap<>();
            for (OpenRoom open : rooms.values()) {
                Inet4Address group = nextAddressing.groupFor(open.room);
                groups.put(open, group);
                String failure = joinFor(open, group, target, refs);
                if (failure != null) {
                    uncarried.put(open, failure);
                }
            }
            EngineConfig before = config;
            sendGate.writeLock().lock();
            try {
                if (!next.pacing().equals(before.pacing())) {
                    pacer.close(); // sends what it holds, through the old transport to the old groups
                    pacer = new Pacer(next.pacing(), this::packedSize, this::sendDatagram);
                } else {
                    pacer.flushAll();
                }
                transport = target;
                codec = new EnvelopeCodec(next.compression());
                packing = new CompressedSizeEstimate();
                addressing = nextAddressing;
                config = next;
                for (OpenRoom open : rooms.values()) {
                    open.group = groups.get(open);
                    open.uncarried = uncarried.get(open);
                    open.state.resizeHistory(next.historyReplay());
                }
                directory.nodeTimeout(next.nodeTimeout());
                directory.authenticated(next.overlayKeys() != null);
            } finally {
                sendGate.writeLock().unlock();
            }
            Set<InetAddress> unused = new HashSet<>(groupRefs.keySet());
            unused.removeAll(refs.keySet());
            groupRefs.clear();
            groupRefs.putAll(refs);
            for (InetAddress group : unused) {
                try {
                    target.leave(group); // leaving a group the target never joined does nothing
                } catch (IOException e) {
                    LOG.debug("Leaving multicast group {} failed", group.getHostAddress(), e);
                }
            }
        }
    }

    /** Whether the discovery timer must restart: its period, sweep, group or beacon contents changed. */
    private static boolean discoveryChanged(EngineConfig before, EngineConfig next) {
        return before.discovery() != next.discovery() || next.discovery()
                && (!before.beaconInterval().equals(next.beaconInterval())
                || !before.nodeTimeout().equals(next.nodeTimeout())
                || !before.controlGroup().equals(next.controlGroup()) || !before.nodeName().equals(next.nodeName()));
    }

    /** Whether the DNS-SD registration must be redone: its address, name, port or TXT timing changed. */
    private static boolean dnsSdChanged(EngineConfig before, EngineConfig next) {
        return before.dnsSd() != next.dnsSd() || next.dnsSd()
                && (!before.udp().networkInterface().equals(next.udp().networkInterface())
                || before.udp().port() != next.udp().port() || !before.nodeName().equals(next.nodeName())
                || !before.beaconInterval().equals(next.beaconInterval())
                || !before.nodeTimeout().equals(next.nodeTimeout()));
    }

    /** Unregisters the old DNS-SD service and, when DNS-SD stays on, registers anew once the old one said goodbye. */
    private void restartDnsSd(EngineConfig next) {
        DnsSdAdvertiser old = dnsSd;
        dnsSd = null;
        if (old != null) {
            closeDnsSd(old);
        }
        if (next.dnsSd()) {
            startDnsSd(old);
        }
    }

    /** @return the overlay addresses of the rooms open on this node, carried or not */
    public Set<String> openRooms() {
        return Set.copyOf(rooms.keySet());
    }

    /**
     * @return the open rooms the overlay does not carry, by overlay address, each with the reason its group could
     * not be joined; a copy, sorted by address
     */
    public Map<String, String> uncarriedRooms() {
        Map<String, String> out = new TreeMap<>();
        for (OpenRoom open : rooms.values()) {
            String reason = open.uncarried;
            if (reason != null) {
                out.put(open.room.jid(), reason);
            }
        }
        return out;
    }

    /** @return the multicast group that carries a room (overlay address or bare name) */
    public Inet4Address groupOf(String room) {
        return addressing.groupFor(resolve(room));
    }

    /** @return the local occupants of an open room, as recorded from published presences; empty if not open */
    public Set<String> localNicks(String room) {
        OpenRoom open = rooms.get(resolve(room).jid());
        return open == null ? Set.of() : open.state.localNicks();
    }

    /** @return the pacer's current round-trip estimate (null before start) */
    public Duration estimatedRtt() {
        Pacer p = pacer;
        return p == null ? null : p.estimatedRtt();
    }

    /** @return how long a small envelope may wait for company: γ · estimated RTT, capped (null before start) */
    public Duration pacingTimeout() {
        Pacer p = pacer;
        return p == null ? null : p.imTimeout();
    }

    /**
     * @return the nodes and rooms learned from beacons (empty when discovery is off); read-only, with listeners for
     * changes
     */
    public DirectoryView directory() {
        return directory;
    }

    /** @return the nicks of a node's occupants in an open room, as recorded from its presences (empty if none) */
    public Set<String> remoteNicks(String room, long nodeId) {
        OpenRoom open = rooms.get(resolve(room).jid());
        return open == null ? Set.of() : open.state.remoteNicks(nodeId);
    }

    /**
     * The bridges this node is configured for (see {@link org.xo.discovery.Beacon}): its beacons name them from now
     * on, the next one at once. Nodes configured for the same bridge elect one of them by these.
     *
     * @throws IllegalArgumentException for a key a beacon cannot carry
     */
    public void advertiseGateways(Set<String> keys) {
        if (keys.size() > Beacon.MAX_GATEWAYS || !keys.stream().allMatch(Beacon::isGatewayKey)) {
            throw new IllegalArgumentException("A beacon cannot name these gateways: " + keys);
        }
        gateways = Set.copyOf(keys);
        advertisementMayHaveChanged();
    }

    /** @return what this node's next beacon advertises: its open rooms that have local occupants */
    public List<AdvertisedRoom> advertisedRooms() {
        List<AdvertisedRoom> out = new ArrayList<>();
        for (OpenRoom open : rooms.values()) {
            int occupants = open.state.localNicks().size();
            if (occupants > 0) {
                out.add(new AdvertisedRoom(open.room.jid(), open.group, config.udp().port(),
                        Math.min(occupants, Beacon.MAX_OCCUPANTS), open.state.subjectText().orElse("")));
            }
        }
        out.sort(java.util.Comparator.comparing(AdvertisedRoom::room));
        return out;
    }

    /** @return room events known to exist (heard of, or listed in digests) that this node does not hold yet */
    public long repairBacklog() {
        return repairer.missing();
    }

    /** @return the live counters */
    public EngineStats stats() {
        return stats;
    }

    public EngineConfig config() {
        return config;
    }

    /** @return what carries this engine's datagrams ({@link Transport#kind()}) */
    public String transportKind() {
        return transport.kind();
    }

    /** @return this run's origin epoch (seconds), 0 before {@link #start()} */
    public int originEpoch() {
        return originEpoch;
    }

    /** Says goodbye (discovery), sends what the pacer still holds, then closes the transport. Idempotent. */
    @Override
    public void close() {
        Pacer p;
        boolean wasRunning;
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            wasRunning = state == State.RUNNING;
            state = State.CLOSED;
            p = pacer;
        }
        DnsSdAdvertiser advertiser = dnsSd;
        if (advertiser != null) {
            closeDnsSd(advertiser); // unregisters on its own thread while the rest closes
        }
        stopDiscoveryTimer(); // no beacon may race the goodbye
        stopRepairTimer();
        if (p != null) {
            if (wasRunning && config.discovery()) {
                // Others drop this node at once instead of after the timeout (which still covers a lost goodbye).
                // The goodbye goes last: this run's traffic after it would be late (see Directory.heard).
                p.flushAll();
                sendBeacon(true);
            }
            p.close();
        }
        transport.close();
        if (ownsLog) {
            log.close();
        }
        if (advertiser != null) {
            try {
                // The DNS-SD goodbye makes peers withdraw this node at once (JmDNS needs about 2 s); bounded.
                if (!advertiser.awaitClosed(DNS_SD_CLOSE_WAIT)) {
                    LOG.debug("DNS-SD still closing; it finishes in the background");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.info("XO engine {} closed: {}", config.nodeName(), stats);
    }

    private void closeDnsSd(DnsSdAdvertiser advertiser) {
        advertiser.close();
        closingDnsSd.removeIf(DnsSdAdvertiser::isClosed);
        closingDnsSd.add(advertiser);
    }

    /**
     * Waits until no thread of this closed engine runs any more: {@link #close()} waits for the DNS-SD goodbye only
     * {@link #DNS_SD_CLOSE_WAIT} and lets it finish on its own thread (JmDNS takes about 2 s), which an
     * unloaded plugin must not leave behind.
     *
     * @return whether everything ended within the wait
     */
    public boolean awaitTermination(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        for (DnsSdAdvertiser advertiser : closingDnsSd) {
            if (!advertiser.awaitClosed(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                return false;
            }
        }
        return true;
    }

    private OverlayRoom resolve(String room) {
        if (room == null) {
            throw new IllegalArgumentException("Room address is missing.");
        }
        return room.indexOf('@') >= 0 ? OverlayRoom.parse(room) : OverlayRoom.of(room, config.overlayService());
    }

    private void requireRunning() {
        State s = state;
        if (s != State.RUNNING) {
            throw new IllegalStateException(s == State.NEW ? "The engine is not started." : "The engine is closed.");
        }
    }

    /** Queues an envelope for a room's current group. @return false when the engine closed meanwhile */
    private boolean submit(OpenRoom open, Envelope e) {
        sendGate.readLock().lock();
        try {
            return submit(open.group, e);
        } finally {
            sendGate.readLock().unlock();
        }
    }

    /** Under the send gate. @return false when the engine closed meanwhile (the pacer then refuses new envelopes) */
    private boolean submit(InetAddress group, Envelope e) {
        try {
            pacer.submit(group, e);
            return true;
        } catch (IllegalStateException closing) {
            if (state == State.RUNNING) {
                throw closing;
            }
            return false;
        }
    }

    private int packedSize(Envelope e) {
        return packing.size(e);
    }

    /**
     * The pacer's sink: one datagram's worth of envelopes for a group, packed by their estimated compressed size.
     * Envelopes that compressed worse than estimated, so that the datagram would exceed the payload budget (an MTU),
     * go out as two datagrams instead (counted as datagrams.split).
     */
    private void sendDatagram(InetAddress group, List<Envelope> batch) {
        try {
            int raw = 0;
            for (Envelope e : batch) {
                raw += EnvelopeCodec.encodedSize(e);
            }
            int budget = config.pacing().payloadBudget();
            byte[] datagram = raw <= EnvelopeCodec.MAX_PAYLOAD_BYTES || batch.size() == 1 ? codec.encode(batch) : null;
            // The header's size varies by a few bytes; its maximum is counted against the budget.
            int payload = datagram == null ? Integer.MAX_VALUE : datagram.length - EnvelopeCodec.MAX_HEADER_BYTES;
            if (datagram != null) {
                packing.observe(batch.size(), raw, payload);
            }
            if (batch.size() > 1 && payload > budget) {
                stats.increment(Counter.DATAGRAMS_SPLIT);
                int half = batch.size() / 2;
                sendDatagram(group, batch.subList(0, half));
                sendDatagram(group, batch.subList(half, batch.size()));
                return;
            }
            OverlayKeys keys = config.overlayKeys();
            if (keys != null) {
                datagram = sealer.seal(keys, datagram);
            }
            transport.send(group, ByteBuffer.wrap(datagram));
            stats.increment(Counter.DATAGRAMS_SENT);
            stats.add(Counter.BYTES_SENT, datagram.length);
            stats.add(Counter.ENVELOPES_SENT, batch.size());
        } catch (IOException | RuntimeException e) {
            stats.increment(Counter.SEND_ERRORS);
            sendLog.log("Sending " + batch.size() + " envelopes to " + group.getHostAddress() + " failed", e);
        }
    }

    /** The transport's handler: runs on its receive thread. */
    private void onDatagram(ByteBuffer data, InetSocketAddress sender) {
        stats.increment(Counter.DATAGRAMS_RECEIVED);
        stats.add(Counter.BYTES_RECEIVED, data.remaining());
        data = unseal(data, sender);
        if (data == null) {
            return;
        }
        EnvelopeCodec.Decoded decoded;
        try {
            decoded = codec.decode(data, roomIndex);
        } catch (MalformedDatagramException e) {
            stats.increment(Counter.dropped(e.reason()));
            if (e.reason() == MalformedDatagramException.Reason.VERSION && versionWarned.compareAndSet(false, true)) {
                LOG.warn("Node at {} speaks another XO wire version ({}): its datagrams are dropped and counted as "
                        + "dropped.version; nodes of different XO versions do not understand each other", sender,
                        e.getMessage());
            } else {
                malformedLog.log("Dropped a datagram from " + sender + ": " + e.reason() + ", " + e.getMessage(), null);
            }
            return;
        }
        stats.add(Counter.ENVELOPES_RECEIVED, decoded.envelopes().size() + decoded.unknownKinds()
                + decoded.otherRooms() + decoded.ambiguousRooms());
        stats.add(Counter.ENVELOPES_UNKNOWN_KIND, decoded.unknownKinds());
        stats.add(Counter.ENVELOPES_OTHER_ROOM, decoded.otherRooms());
        stats.add(Counter.ENVELOPES_AMBIGUOUS_ROOM, decoded.ambiguousRooms());
        for (Envelope e : decoded.envelopes()) {
            onEnvelope(e);
        }
    }

    /**
     * The overlay key's gate, before anything of the datagram is parsed.
     *
     * @return the open datagram, or null when it was dropped (and counted)
     */
    private ByteBuffer unseal(ByteBuffer data, InetSocketAddress sender) {
        OverlayKeys keys = config.overlayKeys();
        if (keys == null) {
            if (DatagramSeal.isSealed(data)) {
                dropped(Counter.DROPPED_SEALED, "Dropped a datagram from " + sender + ": sealed, and this node has"
                        + " no overlay key (xo.security.key-file)");
                return null;
            }
            return data;
        }
        try {
            return opener.open(keys, data).datagram();
        } catch (SealException e) {
            dropped(Counter.dropped(e.reason()), "Dropped a datagram from " + sender + ": " + e.getMessage());
            return null;
        }
    }

    /** Counts a drop; the first of each counter in this run is logged as a warning, later ones at debug level. */
    private void dropped(Counter counter, String line) {
        stats.increment(counter);
        if (dropWarned.add(counter)) {
            LOG.warn("{} (counted as {}; further ones are logged at debug level)", line, counter.key());
        } else {
            dropLog.log(line, null);
        }
    }

    /** Directory callback: what unauthenticated input could not do, counted and logged as a drop. */
    private void doubted(Directory.Doubt doubt) {
        switch (doubt) {
            case RUN_HELD -> dropped(Counter.GUARD_RUNS_HELD, "Held back a new run of a node whose current run still"
                    + " talks (open overlay: anyone could have sent it)");
            case GOODBYE_DOUBTED -> dropped(Counter.GUARD_GOODBYES_DOUBTED, "A goodbye beacon is believed only if its"
                    + " node stays silent (open overlay: anyone could have sent it)");
            case GOODBYE_REFUTED -> dropped(Counter.GUARD_GOODBYES_REFUTED, "A node spoke again after a goodbye beacon"
                    + " in its name: someone else sent the goodbye");
            case FULL -> dropped(Counter.GUARD_DIRECTORY_FULL, "A new node was not added: the directory holds "
                    + Directory.MAX_NODES + " nodes");
        }
    }

    /**
     * The per-origin rate limits and, on an open overlay, the sequence-jump rule (see {@link #farAhead}).
     *
     * @return whether the envelope may go on
     */
    private boolean admitted(Envelope e) {
        long now = System.nanoTime();
        String origin = Long.toHexString(e.originNode());
        switch (guard.admit(e, config.originEnvelopesPerSecond(), now)) {
            case RATE_LIMITED -> {
                dropped(Counter.GUARD_RATE_LIMITED, "Dropped envelopes of node " + origin + ": over "
                        + config.originEnvelopesPerSecond() + " envelopes per second");
                return false;
            }
            case REQUESTS_RATE_LIMITED -> {
                dropped(Counter.GUARD_REQUESTS_RATE_LIMITED, "Dropped requests of node " + origin + ": over "
                        + OriginGuard.REQUESTS_PER_SECOND + " state requests, digests and NACKs per second");
                return false;
            }
            case PASS -> { }
        }
        if (OriginGuard.isRequest(e.kind()) && e.kind() != Kind.STATE_REQUEST) {
            return true; // digests and NACKs are numbered by a serial of their own, not in the room's stream
        }
        if (farAhead(e.stream(), e.seq(), now)) {
            dropped(Counter.GUARD_SEQ_JUMPS, "Dropped " + e.kind() + " #" + e.seq() + " of node " + origin + " in "
                    + e.room() + ": over " + MAX_SEQ_JUMP + " ahead of its active stream (open overlay)");
            return false;
        }
        guard.streamMoved(e, now);
        return true;
    }

    /**
     * On an open overlay, anyone can send an envelope in any node's name: one far ahead of its stream would make the
     * duplicate filter and the repairer take what the real node sends next for old news. So a seq more than
     * {@link #MAX_SEQ_JUMP} ahead of the highest seen is dropped while the stream had an envelope within half the node
     * timeout; a stream silent that long (a partition, a room closed here) may jump. A keyed overlay authenticates
     * every datagram, and a stream of which nothing is known yet cannot be judged. The same holds for what a digest
     * says a stream reached (a forged one would make the stream's next real events look like late repairs).
     */
    private boolean farAhead(StreamId stream, long seq, long now) {
        if (config.overlayKeys() != null) {
            return false;
        }
        long highest = dedup.highest(stream);
        return highest >= 0 && seq - highest > MAX_SEQ_JUMP
                && guard.streamActive(stream, config.nodeTimeout().toNanos() / 2, now);
    }

    private void onEnvelope(Envelope e) {
        if (e.originNode() == config.nodeId()) {
            stats.increment(Counter.ENVELOPES_OWN); // multicast loopback hands our own datagrams back
            return;
        }
        if (!admitted(e)) {
            return;
        }
        if (e.kind() == Kind.BEACON) {
            onBeacon(e);
            return;
        }
        if (e.kind() == Kind.DIGEST || e.kind() == Kind.NACK) {
            onRepairRequest(e);
            return;
        }
        // Only the origin sends its envelopes, except room settings, which other nodes repeat in their state replies, and
        // what repair brings (seqs below what the stream is known to have), which any node may send long after: those
        // do not say that their origin is alive.
        if (config.discovery() && !e.kind().isRoomSetting()) {
            Directory.Heard run = heardFrom(e);
            if (run == Directory.Heard.HELD && e.kind() != Kind.STATE_REQUEST) {
                // A new run not believed yet (counted by the directory): its node asks for it again once it is.
                return;
            }
            if (run == Directory.Heard.STALE && (e.kind() == Kind.PRESENCE || e.kind() == Kind.NICK_CHANGE)) {
                // A late presence of a run the node has since replaced: delivering it would create a ghost occupant.
                stats.increment(Counter.ENVELOPES_DUPLICATE);
                return;
            }
        }
        OpenRoom open = rooms.get(e.room());
        if (open == null || open.uncarried != null) {
            // A room that shares the group, one we just closed, or one not carried whose group another room joined
            stats.increment(Counter.ENVELOPES_OTHER_ROOM);
            return;
        }
        Deduplicator.Verdict verdict = dedup.check(e);
        // Even a duplicate tells the repairer that another node answered it; a seq into a known gap is late.
        boolean late = config.repair()
                && repairer.received(e.stream(), e.seq(), System.nanoTime()) == Repairer.Arrival.LATE;
        if (verdict == Deduplicator.Verdict.SEEN) {
            stats.increment(Counter.ENVELOPES_DUPLICATE);
            return;
        }
        boolean logged = appendToLog(open, e, verdict == Deduplicator.Verdict.FIRST);
        if (late && logged) {
            stats.increment(Counter.REPAIR_EVENTS_REPAIRED);
        }
        if (e.kind() == Kind.STATE_REQUEST) {
            if (logged && !late) { // a request that repair brings back is long answered
                if (open.repair.replayNow(System.nanoTime())) {
                    replayState(open);
                } else {
                    stats.increment(Counter.GUARD_STATE_REQUESTS_COALESCED);
                }
            }
            return;
        }
        if (e.kind().code() >= 0x40) {
            return; // control traffic is the engine's own business, never a room event
        }
        if (!shouldDeliver(open, e, verdict, logged)) {
            stats.increment(Counter.ENVELOPES_DUPLICATE);
            return;
        }
        if (!open.state.recordRemote(e)) {
            dropped(Counter.GUARD_ROOM_OCCUPANTS_FULL, "Room " + e.room() + " forgot its eldest remote occupant record:"
                    + " it holds " + RoomState.MAX_REMOTE_OCCUPANTS);
        }
        if (e.kind() == Kind.SUBJECT) {
            advertisementMayHaveChanged();
        }
        stats.increment(Counter.ENVELOPES_DELIVERED);
        try {
            listener.onRemoteEvent(e, late);
        } catch (RuntimeException ex) {
            stats.increment(Counter.LISTENER_ERRORS);
            listenerLog.log("The engine listener failed on " + e.kind() + " #" + e.seq() + " in " + e.room(), ex);
        }
    }

    /**
     * Messages, subjects and private messages are delivered once per log (so never twice across a restart with a
     * persistent log); occupant presences once per run, as the duplicate filter says (a restarted node rebuilds its
     * rooms' occupants, and a lost node's presences pass again when it returns), and never when a newer one of the
     * same occupant was seen: a presence that repair brings late must not bring back an occupant who left.
     */
    private boolean shouldDeliver(OpenRoom open, Envelope e, Deduplicator.Verdict verdict, boolean logged) {
        if (e.kind() != Kind.PRESENCE && e.kind() != Kind.LEAVE && e.kind() != Kind.NICK_CHANGE) {
            return logged;
        }
        if (open.repair.supersededPresence(e)) {
            stats.increment(Counter.REPAIR_PRESENCES_SUPERSEDED);
            return false;
        }
        // Older than the window (the stream jumped far ahead since, e.g. after a partition): the log decides.
        return verdict == Deduplicator.Verdict.FIRST || verdict == Deduplicator.Verdict.FORGOTTEN && logged;
    }

    /**
     * Appends a room-stream event to the log. @return whether the log did not hold it; when the log fails (counted,
     * logged), {@code fallback}
     */
    private boolean appendToLog(OpenRoom open, Envelope e, boolean fallback) {
        boolean fresh;
        try {
            fresh = log.append(e);
        } catch (RuntimeException ex) {
            stats.increment(Counter.LOG_ERRORS);
            logFailures.log("The room log failed to store " + e.kind() + " #" + e.seq() + " of " + e.stream(), ex);
            fresh = fallback;
        }
        if (fresh) {
            open.repair.active(e.stream(), System.nanoTime());
        }
        return fresh;
    }

    /** A DIGEST or NACK heard in a room: gaps and requests for the repairer (bounded, malformed ones counted). */
    private void onRepairRequest(Envelope e) {
        OpenRoom open = rooms.get(e.room());
        if (open == null || open.uncarried != null) {
            stats.increment(Counter.ENVELOPES_OTHER_ROOM);
            return;
        }
        if (!config.repair()) {
            return;
        }
        long now = System.nanoTime();
        try {
            if (e.kind() == Kind.DIGEST) {
                List<RepairMessages.DigestEntry> entries = RepairMessages.decodeDigest(e.room(), e.stanza());
                stats.increment(Counter.REPAIR_DIGESTS_RECEIVED);
                for (RepairMessages.DigestEntry entry : entries) {
                    StreamId stream = entry.stream();
                    if (farAhead(stream, entry.last(), now)) {
                        dropped(Counter.GUARD_SEQ_JUMPS, "Ignored a digest entry of node "
                                + Long.toHexString(e.originNode()) + " for " + stream + ": " + entry.last()
                                + " is over " + MAX_SEQ_JUMP + " ahead of the active stream (open overlay)");
                        continue;
                    }
                    if (stream.originNode() != config.nodeId()) {
                        if (repairer.digest(stream, entry.first(), entry.last(), now)) {
                            open.repair.digestSoon = true;
                        }
                    } else if (stream.originEpoch() == originEpoch && entry.last() < lastSeq(e.room())) {
                        open.repair.digestSoon = true; // it lost our tail: our digest tells it
                    }
                }
            } else {
                RepairMessages.Nack nack = RepairMessages.decodeNack(e.room(), e.stanza());
                stats.increment(Counter.REPAIR_NACKS_RECEIVED);
                if (nack.capped()) {
                    stats.increment(Counter.REPAIR_NACKS_CAPPED);
                }
                long putOff = 0;
                for (Range r : nack.ranges()) {
                    putOff += repairer.heardNack(r, now);
                    repairer.nacked(r, r.stream().originNode() == config.nodeId(), now);
                }
                if (putOff > 0) {
                    stats.increment(Counter.REPAIR_NACKS_SUPPRESSED);
                }
            }
        } catch (MalformedRepairException ex) {
            stats.increment(Counter.REPAIR_DROPPED_MALFORMED);
            malformedLog.log("Dropped a malformed " + e.kind() + " of node " + Long.toHexString(e.originNode())
                    + ": " + ex.getMessage(), null);
        }
    }

    /** @return the last seq this run gave out in a room's stream (0 for none) */
    private long lastSeq(String room) {
        AtomicLong next = nextSeqs.get(room);
        return next == null ? 0 : next.get() - 1;
    }

    private void startRepairTimer() {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "xo-repair");
            t.setDaemon(true);
            return t;
        });
        repairTimer = timer;
        long tick = REPAIR_TICK.toNanos();
        timer.scheduleWithFixedDelay(() -> {
            try {
                repairTick();
            } catch (RuntimeException e) {
                LOG.warn("Repair task failed", e);
            }
        }, tick, tick, TimeUnit.NANOSECONDS);
    }

    /** On the repair timer: NACKs, answers and digests that are due in each carried room; pruning now and then. */
    private void repairTick() {
        if (state != State.RUNNING) {
            return;
        }
        long now = System.nanoTime();
        endRestartGraces(now);
        for (OpenRoom open : rooms.values()) {
            if (open.uncarried == null && open.repair.deferredReplayDue(now)) {
                replayState(open);
            }
        }
        if (config.repair()) {
            for (OpenRoom open : rooms.values()) {
                if (open.uncarried == null) {
                    sendNack(open, now);
                    sendAnswers(open, now);
                    sendDigestIfDue(open, now);
                }
            }
            long abandoned = repairer.abandoned();
            stats.add(Counter.REPAIR_ABANDONED, abandoned - abandonedReported);
            abandonedReported = abandoned;
        }
        long streamsForgotten = dedup.evicted();
        if (streamsForgotten > streamsForgottenReported) {
            stats.add(Counter.GUARD_STREAMS_FORGOTTEN, streamsForgotten - streamsForgottenReported - 1);
            dropped(Counter.GUARD_STREAMS_FORGOTTEN, "The duplicate filter forgot streams for newer ones: it holds "
                    + Deduplicator.DEFAULT_MAX_STREAMS);
            streamsForgottenReported = streamsForgotten;
        }
        if (now - lastPruneNanos >= PRUNE_INTERVAL_NANOS) {
            lastPruneNanos = now;
            try {
                stats.add(Counter.LOG_PRUNED, log.prune(config.logBounds(), Instant.now()));
            } catch (RuntimeException e) {
                stats.increment(Counter.LOG_ERRORS);
                logFailures.log("Pruning the room log failed", e);
            }
        }
    }

    private Envelope repairEnvelope(OpenRoom open, Kind kind, String body) {
        return new Envelope(config.nodeId(), originEpoch, repairSerial.getAndIncrement(), System.currentTimeMillis(),
                open.room.jid(), "", kind, body);
    }

    private void sendNack(OpenRoom open, long now) {
        List<Range> due = repairer.dueNacks(open.room.jid(), now);
        if (!due.isEmpty() && submit(open, repairEnvelope(open, Kind.NACK, RepairMessages.encodeNack(due)))) {
            stats.increment(Counter.REPAIR_NACKS_SENT);
        }
    }

    /**
     * Answers the requests that are due from the log, one query per range, through the pacer (a backlog thus goes
     * in full datagrams). A range's events are submitted together, so most datagrams hold one origin's run and
     * carry it in their header (an envelope of another origin than the datagram's first costs 12 bytes more).
     * Within the room's answer bandwidth; the rest waits.
     */
    private void sendAnswers(OpenRoom open, long now) {
        List<Range> due = repairer.dueAnswers(open.room.jid(), now);
        if (due.isEmpty()) {
            return;
        }
        RoomRepair rr = open.repair;
        int rate = config.repairBytesPerSecond();
        rr.answerTokens = Math.min(rate, rr.answerTokens + rate * ((now - rr.tokensAtNanos) / 1e9));
        rr.tokensAtNanos = now;
        for (Range r : due) {
            List<Envelope> events;
            try {
                events = rr.answerTokens < 1 ? List.of() : log.range(r.stream(), r.from(), r.to(), ANSWER_FETCH);
            } catch (RuntimeException e) {
                stats.increment(Counter.LOG_ERRORS);
                logFailures.log("Reading the room log for a repair answer failed", e);
                continue;
            }
            if (rr.answerTokens < 1) {
                repairer.answerLater(r, now + ANSWER_DEFER_NANOS);
                stats.increment(Counter.REPAIR_RATE_LIMITED);
                continue;
            }
            for (Envelope e : events) {
                int size = EnvelopeCodec.encodedSize(e);
                if (rr.answerTokens < size) {
                    repairer.answerLater(new Range(r.stream(), e.seq(), r.to()), now + ANSWER_DEFER_NANOS);
                    stats.increment(Counter.REPAIR_RATE_LIMITED);
                    break;
                }
                rr.answerTokens -= size;
                if (!submit(open, e)) {
                    return;
                }
                stats.increment(Counter.REPAIR_ANSWERS_SENT);
            }
            long last = events.isEmpty() ? r.to() : events.get(events.size() - 1).seq();
            if (events.size() == ANSWER_FETCH && last < r.to()) {
                repairer.answerLater(new Range(r.stream(), last + 1, r.to()), now);
            }
        }
    }

    /**
     * A room's digest goes out about a second after traffic, then ever more slowly (2, 4, ... up to 30 s) while the
     * room is quiet; sooner when a digest heard here was behind.
     */
    private void sendDigestIfDue(OpenRoom open, long now) {
        RoomRepair rr = open.repair;
        if (rr.activity) {
            rr.activity = false;
            rr.quietStepNanos = DIGEST_ACTIVE_NANOS;
            if (rr.nextDigestNanos - now > DIGEST_ACTIVE_NANOS) {
                rr.nextDigestNanos = now + DIGEST_ACTIVE_NANOS;
            }
        }
        boolean soon = rr.digestSoon && now - rr.lastDigestNanos >= DIGEST_SOON_GAP_NANOS;
        if (!soon && rr.nextDigestNanos - now > 0) {
            return;
        }
        rr.digestSoon = false;
        rr.lastDigestNanos = now;
        // A little jitter keeps the nodes of a room from sending their digests in lockstep.
        long jitter = java.util.concurrent.ThreadLocalRandom.current().nextLong(REPAIR_TICK.toNanos() * 4);
        rr.nextDigestNanos = now + rr.quietStepNanos + jitter;
        rr.quietStepNanos = Math.min(rr.quietStepNanos * 2, DIGEST_IDLE_NANOS);
        List<RepairMessages.DigestEntry> entries = digestEntries(open, now);
        if (!entries.isEmpty()
                && submit(open, repairEnvelope(open, Kind.DIGEST, RepairMessages.encodeDigest(entries)))) {
            stats.increment(Counter.REPAIR_DIGESTS_SENT);
        }
    }

    /** @return what the log holds of the room's most recently active streams, within one digest's bound */
    private List<RepairMessages.DigestEntry> digestEntries(OpenRoom open, long now) {
        List<StreamId> active = open.repair.activeStreams(now);
        if (active.isEmpty()) {
            return List.of();
        }
        Map<StreamId, RoomLog.Held> held;
        try {
            held = log.held(open.room.jid());
        } catch (RuntimeException e) {
            stats.increment(Counter.LOG_ERRORS);
            logFailures.log("Reading the room log for a digest failed", e);
            return List.of();
        }
        List<RepairMessages.DigestEntry> out = new ArrayList<>();
        for (StreamId stream : active) {
            RoomLog.Held h = held.get(stream);
            if (h != null) {
                out.add(new RepairMessages.DigestEntry(stream, h.first(), h.last()));
                if (out.size() == RepairMessages.MAX_DIGEST_STREAMS) {
                    break;
                }
            }
        }
        return out;
    }

    private void stopRepairTimer() {
        ScheduledExecutorService timer = repairTimer;
        repairTimer = null;
        stopAndAwait(timer);
    }

    /**
     * Hears the envelope's origin unless repair brings it (then only its run is compared with the known one).
     *
     * @return what the directory made of it: STALE for a run replaced by a newer one, HELD for a newer run not believed
     */
    private Directory.Heard heardFrom(Envelope e) {
        if (config.repair() && repairer.isBehind(e.stream(), e.seq())) {
            return directory.node(e.originNode()).map(n -> n.info().epoch() > e.originEpoch()).orElse(false)
                    ? Directory.Heard.STALE : Directory.Heard.LIVE;
        }
        return directory.heard(e.originNode(), e.originEpoch());
    }

    private void onBeacon(Envelope e) {
        if (!config.discovery() || !controlRoom.equals(e.room())) {
            stats.increment(Counter.ENVELOPES_OTHER_ROOM); // another overlay sharing the group, or discovery off
            return;
        }
        if (dedup.check(e) == Deduplicator.Verdict.SEEN) { // one older than the window is a beacon all the same
            stats.increment(Counter.ENVELOPES_DUPLICATE);
            return;
        }
        stats.increment(Counter.BEACONS_RECEIVED);
        NodeInfo info;
        try {
            info = Beacon.decode(e.originNode(), e.originEpoch(), e.nick(), e.stanza());
        } catch (MalformedBeaconException | RuntimeException ex) {
            stats.increment(Counter.BEACONS_MALFORMED);
            beaconLog.log("Dropped a malformed beacon of node " + Long.toHexString(e.originNode()) + ": "
                    + ex.getMessage(), null);
            directory.heard(e.originNode(), e.originEpoch()); // it is alive all the same
            return;
        }
        directory.accept(info, Source.BEACON); // a goodbye withdraws the node
    }

    /**
     * Directory callback (serialized): the node's presences may pass again; its occupants leave, or, after its goodbye,
     * wait for its restart grace ({@link EngineListener#onNodeSaidGoodbye}).
     */
    private void onNodeLost(NodeInfo node, boolean saidGoodbye) {
        long nodeId = node.nodeId();
        lostNodes.add(nodeId);
        int forgotten = 0;
        for (OpenRoom open : rooms.values()) {
            for (Envelope p : open.state.removeRemoteOccupants(nodeId)) {
                dedup.forget(p);
                forgotten++;
            }
        }
        stats.increment(Counter.NODES_LOST);
        Duration grace = config.restartGrace();
        boolean held = saidGoodbye && !grace.isZero();
        if (held) {
            restartGraces.put(nodeId, System.nanoTime() + grace.toNanos());
            stats.increment(Counter.NODES_RESTART_GRACES);
            LOG.info("Node {} said goodbye ({} occupants stay {} s for its restart)", Long.toHexString(nodeId),
                    forgotten, grace.toSeconds());
        } else {
            restartGraces.remove(nodeId);
            LOG.info("Node {} lost ({} occupants leave)", Long.toHexString(nodeId), forgotten);
        }
        try {
            if (held) {
                listener.onNodeSaidGoodbye(nodeId, node.epoch());
            } else {
                listener.onNodeLost(nodeId);
            }
        } catch (RuntimeException ex) {
            stats.increment(Counter.LISTENER_ERRORS);
            listenerLog.log("The engine listener failed on the loss of node " + Long.toHexString(nodeId), ex);
        }
    }

    /** On the repair timer: the restart graces that ran out; the occupants their nodes did not announce again leave. */
    private void endRestartGraces(long now) {
        for (Map.Entry<Long, Long> grace : restartGraces.entrySet()) {
            long nodeId = grace.getKey();
            if (now - grace.getValue() < 0 || !restartGraces.remove(nodeId, grace.getValue())) {
                continue;
            }
            stats.increment(Counter.NODES_RESTART_GRACES_ENDED);
            try {
                listener.onRestartGraceEnded(nodeId);
            } catch (RuntimeException ex) {
                stats.increment(Counter.LISTENER_ERRORS);
                listenerLog.log("The engine listener failed at the end of the restart grace of node "
                        + Long.toHexString(nodeId), ex);
            }
        }
    }

    /** Directory callback (serialized): a lost node is back; ask every open room for its state. */
    private void onNodeAppeared(long nodeId) {
        // A node that starts learns of the others from their next beacons: this one's goes out now (elections of
        // gateways wait for them, see advertiseGateways).
        beaconOwed.set(true);
        advertisementMayHaveChanged();
        if (!lostNodes.remove(nodeId)) {
            return; // first time heard: its occupants come with the room traffic or our own state requests
        }
        stats.increment(Counter.NODES_RETURNED);
        LOG.info("Node {} is back", Long.toHexString(nodeId));
        try {
            listener.onNodeReturned(nodeId);
        } catch (RuntimeException ex) {
            stats.increment(Counter.LISTENER_ERRORS);
            listenerLog.log("The engine listener failed on the return of node " + Long.toHexString(nodeId), ex);
        }
        if (state != State.RUNNING) {
            return;
        }
        for (OpenRoom open : rooms.values()) {
            if (open.uncarried == null) {
                requestState(open);
            }
        }
    }

    private void stopDiscoveryTimer() {
        ScheduledExecutorService timer = discoveryTimer;
        discoveryTimer = null;
        stopAndAwait(timer);
    }

    /** Stops a timer of this engine and waits briefly for its current task; null does nothing. */
    private static void stopAndAwait(ScheduledExecutorService timer) {
        if (timer == null) {
            return;
        }
        timer.shutdownNow();
        try {
            timer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void startDiscovery() {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "xo-discovery");
            t.setDaemon(true);
            return t;
        });
        adCheckPending.set(false); // a check pending on a stopped timer never ran
        discoveryTimer = timer;
        long interval = config.beaconInterval().toNanos();
        // Sweeping often keeps the detection delay close to the timeout itself.
        long sweep = Math.min(TimeUnit.SECONDS.toNanos(1), config.nodeTimeout().toNanos() / 8);
        timer.scheduleAtFixedRate(guarded(() -> sendBeacon(false)), 0, interval, TimeUnit.NANOSECONDS);
        timer.scheduleWithFixedDelay(guarded(directory::sweep), sweep, sweep, TimeUnit.NANOSECONDS);
    }

    /**
     * DNS-SD (JmDNS) on the multicast interface's first IPv4 address; starts on its own thread, after the goodbye of
     * the closing {@code predecessor} if there is one.
     */
    private void startDnsSd(DnsSdAdvertiser predecessor) {
        Inet4Address bind = Interfaces.ipv4Address(config.udp().networkInterface()).orElse(null);
        if (bind == null) {
            stats.increment(Counter.DNSSD_FAILURES);
            LOG.warn("DNS-SD off: interface {} has no IPv4 address", config.udp().networkInterface().getName());
            return;
        }
        Duration refresh = config.beaconInterval().compareTo(config.nodeTimeout().dividedBy(3)) < 0
                ? config.beaconInterval() : config.nodeTimeout().dividedBy(3);
        DnsSdAdvertiser advertiser = new DnsSdAdvertiser(new DnsSdAdvertiser.Settings(bind, config.nodeId(),
                originEpoch, config.nodeName(), config.overlayService(), config.udp().port(),
                config.beaconInterval(), refresh, DNS_SD_MIN_UPDATE_GAP), directory, event -> {
                    switch (event) {
                        case PEER_RESOLVED -> stats.increment(Counter.DNSSD_PEERS);
                        case PEER_REMOVED -> stats.increment(Counter.DNSSD_REMOVED);
                        case MALFORMED -> stats.increment(Counter.DNSSD_MALFORMED);
                        case UPDATED -> stats.increment(Counter.DNSSD_UPDATES);
                        case FAILED -> stats.increment(Counter.DNSSD_FAILURES);
                        case PEERS_FULL -> dropped(Counter.GUARD_DIRECTORY_FULL, "A new DNS-SD peer was ignored: "
                                + Directory.MAX_NODES + " are known");
                        case REGISTERED -> { }
                    }
                });
        dnsSd = advertiser;
        if (predecessor == null) {
            advertiser.start(advertisedRooms());
        } else {
            advertiser.startAfter(predecessor, DNS_SD_RESTART_WAIT, advertisedRooms());
        }
    }

    /** A periodic task that survives its own failures (a scheduled task that throws is never run again). */
    private Runnable guarded(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.warn("Discovery task failed", e);
            }
        };
    }

    /**
     * Called after anything that can change the advertisement (rooms with local occupants, subjects): a beacon goes
     * out as soon as the minimum gap since the previous one allows, if the rooms or subjects did change.
     */
    private void advertisementMayHaveChanged() {
        ScheduledExecutorService timer = discoveryTimer;
        if (timer == null || !adCheckPending.compareAndSet(false, true)) {
            return;
        }
        long wait = lastBeaconNanos + MIN_BEACON_GAP_NANOS - System.nanoTime();
        try {
            timer.schedule(guarded(this::checkAdvertisement), Math.max(0, wait), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            adCheckPending.set(false);
        }
    }

    /** On the discovery timer thread. */
    private void checkAdvertisement() {
        adCheckPending.set(false);
        if (System.nanoTime() - lastBeaconNanos < MIN_BEACON_GAP_NANOS) {
            advertisementMayHaveChanged(); // a periodic beacon went out meanwhile: keep the gap
            return;
        }
        if (beaconOwed.getAndSet(false) || !advertisementKey(advertisedRooms(), gateways).equals(lastAdvertised)) {
            sendBeacon(false);
        }
    }

    /** What changes trigger an immediate beacon: the rooms and their subjects, the gateways, not occupant counts. */
    private static List<List<String>> advertisementKey(List<AdvertisedRoom> rooms, Set<String> gateways) {
        List<List<String>> key = new ArrayList<>(rooms.size() + 1);
        key.add(gateways.stream().sorted().toList());
        for (AdvertisedRoom r : rooms) {
            key.add(List.of(r.room(), Beacon.truncate(r.subject())));
        }
        return key;
    }

    /** @return the node name as a nick field: cleaned, at most 64 characters and 255 UTF-8 bytes */
    private static String beaconNick(String nodeName) {
        String nick = Beacon.truncate(nodeName);
        while (nick.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > org.xo.core.Limits.MAX_NICK_BYTES) {
            nick = nick.substring(0, nick.offsetByCodePoints(nick.length(), -1));
        }
        return nick;
    }

    /** Sends a full beacon, or the goodbye; on the discovery timer thread (or in close, after it stopped). */
    private void sendBeacon(boolean goodbye) {
        List<AdvertisedRoom> rooms = goodbye ? List.of() : advertisedRooms();
        // Read once: the key below must say what this beacon carried, or a change made meanwhile is never sent early.
        Set<String> bridges = goodbye ? Set.of() : gateways;
        sendGate.readLock().lock();
        try {
            EngineConfig c = config;
            String body = Beacon.encode(goodbye ? Duration.ZERO : c.beaconInterval(), rooms, bridges);
            Envelope beacon = new Envelope(c.nodeId(), originEpoch, nextSeq(controlRoom),
                    System.currentTimeMillis(), controlRoom, beaconNick(c.nodeName()), Kind.BEACON, body);
            pacer.submit(c.controlGroup(), beacon);
        } catch (IllegalStateException closed) {
            return;
        } finally {
            sendGate.readLock().unlock();
        }
        lastBeaconNanos = System.nanoTime();
        lastAdvertised = advertisementKey(rooms, bridges);
        DnsSdAdvertiser advertiser = dnsSd;
        if (advertiser != null && !goodbye) {
            advertiser.update(rooms); // rate-limited, and only when the TXT record changes
        }
        stats.increment(Counter.BEACONS_SENT);
    }

    /** Answers a STATE_REQUEST with the original envelopes; through the pacer, so a backlog goes in full datagrams. */
    private void replayState(OpenRoom open) {
        List<Envelope> snapshot = open.state.snapshotForReplay();
        if (snapshot.isEmpty()) {
            return;
        }
        for (Envelope e : snapshot) {
            if (!submit(open, e)) {
                return;
            }
        }
        stats.increment(Counter.STATE_REPLIES_SENT);
    }
}
