package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

import org.junit.After;
import org.junit.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * What an operator of a plain Openfire does, in a real browser (headless chromium, see {@link Chromium}): log into
 * the admin console of an Openfire 5.1.1 that runs without XO, upload {@code xo.jar} on the Plugins page, rename
 * the node on XO's Settings page and watch XO's Status page show a room shared with an embedded 4.2.0 node.
 * Each page is kept as a screenshot in {@code target/browser/} (system property {@value #SCREENSHOTS}); the
 * pictures in readme.html are copies of them.
 * <p>
 * That every page and setting works is {@code AdminConsoleIT}, over plain HTTP; this test is about the way there.
 */
public class AdminConsoleBrowserIT {
    private static final String SCREENSHOTS = "xo.browser.screenshots";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String NEW_NODE_NAME = "harbour-node";
    /** XO's row in the Plugins page's list: the one whose delete button names plugin "xo". */
    private static final By XO_ROW = By.xpath("//tr[.//input[@name='deleteplugin' and @value='xo']]");

    private NodeProcess old;
    private NodeProcess current;
    private XmppTestClient alice;
    private XmppTestClient bob;
    private Chromium chromium;
    private WebDriver browser;
    private String console;

    @After
    public void stopEverything() {
        NodeProcess.closeAll(chromium, alice, bob, old, current);
    }

    @Test
    public void anOperatorInstallsXoInTheAdminConsoleAndSeesARoomSharedWithAnotherNode() throws Exception {
        Chromium.requireOrSkip();
        Openfire.V5_1_1.requireOrSkip();
        Files.deleteIfExists(screenshots().resolve("failure.png"));
        Files.deleteIfExists(screenshots().resolve("failure.html"));
        int multicastPort = NodeProcess.freePort();
        int adminPort = NodeProcess.freePort();
        List<NodeProcess> nodes = NodeProcess.startAll(
                NodeProcess.builder().openfire(Openfire.V4_2_0).domain("old.test").name("old-node")
                        .multicastPort(multicastPort),
                NodeProcess.builder().openfire(Openfire.V5_1_1).domain("current.test").name("current-node")
                        .multicastPort(multicastPort).withoutPlugin()
                        // The console's start page would fetch Ignite Realtime's blog, an error offline.
                        .args("--admin-port", Integer.toString(adminPort), "--set", "rss.enabled=false"));
        old = nodes.get(0);
        current = nodes.get(1);
        assertFalse("XO on the 5.1.1 node before the upload", Files.exists(current.home().resolve("plugins/xo.jar")));
        console = "http://127.0.0.1:" + adminPort;
        chromium = Chromium.start(1280, 900);
        browser = chromium.driver();

        logIn(Files.readString(current.home().resolve("admin-password")).trim());
        uploadThePlugin();
        readTheReadmeWithItsPictures();
        renameTheNode();
        seeTheNewNameOnTheStatusPage();

        alice = new XmppTestClient(old.clientPort(), "old.test", "alice");
        bob = new XmppTestClient(current.clientPort(), "current.test", "bob");
        alice.join("ops", "alice");
        bob.join("ops", "bob");
        seeAliceOfTheOtherNodeInTheRoom();

        assertEquals("errors in openfire.log\n" + current.logTail(), List.of(), current.logErrors());
    }

    private void logIn(String password) throws Exception {
        await("the admin console's login page", d -> {
            d.get(console + "/login.jsp");
            return !d.findElements(By.name("username")).isEmpty();
        });
        browser.findElement(By.name("username")).sendKeys("admin");
        browser.findElement(By.name("password")).sendKeys(password);
        screenshot("01-login");
        browser.findElement(By.name("password")).submit();
        await("the console's start page after the login", ExpectedConditions.urlContains("/index.jsp"));
    }

    /** As an operator does: the file field and the upload button of the Plugins page. */
    private void uploadThePlugin() throws Exception {
        Path jar = Path.of(System.getProperty("xo.plugin.jar"));
        assertEquals("Openfire names a plugin after its file", "xo.jar", jar.getFileName().toString());
        browser.get(console + "/plugin-admin.jsp");
        assertTrue("XO listed before the upload", browser.findElements(XO_ROW).isEmpty());
        browser.findElement(By.cssSelector("input[type=file][name=uploadfile]")).sendKeys(jar.toString());
        browser.findElement(By.cssSelector("form[enctype='multipart/form-data'] input[type=submit]")).click();
        await("the upload's success", ExpectedConditions.urlContains("uploadsuccess=true"));
        await("XO in the list of installed plugins", d -> {
            if (d.findElements(XO_ROW).isEmpty()) {
                d.navigate().refresh();
                return false;
            }
            return true;
        });
        String row = browser.findElement(XO_ROW).getText();
        assertTrue(row, row.contains("XO") && row.contains("XMPP Overlay"));
        screenshot("02-plugins");
    }

    /** The plugin's Documentation link; its pictures come from the installed plugin (web/images). */
    private void readTheReadmeWithItsPictures() throws Exception {
        String readme = browser.findElement(XO_ROW)
                .findElement(By.xpath(".//a[normalize-space()='Documentation']")).getAttribute("href");
        browser.get(readme);
        await("the readme's section on the admin console", ExpectedConditions.presenceOfElementLocated(
                By.xpath("//h2[text()='Installing from the admin console']")));
        List<WebElement> pictures = browser.findElements(By.cssSelector("img[src^='/plugins/xo/images/']"));
        assertEquals(3, pictures.size());
        JavascriptExecutor script = (JavascriptExecutor) browser;
        for (WebElement picture : pictures) {
            String src = picture.getAttribute("src");
            await("the picture " + src + " loaded or failed",
                    d -> (Boolean) script.executeScript("return arguments[0].complete;", picture));
            assertTrue("the picture " + src + " is missing",
                    (Boolean) script.executeScript("return arguments[0].naturalWidth > 0;", picture));
        }
        browser.get(console + "/plugin-admin.jsp");
    }

    /** The Group Chat tab, then XO in its second row, which opens XO's first page: Settings. */
    private void renameTheNode() throws Exception {
        browser.findElement(By.cssSelector("#jive-nav a[href$='muc-room-summary.jsp']")).click();
        await("XO beside Group Chat's own sections", ExpectedConditions.elementToBeClickable(
                By.xpath("//div[@id='jive-subnav']//a[text()='XO']"))).click();
        WebElement name = await("the field of xo.node.name",
                ExpectedConditions.presenceOfElementLocated(By.name("xo.node.name")));
        assertEquals("current-node", name.getAttribute("value"));
        name.clear();
        name.sendKeys(NEW_NODE_NAME);
        browser.findElement(By.id("xo-save")).click();
        WebElement saved = await("the confirmation", ExpectedConditions.presenceOfElementLocated(By.id("xo-saved")));
        assertEquals("xo.node.name: current-node \u2192 " + NEW_NODE_NAME,
                saved.findElement(By.className("xo-change")).getText());
        assertEquals(NEW_NODE_NAME, browser.findElement(By.name("xo.node.name")).getAttribute("value"));
        screenshot("03-settings");
    }

    private void seeTheNewNameOnTheStatusPage() throws Exception {
        browser.findElement(By.cssSelector("#jive-sidebar a[href$='plugins/xo/status.jsp']")).click();
        await("the new name on the Status page", ExpectedConditions.textToBe(By.id("xo-node-name"), NEW_NODE_NAME));
        await("the overlay running", ExpectedConditions.textToBe(By.id("xo-state"), "running"));
        assertEquals("5.1.1", browser.findElement(By.id("xo-openfire")).getText());
        assertEquals("UDP multicast", browser.findElement(By.id("xo-transport")).getText());
    }

    /** The page refreshes itself: no reload between the joins and what it shows. */
    private void seeAliceOfTheOtherNodeInTheRoom() throws Exception {
        By opsRow = By.xpath("//table[@id='xo-rooms']/tbody/tr[td[1]='ops']");
        await("room ops with bob here and alice on old-node", d -> {
            List<WebElement> rows = d.findElements(opsRow);
            if (rows.isEmpty()) {
                return false;
            }
            List<WebElement> cells = rows.get(0).findElements(By.tagName("td"));
            return cells.get(2).getText().equals("bob") && cells.get(3).getText().equals("alice (old-node)");
        });
        await("old-node among the known nodes", ExpectedConditions.presenceOfElementLocated(
                By.xpath("//table[@id='xo-nodes']/tbody/tr[td[1]='old-node']")));
        // For the picture: a few polls' worth of the datagrams graph.
        await("a line in the datagrams graph", d -> d.findElement(By.id("xo-spark-in")).getAttribute("points")
                .split(" ").length >= 4);
        screenshot("04-status");
    }

    private <T> T await(String what, Function<WebDriver, T> condition) {
        try {
            return new WebDriverWait(browser, WAIT).withMessage(what).until(condition);
        } catch (RuntimeException e) {
            AssertionError failure = new AssertionError("not seen within " + WAIT.toSeconds() + " s: " + what
                    + " (page " + browser.getCurrentUrl() + ", kept as failure.png and failure.html)\n"
                    + current.logTail(), e);
            try {
                screenshot("failure");
                Files.writeString(screenshots().resolve("failure.html"), browser.getPageSource());
            } catch (Exception | AssertionError notKept) {
                failure.addSuppressed(notKept);
            }
            throw failure;
        }
    }

    /** Into target/ only: the copies in web/images are made by hand, never by a test. */
    private void screenshot(String name) throws Exception {
        chromium.screenshot(screenshots().resolve(name + ".png"));
    }

    private static Path screenshots() {
        return Path.of(System.getProperty(SCREENSHOTS));
    }
}
