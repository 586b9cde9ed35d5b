package org.xo.transport;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;

/**
 * Logs at most one line a second (or per interval given) for a kind of event that a remote sender can trigger at
 * line rate; the next line that passes says how many were suppressed meanwhile. It lives in the lowest package so that the transport and
 * every package above it share this one throttle. Thread-safe.
 */
public final class LogThrottle {
    private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final BooleanSupplier enabled;
    private final BiConsumer<String, Throwable> sink;
    private final long intervalNanos;
    private final AtomicLong last;
    private final AtomicLong suppressed = new AtomicLong();

    private LogThrottle(BooleanSupplier enabled, BiConsumer<String, Throwable> sink, long intervalNanos) {
        this.enabled = enabled;
        this.sink = sink;
        this.intervalNanos = intervalNanos;
        this.last = new AtomicLong(System.nanoTime() - intervalNanos);
    }

    /** @return a throttle for warnings of {@code logger} */
    public static LogThrottle warn(Logger logger) {
        return new LogThrottle(logger::isWarnEnabled, logger::warn, INTERVAL_NANOS);
    }

    /**
     * @return a throttle for warnings of {@code logger} at most once per {@code interval}: for a failure that lasts
     *         (a database that is down) rather than one a sender repeats
     */
    public static LogThrottle warn(Logger logger, Duration interval) {
        return new LogThrottle(logger::isWarnEnabled, logger::warn, interval.toNanos());
    }

    /** @return a throttle for debug lines of {@code logger} */
    public static LogThrottle debug(Logger logger) {
        return new LogThrottle(logger::isDebugEnabled, logger::debug, INTERVAL_NANOS);
    }

    /** @param cause logged with its stack trace; null only for a line that has no exception behind it */
    public void log(String message, Throwable cause) {
        if (!enabled.getAsBoolean()) {
            return;
        }
        long now = System.nanoTime();
        long prev = last.get();
        if (now - prev < intervalNanos || !last.compareAndSet(prev, now)) {
            suppressed.incrementAndGet();
            return;
        }
        long skipped = suppressed.getAndSet(0);
        sink.accept(skipped == 0 ? message : message + " (" + skipped + " similar suppressed)", cause);
    }
}
