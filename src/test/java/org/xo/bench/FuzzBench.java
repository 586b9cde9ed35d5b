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
 * targets codec, sealed and stanza, one JVM each, one after the other, each stopped after S seconds at most
 * (default 1800). libFuzzer's progress goes to stderr; the grown corpus and any crash to target/fuzz-bench. One
 * RESULT line per target ({@code inputs crashes injected max_heap_mb max_input_kb seconds inputs_per_s}) and a
 * total line (target=all, max_heap_mb the largest of the JVMs'). Exits 1 when anything crashed.
 */
final class FuzzBench {
    private FuzzBench() {
    }

    static void run(Map<String, String> options) throws Exception {
        int inputs = Bench.intOption(options, "inputs", 1_000_000);
        int maxSeconds = Bench.intOption(options, "max-seconds", 1800);
        List<String> targets = FuzzRun.targets();
        Path work = Path.of("target", "fuzz-bench");
        long totalInputs = 0;
        long totalCrashes = 0;
        long totalInjected = 0;
        long maxHeapMb = 0;
        long started = System.nanoTime();
        for (int i = 0; i < targets.size(); i++) {
            String target = targets.get(i);
            long share = inputs / targets.size() + (i < inputs % targets.size() ? 1 : 0);
            progress("fuzz target=%s: %d inputs, at most %d s (libFuzzer's lines follow)", target, share, maxSeconds);
            long t0 = System.nanoTime();
            FuzzRun.Result result = FuzzRun.run(target, share, maxSeconds, work, true);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (!result.figures().containsKey("inputs")) {
                progress("fuzz target=%s: the JVM ended (exit %d) without its figures", target, result.exitCode());
                System.exit(1);
            }
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("target", target);
            line.putAll(result.figures());
            line.put("seconds", fmt(seconds));
            line.put("inputs_per_s", Math.round(result.figure("inputs") / seconds));
            Bench.result(line);
            totalInputs += result.figure("inputs");
            totalCrashes += result.figure("crashes");
            totalInjected += result.figure("injected");
            maxHeapMb = Math.max(maxHeapMb, result.figure("max_heap_mb"));
        }
        Map<String, Object> total = new LinkedHashMap<>();
        total.put("target", "all");
        total.put("inputs", totalInputs);
        total.put("crashes", totalCrashes);
        total.put("injected", totalInjected);
        total.put("max_heap_mb", maxHeapMb);
        total.put("seconds", fmt((System.nanoTime() - started) / 1e9));
        Bench.result(total);
        if (totalCrashes > 0) {
            progress("fuzz: %d crashing inputs; see %s", totalCrashes, work.resolve("crashes"));
            System.exit(1);
        }
    }
}
