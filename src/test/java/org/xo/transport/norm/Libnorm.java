package org.xo.transport.norm;

import org.junit.Assume;

/** Test guard: real libnorm or no NORM test (in CI, {@code CI=true}, a missing libnorm fails the test instead). */
public final class Libnorm {
    private Libnorm() {
    }

    /** Skips the calling test with one sentence where libnorm cannot be loaded; fails it in CI. */
    public static void requireOrSkip() {
        try {
            NormLibrary.load();
        } catch (NormUnavailableException e) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("NORM tests must run in CI (CI=true), but " + e.getMessage()
                        + ". Install Debian's libnorm1 (see .ci/run).");
            }
            Assume.assumeTrue("Skipped: " + e.getMessage() + " (NORM tests need Debian's libnorm1).", false);
        }
    }
}
