package org.xo.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Thread dumps of a running JVM by process id, through the JDK's {@code jcmd} (the attach API: no JMX port has to
 * be opened on the server). HotSpot's dump ends with its own deadlock detection, the same as
 * {@code ThreadMXBean.findDeadlockedThreads}: monitors and java.util.concurrent locks alike.
 */
final class ThreadDumps {
    private static final String DEADLOCK_MARK = "Found one Java-level deadlock";

    private ThreadDumps() {
    }

    /** @return the JVM's thread dump with locked synchronizers ({@code jcmd PID Thread.print -l}) */
    static String of(long pid) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print", "-l")
                .redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException("jcmd could not dump the threads of " + pid + ": "
                    + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /** @return true when the dump reports a deadlock */
    static boolean hasDeadlock(String dump) {
        return dump.contains(DEADLOCK_MARK);
    }
}
