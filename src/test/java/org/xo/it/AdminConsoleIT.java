package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The XO pages in the admin console of a real Openfire 5.1.1 (the node's {@code --admin-port}), reached as an
 * operator's browser reaches them: log in at login.jsp, then plain HTTP with the session cookie. The node shares a
 * room with an embedded 4.2.0 node, so the Status page has a remote participant and a known node to show.
 * That the pages also load on 4.2.0's JSP runtime is {@code AdminPagesOn420Test}.
 */
public class AdminConsoleIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    private static NodeProcess old;
    private static NodeProcess current;
    private static XmppTestClient alice;
    private static XmppTestClient bob;
    private static String console;
    private static HttpClient browser;

    @BeforeClass
    public static void startAMixedPairWithTheAdminConsoleOnTheCurrentOne() throws Exception {
        Openfire.V5_1_1.requireOrSkip();
        int multicastPort = NodeProcess.freePort();
        int adminPort = NodeProcess.freePort();
        List<NodeProcess> nodes = NodeProcess.startAll(
                NodeProcess.builder().openfire(Openfire.V4_2_0).domain("old.test").name("old-node")
                        .multicastPort(multicastPort),
                NodeProcess.builder().openfire(Openfire.V5_1_1).domain("current.test").name("current-node")
                        .multicastPort(multicastPort).args("--admin-port", Integer.toString(adminPort)));
        old = nodes.get(0);
        current = nodes.get(1);
        assertTrue(current.readyLine(), current.readyLine().endsWith(" admin=http://127.0.0.1:" + adminPort + "/"));
        console = "http://127.0.0.1:" + adminPort;
        browser = HttpClient.newBuilder().cookieHandler(new CookieManager())
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
        logIn(Files.readString(current.home().resolve("admin-password")).trim());
        // The plugin's pages exist once Openfire has loaded the plugin, which may come after the ready line.
        await("the XO Settings page", () -> get("/plugins/xo/settings.jsp").statusCode() == 200);
        alice = new XmppTestClient(old.clientPort(), "old.test", "alice");
        bob = new XmppTestClient(current.clientPort(), "current.test", "bob");
        alice.join("ops", "alice");
        bob.join("ops", "bob");
    }

    @AfterClass
    public static void stopNodes() {
        NodeProcess.closeAll(alice, bob, old, current);
    }

    /** As login.jsp expects it: its GET sets a "csrf" cookie, which the POST sends back as a field. */
    private static void logIn(String password) throws Exception {
        await("the admin console's login page", () -> get("/login.jsp").statusCode() == 200);
        String csrf = ((CookieManager) browser.cookieHandler().orElseThrow()).getCookieStore().getCookies().stream()
                .filter(c -> c.getName().equals("csrf")).map(HttpCookie::getValue).findFirst().orElseThrow();
        HttpResponse<String> login = post("/login.jsp", Map.of("username", "admin", "password", password,
                "login", "true", "csrf", csrf));
        assertEquals(login.body(), 302, login.statusCode());
        assertFalse("login refused: " + login.headers().map(),
                login.headers().firstValue("Location").orElse("").contains("login.jsp"));
    }

    @Test
    public void theSettingsPageIsDecoratedAndListsEverySetting() throws Exception {
        HttpResponse<String> page = get("/plugins/xo/settings.jsp");

        assertEquals(200, page.statusCode());
        String html = page.body();
        assertTrue("decorated by the admin console: " + html, html.contains("<title>Openfire Admin Console: XO Settings"));
        assertTrue(html, html.contains("id=\"jive-sidebar\""));
        assertTrue("the sidebar entries: " + html, html.contains(">Settings</a>") && html.contains(">Status</a>"));
        assertTrue(html, html.contains("<code>xo.multicast.port</code>"));
        assertTrue(html, html.contains("UDP port of all room groups and of the beacons."));
        assertTrue("node id shown: " + html, html.contains("<code id=\"xo-node-id\">"));
        assertFalse(html, html.contains("???"));
    }

    @Test
    public void aChangeIsSavedWithTheTokenAndRefusedWithoutIt() throws Exception {
        String token = token(get("/plugins/xo/settings.jsp").body());

        String refused = post("/plugins/xo/settings.jsp", Map.of("xo.history.replay", "11")).body();
        assertTrue(refused, refused.contains("id=\"xo-refused\""));
        assertTrue(refused, refused.contains("Nothing was saved: the form did not carry this admin session"));
        assertTrue("the entry is kept: " + refused, refused.contains("name=\"xo.history.replay\" value=\"11\""));
        assertEquals("25", property("xo.history.replay"));

        String saved = post("/plugins/xo/settings.jsp", Map.of("xo.history.replay", "12", "xo_csrf", token)).body();
        assertTrue(saved, saved.contains("id=\"xo-saved\""));
        assertTrue(saved, saved.contains("<li class=\"xo-change\">xo.history.replay: default (25) \u2192 12</li>"));
        assertEquals("12", property("xo.history.replay"));
    }

    @Test
    public void anInvalidValueSaysWhyAndNothingIsSaved() throws Exception {
        String token = token(get("/plugins/xo/settings.jsp").body());

        String html = post("/plugins/xo/settings.jsp", Map.of("xo.multicast.ttl", "300", "xo.pacing.rtt-ms", "7",
                "xo_csrf", token)).body();

        assertTrue(html, html.contains("id=\"xo-invalid\""));
        assertTrue(html, html.contains("<div class=\"xo-problem\" id=\"problem-xo-multicast-ttl\">"
                + "Must be a whole number from 1 to 255, not \u201c300\u201d.</div>"));
        assertEquals("8", property("xo.multicast.ttl"));
        assertEquals("the valid field of an invalid form is not saved either", "1", property("xo.pacing.rtt-ms"));
    }

    @Test
    public void theStatusShowsTheRoomItsOccupantsOnBothNodesAndTheOtherNode() throws Exception {
        Pattern otherNode = Pattern.compile("\\{\"id\":\"[0-9a-f]+\",\"name\":\"old-node\",\"lastHeardMs\":\\d+,"
                + "\"lastHeard\":\"\\d+ s ago\",\"rooms\":1,\"sources\":\\[\"beacon\"");
        Pattern carriedRoom = Pattern.compile("\\{\"name\":\"ops\",\"address\":\"ops@conference.xo\","
                + "\"group\":\"239\\.19[2-5]\\.\\d+\\.\\d+:\\d+\",\"uncarried\":null,\"local\":\\[\"bob\"\\],"
                + "\"remote\":\\[\\{\"nick\":\"alice\",\"node\":\"[0-9a-f]+\",\"nodeName\":\"old-node\",\"joined\":true,"
                + "\"awaitingRestart\":false\\}\\]\\}");
        // Polled until it all holds: another test's saved setting may restart the overlay meanwhile, after which the
        // other node is known again with its next beacon.
        String[] seen = new String[1];
        await("room ops with bob here and alice of the 4.2.0 node, and that node known", () -> {
            String json = seen[0] = statusData();
            return json.contains("\"overlay\":{\"state\":\"running\",\"text\":\"running\"}")
                    && carriedRoom.matcher(json).find() && otherNode.matcher(json).find()
                    && Pattern.compile("\"datagramsIn\":[1-9]").matcher(json).find();
        });
        String json = seen[0];
        assertTrue(json, json.contains("\"node\":{\"id\":\""));
        assertTrue(json, json.contains("\"name\":\"current-node\",\"domain\":\"current.test\",\"openfire\":\"5.1.1\",\"transport\":\"UDP multicast\","
                + "\"security\":\"open: anyone on the network can read the overlay and speak in it (no xo.security.key-file)\"}"));
        assertTrue(json, json.contains("{\"group\":\"dropped\",\"title\":\"Dropped and refused\",\"values\":{"));

        await("the Status page, decorated, with the overlay running", () -> {
            HttpResponse<String> page = get("/plugins/xo/status.jsp");
            return page.statusCode() == 200 && page.body().contains("<title>Openfire Admin Console: XO Status")
                    && page.body().contains("<span id=\"xo-state\" class=\"xo-state-running\">running</span>")
                    && page.body().contains("<td id=\"xo-openfire\">5.1.1</td>")
                    && page.body().contains("<td id=\"xo-security\">open: anyone on the network can read the overlay")
                    && page.body().contains("xhr.open('GET', 'status-data', true);");
        });
    }

    @Test
    public void theStatusDataIsBareJsonBehindTheLogin() throws Exception {
        HttpResponse<String> data = get("/plugins/xo/status-data");
        assertEquals(200, data.statusCode());
        assertEquals("application/json;charset=utf-8",
                data.headers().firstValue("Content-Type").orElse("").replace(" ", "").toLowerCase());
        assertTrue("not decorated: " + data.body(), data.body().startsWith("{\"time\":"));

        HttpResponse<String> stranger = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(console + "/plugins/xo/status-data")).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue("without a session: " + stranger.statusCode(), stranger.statusCode() == 302
                && stranger.headers().firstValue("Location").orElse("").contains("login.jsp"));
    }

    @Test
    public void nothingWentWrongInOpenfiresLog() throws Exception {
        get("/plugins/xo/status.jsp");
        statusData();
        assertEquals("errors in openfire.log\n" + current.logTail(), List.of(), current.logErrors());
    }

    /** A property as the Settings page shows it now (the value in its field). */
    private static String property(String key) throws Exception {
        Matcher m = Pattern.compile("name=\"" + Pattern.quote(key) + "\" value=\"([^\"]*)\"")
                .matcher(get("/plugins/xo/settings.jsp").body());
        assertTrue(key, m.find());
        return m.group(1);
    }

    private static String statusData() throws Exception {
        HttpResponse<String> data = get("/plugins/xo/status-data");
        assertEquals(data.body(), 200, data.statusCode());
        return data.body();
    }

    private static String token(String html) {
        Matcher m = Pattern.compile("name=\"xo_csrf\" value=\"([^\"]+)\"").matcher(html);
        assertTrue(html, m.find());
        return m.group(1);
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return browser.send(HttpRequest.newBuilder(URI.create(console + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> post(String path, Map<String, String> form) throws IOException,
            InterruptedException {
        return browser.send(HttpRequest.newBuilder(URI.create(console + path)).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(AdminHttp.form(form))).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static void await(String what, Callable<Boolean> condition) throws Exception {
        AdminHttp.await(what, WAIT, condition, () -> current.logTail());
    }
}
