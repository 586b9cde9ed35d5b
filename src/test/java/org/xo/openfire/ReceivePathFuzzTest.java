package org.xo.openfire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;

import org.junit.Test;

/**
 * A short coverage-guided run of {@link ReceivePathFuzzTarget} (Jazzer, {@link FuzzRun}): the corpus first, then
 * new inputs. Any crash fails the build; its input and a reproducer are in target/fuzz/crashes (how to keep one in
 * the corpus: readme.html, Fuzzing). bin/xo-bench fuzz runs the long one.
 */
public class ReceivePathFuzzTest {
    /** A fixed amount of work (libFuzzer's seed is fixed too): a few seconds after the JVM's start-up. */
    private static final long INPUTS = 30_000;
    /** A bound for a loaded machine: the JVM's start-up and Jazzer's instrumentation count too. */
    private static final int MAX_SECONDS = 60;

    @Test
    public void noInputCrashesTheReceivePath() throws Exception {
        FuzzRun.Result result = FuzzRun.run(null, INPUTS, MAX_SECONDS, Path.of("target", "fuzz"), false);
        assertEquals("The fuzzer failed or found a crash; see " + result.log(), 0, result.exitCode());
        assertEquals("Crashes; see " + result.log(), 0, result.figure("all", "crashes"));
        for (String target : FuzzRun.targets()) {
            // The genuine seeds get through: a corpus gone stale (a new wire or seal format) would fuzz nothing real.
            assertTrue(target + " injected nothing; see " + result.log(), result.figure(target, "injected") > 0);
        }
    }
}
