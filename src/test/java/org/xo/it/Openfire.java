package org.xo.it;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.Assume;

/**
 * The Openfire a test node runs ({@link NodeProcess.Builder#openfire}); tests parametrize over {@link #values()}.
 * <ul>
 *   <li>{@link #V4_2_0}: the embedded Openfire 4.2.0 from Maven Central, in the node's JVM.</li>
 *   <li>{@link #V5_1_1}: an Openfire server layout, started with {@code --openfire} in a JVM of its own. The
 *       layout is system property {@value #LAYOUT_PROPERTY}, which failsafe and bin/xo-bench set to
 *       {@code ../shared/openfire-5.1.1}; any Openfire 4.8+ layout works.</li>
 * </ul>
 * Where the layout is missing, {@link #requireOrSkip()} skips a test in one sentence; in CI ({@code CI=true})
 * it fails it instead, as {@link NetNs} does for namespaces.
 */
public enum Openfire {
    V4_2_0("4.2.0"),
    V5_1_1("5.1.1");

    public static final String LAYOUT_PROPERTY = "xo.openfire.home";

    private final String label;

    Openfire(String label) {
        this.label = label;
    }

    /** The directory that --openfire gets, or null for the embedded Openfire. */
    public Path layout() {
        if (this == V4_2_0) {
            return null;
        }
        String dir = System.getProperty(LAYOUT_PROPERTY);
        return dir == null ? null : Path.of(dir).toAbsolutePath().normalize();
    }

    /** Why this Openfire cannot run here, or null when it can. */
    public String problem() {
        if (this == V4_2_0) {
            return null;
        }
        Path layout = layout();
        if (layout == null) {
            return "system property " + LAYOUT_PROPERTY + " is not set";
        }
        if (!Files.isRegularFile(layout.resolve("bin/openfire.sh"))) {
            return "there is no Openfire server layout at " + layout;
        }
        return null;
    }

    /** Returns when this Openfire can run; otherwise skips the test, or fails it in CI. */
    public void requireOrSkip() {
        String problem = problem();
        if (problem == null) {
            return;
        }
        String provide = "; provide -D" + LAYOUT_PROPERTY + "=DIR for any Openfire 4.8+ layout.";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("Openfire " + label + " tests must run in CI (CI=true), but " + problem
                    + provide);
        }
        Assume.assumeTrue("Skipped: " + problem + provide, false);
    }

    /** "4.2.0" or "5.1.1": readable in parametrized test names and benchmark results. */
    @Override
    public String toString() {
        return label;
    }
}
