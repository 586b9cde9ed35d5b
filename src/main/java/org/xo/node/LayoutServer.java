package org.xo.node;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Openfire of a {@link LayoutHome}, run by the home's own {@code bin/openfire.sh} (its flags unchanged) as a
 * child of the launcher, with {@code OPENFIRE_HOME} = the home and {@code JAVA_HOME} = the launcher's JVM. Its
 * console output goes to {@code logs/console.log}, its log to {@code logs/openfire.log}.
 * <p>
 * No Openfire outlives its launcher:
 * <ul>
 *   <li>openfire.sh ends in {@code exec java}, so the child keeps one process id from start to end, and
 *       {@code setpriv --pdeathsig KILL} gives that process a parent-death signal: the kernel kills it when the
 *       launcher dies, even by SIGKILL. The signal follows the thread that started the child, so
 *       {@link #start()} must run on the launcher's main thread, which lives until the JVM exits.</li>
 *   <li>{@code setsid} puts it in a session of its own: a terminal's Ctrl-C reaches only the launcher, which
 *       then stops Openfire in order (SIGTERM, and SIGKILL after {@value #STOP_GRACE_SECONDS} s).</li>
 *   <li>{@code openfire.pid} names the running server; a launcher that finds a live one of its home at start (its
 *       predecessor died before the parent-death signal was armed) stops it first: {@link #stopLeftover}.</li>
 * </ul>
 */
final class LayoutServer implements OpenfireServer {
    private static final String PID_FILE = "openfire.pid";
    private static final long STOP_GRACE_SECONDS = 20;
    /**
     * Added to openfire.sh's JVM through its OPENFIRE_OPTS: Log4j's own shutdown hook would otherwise close the log
     * while Openfire's hook is still stopping plugins, losing every line of the shutdown ("Openfire stopped").
     * Openfire shuts Log4j down itself at the end of its hook.
     */
    private static final String KEEP_LOGGING_UNTIL_STOPPED = "-Dlog4j.shutdownHookEnabled=false";

    /** openfire.sh pastes OPENFIRE_HOME into a command line it evals, in places unquoted. */
    private static final Pattern SCRIPT_SAFE_PATH = Pattern.compile("[A-Za-z0-9._/+,:=@%-]+");

    private final Path home;
    private final String version;
    private Process process;

    LayoutServer(Path home, String version) {
        this.home = home;
        this.version = version;
    }

    /** The util-linux commands that {@link #start()} runs Openfire with. */
    static void requireTools() throws ConfigException {
        for (String tool : new String[] {"setsid", "setpriv"}) {
            if (!onPath(tool)) {
                throw new ConfigException("--openfire needs " + tool + " (util-linux) on the PATH to keep Openfire"
                        + " from outliving the node, and it is not there.");
            }
        }
    }

    /** A home that openfire.sh can run from: no blanks or shell characters in its path. */
    static void requireScriptSafeHome(Path home) throws ConfigException {
        if (!SCRIPT_SAFE_PATH.matcher(home.toString()).matches()) {
            throw new ConfigException("--home " + home + " cannot hold an --openfire node, because Openfire's"
                    + " bin/openfire.sh breaks on blanks and shell characters in its path; choose a plain path.");
        }
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(File.pathSeparator))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, command)));
    }

    /** Stops an Openfire of this home that an earlier launcher left running; says so on {@code err}. */
    static void stopLeftover(Path home, PrintStream err) throws IOException {
        Path pidFile = home.resolve(PID_FILE);
        if (Files.notExists(pidFile)) {
            return;
        }
        Optional<ProcessHandle> leftover = readPid(pidFile).flatMap(ProcessHandle::of)
                .filter(p -> runsHome(p, home));
        if (leftover.isPresent()) {
            err.println("xo-node: stopping Openfire (pid " + leftover.get().pid()
                    + ") that an earlier run of this home left running.");
            terminate(leftover.get());
        }
        Files.delete(pidFile);
    }

    private static Optional<Long> readPid(Path pidFile) throws IOException {
        try {
            return Optional.of(Long.parseLong(Files.readString(pidFile).trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Process ids are reused: only a JVM started with this home as openfireHome is ours. */
    private static boolean runsHome(ProcessHandle process, Path home) {
        String homeFlag = "-DopenfireHome=" + home;
        return process.info().arguments().map(args -> List.of(args).contains(homeFlag)).orElse(false);
    }

    @Override
    public void start() throws IOException {
        ProcessBuilder builder = new ProcessBuilder("setsid", "setpriv", "--pdeathsig", "KILL", "--",
                home.resolve("bin/openfire.sh").toString())
                .directory(home.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("logs/console.log").toFile()))
                .redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("OPENFIRE_HOME", home.toString());
        env.put("JAVA_HOME", System.getProperty("java.home"));
        // Either would make openfire.sh run another java or class path than the home's.
        env.remove("JAVACMD");
        env.remove("LOCALCLASSPATH");
        env.merge("OPENFIRE_OPTS", KEEP_LOGGING_UNTIL_STOPPED, (operators, ours) -> operators + " " + ours);
        process = builder.start();
        Files.writeString(home.resolve(PID_FILE), process.pid() + "\n");
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    @Override
    public int awaitEnd() throws InterruptedException {
        int status = process.waitFor();
        forgetPid();
        return status;
    }

    /** SIGTERM runs Openfire's shutdown hook: plugins (the XO plugin says goodbye), modules, the database. */
    @Override
    public void stop() {
        if (process != null) {
            terminate(process.toHandle());
            forgetPid();
        }
    }

    private static void terminate(ProcessHandle server) {
        server.destroy();
        try {
            server.onExit().get(STOP_GRACE_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            killAndWait(server);
        } catch (InterruptedException e) {
            killAndWait(server);
            Thread.currentThread().interrupt();
        }
    }

    private static void killAndWait(ProcessHandle server) {
        server.destroyForcibly();
        server.onExit().join();
    }

    private void forgetPid() {
        try {
            Files.deleteIfExists(home.resolve(PID_FILE));
        } catch (IOException e) {
            // A stale pid file is checked, and removed, at the next start.
        }
    }
}
