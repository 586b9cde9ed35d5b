package org.xo.bench;

import static org.xo.bench.Bench.fmt;
import static org.xo.bench.Bench.progress;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.xo.openfire.FuzzRun;

/**
 * {@code bin/xo-bench fuzz [--inputs N] [--max-seconds S]}: the long coverage-guided run of the receive path
 * (org.xo.openfire.ReceivePathFuzzTarget, Jazzer): N inputs in total (default 1,000,000), shared equally by the
 * targets codec, sealed and stanza, one JVM each (left to itself, libFuzzer would give the stanza path most of them,
 * where most of the code is), each stopped after S seconds at most (default 1800). libFuzzer's progress goes to
 * stderr; the grown corpus and any crash to target/fuzz-bench. One RESULT line per target ({@code inputs crashes
 * injected max_heap_mb max_input_kb seconds inputs_per_s}, start-up included) and a total line ({@code target=all},
 * the largest heap and input of the three). Exits 1 when anything crashed.
 */
final class FuzzBench {
    private FuzzBench() {
    }

    static void run(Map<String, String> options) throws Exception {
        int inputs = Bench.intOption(options, "inputs", 1_000_000);
        int maxSeconds = Bench.intOption(options, "max-seconds", 1800);
        List<String> targets = FuzzRun.targets();
        Path work = Path.of("target", "fuzz-bench");
        Map<String, Long> total = new LinkedHashMap<>();
        boolean failed = false;
        long started = System.nanoTime();
        for (int i = 0; i < targets.size(); i++) {
            String target = targets.get(i);
            long share = inputs / targets.size() + (i < inputs % targets.size() ? 1 : 0);
            progress("fuzz target=%s: %d inputs, at most %d s (libFuzzer's lines follow)", target, share, maxSeconds);
            long t0 = System.nanoTime();
            FuzzRun.Result result = FuzzRun.run(target, share, maxSeconds, work, true);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (result.lines().isEmpty()) {
                progress("fuzz target=%s: the JVM ended (exit %d) without its figures", target, result.exitCode());
                System.exit(1);
            }
            failed |= result.exitCode() != 0;
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("target", target);
            for (String count : List.of("inputs", "crashes", "injected")) {
                line.put(count, result.figure(target, count));
                total.merge(count, result.figure(target, count), Long::sum);
            }
            for (String peak : List.of("max_heap_mb", "max_input_kb")) {
                line.put(peak, result.figure("all", peak));
                total.merge(peak, result.figure("all", peak), Math::max);
            }
            line.put("seconds", fmt(seconds));
            line.put("inputs_per_s", Math.round(result.figure(target, "inputs") / seconds));
            Bench.result(line);
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("target", "all");
        line.putAll(total);
        line.put("seconds", fmt((System.nanoTime() - started) / 1e9));
        Bench.result(line);
        if (total.get("crashes") > 0 || failed) {
            progress("fuzz: crashes or a failed run; see %s", work);
            System.exit(1);
        }
    }
}
