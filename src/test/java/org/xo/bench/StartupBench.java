package org.xo.bench;

import static org.xo.bench.Bench.fmt;
import static org.xo.bench.Bench.intOption;
import static org.xo.bench.Bench.progress;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.xo.it.NodeProcess;

/**
 * {@code bin/xo-bench startup}: time from launching a node's JVM until it accepts clients, and the heap in use
 * after start (after a full GC, read with jcmd), over several runs.
 */
final class StartupBench {
    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    private StartupBench() {
    }

    static void run(Map<String, String> options) throws Exception {
        int runs = intOption(options, "runs", 3);
        double[] readyMs = new double[runs];
        double[] heapMb = new double[runs];
        for (int i = 0; i < runs; i++) {
            long launched = System.nanoTime();
            try (NodeProcess node = NodeProcess.start("startup.bench", NodeProcess.freePort())) {
                readyMs[i] = (System.nanoTime() - launched) / 1e6;
                heapMb[i] = heapUsedMb(node.pid());
                progress("run %d/%d: ready in %s ms, heap %s MB", i + 1, runs, fmt(readyMs[i]), fmt(heapMb[i]));
            }
        }
        Arrays.sort(readyMs);
        Arrays.sort(heapMb);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("scenario", "startup");
        result.put("runs", runs);
        result.put("ready_ms", fmt(Bench.percentile(readyMs, 50)));
        result.put("ready_max_ms", fmt(readyMs[runs - 1]));
        result.put("heap_mb", fmt(Bench.percentile(heapMb, 50)));
        result.put("heap_max_mb", fmt(heapMb[runs - 1]));
        Bench.result(result);
    }

    private static double heapUsedMb(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        Matcher m = USED.matcher(jcmd(pid, "GC.heap_info"));
        return m.find() ? Long.parseLong(m.group(1)) / 1024.0 : Double.NaN;
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        String jcmd = System.getProperty("java.home") + "/bin/jcmd";
        Process p = new ProcessBuilder(jcmd, Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
