package org.xo.bench;

import static org.xo.bench.Bench.fmt;
import static org.xo.bench.Bench.progress;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.xo.openfire.FuzzRun;

/**
 * {@code bin/xo-bench fuzz [--inputs N] [--max-seconds S]}: the long coverage-guided run of the receive path
 * (org.xo.openfire.ReceivePathFuzzTarget, Jazzer, one JVM): N inputs (default 1,000,000), which libFuzzer shares out
 * among the targets codec, sealed and stanza as their coverage asks, stopped after S seconds at most (default 1800).
 * libFuzzer's progress goes to stderr; the grown corpus and any crash to target/fuzz-bench. One RESULT line per target
 * ({@code inputs crashes injected}) and a total line ({@code target=all}, with {@code max_heap_mb}, the JVM's peak
 * heap use, {@code max_input_kb}, the most one input allocated, {@code seconds} and {@code inputs_per_s}, the JVM's
 * start-up included). Exits 1 when anything crashed.
 */
final class FuzzBench {
    private FuzzBench() {
    }

    static void run(Map<String, String> options) throws Exception {
        int inputs = Bench.intOption(options, "inputs", 1_000_000);
        int maxSeconds = Bench.intOption(options, "max-seconds", 1800);
        Path work = Path.of("target", "fuzz-bench");
        progress("fuzz: %d inputs, at most %d s (libFuzzer's lines follow)", inputs, maxSeconds);
        long started = System.nanoTime();
        FuzzRun.Result result = FuzzRun.run(inputs, maxSeconds, work, true);
        double seconds = (System.nanoTime() - started) / 1e9;
        if (result.lines().isEmpty()) {
            progress("fuzz: the JVM ended (exit %d) without its figures", result.exitCode());
            System.exit(1);
        }
        for (Map<String, String> line : result.lines()) {
            Map<String, Object> values = new LinkedHashMap<>(line);
            if ("all".equals(line.get("target"))) {
                values.put("seconds", fmt(seconds));
                values.put("inputs_per_s", Math.round(result.figure("all", "inputs") / seconds));
            }
            Bench.result(values);
        }
        if (result.figure("all", "crashes") > 0 || result.exitCode() != 0) {
            progress("fuzz: crashes or a failure (exit %d); see %s", result.exitCode(), work.resolve("crashes"));
            System.exit(1);
        }
    }
}
