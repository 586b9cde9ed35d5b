package org.xo.engine;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Logs at most one line per interval for a kind of event a remote sender can trigger at line rate. */
final class LogThrottle {
    private final Logger logger;
    private final Level level;
    private final long intervalNanos;
    private final AtomicLong last;
    private final AtomicLong suppressed = new AtomicLong();

    LogThrottle(Logger logger, Level level, long interval, TimeUnit unit) {
        this.logger = logger;
        this.level = level;
        this.intervalNanos = unit.toNanos(interval);
        this.last = new AtomicLong(System.nanoTime() - intervalNanos);
    }

    void log(String message, Throwable error) {
        if (!logger.isLoggable(level)) {
            return;
        }
        long now = System.nanoTime();
        long prev = last.get();
        if (now - prev < intervalNanos || !last.compareAndSet(prev, now)) {
            suppressed.incrementAndGet();
            return;
        }
        long skipped = suppressed.getAndSet(0);
        String text = skipped == 0 ? message : message + " (" + skipped + " similar suppressed)";
        if (error == null) {
            logger.log(level, text);
        } else {
            logger.log(level, text, error);
        }
    }
}
