package org.xo.node;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Refuses password checks for a while after too many wrong passwords: at most {@code maxFailures} in any
 * {@code windowMs}. One throttle for all clients, as the status view listens on loopback only, where addresses do
 * not tell users apart. A correct password clears the count.
 */
final class LoginThrottle {
    static final int MAX_FAILURES = 5;
    static final long WINDOW_MS = 60_000;

    private final int maxFailures;
    private final long windowMs;
    /** Times of the recent failures, oldest first; never more than maxFailures. */
    private final Deque<Long> failures = new ArrayDeque<>();

    LoginThrottle(int maxFailures, long windowMs) {
        this.maxFailures = maxFailures;
        this.windowMs = windowMs;
    }

    /** @return 0 if a password may be checked now, else how many ms until one may */
    synchronized long retryAfterMs(long nowMs) {
        if (failures.size() < maxFailures) {
            return 0;
        }
        return Math.max(0, failures.peekFirst() + windowMs - nowMs);
    }

    synchronized void failed(long nowMs) {
        if (failures.size() == maxFailures) {
            failures.removeFirst();
        }
        failures.addLast(nowMs);
    }

    synchronized void succeeded() {
        failures.clear();
    }
}
