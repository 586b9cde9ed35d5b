package org.xo.engine;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.xo.core.Envelope;
import org.xo.core.EnvelopeCodec;
import org.xo.core.GroupAddressing;
import org.xo.core.Kind;
import org.xo.core.MalformedDatagramException;
import org.xo.core.OverlayRoom;
import org.xo.core.Pacer;
import org.xo.engine.EngineStats.Counter;
import org.xo.sync.Deduplicator;
import org.xo.sync.RoomState;
import org.xo.transport.Transport;

/**
 * The XO engine: the one entry point of the Openfire adapter into the overlay. It turns local room events into
 * envelopes on the room's multicast group (paced, batched, compressed) and hands the remote events it hears for
 * the rooms open here to an {@link EngineListener}, once each.
 * <p>
 * Rooms are named by their overlay address {@code name@service}, or by a bare name to which
 * {@link EngineConfig#overlayService()} is appended.
 * <p>
 * Send path: {@link #publish} → {@link RoomState} → {@link Pacer} → {@link EnvelopeCodec} → {@link Transport}.
 * Receive path (transport thread): decode → drop own, other-room and duplicate envelopes → answer STATE_REQUESTs
 * with the room's {@link RoomState#snapshotForReplay()} (the original envelopes, which receivers that have them
 * drop) → listener. Every drop is counted in {@link #stats()}.
 * <p>
 * Thread-safe.
 */
public final class XoEngine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(XoEngine.class.getName());

    private enum State { NEW, RUNNING, CLOSED }

    /** A room open on this node; {@code refs} is guarded by {@link #roomLock}. */
    private static final class OpenRoom {
        final OverlayRoom room;
        final Inet4Address group;
        final RoomState state;
        int refs = 1;
        /** When this node's STATE_REQUEST left, until the first reply gives a round-trip sample for the pacer. */
        volatile long stateRequestNanos;

        OpenRoom(OverlayRoom room, Inet4Address group, RoomState state) {
            this.room = room;
            this.group = group;
            this.state = state;
        }
    }

    private final EngineConfig config;
    private final Transport transport;
    private final EngineListener listener;
    private final EnvelopeCodec codec;
    private final GroupAddressing addressing;
    private final Deduplicator dedup = new Deduplicator();
    private final EngineStats stats = new EngineStats();
    private final AtomicLong nextSeq = new AtomicLong(1);
    private final Map<String, OpenRoom> rooms = new ConcurrentHashMap<>();
    /** Open rooms per group: rooms can share a group, which is left only when the last of them closes. */
    private final Map<InetAddress, Integer> groupRefs = new HashMap<>();
    private final Object roomLock = new Object();
    private final LogThrottle malformedLog = new LogThrottle(LOG, Level.DEBUG, 1, TimeUnit.SECONDS);
    private final LogThrottle listenerLog = new LogThrottle(LOG, Level.WARNING, 1, TimeUnit.SECONDS);
    private final LogThrottle sendLog = new LogThrottle(LOG, Level.WARNING, 1, TimeUnit.SECONDS);
    private volatile State state = State.NEW;
    private volatile Pacer pacer;
    private volatile int originEpoch;

    /**
     * @param transport not yet started; the engine starts it and closes it
     * @param listener  receives remote events on the transport's receive thread
     */
    public XoEngine(EngineConfig config, Transport transport, EngineListener listener) {
        this.config = config;
        this.transport = transport;
        this.listener = listener;
        this.codec = new EnvelopeCodec(config.compression());
        this.addressing = new GroupAddressing(config.groupBase());
    }

    /**
     * Runs of engines in this JVM: an engine restarted within the same second (a settings change) must not reuse
     * its predecessor's epoch, or its envelopes, numbered from 1 again, would be dropped as duplicates.
     */
    private static final AtomicInteger LAST_EPOCH = new AtomicInteger();

    /** Starts the pacer and the transport; this run's envelopes carry originEpoch = now in seconds (strictly increasing in this JVM). */
    public synchronized void start() throws IOException {
        if (state != State.NEW) {
            throw new IllegalStateException("The engine was already started.");
        }
        int now = (int) Instant.now().getEpochSecond();
        originEpoch = LAST_EPOCH.updateAndGet(last -> Math.max(now, last + 1));
        Pacer p = new Pacer(config.pacing(), EnvelopeCodec::encodedSize, this::sendDatagram);
        try {
            transport.start(this::onDatagram);
        } catch (IOException | RuntimeException e) {
            p.close();
            throw e;
        }
        pacer = p;
        state = State.RUNNING;
        LOG.log(Level.INFO, () -> "XO engine " + config.nodeName() + " (node " + Long.toHexString(config.nodeId())
                + ", epoch " + originEpoch + ") started");
    }

    /**
     * Publishes a local room event to the overlay: assigns the next seq, records it in the room's state (for
     * replay to nodes that join later) and queues it for the room's group.
     *
     * @param room   overlay room address or bare room name; the room must be open
     * @param kind   a room event kind (code below 0x40); control envelopes are the engine's own
     * @return the envelope as sent
     * @throws IllegalArgumentException when a field is invalid or oversized (counted as publish.rejected)
     * @throws IllegalStateException    when the engine is not running or the room is not open (also counted)
     */
    public Envelope publish(String room, String nick, Kind kind, String stanza) {
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
            // Validate before taking a seq: a rejected event must not leave a gap in this origin's sequence.
            EnvelopeCodec.checkBounds(new Envelope(config.nodeId(), originEpoch, 1, now, r.jid(), nick, kind, stanza));
            Envelope e = new Envelope(config.nodeId(), originEpoch, nextSeq.getAndIncrement(), now, r.jid(), nick,
                    kind, stanza);
            open.state.recordLocal(e);
            pacer.submit(open.group, e);
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
     *
     * @throws IOException when the group cannot be joined (the room then stays closed)
     */
    public void openRoom(String room) throws IOException {
        requireRunning();
        OverlayRoom r = resolve(room);
        OpenRoom opened;
        synchronized (roomLock) {
            OpenRoom existing = rooms.get(r.jid());
            if (existing != null) {
                existing.refs++;
                return;
            }
            Inet4Address group = addressing.groupFor(r);
            if (!groupRefs.containsKey(group)) {
                transport.join(group);
            }
            groupRefs.merge(group, 1, Integer::sum);
            opened = new OpenRoom(r, group, new RoomState(r.jid(), config.historyReplay()));
            rooms.put(r.jid(), opened);
        }
        Envelope request = new Envelope(config.nodeId(), originEpoch, nextSeq.getAndIncrement(),
                System.currentTimeMillis(), r.jid(), "", Kind.STATE_REQUEST, "");
        opened.stateRequestNanos = System.nanoTime();
        if (submit(opened.group, request)) {
            stats.increment(Counter.STATE_REQUESTS_SENT);
        }
        LOG.log(Level.DEBUG, () -> "Opened room " + r.jid() + " on group " + opened.group.getHostAddress());
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
                LOG.log(Level.DEBUG, () -> "closeRoom(" + r.jid() + "): the room is not open");
                return;
            }
            if (--open.refs > 0) {
                return;
            }
            rooms.remove(r.jid());
            if (groupRefs.merge(open.group, -1, Integer::sum) == 0) {
                groupRefs.remove(open.group);
                if (state == State.RUNNING) {
                    transport.leave(open.group);
                }
            }
        }
        LOG.log(Level.DEBUG, () -> "Closed room " + r.jid());
    }

    /** @return the overlay addresses of the rooms open on this node */
    public Set<String> openRooms() {
        return Set.copyOf(rooms.keySet());
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

    /** @return the live counters */
    public EngineStats stats() {
        return stats;
    }

    public EngineConfig config() {
        return config;
    }

    /** @return this run's origin epoch (seconds), 0 before {@link #start()} */
    public int originEpoch() {
        return originEpoch;
    }

    /** Sends what the pacer still holds, then closes the transport. Idempotent. */
    @Override
    public void close() {
        Pacer p;
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            p = pacer;
        }
        if (p != null) {
            p.close();
        }
        transport.close();
        LOG.log(Level.INFO, () -> "XO engine " + config.nodeName() + " closed: " + stats);
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

    /** @return false when the engine closed meanwhile (the pacer then refuses new envelopes) */
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

    /** The pacer's sink: one datagram's worth of envelopes for a group. */
    private void sendDatagram(InetAddress group, List<Envelope> batch) {
        try {
            byte[] datagram = codec.encode(batch);
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
        EnvelopeCodec.Decoded decoded;
        try {
            decoded = codec.decode(data);
        } catch (MalformedDatagramException e) {
            stats.increment(Counter.dropped(e.reason()));
            malformedLog.log("Dropped a datagram from " + sender + ": " + e.reason() + ", " + e.getMessage(), null);
            return;
        }
        stats.add(Counter.ENVELOPES_RECEIVED, decoded.envelopes().size() + decoded.unknownKinds());
        stats.add(Counter.ENVELOPES_UNKNOWN_KIND, decoded.unknownKinds());
        for (Envelope e : decoded.envelopes()) {
            onEnvelope(e);
        }
    }

    private void onEnvelope(Envelope e) {
        if (e.originNode() == config.nodeId()) {
            stats.increment(Counter.ENVELOPES_OWN); // multicast loopback hands our own datagrams back
            return;
        }
        OpenRoom open = rooms.get(e.room());
        if (open == null) {
            stats.increment(Counter.ENVELOPES_OTHER_ROOM); // a room that shares the group, or one we just closed
            return;
        }
        if (!dedup.firstTime(e)) {
            stats.increment(Counter.ENVELOPES_DUPLICATE);
            return;
        }
        if (e.kind() == Kind.STATE_REQUEST) {
            replayState(open);
            return;
        }
        if (e.kind().code() >= 0x40) {
            return; // control traffic is the engine's own business, never a room event
        }
        sampleRoundTrip(open);
        open.state.recordRemote(e);
        stats.increment(Counter.ENVELOPES_DELIVERED);
        try {
            listener.onRemoteEvent(e);
        } catch (RuntimeException ex) {
            stats.increment(Counter.LISTENER_ERRORS);
            listenerLog.log("The engine listener failed on " + e.kind() + " #" + e.seq() + " in " + e.room(), ex);
        }
    }

    /**
     * The first event after our STATE_REQUEST is normally a reply to it: request-to-reply is the only round trip
     * multicast offers without acknowledgements, and it feeds the pacer's IMTimeout = γ · estimated RTT. It includes
     * the replier's own pacing delay, which errs on the side of batching; samples older than a few seconds are not
     * taken (nobody answered, and this event is ordinary traffic).
     */
    private void sampleRoundTrip(OpenRoom open) {
        long sent = open.stateRequestNanos;
        if (sent == 0) {
            return;
        }
        open.stateRequestNanos = 0;
        long elapsed = System.nanoTime() - sent;
        if (elapsed < TimeUnit.SECONDS.toNanos(3)) {
            pacer.sampleRtt(Duration.ofNanos(elapsed));
        }
    }

    /** Answers a STATE_REQUEST with the original envelopes; through the pacer, so a backlog goes in full datagrams. */
    private void replayState(OpenRoom open) {
        List<Envelope> snapshot = open.state.snapshotForReplay();
        if (snapshot.isEmpty()) {
            return;
        }
        for (Envelope e : snapshot) {
            if (!submit(open.group, e)) {
                return;
            }
        }
        stats.increment(Counter.STATE_REPLIES_SENT);
    }
}
