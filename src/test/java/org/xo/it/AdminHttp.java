package org.xo.it;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** What the tests of the admin pages share: a form as a browser posts it, and polling a page until it shows. */
final class AdminHttp {
    private AdminHttp() {
    }

    /** The fields as application/x-www-form-urlencoded. */
    static String form(Map<String, String> fields) {
        return fields.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }

    /**
     * Polls until the condition holds (a refused connection counts as not yet); after {@code wait} fails with
     * {@code context} (the node's log tail) appended.
     */
    static void await(String what, Duration wait, Callable<Boolean> condition, Supplier<String> context)
            throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.call()) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("not seen within " + wait.toSeconds() + " s: " + what + (last == null ? ""
                : " (last: " + last + ")") + "\n" + context.get());
    }
}
