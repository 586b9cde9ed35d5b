package org.xo.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Thread dumps and other diagnostic commands of a running JVM by process id, through the JDK's {@code jcmd} (the
 * attach API: no JMX port has to be opened on the server). HotSpot's dump ends with its own deadlock detection, the same as
 * {@code ThreadMXBean.findDeadlockedThreads}: monitors and java.util.concurrent locks alike.
 */
final class ThreadDumps {
    private static final String DEADLOCK_MARK = "Found one Java-level deadlock";

    private ThreadDumps() {
    }

    /** @return the JVM's thread dump with locked synchronizers ({@code jcmd PID Thread.print -l}) */
    static String of(long pid) throws IOException, InterruptedException {
        return jcmd(pid, "Thread.print", "-l");
    }

    /** @return what {@code jcmd PID COMMAND...} printed; fails unless it succeeded within 30 s */
    static String jcmd(long pid, String... command) throws IOException, InterruptedException {
        List<String> line = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid)));
        line.addAll(List.of(command));
        Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException("jcmd " + String.join(" ", line.subList(1, line.size())) + " failed: "
                    + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /** @return true when the dump reports a deadlock */
    static boolean hasDeadlock(String dump) {
        return dump.contains(DEADLOCK_MARK);
    }
}
