package org.xo.openfire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.Test;

/**
 * A short coverage-guided run of every {@link ReceivePathFuzzTarget} target (Jazzer, {@link FuzzRun}): the seed
 * corpus first, then new inputs. Any crash fails the build; its input and a reproducer are in
 * target/fuzz/crashes (how to keep one in the corpus: readme.html, Fuzzing). bin/xo-bench fuzz runs the long one.
 */
public class ReceivePathFuzzTest {
    /** Per target: a fixed amount of work (libFuzzer's seed is fixed too), a second or a few on two cores. */
    private static final long INPUTS = 10_000;
    /** Per target, a bound for a loaded machine: the JVM's start-up and instrumentation count too. */
    private static final int MAX_SECONDS = 30;

    @Test
    public void noInputCrashesTheReceivePath() throws Exception {
        // Side by side: most of a run is its JVM's start-up, which the two cores can overlap.
        ExecutorService runs = Executors.newFixedThreadPool(FuzzRun.targets().size());
        List<Future<FuzzRun.Result>> results = new ArrayList<>();
        for (String target : FuzzRun.targets()) {
            results.add(runs.submit(() -> FuzzRun.run(target, INPUTS, MAX_SECONDS, Path.of("target", "fuzz"),
                    false)));
        }
        runs.shutdown();
        for (Future<FuzzRun.Result> run : results) {
            FuzzRun.Result result = run.get();
            String target = result.target();
            assertEquals(target + " crashed or failed; see " + result.log(), 0, result.exitCode());
            assertEquals(target + " crashed; see " + result.log(), 0, result.figure("crashes"));
            // The genuine seeds get through: a corpus gone stale (a new wire or seal format) would fuzz nothing real.
            assertTrue(target + " injected nothing; see " + result.log(), result.figure("injected") > 0);
        }
    }
}
