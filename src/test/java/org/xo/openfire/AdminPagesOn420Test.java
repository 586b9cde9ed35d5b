package org.xo.openfire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.CookieManager;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.servlet.ServletContextEvent;
import javax.servlet.ServletContextListener;
import javax.servlet.ServletException;
import javax.servlet.http.HttpServlet;
import javax.xml.parsers.DocumentBuilderFactory;

import org.apache.tomcat.InstanceManager;
import org.apache.tomcat.SimpleInstanceManager;
import org.eclipse.jetty.apache.jsp.JettyJasperInitializer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Every admin page of the plugin loads and renders on the JSP runtime of Openfire 4.2.0: the servlets of the web.xml
 * that goes into the plugin JAR run in Jetty 9.2 with Jasper 8.0 and JSTL 1.2.1, the
 * very libraries Openfire 4.2.0 serves its admin console with (they are the provided dependencies this project builds
 * against). Like Openfire's admin console, the context runs Jasper's initializer, and like Openfire's PluginServlet,
 * each servlet is created from its class and mapped at its url under /plugins/xo. The bundle that Openfire's
 * LocaleFilter hands to fmt:message is given as the context's JSTL localization context instead. Openfire itself is
 * not running here (its property store is in setup mode and stores nothing), so this test proves the pages and the
 * CSRF check, not saving: {@code AdminConsoleIT} saves on a real Openfire 5.1.1.
 */
public class AdminPagesOn420Test {
    /** The web.xml the plugin JAR ships. */
    private static final Path WEB_XML = Path.of("web", "WEB-INF", "web.xml");
    private static Server server;
    private static String base;
    private static final List<String> urls = new ArrayList<>();

    @BeforeClass
    public static void startJetty() throws Exception {
        ServletContextHandler context = new ServletContextHandler(ServletContextHandler.SESSIONS);
        context.setContextPath("/plugins/xo");
        context.setClassLoader(AdminPagesOn420Test.class.getClassLoader());
        context.setAttribute(InstanceManager.class.getName(), new SimpleInstanceManager());
        context.addEventListener(new ServletContextListener() {
            @Override
            public void contextInitialized(ServletContextEvent event) {
                try {
                    new JettyJasperInitializer().onStartup(null, event.getServletContext());
                } catch (ServletException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void contextDestroyed(ServletContextEvent event) {
            }
        });
        context.setInitParameter("javax.servlet.jsp.jstl.fmt.localizationContext", Messages.BUNDLE);
        for (Map.Entry<String, String> servlet : servlets(WEB_XML).entrySet()) {
            context.addServlet(servlet.getValue(), servlet.getKey());
            urls.add(servlet.getKey());
        }
        server = new Server(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server.setHandler(context);
        server.start();
        base = "http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + "/plugins/xo";
    }

    /** @return url pattern → servlet class, as Openfire's PluginServlet reads them from the plugin's web.xml */
    private static Map<String, String> servlets(Path webXml) throws Exception {
        Document doc = DocumentBuilderFactory.newDefaultInstance().newDocumentBuilder().parse(webXml.toFile());
        Map<String, String> classes = new LinkedHashMap<>();
        NodeList servlets = doc.getElementsByTagName("servlet");
        for (int i = 0; i < servlets.getLength(); i++) {
            Element s = (Element) servlets.item(i);
            classes.put(text(s, "servlet-name"), text(s, "servlet-class"));
        }
        Map<String, String> byUrl = new LinkedHashMap<>();
        NodeList mappings = doc.getElementsByTagName("servlet-mapping");
        for (int i = 0; i < mappings.getLength(); i++) {
            Element m = (Element) mappings.item(i);
            byUrl.put(text(m, "url-pattern"), classes.get(text(m, "servlet-name")));
        }
        return byUrl;
    }

    private static String text(Element parent, String child) {
        return parent.getElementsByTagName(child).item(0).getTextContent().trim();
    }

    @AfterClass
    public static void stopJetty() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    private final HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> post(String path, String form) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    @Test
    public void theJarDeclaresBothPagesAndTheStatusData() {
        assertEquals(List.of("/settings.jsp", "/status.jsp", "/status-data"), urls);
    }

    /** As Openfire 4.2.0 does when its admin console is off (the headless node): no servlet may fail then. */
    @Test
    public void everyServletStartsWithoutAnAdminConsole() throws Exception {
        for (String servletClass : servlets(WEB_XML).values()) {
            HttpServlet servlet = (HttpServlet) Class.forName(servletClass).getDeclaredConstructor().newInstance();
            servlet.init(null);
            servlet.destroy();
        }
    }

    @Test
    public void theSettingsPageShowsEverySettingWithItsMeaningAndDefault() throws Exception {
        HttpResponse<String> page = get("/settings.jsp");

        assertEquals(200, page.statusCode());
        String html = page.body();
        assertTrue(html, html.contains("<meta name=\"pageID\" content=\"xo-settings\"/>"));
        assertTrue(html, html.contains("<title>XO Settings</title>"));
        for (Setting<?> setting : XoSettings.ALL) {
            assertTrue(setting.key(), html.contains("<code>" + setting.key() + "</code>"));
        }
        assertTrue(html, html.contains("UDP port of all room groups and of the beacons."));
        assertTrue(html, html.contains("Default: 45045"));
        assertTrue(html, html.contains("<option value=\"\" selected=\"selected\">automatic</option>"));
        assertTrue(html, Pattern.compile("<option value=\"lo\" >lo \\([^)]*127\\.0\\.0\\.1").matcher(html).find());
        assertFalse("every string is in the bundle", html.contains("???"));
        assertTrue(html, !csrfToken(html).isEmpty());
    }

    @Test
    public void aSubmissionWithoutTheSessionsTokenIsRefusedAndKeepsWhatWasTyped() throws Exception {
        get("/settings.jsp");

        String html = post("/settings.jsp", "xo.multicast.port=45100&xo_csrf=forged").body();

        assertTrue(html, html.contains("id=\"xo-refused\""));
        assertTrue(html, html.contains("value=\"45100\""));
        assertFalse(html, html.contains("id=\"xo-saved\""));
    }

    @Test
    public void aTokenOfAnotherSessionIsRefusedToo() throws Exception {
        String othersToken = csrfToken(HttpClient.newBuilder().cookieHandler(new CookieManager()).build()
                .send(HttpRequest.newBuilder(URI.create(base + "/settings.jsp")).build(),
                        HttpResponse.BodyHandlers.ofString()).body());
        get("/settings.jsp");

        String html = post("/settings.jsp", "xo.multicast.ttl=4&xo_csrf=" + othersToken).body();

        assertTrue(html, html.contains("id=\"xo-refused\""));
    }

    @Test
    public void withTheTokenAnInvalidFieldSaysWhyAndNothingIsSaved() throws Exception {
        String token = csrfToken(get("/settings.jsp").body());

        String html = post("/settings.jsp", "xo.multicast.port=http&xo_csrf=" + token).body();

        assertFalse(html, html.contains("id=\"xo-refused\""));
        assertTrue(html, html.contains("id=\"xo-invalid\""));
        assertTrue(html, html.contains("<div class=\"xo-problem\" id=\"problem-xo-multicast-port\">"
                + "Must be a whole number from 1 to 65535, not \u201chttp\u201d.</div>"));
        assertFalse(html, html.contains("id=\"xo-saved\""));
    }

    @Test
    public void theStatusPageRendersAndSaysWhenThePluginIsNotThere() throws Exception {
        HttpResponse<String> page = get("/status.jsp");

        assertEquals(200, page.statusCode());
        String html = page.body();
        assertTrue(html, html.contains("<meta name=\"pageID\" content=\"xo-status\"/>"));
        assertTrue(html, html.contains("<span id=\"xo-state\" class=\"xo-state-unloaded\">the XO plugin is not loaded</span>"));
        assertTrue(html, html.contains("No room is open on this node."));
        assertTrue(html, html.contains("xhr.open('GET', 'status-data', true);"));
        assertFalse(html, html.contains("???"));
    }

    @Test
    public void theStatusDataIsBareJson() throws Exception {
        HttpResponse<String> data = get("/status-data");

        assertEquals(200, data.statusCode());
        assertTrue(data.headers().firstValue("Content-Type").orElse(""), data.headers()
                .firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertTrue(data.body(), data.body().startsWith("{\"time\":"));
        assertTrue(data.body(), data.body().contains("\"overlay\":{\"state\":\"unloaded\""));
    }

    private static String csrfToken(String html) {
        Matcher m = Pattern.compile("name=\"xo_csrf\" value=\"([^\"]*)\"").matcher(html);
        assertTrue(html, m.find());
        return m.group(1);
    }
}
