package org.xo.node;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class LoginThrottleTest {
    @Test
    public void fiveWrongPasswordsInAMinuteStopChecksUntilTheFirstIsAMinuteOld() {
        LoginThrottle throttle = new LoginThrottle(5, 60_000);
        for (long t = 1_000; t <= 5_000; t += 1_000) {
            assertEquals(0, throttle.retryAfterMs(t));
            throttle.failed(t);
        }
        assertEquals(56_000, throttle.retryAfterMs(5_000));
        assertEquals(1, throttle.retryAfterMs(60_999));
        assertEquals(0, throttle.retryAfterMs(61_000));

        throttle.failed(61_000);
        assertEquals("the window slides: now the second failure counts first", 1_000, throttle.retryAfterMs(61_000));
    }

    @Test
    public void theRightPasswordClearsTheCount() {
        LoginThrottle throttle = new LoginThrottle(5, 60_000);
        for (int i = 0; i < 4; i++) {
            throttle.failed(1_000);
        }
        throttle.succeeded();
        throttle.failed(2_000);
        assertEquals(0, throttle.retryAfterMs(2_000));
    }
}
