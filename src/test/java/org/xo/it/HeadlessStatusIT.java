package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.CookieManager;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The status view of the embedded Openfire 4.2.0 node ({@code --admin-port}, no admin console of Openfire's): the
 * XO Status and Settings pages on a loopback port behind a password made at the first start. One home is started
 * twice: the first start shows the password, the second (the node under test) does not and keeps it. A user of
 * the node is in a room, which the status must show.
 */
public class HeadlessStatusIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Pattern PASSWORD_LINE = Pattern.compile("XO status password: (\\S+)");
    private static final Pattern ERROR_LINE = Pattern.compile("\\S+ \\S+ ERROR .*");

    private static Path home;
    private static int adminPort;
    private static String base;
    private static List<String> firstStdout;
    private static String password;
    private static NodeProcess node;
    private static XmppTestClient alice;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeClass
    public static void startTheSameHomeTwice() throws Exception {
        home = Files.createTempDirectory("xo-status-");
        adminPort = NodeProcess.freePort();
        base = "http://127.0.0.1:" + adminPort;
        NodeProcess.Builder builder = NodeProcess.builder().domain("status.test").name("status-node")
                .multicastPort(NodeProcess.freePort()).home(home).args("--admin-port", Integer.toString(adminPort));
        try (NodeProcess first = builder.start()) {
            firstStdout = first.stdout();
        }
        Matcher m = PASSWORD_LINE.matcher(String.join("\n", firstStdout));
        assertTrue("the first start shows the password: " + firstStdout, m.find());
        password = m.group(1);
        node = builder.start();
        // The plugin's pages exist once Openfire has loaded the plugin, which may come after the ready line.
        await("the Status page", () -> get("/plugins/xo/status.jsp", password).statusCode() == 200);
        alice = new XmppTestClient(node.clientPort(), "status.test", "alice");
        alice.join("ops", "alice");
    }

    @AfterClass
    public static void stopTheNode() {
        NodeProcess.closeAll(alice, node);
        if (home != null) {
            NodeProcess.deleteTree(home);
        }
    }

    @Test
    public void theFirstStartShowsThePasswordOnceWithWhereToLogInAndTheSecondDoesNot() {
        assertEquals(firstStdout.toString(), 1, firstStdout.stream().filter(l -> l.contains(password)).count());
        int at = firstStdout.indexOf("XO status password: " + password);
        assertTrue(firstStdout.toString(), at >= 0 && at + 2 < firstStdout.size());
        assertEquals("  Log in at " + base + "/ as user admin. It is not shown again: only its salted hash is kept,"
                + " in " + home.toAbsolutePath().normalize().resolve("status-password") + ".", firstStdout.get(at + 1));
        assertEquals("  For a new password, start the node with --reset-status-password (or delete that file).",
                firstStdout.get(at + 2));
        assertTrue("readable, 20 characters: " + password, password.matches("[2-9A-Za-z]{4}(-[2-9A-Za-z]{4}){4}"));
        assertTrue(node.readyLine(), node.readyLine().endsWith(" admin=" + base + "/"));

        assertTrue("second start: " + node.stdout(), node.stdout().stream().noneMatch(l -> l.contains("password")));
    }

    @Test
    public void theHashFileIsOwnerOnlyAndHoldsNoPassword() throws Exception {
        Path file = home.resolve("status-password");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String stored = Files.readString(file);
        assertTrue(stored, stored.startsWith("pbkdf2-sha256:600000:"));
        assertFalse(stored.contains(password));
        assertFalse(stored.contains(password.replace("-", "")));
    }

    @Test
    public void withoutTheRightPasswordNothingIsServedAndGuessesAreThrottled() throws Exception {
        String[] paths = {"/", "/index.html", "/plugins/xo/status.jsp", "/plugins/xo/status-data",
                "/plugins/xo/settings.jsp", "/plugins/xo/no-such-page"};
        for (String path : paths) {
            HttpResponse<String> anonymous = get(path, null);
            assertEquals(path, 401, anonymous.statusCode());
            assertEquals(path, "Basic realm=\"XO node status\", charset=\"UTF-8\"",
                    anonymous.headers().firstValue("WWW-Authenticate").orElse(""));
            assertEquals(path, "Log in as user admin.\n", anonymous.body());
            HttpResponse<String> otherUser = send(request(path).header("Authorization", basic("root", password)));
            assertEquals(path + " as root", 401, otherUser.statusCode());
        }
        // The slow check takes 5 wrong passwords a minute, then checks none for a while...
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> wrong = get(paths[i], password + "x");
            assertEquals(paths[i], 401, wrong.statusCode());
            assertEquals("Wrong user name or password.\n", wrong.body());
        }
        HttpResponse<String> throttled = get("/plugins/xo/status-data", password.toUpperCase());
        assertEquals(429, throttled.statusCode());
        long retryAfter = Long.parseLong(throttled.headers().firstValue("Retry-After").orElseThrow());
        assertTrue("seconds: " + retryAfter, retryAfter > 0 && retryAfter <= 60);
        // ...but the Status page of the operator who logged in before keeps working.
        HttpResponse<String> data = get("/plugins/xo/status-data", password);
        assertEquals(200, data.statusCode());
    }

    @Test
    public void theRightPasswordGetsTheStatusPageAndStatusDataWithTheNodesRoom() throws Exception {
        Pattern room = Pattern.compile("\\{\"name\":\"ops\",\"address\":\"ops@conference.xo\","
                + "\"group\":\"239\\.19[2-5]\\.\\d+\\.\\d+:\\d+\",\"uncarried\":null,\"local\":\\[\"alice\"\\],"
                + "\"remote\":\\[\\]\\}");
        String[] seen = new String[1];
        await("room ops with alice in status-data", () -> {
            HttpResponse<String> data = get("/plugins/xo/status-data", password);
            seen[0] = data.body();
            return data.statusCode() == 200 && room.matcher(data.body()).find();
        });
        String json = seen[0];
        assertTrue(json, json.startsWith("{\"time\":"));
        assertTrue(json, json.contains("\"name\":\"status-node\",\"domain\":\"status.test\",\"openfire\":\"4.2.0\",\"transport\":\"UDP multicast\","
                + "\"security\":\"open: anyone on the network can read the overlay and speak in it (no xo.security.key-file)\"}"));
        assertTrue(json, json.contains("\"overlay\":{\"state\":\"running\",\"text\":\"running\"}"));
        HttpResponse<String> data = get("/plugins/xo/status-data", password);
        assertEquals("application/json;charset=utf-8",
                data.headers().firstValue("Content-Type").orElse("").replace(" ", "").toLowerCase());

        HttpResponse<String> page = get("/plugins/xo/status.jsp", password);
        assertEquals(200, page.statusCode());
        String html = page.body();
        assertTrue(html, html.contains("<span id=\"xo-state\" class=\"xo-state-running\">running</span>"));
        assertTrue(html, html.contains("<td id=\"xo-openfire\">4.2.0</td>"));
        assertTrue(html, html.contains("<td id=\"xo-security\">open: anyone on the network can read the overlay"));
        assertTrue("polls status-data: " + html, html.contains("xhr.open('GET', 'status-data', true);"));
        assertFalse(html, html.contains("???"));
        assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElse(""));

        HttpResponse<String> start = get("/", password);
        assertEquals(200, start.statusCode());
        assertTrue(start.body(), start.body().contains("url=plugins/xo/status.jsp")
                && start.body().contains("<a href=\"plugins/xo/settings.jsp\">"));
    }

    @Test
    public void theSettingsPageSavesAChangeWithItsTokenOnly() throws Exception {
        HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager())
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> page = browser.send(request("/plugins/xo/settings.jsp")
                .header("Authorization", basic("admin", password)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(page.body(), 200, page.statusCode());
        assertTrue(page.body(), page.body().contains("<code>xo.multicast.port</code>"));
        Matcher token = Pattern.compile("name=\"xo_csrf\" value=\"([^\"]+)\"").matcher(page.body());
        assertTrue(page.body(), token.find());

        String refused = post(browser, Map.of("xo.history.replay", "11")).body();
        assertTrue(refused, refused.contains("id=\"xo-refused\""));
        String saved = post(browser, Map.of("xo.history.replay", "12", "xo_csrf", token.group(1))).body();
        assertTrue(saved, saved.contains("<li class=\"xo-change\">xo.history.replay: default (25) \u2192 12</li>"));
    }

    @Test
    public void thePortListensOnLoopbackOnly() throws Exception {
        List<String> listeners = new ArrayList<>();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                // local_address is HEXADDR:HEXPORT, state 0A is LISTEN
                if (f.length > 3 && f[3].equals("0A") && f[1].endsWith(String.format(":%04X", adminPort))) {
                    listeners.add(f[1]);
                }
            }
        }
        // Java listens on an IPv6 socket where it can: 127.0.0.1 is then the IPv4-mapped ::ffff:127.0.0.1.
        String port = String.format(":%04X", adminPort);
        assertEquals("one listener: " + listeners, 1, listeners.size());
        assertTrue("on 127.0.0.1 only, as /proc/net shows it: " + listeners,
                List.of("0100007F" + port, "0000000000000000FFFF00000100007F" + port).contains(listeners.get(0)));
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress address : Collections.list(nif.getInetAddresses())) {
                if (address instanceof Inet4Address && !address.isLoopbackAddress()) {
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress(address, adminPort), 2000);
                        throw new AssertionError("the status port answers on " + address);
                    } catch (ConnectException expected) {
                        // refused: nothing listens there
                    }
                }
            }
        }
    }

    @Test
    public void nothingWentWrongInOpenfiresLog() throws Exception {
        get("/plugins/xo/status.jsp", password);
        get("/plugins/xo/status-data", password);
        List<String> errors = new ArrayList<>();
        for (String line : node.log().split("\n")) {
            if (ERROR_LINE.matcher(line).matches()) {
                errors.add(line);
            }
        }
        assertEquals("errors in openfire.log\n" + node.logTail(), List.of(), errors);
        assertNotNull(node.readyLine());
    }

    private static String basic(String user, String secret) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    }

    /** A GET with the password of user admin, or none. */
    private static HttpResponse<String> get(String path, String secret) throws IOException, InterruptedException {
        HttpRequest.Builder request = request(path);
        if (secret != null) {
            request.header("Authorization", basic("admin", secret));
        }
        return send(request);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> post(HttpClient browser, Map<String, String> form)
            throws IOException, InterruptedException {
        return browser.send(request("/plugins/xo/settings.jsp").header("Authorization", basic("admin", password))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(AdminHttp.form(form))).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static void await(String what, Callable<Boolean> condition) throws Exception {
        AdminHttp.await(what, WAIT, condition, () -> node == null ? "" : node.logTail());
    }
}
