package org.xo.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * This JVM's open file descriptors, counted once nothing else changes them: the threads of earlier tests in the same
 * JVM (a DNS-SD goodbye, a closing engine) may still be closing theirs when a test starts counting.
 */
final class OpenFiles {
    private static final long STEP_MS = 200;
    private static final long MAX_WAIT_MS = 10_000;

    private OpenFiles() {
    }

    /** @return the count once three readings {@value #STEP_MS} ms apart agree (or after {@value #MAX_WAIT_MS} ms) */
    static long settled() throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + MAX_WAIT_MS;
        long last = count();
        int same = 0;
        while (same < 2 && System.currentTimeMillis() < deadline) {
            Thread.sleep(STEP_MS);
            long now = count();
            same = now == last ? same + 1 : 0;
            last = now;
        }
        return last;
    }

    private static long count() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
