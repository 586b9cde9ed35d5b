package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * The room log in Openfire's database, on each Openfire: at the plugin's first load Openfire installs its schema
 * (database/xo_hsqldb.sql, the embedded database of both), and a restarted node still holds what it logged before.
 * The schema is read from the embedded HSQLDB's own files once the node has stopped (memory tables such as ofVersion
 * are written out as INSERTs there, tables as their CREATE statement); what the log holds, from the node's counters
 * (log.events is what the log's table holds, counted at the plugin's start with one query).
 */
@RunWith(Parameterized.class)
public class RoomLogIT {
    private static final String DOMAIN = "log.test";
    private static final String MISSING_SCHEMA = "Missing database schema for xo. Attempting to install...";
    private static final Pattern TABLE = Pattern.compile("CREATE CACHED TABLE (PUBLIC\\.)?OFXOEVENT\\(",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern VERSION_ROW = Pattern.compile("INSERT INTO (PUBLIC\\.)?OFVERSION VALUES\\('xo',1\\)",
            Pattern.CASE_INSENSITIVE);

    @Parameters(name = "openfire={0}")
    public static Object[] openfires() {
        return Openfire.values();
    }

    @Parameter
    public Openfire openfire;

    private Path home;

    @Before
    public void makeHome() throws IOException {
        home = Files.createTempDirectory("xo-room-log-");
    }

    @After
    public void deleteHome() {
        NodeProcess.deleteTree(home);
    }

    @Test
    public void openfireInstallsTheSchemaOnceAndARestartedNodeKeepsItsLog() throws Exception {
        NodeProcess.Builder builder = NodeProcess.builder().openfire(openfire).domain(DOMAIN)
                .multicastPort(NodeProcess.freePort()).home(home);
        long logged;
        try (NodeProcess node = builder.start()) {
            try (XmppTestClient alice = new XmppTestClient(node.clientPort(), DOMAIN, "alice")) {
                alice.join("ops", "alice");
                for (int i = 1; i <= 3; i++) {
                    alice.say("ops", "message " + i);
                }
                // alice's presence and her three messages, written to the table
                XmppTestClient.eventually("4 events in the log", () -> logCounters(alice).get("log.events") >= 4);
                logged = logCounters(alice).get("log.events");
                assertEquals(node.logTail(), 0L, (long) logCounters(alice).get("log.errors"));
            }
            assertEquals(node.logTail(), 0, node.stop());
            assertEquals(List.of(), node.logErrors());
        }
        String database = read("embedded-db/openfire.script") + read("embedded-db/openfire.log");
        assertTrue("the table: " + database, TABLE.matcher(database).find());
        assertTrue("schema xo at version 1 in ofVersion", VERSION_ROW.matcher(database).find());

        try (NodeProcess node = builder.start();
             XmppTestClient bob = new XmppTestClient(node.clientPort(), DOMAIN, "bob")) {
            Map<String, Long> counters = logCounters(bob);
            assertTrue("held before the restart: " + logged + ", after: " + counters, counters.get("log.events") >= logged);
            assertEquals(0L, (long) counters.get("log.errors"));
            assertEquals("installed at the first start only", 1,
                    Pattern.compile(Pattern.quote(MISSING_SCHEMA)).matcher(node.log()).results().count());
            assertEquals(List.of(), node.logErrors());
        }
    }

    private static Map<String, Long> logCounters(XmppTestClient client) {
        try {
            return client.xoStats();
        } catch (Exception e) {
            throw new AssertionError("the stats query failed", e);
        }
    }

    private String read(String file) {
        try {
            Path path = home.resolve(file);
            return Files.exists(path) ? Files.readString(path) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
