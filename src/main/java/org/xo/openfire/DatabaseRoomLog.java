package org.xo.openfire;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.core.StreamId;
import org.xo.sync.RoomLog;
import org.xo.transport.LogThrottle;

/**
 * The room log in the node's Openfire database (table ofXoEvent, which Openfire installs from the plugin's
 * database/xo_*.sql), kept across restarts.
 * <p>
 * <b>Appends never wait on the database.</b> They are queued, and one thread, {@value #WRITER_THREAD}, writes them in
 * batches: one transaction and one JDBC batch for whatever queued up meanwhile (up to {@value #BATCH}), so that a burst
 * or a repair answer costs a few round trips instead of one per event (the seed paper's bulk transfer, applied to
 * the disk). Whether an event is new is answered from memory: every (stream, seq) held, written or queued, as ranges
 * per stream ({@link SeqRanges}; a stream without holes is one entry), read from the table with one query at
 * {@link #open}. The same thread prunes by the bounds it is given once a minute.
 * <p>
 * <b>Reads</b> are one query each ({@link #held} none: the index answers it), merged with the events still queued.
 * <p>
 * <b>Bounded memory:</b> the queue holds at most {@value #MAX_PENDING} events (beyond, events are counted as
 * log.dropped and not kept), the index one entry per hole.
 * <p>
 * <b>Failures</b> of the database never reach the caller: they are counted (log.errors) and logged at most once a
 * minute with their cause. Events that could not be written are forgotten by the index (repair may bring them
 * again); a read that fails answers with the queued events only. The log goes on as the database allows.
 * <p>
 * Portable SQL: no LIMIT or TOP ({@link java.sql.Statement#setMaxRows}), a duplicate key is told by SQLState class
 * 23, stanzas go as character streams (CLOB columns of Oracle and DB2 take them at any length); Oracle stores an empty
 * nick or stanza as NULL, which reads back as empty.
 */
public final class DatabaseRoomLog implements RoomLog {
    /** Where connections come from: Openfire's {@code DbConnectionManager::getConnection} in the plugin. */
    @FunctionalInterface
    public interface ConnectionSource {
        Connection get() throws SQLException;
    }

    public static final String WRITER_THREAD = "xo-log-writer";
    private static final Logger Log = LoggerFactory.getLogger(DatabaseRoomLog.class);
    private static final int BATCH = 500;
    private static final int MAX_PENDING = 20_000;
    private static final Duration PRUNE_INTERVAL = Duration.ofMinutes(1);
    /** Bound on the wait for the queue to be written at {@link #close()}. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private static final String COLUMNS = "room, originNode, originEpoch, seq, originTime, kind, nick, stanza";
    private static final String INSERT = "INSERT INTO ofXoEvent (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String ALL_KEYS = "SELECT room, originNode, originEpoch, seq FROM ofXoEvent";
    private static final String RANGE = "SELECT " + COLUMNS + " FROM ofXoEvent WHERE room = ? AND originNode = ?"
            + " AND originEpoch = ? AND seq >= ? AND seq <= ? ORDER BY seq";
    /** Newest first, so that setMaxRows keeps the last ones; %s is one ? per kind. */
    private static final String RECENT = "SELECT " + COLUMNS + " FROM ofXoEvent WHERE room = ? AND kind IN (%s)"
            + " ORDER BY originTime DESC, originNode DESC, originEpoch DESC, seq DESC";
    private static final String KEYS_OLDER_THAN = ALL_KEYS + " WHERE originTime < ?";
    private static final String DELETE_OLDER_THAN = "DELETE FROM ofXoEvent WHERE originTime < ?";
    private static final String CROWDED_ORIGINS = "SELECT room, originNode, COUNT(*) FROM ofXoEvent"
            + " GROUP BY room, originNode HAVING COUNT(*) > ?";
    private static final String OLDEST_OF_ORIGIN = ALL_KEYS + " WHERE room = ? AND originNode = ?"
            + " ORDER BY originTime, originEpoch, seq";
    private static final String CROWDED_ROOMS = "SELECT room, COUNT(*) FROM ofXoEvent GROUP BY room HAVING COUNT(*) > ?";
    private static final String OLDEST_OF_ROOM = ALL_KEYS + " WHERE room = ? ORDER BY originTime, originNode,"
            + " originEpoch, seq";
    private static final String DELETE_ONE = "DELETE FROM ofXoEvent WHERE room = ? AND originNode = ?"
            + " AND originEpoch = ? AND seq = ?";

    /** The one order rule of history: origin time, then origin node, epoch, seq. */
    private static final Comparator<Envelope> HISTORY_ORDER = Comparator.comparingLong(Envelope::originTime)
            .thenComparingLong(Envelope::originNode).thenComparingInt(Envelope::originEpoch)
            .thenComparingLong(Envelope::seq);

    private record Key(StreamId stream, long seq) {
        static Key of(Envelope e) {
            return new Key(e.stream(), e.seq());
        }
    }

    private final ConnectionSource connections;
    private final Supplier<Bounds> bounds;
    private final LogThrottle failures = LogThrottle.warn(Log, Duration.ofMinutes(1));
    /** Guards index, pending, tasks and closing; the writer waits on it. */
    private final Object lock = new Object();
    /** Room, then stream: every seq held, written or pending. */
    private final Map<String, Map<StreamId, SeqRanges>> index = new HashMap<>();
    /** Appended, not written yet, in order; an event leaves only once its transaction committed. */
    private final LinkedHashMap<Key, Envelope> pending = new LinkedHashMap<>();
    /** Work that must run between writes (pruning). */
    private final Queue<FutureTask<Integer>> tasks = new ArrayDeque<>();
    private boolean closing;
    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong pruned = new AtomicLong();
    private final Thread writer;

    private DatabaseRoomLog(ConnectionSource connections, Supplier<Bounds> bounds) {
        this.connections = connections;
        this.bounds = bounds;
        this.writer = new Thread(this::writeUntilClosed, WRITER_THREAD);
        writer.setDaemon(true);
    }

    /**
     * Reads what the table holds (one query) and starts the writer.
     *
     * @param bounds read before each periodic prune, so that a changed setting applies from the next one
     */
    public static DatabaseRoomLog open(ConnectionSource connections, Supplier<Bounds> bounds) {
        DatabaseRoomLog log = new DatabaseRoomLog(connections, bounds);
        log.loadIndex();
        log.writer.start();
        return log;
    }

    private void loadIndex() {
        try (Connection c = connections.get(); PreparedStatement ps = c.prepareStatement(ALL_KEYS)) {
            ps.setFetchSize(1000);
            long count = 0;
            try (ResultSet rs = ps.executeQuery()) {
                synchronized (lock) {
                    while (rs.next()) {
                        Key key = keyOf(rs);
                        if (indexAdd(key)) {
                            count++;
                        }
                    }
                }
            }
            stored.set(count);
        } catch (SQLException e) {
            failed("reading which events the log holds", e);
        }
    }

    @Override
    public boolean append(Envelope e) {
        Key key = Key.of(e);
        synchronized (lock) {
            if (!indexAdd(key)) {
                return false;
            }
            if (closing || pending.size() >= MAX_PENDING) {
                indexRemove(key);
                dropped.incrementAndGet();
                failures.log("XO room log: " + (closing ? "closed" : MAX_PENDING + " events wait for the database")
                        + "; event " + key.stream() + " #" + key.seq() + " is not kept", null);
                return true;
            }
            pending.put(key, e);
            lock.notifyAll();
            return true;
        }
    }

    @Override
    public List<Envelope> appendAll(Collection<Envelope> events) {
        List<Envelope> added = new ArrayList<>();
        for (Envelope e : events) {
            if (append(e)) {
                added.add(e);
            }
        }
        return added;
    }

    @Override
    public List<Envelope> range(StreamId stream, long fromSeq, long toSeq, int limit) {
        TreeMap<Long, Envelope> bySeq = new TreeMap<>();
        // Pending first, then the table: an event written meanwhile is in the table by then.
        for (Envelope e : pendingOf(stream.room())) {
            if (e.stream().equals(stream) && e.seq() >= fromSeq && e.seq() <= toSeq) {
                bySeq.put(e.seq(), e);
            }
        }
        try (Connection c = connections.get(); PreparedStatement ps = c.prepareStatement(RANGE)) {
            ps.setString(1, stream.room());
            ps.setLong(2, stream.originNode());
            ps.setInt(3, stream.originEpoch());
            ps.setLong(4, fromSeq);
            ps.setLong(5, toSeq);
            ps.setMaxRows(limit);
            for (Envelope e : read(ps)) {
                bySeq.put(e.seq(), e);
            }
        } catch (SQLException e) {
            failed("reading events of " + stream, e);
        }
        return bySeq.values().stream().limit(limit).toList();
    }

    @Override
    public Map<StreamId, Held> held(String room) {
        synchronized (lock) {
            Map<StreamId, Held> held = new HashMap<>();
            index.getOrDefault(room, Map.of()).forEach((stream, seqs) -> held.put(stream, seqs.held()));
            return held;
        }
    }

    @Override
    public List<Envelope> recent(String room, Set<Kind> kinds, int limit) {
        if (kinds.isEmpty() || limit < 1) {
            return List.of();
        }
        TreeSet<Envelope> ordered = new TreeSet<>(HISTORY_ORDER);
        for (Envelope e : pendingOf(room)) {
            if (kinds.contains(e.kind())) {
                ordered.add(e);
            }
        }
        String marks = kinds.stream().map(k -> "?").collect(Collectors.joining(", "));
        try (Connection c = connections.get();
             PreparedStatement ps = c.prepareStatement(String.format(RECENT, marks))) {
            ps.setString(1, room);
            int i = 2;
            for (Kind kind : kinds) {
                ps.setInt(i++, kind.code());
            }
            ps.setMaxRows(limit);
            ordered.addAll(read(ps));
        } catch (SQLException e) {
            failed("reading the history of " + room, e);
        }
        List<Envelope> all = List.copyOf(ordered);
        return all.subList(Math.max(0, all.size() - limit), all.size());
    }

    /** Prunes on the writer thread, between writes, and waits for it. */
    @Override
    public int prune(Bounds bounds, Instant now) {
        FutureTask<Integer> task = new FutureTask<>(() -> pruneNow(bounds, now));
        synchronized (lock) {
            if (closing) {
                return 0;
            }
            tasks.add(task);
            lock.notifyAll();
        }
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } catch (ExecutionException | CancellationException e) {
            return 0; // pruneNow counts and logs its own failures
        }
    }

    /** Writes what is queued and stops the writer (waiting at most {@link #CLOSE_WAIT}). */
    @Override
    public void close() {
        synchronized (lock) {
            closing = true;
            lock.notifyAll();
        }
        try {
            writer.join(CLOSE_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            Log.warn("XO room log: the database took more than {} s; {} events are not kept", CLOSE_WAIT.toSeconds(),
                    pendingCount());
            writer.interrupt();
        }
    }

    /** The log's counters, for the status page and the stats query: log.events is what the table holds. */
    public Map<String, Long> counters() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("log.events", stored.get());
        counters.put("log.pending", (long) pendingCount());
        counters.put("log.dropped", dropped.get());
        counters.put("log.pruned", pruned.get());
        counters.put("log.errors", errors.get());
        return counters;
    }

    private int pendingCount() {
        synchronized (lock) {
            return pending.size();
        }
    }

    private List<Envelope> pendingOf(String room) {
        synchronized (lock) {
            return pending.values().stream().filter(e -> e.room().equals(room)).toList();
        }
    }

    private void writeUntilClosed() {
        long nextPrune = System.nanoTime() + PRUNE_INTERVAL.toNanos();
        try {
            while (true) {
                List<Envelope> batch;
                FutureTask<Integer> task;
                synchronized (lock) {
                    while (pending.isEmpty() && tasks.isEmpty() && !closing && System.nanoTime() < nextPrune) {
                        lock.wait(Math.max(1, (nextPrune - System.nanoTime()) / 1_000_000));
                    }
                    if (pending.isEmpty() && closing) {
                        tasks.forEach(t -> t.cancel(false));
                        return;
                    }
                    batch = pending.values().stream().limit(BATCH).toList();
                    task = tasks.poll();
                }
                if (!batch.isEmpty()) {
                    write(batch);
                }
                if (task != null) {
                    task.run();
                }
                if (System.nanoTime() >= nextPrune) {
                    nextPrune = System.nanoTime() + PRUNE_INTERVAL.toNanos();
                    pruneByCurrentBounds();
                }
            }
        } catch (InterruptedException e) {
            // close() gave up waiting for the database
        }
    }

    private void pruneByCurrentBounds() {
        Bounds current;
        try {
            current = bounds.get();
        } catch (RuntimeException e) {
            failed("reading the log's bounds", e);
            return;
        }
        pruneNow(current, Instant.now());
    }

    /** Writes a batch in one transaction; on a duplicate key (written by someone else) one by one. */
    private void write(List<Envelope> batch) {
        int written = 0;
        try (Connection c = connections.get()) {
            boolean autoCommit = c.getAutoCommit();
            try {
                c.setAutoCommit(false);
                written = insertBatch(c, batch);
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                if (!isDuplicateKey(e)) {
                    throw e;
                }
                c.setAutoCommit(true);
                written = insertOneByOne(c, batch);
            } finally {
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            failed("writing " + batch.size() + " events", e);
        }
        stored.addAndGet(written);
        synchronized (lock) {
            for (Envelope e : batch) {
                pending.remove(Key.of(e));
            }
            if (written == 0 && !batch.isEmpty()) {
                batch.forEach(e -> indexRemove(Key.of(e))); // not kept: repair may bring them again
            }
        }
    }

    private static int insertBatch(Connection c, List<Envelope> batch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            for (Envelope e : batch) {
                bind(ps, e);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        return batch.size();
    }

    /** @return how many were written; the others are in the table already */
    private static int insertOneByOne(Connection c, List<Envelope> batch) throws SQLException {
        int written = 0;
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            for (Envelope e : batch) {
                bind(ps, e);
                try {
                    written += ps.executeUpdate();
                } catch (SQLException duplicate) {
                    if (!isDuplicateKey(duplicate)) {
                        throw duplicate;
                    }
                }
            }
        }
        return written;
    }

    private static void bind(PreparedStatement ps, Envelope e) throws SQLException {
        ps.setString(1, e.room());
        ps.setLong(2, e.originNode());
        ps.setInt(3, e.originEpoch());
        ps.setLong(4, e.seq());
        ps.setLong(5, e.originTime());
        ps.setInt(6, e.kind().code());
        ps.setString(7, e.nick());
        ps.setCharacterStream(8, new StringReader(e.stanza()), e.stanza().length());
    }

    /** SQLState class 23, integrity constraint violation, is how every database reports a duplicate primary key. */
    private static boolean isDuplicateKey(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            if (s.getSQLState() != null && s.getSQLState().startsWith("23")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Drops by age, then each origin's excess in its room, then each room's excess, oldest first, in one
     * transaction; the index forgets what was dropped.
     */
    private int pruneNow(Bounds bounds, Instant now) {
        List<Key> dropped = new ArrayList<>();
        try (Connection c = connections.get()) {
            boolean autoCommit = c.getAutoCommit();
            try {
                c.setAutoCommit(false);
                long oldest = now.minus(bounds.maxAge()).toEpochMilli();
                try (PreparedStatement keys = c.prepareStatement(KEYS_OLDER_THAN);
                     PreparedStatement delete = c.prepareStatement(DELETE_OLDER_THAN)) {
                    keys.setLong(1, oldest);
                    dropped.addAll(readKeys(keys));
                    delete.setLong(1, oldest);
                    delete.executeUpdate();
                }
                dropped.addAll(dropExcess(c, CROWDED_ORIGINS, OLDEST_OF_ORIGIN, bounds.maxPerOrigin()));
                dropped.addAll(dropExcess(c, CROWDED_ROOMS, OLDEST_OF_ROOM, bounds.maxPerRoom()));
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            failed("pruning", e);
            return 0;
        }
        synchronized (lock) {
            dropped.forEach(this::indexRemove);
        }
        stored.addAndGet(-dropped.size());
        pruned.addAndGet(dropped.size());
        return dropped.size();
    }

    /**
     * In each group above {@code max} events (what the grouping query groups by: its columns before the count, which
     * are the parameters of the query of the group's keys, oldest first), deletes the oldest beyond {@code max}.
     *
     * @return the keys deleted
     */
    private static List<Key> dropExcess(Connection c, String crowdedQuery, String oldestQuery, int max)
            throws SQLException {
        Map<List<Object>, Long> excess = new LinkedHashMap<>();
        try (PreparedStatement crowded = c.prepareStatement(crowdedQuery)) {
            crowded.setInt(1, max);
            try (ResultSet rs = crowded.executeQuery()) {
                int countColumn = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    List<Object> group = new ArrayList<>();
                    for (int i = 1; i < countColumn; i++) {
                        group.add(rs.getObject(i));
                    }
                    excess.put(group, rs.getLong(countColumn) - max);
                }
            }
        }
        List<Key> keys = new ArrayList<>();
        try (PreparedStatement oldestFirst = c.prepareStatement(oldestQuery)) {
            for (Map.Entry<List<Object>, Long> group : excess.entrySet()) {
                for (int i = 0; i < group.getKey().size(); i++) {
                    oldestFirst.setObject(i + 1, group.getKey().get(i));
                }
                oldestFirst.setMaxRows((int) Math.min(Integer.MAX_VALUE, group.getValue()));
                keys.addAll(readKeys(oldestFirst));
            }
        }
        try (PreparedStatement delete = c.prepareStatement(DELETE_ONE)) {
            for (Key key : keys) {
                delete.setString(1, key.stream().room());
                delete.setLong(2, key.stream().originNode());
                delete.setInt(3, key.stream().originEpoch());
                delete.setLong(4, key.seq());
                delete.addBatch();
            }
            if (!keys.isEmpty()) {
                delete.executeBatch();
            }
        }
        return keys;
    }

    private static List<Key> readKeys(PreparedStatement ps) throws SQLException {
        List<Key> keys = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                keys.add(keyOf(rs));
            }
        }
        return keys;
    }

    private static Key keyOf(ResultSet rs) throws SQLException {
        return new Key(new StreamId(rs.getLong(2), rs.getInt(3), rs.getString(1)), rs.getLong(4));
    }

    /** Events of the columns {@link #COLUMNS}, in the query's order; rows of a kind this version does not know are skipped. */
    private static List<Envelope> read(PreparedStatement ps) throws SQLException {
        List<Envelope> events = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Kind kind = Kind.fromCode(rs.getInt(6));
                if (kind != null) {
                    events.add(new Envelope(rs.getLong(2), rs.getInt(3), rs.getLong(4), rs.getLong(5), rs.getString(1),
                            orEmpty(rs.getString(7)), kind, orEmpty(rs.getString(8))));
                }
            }
        }
        return events;
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }

    private boolean indexAdd(Key key) {
        return index.computeIfAbsent(key.stream().room(), r -> new HashMap<>())
                .computeIfAbsent(key.stream(), s -> new SeqRanges()).add(key.seq());
    }

    private void indexRemove(Key key) {
        Map<StreamId, SeqRanges> streams = index.get(key.stream().room());
        SeqRanges seqs = streams == null ? null : streams.get(key.stream());
        if (seqs != null && seqs.remove(key.seq()) && seqs.isEmpty()) {
            streams.remove(key.stream());
            if (streams.isEmpty()) {
                index.remove(key.stream().room());
            }
        }
    }

    private void failed(String what, Exception cause) {
        errors.incrementAndGet();
        failures.log("XO room log: error " + what + ": " + cause, cause);
    }
}
