package org.xo.openfire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

import org.hsqldb.jdbc.JDBCDriver;
import org.jivesoftware.database.SchemaManager;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;
import org.xo.core.Envelope;
import org.xo.core.Kind;
import org.xo.core.Limits;
import org.xo.core.StreamId;
import org.xo.it.Openfire;
import org.xo.sync.RoomLog;

/**
 * {@link DatabaseRoomLog} on a real HSQLDB database in files, with the very schema script the plugin ships, run by
 * Openfire's own script runner; once with the HSQLDB that Openfire 4.2.0 embeds (2.3), once with the one of the
 * Openfire 5.1.1 server layout's lib/ (2.7), loaded on its own.
 */
@RunWith(Parameterized.class)
public class DatabaseRoomLogTest {
    private static final String ROOM = "ops@conference.xo";
    private static final long ALPHA = 0xA1L;
    private static final long BETA = 0xB2L;
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final RoomLog.Bounds WIDE = new RoomLog.Bounds(1_000_000, 1_000_000, Duration.ofDays(3650));

    @Parameters(name = "hsqldb of openfire {0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    @Parameter
    public Openfire openfire;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    /** The layout's HSQLDB, in a class loader of its own; null for the one on the class path (Openfire 4.2.0's). */
    private URLClassLoader layoutHsqldb;
    private Driver driver;
    private String url;
    private DatabaseRoomLog log;

    @Before
    public void installTheSchema() throws Exception {
        if (openfire == Openfire.V4_2_0) {
            driver = new JDBCDriver();
        } else {
            openfire.requireOrSkip();
            Path jar;
            try (Stream<Path> lib = Files.list(openfire.layout().resolve("lib"))) {
                jar = lib.filter(p -> p.getFileName().toString().matches("hsqldb-.+\\.jar")).findFirst().orElseThrow();
            }
            layoutHsqldb = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
            driver = (Driver) layoutHsqldb.loadClass("org.hsqldb.jdbc.JDBCDriver").getDeclaredConstructor().newInstance();
        }
        url = "jdbc:hsqldb:file:" + folder.getRoot().toPath().resolve("db/openfire") + ";hsqldb.lock_file=false";
        try (Connection c = connect(); Statement s = c.createStatement()) {
            // Openfire's own table of schema versions, as its openfire_hsqldb.sql makes it.
            s.execute("CREATE TABLE ofVersion (name VARCHAR(50) NOT NULL, version INTEGER NOT NULL,"
                    + " CONSTRAINT ofVersion_pk PRIMARY KEY (name))");
            runSchemaScript(c, Path.of("database/xo_hsqldb.sql"));
        }
        log = open();
    }

    @After
    public void closeAndShutDown() throws Exception {
        if (log != null) {
            log.close();
            shutDown();
        }
        if (layoutHsqldb != null) {
            layoutHsqldb.close();
        }
    }

    @Test
    public void theScriptCreatesTheTableAndRecordsVersionOneOfSchemaXo() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet version = s.executeQuery("SELECT version FROM ofVersion WHERE name = 'xo'")) {
            assertTrue(version.next());
            assertEquals(1, version.getInt(1));
        }
        assertEquals(0L, (long) log.counters().get("log.events"));
        assertEquals(0L, (long) log.counters().get("log.errors"));
    }

    @Test
    public void appendSaysWhetherTheEventIsNewBeforeAndAfterItIsWritten() throws Exception {
        Envelope e = event(ALPHA, 1, 1, 0, "hello");

        assertTrue(log.append(e));
        assertFalse("still queued", log.append(e));
        awaitWritten();
        assertFalse("written", log.append(event(ALPHA, 1, 1, 5, "the same key")));
        assertTrue("another epoch is another stream", log.append(event(ALPHA, 2, 1, 0, "hello")));
        assertTrue("another room too", log.append(new Envelope(ALPHA, 1, 1, T0.toEpochMilli(), "dev@conference.xo",
                "alice", Kind.GROUPCHAT, "<message/>")));
        awaitWritten();
        assertEquals(3L, (long) log.counters().get("log.events"));
    }

    @Test
    public void appendAllAnswersTheNewOnesInTheOrderGiven() {
        log.append(event(ALPHA, 1, 2, 0, "two"));

        List<Envelope> added = log.appendAll(List.of(event(ALPHA, 1, 3, 0, "three"), event(ALPHA, 1, 2, 0, "two"),
                event(ALPHA, 1, 1, 0, "one"), event(ALPHA, 1, 3, 0, "three")));

        assertEquals(List.of(3L, 1L), added.stream().map(Envelope::seq).toList());
    }

    @Test
    public void rangeGivesOneStreamsEventsBySeqWithinTheBoundsAndLimitWrittenOrQueued() throws Exception {
        for (long seq = 1; seq <= 10; seq++) {
            log.append(event(ALPHA, 1, seq, seq, "a" + seq));
            log.append(event(BETA, 1, seq, seq, "b" + seq));
        }
        awaitWritten();
        log.append(event(ALPHA, 1, 11, 11, "a11"));
        StreamId alpha = new StreamId(ALPHA, 1, ROOM);

        assertEquals(List.of(3L, 4L, 5L), seqs(log.range(alpha, 3, 5, 100)));
        assertEquals(List.of(8L, 9L), seqs(log.range(alpha, 8, 20, 2)));
        assertEquals("queued ones too", List.of(9L, 10L, 11L), seqs(log.range(alpha, 9, 20, 100)));
        Envelope fourth = log.range(alpha, 4, 4, 1).get(0);
        assertEquals(event(ALPHA, 1, 4, 4, "a4"), fourth);
        assertEquals(List.of(), log.range(new StreamId(ALPHA, 2, ROOM), 1, 10, 10));
    }

    @Test
    public void heldDigestsEveryStreamOfTheRoomHolesIncluded() {
        for (long seq : new long[] {1, 2, 3, 5, 6}) {
            log.append(event(ALPHA, 1, seq, seq, "a"));
        }
        log.append(event(BETA, 7, 4, 0, "b"));
        log.append(new Envelope(ALPHA, 1, 9, 0, "dev@conference.xo", "x", Kind.GROUPCHAT, "<message/>"));

        Map<StreamId, RoomLog.Held> held = log.held(ROOM);

        assertEquals(Map.of(new StreamId(ALPHA, 1, ROOM), new RoomLog.Held(1, 6, 5),
                new StreamId(BETA, 7, ROOM), new RoomLog.Held(4, 4, 1)), held);
    }

    @Test
    public void recentIsInOriginTimeOrderTiesByNodeEpochSeqOfTheKindsAsked() throws Exception {
        log.append(event(BETA, 1, 1, 30, "b1"));
        log.append(event(ALPHA, 2, 1, 30, "a2-1"));
        log.append(event(ALPHA, 1, 2, 30, "a1-2"));
        log.append(event(ALPHA, 1, 1, 10, "a1-1"));
        log.append(new Envelope(BETA, 1, 2, T0.toEpochMilli() + 40, ROOM, "bob", Kind.PRESENCE, "<presence/>"));
        awaitWritten();
        log.append(event(BETA, 1, 3, 20, "b3 queued"));

        List<Envelope> recent = log.recent(ROOM, Set.of(Kind.GROUPCHAT), 10);
        assertEquals(List.of("a1-1", "b3 queued", "a1-2", "a2-1", "b1"), bodies(recent));
        assertEquals("the last ones", List.of("a2-1", "b1"), bodies(log.recent(ROOM, Set.of(Kind.GROUPCHAT), 2)));
        assertEquals(List.of(Kind.GROUPCHAT, Kind.PRESENCE), log.recent(ROOM, Set.of(Kind.GROUPCHAT, Kind.PRESENCE), 2)
                .stream().map(Envelope::kind).toList());
        assertEquals(List.of(), log.recent("dev@conference.xo", Set.of(Kind.GROUPCHAT), 10));
    }

    @Test
    public void pruneByAgeDropsWhatIsOlderThanTheMaximumAge() throws Exception {
        for (int minute = 0; minute < 5; minute++) {
            log.append(event(ALPHA, 1, minute + 1, Duration.ofMinutes(minute).toMillis(), "m" + minute));
        }
        awaitWritten();

        int dropped = log.prune(new RoomLog.Bounds(100, 100, Duration.ofMinutes(3)), T0.plus(Duration.ofMinutes(5)));

        assertEquals(2, dropped);
        assertEquals(List.of("m2", "m3", "m4"), bodies(log.recent(ROOM, Set.of(Kind.GROUPCHAT), 10)));
        assertEquals(Map.of(new StreamId(ALPHA, 1, ROOM), new RoomLog.Held(3, 5, 3)), log.held(ROOM));
        assertEquals(2L, (long) log.counters().get("log.pruned"));
        assertEquals(3L, (long) log.counters().get("log.events"));
        assertTrue("dropped ones are new again", log.append(event(ALPHA, 1, 1, 0, "m0")));
    }

    @Test
    public void prunePerOriginDropsEachOriginsOldestBeyondItsShareOfTheRoom() throws Exception {
        for (int i = 1; i <= 6; i++) {
            log.append(event(ALPHA, 1, i, i * 10, "a" + i));
        }
        log.append(event(BETA, 1, 1, 5, "b1"));
        log.append(event(BETA, 1, 2, 15, "b2"));
        log.append(new Envelope(ALPHA, 1, 1, T0.toEpochMilli(), "dev@conference.xo", "x", Kind.GROUPCHAT, "d1"));
        awaitWritten();

        int dropped = log.prune(new RoomLog.Bounds(100, 2, Duration.ofDays(1)), T0);

        assertEquals(4, dropped);
        assertEquals(List.of("b1", "b2", "a5", "a6"), bodies(log.recent(ROOM, Set.of(Kind.GROUPCHAT), 10)));
        assertEquals(List.of("d1"), bodies(log.recent("dev@conference.xo", Set.of(Kind.GROUPCHAT), 10)));
    }

    @Test
    public void prunePerRoomDropsTheRoomsOldestWhateverTheirOrigin() throws Exception {
        log.append(event(ALPHA, 1, 1, 10, "a1"));
        log.append(event(BETA, 1, 1, 20, "b1"));
        log.append(event(ALPHA, 1, 2, 30, "a2"));
        log.append(event(BETA, 1, 2, 40, "b2"));
        awaitWritten();

        assertEquals(2, log.prune(new RoomLog.Bounds(2, 100, Duration.ofDays(1)), T0));
        assertEquals(List.of("a2", "b2"), bodies(log.recent(ROOM, Set.of(Kind.GROUPCHAT), 10)));
        assertEquals("nothing beyond the bounds any more", 0, log.prune(new RoomLog.Bounds(2, 100,
                Duration.ofDays(1)), T0));
    }

    @Test
    public void aRestartedLogHoldsWhatItHeldAndTheLargestStanzaWhole() throws Exception {
        String largest = "<message>" + "x".repeat(Limits.MAX_STANZA_BYTES - 19) + "</message>";
        log.append(event(ALPHA, 1, 1, 10, "one"));
        log.append(new Envelope(ALPHA, 1, 2, T0.toEpochMilli() + 20, ROOM, "alice", Kind.GROUPCHAT, largest));
        log.append(new Envelope(ALPHA, 1, 3, T0.toEpochMilli() + 30, ROOM, "", Kind.STATE_REQUEST, ""));
        log.close(); // writes what is queued
        shutDown();

        log = open();

        assertEquals(3L, (long) log.counters().get("log.events"));
        assertFalse(log.append(event(ALPHA, 1, 2, 20, "the same key")));
        assertEquals(Map.of(new StreamId(ALPHA, 1, ROOM), new RoomLog.Held(1, 3, 3)), log.held(ROOM));
        List<Envelope> all = log.range(new StreamId(ALPHA, 1, ROOM), 1, 3, 10);
        assertEquals(largest, all.get(1).stanza());
        assertEquals(new Envelope(ALPHA, 1, 3, T0.toEpochMilli() + 30, ROOM, "", Kind.STATE_REQUEST, ""), all.get(2));
    }

    @Test
    public void aFailingDatabaseIsCountedAndNeverThrown() throws Exception {
        log.close();
        log = DatabaseRoomLog.open(() -> {
            throw new SQLException("the database is down");
        }, () -> WIDE);

        Envelope e = event(ALPHA, 1, 1, 0, "not kept");

        assertTrue(log.append(e));
        awaitWritten(); // the write failed
        assertTrue("forgotten, so that repair may bring it again", log.append(e));
        assertEquals(0, log.prune(WIDE, T0));
        assertTrue(log.counters().toString(), log.counters().get("log.errors") >= 3); // the index, the write, the prune
    }

    @Test
    public void closeWritesWhatIsQueuedAndStopsTheWriter() {
        for (int seq = 1; seq <= 1200; seq++) {
            log.append(event(ALPHA, 1, seq, seq, "m"));
        }

        log.close();

        assertEquals(1200L, (long) log.counters().get("log.events"));
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals(DatabaseRoomLog.WRITER_THREAD)));
    }

    private DatabaseRoomLog open() {
        return DatabaseRoomLog.open(this::connect, () -> WIDE);
    }

    private Connection connect() throws SQLException {
        Properties credentials = new Properties();
        credentials.setProperty("user", "sa");
        credentials.setProperty("password", "");
        return driver.connect(url, credentials);
    }

    /** Closes the database files, as Openfire's shutdown does: the next open reads them as a restarted node. */
    private void shutDown() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("SHUTDOWN");
        }
    }

    /** Runs the script as Openfire does when a plugin's schema is missing: SchemaManager's own runner. */
    private static void runSchemaScript(Connection c, Path script) throws Exception {
        Method run = SchemaManager.class.getDeclaredMethod("executeSQLScript", Connection.class, InputStream.class,
                Boolean.class);
        run.setAccessible(true);
        try (InputStream in = Files.newInputStream(script)) {
            run.invoke(null, c, in, Boolean.TRUE);
        }
    }

    private void awaitWritten() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (log.counters().get("log.pending") > 0) {
            assertTrue("the writer wrote nothing in 10 s", System.nanoTime() < deadline);
            Thread.sleep(5);
        }
    }

    private static Envelope event(long node, int epoch, long seq, long millisAfterT0, String body) {
        return new Envelope(node, epoch, seq, T0.toEpochMilli() + millisAfterT0, ROOM, "n" + node, Kind.GROUPCHAT,
                body);
    }

    private static List<Long> seqs(List<Envelope> events) {
        return events.stream().map(Envelope::seq).toList();
    }

    private static List<String> bodies(List<Envelope> events) {
        List<String> bodies = new ArrayList<>();
        events.forEach(e -> bodies.add(e.stanza()));
        return bodies;
    }
}
