package org.xo.gateway;

import static org.junit.Assert.assertEquals;

import java.time.Duration;

import org.junit.Test;

public class BackoffTest {
    @Test
    public void missesDoubleTheDelayUpToTheIntervalAndAnAnswerResetsIt() {
        Backoff backoff = new Backoff(Duration.ofSeconds(10));
        assertEquals(Duration.ofSeconds(1), backoff.next(false));
        assertEquals(Duration.ofSeconds(2), backoff.next(false));
        assertEquals(Duration.ofSeconds(4), backoff.next(false));
        assertEquals(Duration.ofSeconds(8), backoff.next(false));
        assertEquals(Duration.ofSeconds(10), backoff.next(false));
        for (int i = 0; i < 100; i++) {
            backoff.next(false);
        }
        assertEquals(Duration.ofSeconds(10), backoff.next(false));
        assertEquals(Duration.ofSeconds(10), backoff.next(true));
        assertEquals(Duration.ofSeconds(1), backoff.next(false));
    }
}
