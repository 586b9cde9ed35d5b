package org.xo.gateway;

import java.time.Duration;

/**
 * When to check the far side next: every {@code interval} while it answers; after a miss at once doubling delays from
 * one second, up to {@code interval} (a backhaul that comes back is found within one interval, and a dead one costs a
 * ping per interval).
 */
public final class Backoff {
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);

    private final Duration interval;
    private int misses;

    public Backoff(Duration interval) {
        this.interval = interval;
    }

    /** @return the delay before the next check, after one that was answered ({@code answered}) or missed */
    public Duration next(boolean answered) {
        if (answered) {
            misses = 0;
            return interval;
        }
        Duration delay = FIRST_RETRY.multipliedBy(1L << Math.min(misses, 20));
        misses++;
        return delay.compareTo(interval) < 0 ? delay : interval;
    }
}
