package org.xo.transport.norm;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.ShortByReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xo.core.Limits;
import org.xo.transport.DatagramHandler;
import org.xo.transport.LogThrottle;
import org.xo.transport.Transport;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;

/**
 * Reliable multicast through NORM (RFC 5740, NRL's libnorm): the same {@link Transport} as plain UDP, but a datagram
 * lost on the way is repaired (receivers NACK, the sender repeats), so a flicker of the link loses nothing. See the
 * package comment for the design and the limits measured.
 */
public final class NormTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(NormTransport.class);
    /** Why NORM could not be used, each said once per JVM (a settings change rebuilds the transport). */
    private static final Set<String> FALLBACKS_SAID = ConcurrentHashMap.newKeySet();

    /** Payload bytes of one NORM message: with NORM's header (at most 48 bytes) and IP/UDP's, one 1500-byte MTU. */
    static final short SEGMENT_SIZE = 1400;
    /** Source segments per FEC block: an XO datagram of 65,000 bytes is 47 segments, so at most 3 blocks. */
    static final short BLOCK_SIZE = 16;
    /**
     * No parity: most datagrams are one segment, for which a parity segment is only a copy; without parity the
     * receive buffer holds block state alone (about 200 bytes a block instead of 6 KB) and repairs are the
     * original segments.
     */
    static final short PARITY = 0;
    /** Sender's block state for repairs (with no parity no segments are buffered): 80 blocks. */
    static final int TX_BUFFER_BYTES = 16 * 1024;
    /** Receiver's buffer per remote sender, allocated when the sender first sends data: 80 pending blocks. */
    static final int RX_BUFFER_BYTES = 16 * 1024;
    /**
     * Objects a receiver tracks per sender. With the default 256, receivers of many small objects were found to lose
     * some while the sender saw them acknowledged; with 4096 they were not.
     */
    static final short RX_CACHE_OBJECTS = 4096;
    /**
     * Sent objects kept for repair (and their buffers kept here) per session: 256 KB, 8 to 1024 objects. A sent
     * object is purged to make room only once no NACK came for it for 2 (NORM's flow control factor) times
     * (back-off factor 4 + 1) GRTT, so a session sends at most a cache's worth of objects per that time.
     */
    static final long TX_CACHE_BYTES = 256 * 1024;
    static final int TX_CACHE_MIN_OBJECTS = 8;
    static final int TX_CACHE_MAX_OBJECTS = 1024;
    /**
     * When a session re-flushes after its last send, counted from that send: a receiver that was cut off while the
     * sender sent and flushed learns only from a later message what it missed, and a quiet room may send none for
     * long. A re-flush asks the nodes heard in the group to acknowledge: one small request when all answer, up to 20
     * when one does not. Up to a cut of about 30 s nothing is lost then.
     */
    static final long[] REFLUSH_AFTER_NANOS = {TimeUnit.SECONDS.toNanos(1), TimeUnit.SECONDS.toNanos(3),
        TimeUnit.SECONDS.toNanos(7), TimeUnit.SECONDS.toNanos(15), TimeUnit.SECONDS.toNanos(31)};
    /**
     * How long a left group's session lives on at most while what it sent is not yet flushed: the last datagrams
     * of a room (a leave presence) go out and can be repaired, and a late send to the group still goes out.
     */
    static final long LEAVE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** The same when the transport closes (the engine's last datagrams: the goodbye beacon). */
    static final long CLOSE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How often the event thread looks at its stop flag and its timers while no event comes. */
    private static final int POLL_MILLIS = 100;
    /** Timers are looked at no more often than this, however many events come. */
    private static final long TIMER_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long WAIT_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    /** One group's NORM session, which sends and receives. Its monitor guards its fields. */
    private static final class Session {
        final InetAddress group;
        final Pointer handle;
        /** Buffers libnorm still reads, by object handle, until NORM_TX_OBJECT_PURGED. */
        final Map<Long, Memory> pending = new HashMap<>();
        /** Set before the handle is destroyed: nothing calls libnorm with it afterwards. */
        boolean destroyed;
        /** The latest object sent, while libnorm keeps it: the point a re-flush repeats. */
        Pointer lastObject;
        long lastSendNanos;
        /** Re-flushes done since the last send. */
        int reflushes = REFLUSH_AFTER_NANOS.length;
        /** No datagram was sent since the last completed flush. */
        boolean flushed = true;
        /** The group was left (its datagrams are no longer delivered): destroy once flushed or at this time. */
        boolean leaving;
        long lingerUntilNanos;

        Session(InetAddress group, Pointer handle) {
            this.group = group;
            this.handle = handle;
        }
    }

    /** A received datagram on its way to the handler, outside the dispatch lock. */
    private record Delivery(ByteBuffer data, InetSocketAddress sender) {
    }

    private final NormConfig config;
    private final SecureRandom random = new SecureRandom();
    /** Sessions of the joined groups and of the left ones that linger; guarded by this. */
    private final Map<InetAddress, Session> sessions = new HashMap<>();
    /** The same sessions by handle, for the event thread. */
    private final Map<Long, Session> byHandle = new ConcurrentHashMap<>();
    /**
     * Held while an event is taken and handled (not while the handler runs) and while a session or the instance is
     * destroyed: destroying a session frees the objects of its current event, which the event thread may be reading.
     * Taken before a session's monitor, never after.
     */
    private final ReentrantLock dispatchLock = new ReentrantLock();
    private final AtomicLong datagramsSent = new AtomicLong();
    private final AtomicLong sendsDropped = new AtomicLong();
    private final AtomicLong datagramsReceived = new AtomicLong();
    private final AtomicLong objectsRejected = new AtomicLong();
    private final AtomicLong objectsAborted = new AtomicLong();
    private final AtomicLong sendErrors = new AtomicLong();
    private final AtomicLong handlerErrors = new AtomicLong();
    private final LogThrottle warnLog = LogThrottle.warn(LOG);
    private final LogThrottle rejectLog = LogThrottle.warn(LOG);
    private final LogThrottle debugLog = LogThrottle.debug(LOG);
    private NormApi api;
    private NormLibrary library;
    private Pointer instance;
    private volatile DatagramHandler handler;
    private volatile Thread eventThread;
    /** No join or send starts once set; guarded by this. */
    private volatile boolean closed;

    public NormTransport(NormConfig config) {
        this.config = config;
    }

    /**
     * @return a NORM transport, or, where libnorm cannot be loaded, a UDP multicast transport on {@code udp}: that is
     * logged once per JVM, with the reason
     */
    public static Transport orUdp(NormConfig norm, UdpConfig udp) {
        try {
            NormLibrary.load();
            return new NormTransport(norm);
        } catch (NormUnavailableException e) {
            if (FALLBACKS_SAID.add(e.getMessage())) {
                LOG.warn("NORM was chosen as transport, but {}: this node uses plain UDP multicast instead (install"
                        + " Debian's libnorm1 for NORM)", e.getMessage());
            }
            return new UdpMulticastTransport(udp);
        }
    }

    /**
     * At the plugin's unload, after every transport closed: lets go of libnorm and JNA's thread, which would keep
     * the plugin's classes in memory; see {@link NormLibrary#unloadAll()}.
     */
    public static void unloadLibraries() {
        NormLibrary.unloadAll();
    }

    public NormConfig config() {
        return config;
    }

    /**
     * Loads libnorm and starts its protocol thread and this transport's event thread.
     *
     * @throws IOException when libnorm cannot be loaded or started, with the reason
     */
    @Override
    public synchronized void start(DatagramHandler datagramHandler) throws IOException {
        if (closed || instance != null) {
            throw new IllegalStateException("The transport was already started.");
        }
        try {
            library = NormLibrary.load();
        } catch (NormUnavailableException e) {
            throw new IOException(e.getMessage(), e);
        }
        api = library.api;
        Pointer created = createInstance();
        if (created == null) {
            throw new IOException("libnorm could not start its protocol thread");
        }
        // libnorm allocates a received object's buffer at the size its sender declares: with new[], which ends the
        // process when it fails; malloc returns NULL instead, and libnorm then drops the object.
        api.NormSetAllocationFunctions(created, library.malloc, library.free);
        int descriptor = api.NormGetDescriptor(created);
        instance = created;
        handler = datagramHandler;
        Thread events = new Thread(() -> eventLoop(descriptor), "xo-norm-events");
        events.setDaemon(true);
        eventThread = events;
        events.start();
        LOG.info("NORM transport on {} port {}, NORM node id {}, {} kbit/s per session ({})",
                config.networkInterface().getName(), config.port(), Integer.toHexString(config.normNodeId()),
                Math.round(config.txRateBitsPerSecond() / 1000), library.file);
    }

    /**
     * libnorm's protocol thread inherits the name of the thread that creates the instance, so it is created from one
     * named {@code xo-norm-proto}: operators (top -H) and tests can tell it apart.
     */
    private Pointer createInstance() throws IOException {
        Pointer[] created = new Pointer[1];
        Thread creator = new Thread(() -> created[0] = api.NormCreateInstance(false), "xo-norm-proto");
        creator.start();
        try {
            creator.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while starting libnorm", e);
        }
        return created[0];
    }

    /**
     * Opens the group's NORM session as sender and receiver.
     *
     * @throws IOException when the session limit is reached, or libnorm cannot open the session's sockets or join
     *                     the group (for instance when the process has no file descriptor left), with the reason
     */
    @Override
    public synchronized void join(InetAddress group) throws IOException {
        requireOpen();
        checkGroup(group);
        Session existing = sessions.get(group);
        if (existing != null) {
            synchronized (existing) {
                existing.leaving = false; // left a moment ago and still lingering: joined again
            }
            return;
        }
        String where = group.getHostAddress() + " port " + config.port() + " on "
                + config.networkInterface().getName();
        if (sessions.size() >= config.maxSessions()) {
            throw new IOException("Cannot join multicast group " + where + " over NORM: this node already has "
                    + sessions.size() + " NORM sessions, its limit (each takes about 100 KB of native memory and two "
                    + "sockets)");
        }
        Pointer handle = api.NormCreateSession(instance, group.getHostAddress(), (short) config.port(),
                config.normNodeId());
        if (handle == null) {
            throw new IOException("Cannot join multicast group " + where + " over NORM: libnorm refused the session");
        }
        String problem = configure(handle, group);
        if (problem != null) {
            api.NormDestroySession(handle); // not yet known to the event thread, which ignores its events
            throw new IOException("Cannot join multicast group " + where + " over NORM: " + problem + " (sessions so "
                    + "far: " + sessions.size() + ", two sockets each)");
        }
        Session session = new Session(group, handle);
        sessions.put(group, session);
        byHandle.put(Pointer.nativeValue(handle), session);
    }

    /** @return null when the session runs, else what failed */
    private String configure(Pointer handle, InetAddress group) {
        // Bound to the group address: the port is shared by every group, and a socket bound to the wildcard address
        // would take every group's traffic on it (Linux delivers any joined group to a matching port).
        api.NormSetRxPortReuse(handle, true, group.getHostAddress(), null, (short) 0);
        if (api.NormSetMulticastInterface(handle, config.networkInterface().getName()) == 0) {
            return "interface " + config.networkInterface().getName() + " was refused";
        }
        api.NormSetTTL(handle, (byte) config.ttl());
        api.NormSetMulticastLoopback(handle, config.loopback());
        api.NormSetTxRate(handle, config.txRateBitsPerSecond());
        api.NormSetGrttEstimate(handle, config.initialGrtt().toNanos() / 1e9);
        api.NormSetTxCacheBounds(handle, TX_CACHE_BYTES, TX_CACHE_MIN_OBJECTS, TX_CACHE_MAX_OBJECTS);
        api.NormSetRxCacheLimit(handle, RX_CACHE_OBJECTS);
        // The default (NORM_SYNC_CURRENT) never recovers a lost first object of a sender.
        api.NormSetDefaultSyncPolicy(handle, NormApi.NORM_SYNC_ALL);
        if (api.NormStartReceiver(handle, RX_BUFFER_BYTES) == 0) {
            return "libnorm could not open the receive socket or join the group";
        }
        // A fresh instance id per session: receivers tell a restarted node from its previous run by it.
        short instanceId = (short) random.nextInt();
        if (api.NormStartSender(handle, instanceId, TX_BUFFER_BYTES, SEGMENT_SIZE, BLOCK_SIZE, PARITY, (byte) 0)
                == 0) {
            return "libnorm could not open the send socket";
        }
        return null;
    }

    /**
     * Stops delivering the group's datagrams at once. Its session lives on until what it sent is flushed (at most
     * 5 s), so that the group's last datagrams still go out and get repaired, and sends to it still work meanwhile.
     */
    @Override
    public void leave(InetAddress group) {
        Session session;
        synchronized (this) {
            session = sessions.get(group);
            if (session == null) {
                return;
            }
            synchronized (session) {
                if (!session.flushed) {
                    linger(session, LEAVE_LINGER_NANOS);
                    return;
                }
            }
            forget(session);
        }
        dispatchLock.lock();
        try {
            destroy(session);
        } finally {
            dispatchLock.unlock();
        }
    }

    /** Under the session's monitor. */
    private static void linger(Session session, long nanos) {
        long until = System.nanoTime() + nanos;
        if (!session.leaving || until - session.lingerUntilNanos < 0) {
            session.lingerUntilNanos = until;
        }
        session.leaving = true;
    }

    /** Under this: the session is no longer found by group or handle. */
    private void forget(Session session) {
        sessions.remove(session.group);
        byHandle.remove(Pointer.nativeValue(session.handle));
    }

    /** Under {@link #dispatchLock}. */
    private void destroy(Session session) {
        synchronized (session) {
            session.destroyed = true;
            session.notifyAll(); // senders waiting for room give up
            api.NormDestroySession(session.handle);
            session.pending.values().forEach(Memory::close);
            session.pending.clear();
            session.lastObject = null;
        }
    }

    /**
     * Sends one datagram as one NORM data object, on a joined group (or one left so recently that its session still
     * lingers) only: NORM's reliability needs the session's receive side, where the repair requests arrive. When the
     * session's transmit queue is full (this node sends faster than the session's rate), waits up to
     * {@link NormConfig#queueWait()} for room; what still does not fit is dropped and counted
     * ({@link #sendsDropped()}).
     *
     * @throws IOException when the group is not joined, the datagram is empty or larger than
     *                     {@link Limits#MAX_DATAGRAM_BYTES}, or the queue stayed full
     */
    @Override
    public void send(InetAddress group, ByteBuffer datagram) throws IOException {
        Session session;
        synchronized (this) {
            requireOpen();
            checkGroup(group);
            session = sessions.get(group);
        }
        if (session == null) {
            throw new IOException("NORM sends only on joined groups; " + group.getHostAddress() + " is not joined");
        }
        int length = datagram.remaining();
        if (length < 1 || length > Limits.MAX_DATAGRAM_BYTES) {
            sendsDropped.incrementAndGet();
            throw new IOException("A datagram of " + length + " bytes cannot be sent (1 to "
                    + Limits.MAX_DATAGRAM_BYTES + " bytes)");
        }
        Memory buffer = new Memory(length);
        byte[] bytes = new byte[length];
        datagram.duplicate().get(bytes);
        buffer.write(0, bytes, 0, length);
        // The event thread itself never waits: the room it waits for is announced by events it would have to take.
        long deadline = System.nanoTime() + (Thread.currentThread() == eventThread ? 0 : config.queueWait().toNanos());
        synchronized (session) {
            while (true) {
                if (session.destroyed || closed) {
                    buffer.close();
                    throw new IOException("Group " + group.getHostAddress() + " was left during the send");
                }
                Pointer object = api.NormDataEnqueue(session.handle, buffer, length, null, 0);
                if (object != null) {
                    session.pending.put(Pointer.nativeValue(object), buffer);
                    session.lastObject = object;
                    session.lastSendNanos = System.nanoTime();
                    session.reflushes = 0;
                    session.flushed = false;
                    datagram.position(datagram.limit());
                    datagramsSent.incrementAndGet();
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    buffer.close();
                    sendsDropped.incrementAndGet();
                    throw new IOException("The NORM transmit queue of group " + group.getHostAddress()
                            + " stayed full for " + config.queueWait().toMillis() + " ms (" + TX_CACHE_MAX_OBJECTS
                            + " objects or " + TX_CACHE_BYTES / 1024 + " KB unsent at "
                            + Math.round(config.txRateBitsPerSecond() / 1000) + " kbit/s): datagram dropped");
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(session, Math.min(left, WAIT_SLICE_NANOS));
                } catch (InterruptedException e) {
                    buffer.close();
                    Thread.currentThread().interrupt();
                    throw new IOException("Interrupted while waiting for room in the NORM transmit queue", e);
                }
            }
        }
    }

    /** @return datagrams handed to libnorm (each is delivered reliably unless its receivers stay cut off too long) */
    public long datagramsSent() {
        return datagramsSent.get();
    }

    /** @return datagrams not sent: the transmit queue stayed full, or they were empty or oversized */
    public long sendsDropped() {
        return sendsDropped.get();
    }

    /** @return datagrams delivered to the handler */
    public long datagramsReceived() {
        return datagramsReceived.get();
    }

    /** @return received NORM objects refused: not data (a stream or file of another application) or oversized */
    public long objectsRejected() {
        return objectsRejected.get();
    }

    /** @return objects whose reception failed: the sender purged them before they could be repaired */
    public long objectsAborted() {
        return objectsAborted.get();
    }

    /** @return packets libnorm failed to send (for instance while the interface was down) */
    public long sendErrors() {
        return sendErrors.get();
    }

    /** @return how many exceptions the handler threw (each was caught) */
    public long handlerErrors() {
        return handlerErrors.get();
    }

    /** @return the NORM sessions: of the joined groups, and of left ones that linger until flushed */
    public synchronized int sessionCount() {
        return sessions.size();
    }

    /**
     * Refuses new sends and joins, lets every session flush what it sent for up to 1 s, then destroys the sessions
     * and the NORM instance (its protocol thread ends) and ends the event thread. Idempotent. Called from the handler,
     * it returns at once and the event thread releases everything when the handler returns.
     */
    @Override
    public String kind() {
        return "norm";
    }

    @Override
    public void close() {
        Thread events;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            events = eventThread;
            for (Session session : sessions.values()) {
                synchronized (session) {
                    linger(session, CLOSE_LINGER_NANOS);
                    session.notifyAll(); // waiting senders see the close within a wait slice
                }
            }
        }
        if (events == null || events == Thread.currentThread()) {
            return; // never started, or the event thread releases everything on its way out
        }
        try {
            events.join(TimeUnit.NANOSECONDS.toMillis(CLOSE_LINGER_NANOS) + TimeUnit.SECONDS.toMillis(5));
            if (events.isAlive()) {
                LOG.warn("The NORM event thread is still in the datagram handler after 5 s; it releases libnorm when "
                        + "the handler returns");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void eventLoop(int descriptor) {
        NormLibrary.LibC.PollFd poll = new NormLibrary.LibC.PollFd();
        NormApi.NormEvent event = new NormApi.NormEvent();
        byte[] received = new byte[Limits.MAX_DATAGRAM_BYTES];
        long lastTick = System.nanoTime();
        try {
            while (!closed || !byHandle.isEmpty()) {
                poll.fd = descriptor;
                poll.events = NormLibrary.LibC.POLLIN;
                poll.revents = 0;
                library.libc.poll(poll, 1, POLL_MILLIS);
                // Level-triggered: the descriptor stays readable until the queue is drained (or a poll error, EINTR,
                // finds no event, which is harmless here).
                while (true) {
                    Delivery delivery;
                    dispatchLock.lock();
                    try {
                        if (api.NormGetNextEvent(instance, event, false) == 0) {
                            break;
                        }
                        delivery = handle(event, received);
                    } finally {
                        dispatchLock.unlock();
                    }
                    if (delivery != null) {
                        deliver(delivery);
                    }
                }
                long now = System.nanoTime();
                if (now - lastTick >= TIMER_TICK_NANOS) {
                    lastTick = now;
                    keepTime(now);
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("The NORM event thread failed; the NORM transport stops", e);
            throw e;
        } finally {
            release();
        }
    }

    /** On the event thread, under {@link #dispatchLock}: the event's handles are valid until the next event. */
    private Delivery handle(NormApi.NormEvent event, byte[] received) {
        Session session = event.session == null ? null : byHandle.get(Pointer.nativeValue(event.session));
        if (session == null) {
            return null; // a session being left; libnorm drops its events when it is destroyed
        }
        switch (event.type) {
            case NormApi.NORM_TX_QUEUE_VACANCY, NormApi.NORM_TX_QUEUE_EMPTY -> {
                synchronized (session) {
                    session.notifyAll();
                }
            }
            case NormApi.NORM_TX_OBJECT_PURGED -> {
                synchronized (session) {
                    Memory buffer = session.pending.remove(Pointer.nativeValue(event.object));
                    if (buffer != null) {
                        buffer.close();
                    }
                    if (event.object.equals(session.lastObject)) {
                        session.lastObject = null; // invalid from the next event on
                    }
                    session.notifyAll();
                }
            }
            case NormApi.NORM_TX_FLUSH_COMPLETED -> {
                synchronized (session) {
                    session.flushed = true;
                }
            }
            case NormApi.NORM_RX_OBJECT_NEW -> screen(session, event);
            case NormApi.NORM_RX_OBJECT_COMPLETED -> {
                long size = api.NormObjectGetSize(event.object);
                Pointer data = api.NormDataAccessData(event.object);
                if (size < 0 || size > received.length || (size > 0 && data == null)) {
                    objectsRejected.incrementAndGet(); // screened at NORM_RX_OBJECT_NEW; never seen
                    return null;
                }
                synchronized (session) {
                    if (session.leaving) {
                        return null; // the group was left
                    }
                }
                if (size > 0) {
                    data.read(0, received, 0, (int) size);
                }
                datagramsReceived.incrementAndGet();
                return new Delivery(ByteBuffer.wrap(received, 0, (int) size).asReadOnlyBuffer(),
                        senderAddress(event.sender));
            }
            case NormApi.NORM_RX_OBJECT_ABORTED -> {
                objectsAborted.incrementAndGet();
                debugLog.log("NORM gave up an object from " + senderAddress(event.sender) + " on group "
                        + session.group.getHostAddress() + " (aborted so far: " + objectsAborted.get() + ")", null);
            }
            case NormApi.NORM_REMOTE_SENDER_NEW, NormApi.NORM_REMOTE_SENDER_ACTIVE -> {
                // Every node heard in the group is asked to acknowledge the re-flushes: one that has received
                // nothing of this node yet (cut off from its first datagrams) synchronizes only on a request that
                // names it. Nodes are never removed: one that left makes the re-flushes run all their rounds.
                int node = api.NormNodeGetId(event.sender);
                api.NormAddAckingNode(session.handle, node);
                if (event.type == NormApi.NORM_REMOTE_SENDER_NEW) {
                    LOG.debug("NORM group {}: new node {} at {}", session.group.getHostAddress(),
                            Integer.toHexString(node), senderAddress(event.sender));
                }
            }
            case NormApi.NORM_SEND_ERROR -> {
                sendErrors.incrementAndGet();
                warnLog.log("NORM could not send on group " + session.group.getHostAddress() + " (interface "
                        + config.networkInterface().getName() + " down or unreachable?); send errors so far: "
                        + sendErrors.get(), null);
            }
            default -> {
                // progress reports (object sent, GRTT updates, ...): nothing to do
            }
        }
        return null;
    }

    /**
     * On the event thread, after each round of events: re-flushes sessions that are due (see
     * {@link #REFLUSH_AFTER_NANOS}) and destroys the lingering sessions that have flushed or waited long enough.
     */
    private void keepTime(long now) {
        List<Session> done = new ArrayList<>();
        dispatchLock.lock();
        try {
            for (Session session : byHandle.values()) {
                synchronized (session) {
                    if (session.destroyed) {
                        continue;
                    }
                    if (session.leaving) {
                        if (session.flushed || now - session.lingerUntilNanos >= 0) {
                            done.add(session);
                        }
                    } else if (session.reflushes < REFLUSH_AFTER_NANOS.length && session.lastObject != null
                            && now - session.lastSendNanos >= REFLUSH_AFTER_NANOS[session.reflushes]) {
                        session.reflushes++;
                        api.NormSetWatermark(session.handle, session.lastObject, false);
                    }
                }
            }
            if (done.isEmpty()) {
                return;
            }
            synchronized (this) {
                done.forEach(this::forget);
            }
            done.forEach(this::destroy);
        } finally {
            dispatchLock.unlock();
        }
    }

    /** Refuses, before libnorm receives it, an object that cannot be an XO datagram. */
    private void screen(Session session, NormApi.NormEvent event) {
        int type = api.NormObjectGetType(event.object);
        long size = api.NormObjectGetSize(event.object);
        if (type == NormApi.NORM_OBJECT_DATA && size >= 0 && size <= Limits.MAX_DATAGRAM_BYTES) {
            return;
        }
        InetSocketAddress from = senderAddress(event.sender);
        api.NormObjectCancel(event.object); // frees it; the event's handles are not used after this
        objectsRejected.incrementAndGet();
        rejectLog.log("Refused a NORM " + (type == NormApi.NORM_OBJECT_DATA ? "data" : "stream or file")
                + " object of " + size + " bytes from " + from + " on group " + session.group.getHostAddress()
                + ": XO datagrams are data objects of at most " + Limits.MAX_DATAGRAM_BYTES + " bytes (refused so far: "
                + objectsRejected.get() + ")", null);
    }

    private void deliver(Delivery delivery) {
        try {
            handler.onDatagram(delivery.data(), delivery.sender());
        } catch (VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // One bad datagram or handler bug must not silence the node: count, log, keep receiving.
            handlerErrors.incrementAndGet();
            warnLog.log("Datagram handler failed on a datagram from " + delivery.sender() + " (handler errors so far: "
                    + handlerErrors.get() + ")", e);
        }
    }

    private InetSocketAddress senderAddress(Pointer node) {
        byte[] address = new byte[16];
        IntByReference length = new IntByReference(address.length);
        ShortByReference port = new ShortByReference();
        if (node != null && api.NormNodeGetAddress(node, address, length, port) != 0) {
            try {
                return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOf(address, length.getValue())),
                        port.getValue() & 0xFFFF);
            } catch (UnknownHostException e) {
                // an address length libnorm should never report
            }
        }
        return InetSocketAddress.createUnresolved("unknown", 0);
    }

    /** On the event thread's way out: every session, then the instance, whose protocol thread ends with it. */
    private void release() {
        List<Session> open;
        synchronized (this) {
            closed = true; // also when the thread fails: no call may reach the destroyed instance
            open = new ArrayList<>(sessions.values());
            sessions.clear();
            byHandle.clear();
        }
        dispatchLock.lock();
        try {
            open.forEach(this::destroy);
            api.NormStopInstance(instance);
            api.NormDestroyInstance(instance);
        } finally {
            dispatchLock.unlock();
        }
        LOG.debug("NORM transport closed ({} sessions destroyed)", open.size());
    }

    private void requireOpen() {
        if (instance == null || closed) {
            throw new IllegalStateException(closed ? "The transport is closed." : "The transport is not started.");
        }
    }

    private static void checkGroup(InetAddress group) {
        if (!(group instanceof Inet4Address) || !group.isMulticastAddress()) {
            throw new IllegalArgumentException(group + " is not an IPv4 multicast group.");
        }
    }
}
