package org.xo.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.Assume;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless {@code chromium}, driven by Selenium through Debian's {@code chromedriver} (never one that
 * Selenium would download). Its profile and its temporary files live in one temporary directory, and
 * {@link #close()} ends chromedriver and every browser process it started, then deletes that directory: a test
 * leaves nothing behind.
 * <p>
 * Where either program is missing, {@link #requireOrSkip()} skips the test in one sentence; in CI
 * ({@code CI=true}) it fails it instead, as {@link Openfire#requireOrSkip()} does.
 */
final class Chromium implements AutoCloseable {
    /** Debian's, unless system property xo.chromium names another Chromium or Chrome. */
    private static final Path BROWSER = Path.of(System.getProperty("xo.chromium", "/usr/bin/chromium"));
    /** Debian's, unless system property xo.chromedriver names the chromedriver of that browser. */
    private static final Path DRIVER = Path.of(System.getProperty("xo.chromedriver", "/usr/bin/chromedriver"));
    /** How long the browser processes may take to end after chromedriver was told to quit. */
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);

    private final Path scratch;
    private final ChromeDriverService service;
    private final ChromeDriver driver;
    private final ProcessHandle driverProcess;

    private Chromium(Path scratch, ChromeDriverService service, ChromeDriver driver, ProcessHandle driverProcess) {
        this.scratch = scratch;
        this.service = service;
        this.driver = driver;
        this.driverProcess = driverProcess;
    }

    /** Returns when chromium and chromedriver are installed; otherwise skips the test, or fails it in CI. */
    static void requireOrSkip() {
        List<String> missing = new ArrayList<>();
        for (Path program : List.of(BROWSER, DRIVER)) {
            if (!Files.isExecutable(program)) {
                missing.add(program.toString());
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String problem = String.join(" and ", missing) + (missing.size() == 1 ? " is" : " are")
                + " missing; install Debian's packages chromium and chromium-driver (or give -Dxo.chromium and"
                + " -Dxo.chromedriver).";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("Browser tests must run in CI (CI=true), but " + problem);
        }
        Assume.assumeTrue("Skipped: " + problem, false);
    }

    /** A new browser whose page area is {@code width} x {@code height} pixels, as its screenshots are. */
    static Chromium start(int width, int height) throws IOException {
        requireOrSkip();
        Path scratch = Files.createTempDirectory("xo-chromium-");
        Set<Long> before = childPids();
        ChromeDriverService service = null;
        try {
            Path profile = Files.createDirectory(scratch.resolve("profile"));
            // chromedriver passes its environment on: chromium's shared memory files (--disable-dev-shm-usage),
            // other temporary files and the user's cache and settings (dconf) then land in the scratch directory.
            Map<String, String> environment = Map.of(
                    "TMPDIR", Files.createDirectory(scratch.resolve("tmp")).toString(),
                    "XDG_CACHE_HOME", Files.createDirectory(scratch.resolve("cache")).toString(),
                    "XDG_CONFIG_HOME", Files.createDirectory(scratch.resolve("config")).toString());
            service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(DRIVER.toFile())
                    .usingAnyFreePort()
                    .withEnvironment(environment)
                    .build();
            ChromeOptions options = new ChromeOptions();
            options.setBinary(BROWSER.toFile());
            // As root in a container: no sandbox; /dev/shm there is often too small for the renderer.
            options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                    "--user-data-dir=" + profile, "--window-size=" + width + "," + height,
                    "--no-first-run", "--disable-extensions", "--lang=en-US");
            ChromeDriver driver = new ChromeDriver(service, options);
            // --window-size includes the window's frame, even headless: grow it by that much.
            Number frame = (Number) driver.executeScript("return window.outerHeight - window.innerHeight;");
            driver.manage().window().setSize(new Dimension(width, height + frame.intValue()));
            ProcessHandle driverProcess = newDrivers(before).findFirst()
                    .orElseThrow(() -> new IllegalStateException("chromedriver is not a child of this JVM"));
            return new Chromium(scratch, service, driver, driverProcess);
        } catch (RuntimeException | IOException e) {
            if (service != null) {
                service.stop();
            }
            killNewDrivers(before);
            NodeProcess.deleteTree(scratch);
            throw e;
        }
    }

    ChromeDriver driver() {
        return driver;
    }

    /** The visible page area as a PNG file. */
    void screenshot(Path png) throws IOException {
        Files.createDirectories(png.getParent());
        Files.write(png, driver.getScreenshotAs(OutputType.BYTES));
    }

    /**
     * Quits the browser and chromedriver, kills whichever of their processes is left after
     * {@link #EXIT_TIMEOUT}, and deletes the profile and temporary files.
     */
    @Override
    public void close() {
        List<ProcessHandle> processes = new ArrayList<>();
        processes.add(driverProcess);
        driverProcess.descendants().forEach(processes::add);
        try {
            driver.quit();
        } finally {
            service.stop();
            awaitOrKill(processes);
            NodeProcess.deleteTree(scratch);
        }
    }

    private static void awaitOrKill(List<ProcessHandle> processes) {
        long deadline = System.nanoTime() + EXIT_TIMEOUT.toNanos();
        for (ProcessHandle process : processes) {
            try {
                process.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                process.destroyForcibly();
                process.onExit().join();
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Set<Long> childPids() {
        return ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
    }

    /** Children of this JVM that run chromedriver and were not there before. */
    private static Stream<ProcessHandle> newDrivers(Set<Long> before) {
        return ProcessHandle.current().children().filter(p -> !before.contains(p.pid()))
                .filter(p -> p.info().command().map(c -> c.endsWith("/chromedriver")).orElse(false));
    }

    /** After a failed start: whatever chromedriver and browser the start left behind. */
    private static void killNewDrivers(Set<Long> before) {
        List<ProcessHandle> left = new ArrayList<>();
        newDrivers(before).forEach(driver -> {
            left.add(driver);
            driver.descendants().forEach(left::add);
        });
        awaitOrKill(left);
    }
}
