package org.xo.bench;

import static org.xo.bench.Bench.fmt;
import static org.xo.bench.Bench.intOption;
import static org.xo.bench.Bench.progress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.xo.it.NodeProcess;
import org.xo.it.Openfire;

/**
 * {@code bin/xo-bench startup [--runs N] [--openfire all|4.2.0|5.1.1]}: per Openfire, the time from launching a
 * node until it accepts clients, on a fresh home (first start) and again on that home (restart), and the memory of
 * the JVM that runs Openfire once it accepts clients: heap in use after a full GC (jcmd GC.run, then GC.heap_info)
 * and its resident set (VmRSS in /proc). For a server layout that JVM is the launcher's child; total_rss_mb adds
 * the launcher's own JVM. One RESULT line per Openfire.
 */
final class StartupBench {
    private static final Pattern USED = Pattern.compile("used (\\d+)K");
    private static final Pattern VM_RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");

    private StartupBench() {
    }

    static void run(Map<String, String> options) throws Exception {
        int runs = intOption(options, "runs", 3);
        for (Openfire openfire : Bench.openfires(options)) {
            measure(openfire, runs);
        }
    }

    private static void measure(Openfire openfire, int runs) throws Exception {
        double[] readyMs = new double[runs];
        double[] restartMs = new double[runs];
        double[] heapMb = new double[runs];
        double[] rssMb = new double[runs];
        double[] totalRssMb = new double[runs];
        String version = openfire.toString();
        for (int i = 0; i < runs; i++) {
            Path home = Files.createTempDirectory("xo-bench-startup-");
            try {
                NodeProcess.Builder builder = NodeProcess.builder().openfire(openfire).domain("startup.bench")
                        .multicastPort(NodeProcess.freePort()).home(home);
                long launched = System.nanoTime();
                try (NodeProcess node = builder.start()) {
                    readyMs[i] = (System.nanoTime() - launched) / 1e6;
                    version = node.openfireVersion();
                    long server = node.serverPid();
                    heapMb[i] = heapUsedMb(server);
                    rssMb[i] = rssMb(server);
                    totalRssMb[i] = rssMb[i] + (server == node.pid() ? 0 : rssMb(node.pid()));
                }
                launched = System.nanoTime();
                try (NodeProcess ignored = builder.start()) {
                    restartMs[i] = (System.nanoTime() - launched) / 1e6;
                }
                progress("openfire=%s run %d/%d: ready in %s ms, again in %s ms, heap %s MB, rss %s MB (%s MB with"
                        + " the launcher)", version, i + 1, runs, fmt(readyMs[i]), fmt(restartMs[i]), fmt(heapMb[i]),
                        fmt(rssMb[i]), fmt(totalRssMb[i]));
            } finally {
                NodeProcess.deleteTree(home);
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("scenario", "startup");
        result.put("openfire", version);
        result.put("runs", runs);
        putMedianAndMax(result, "ready", "ms", readyMs);
        putMedianAndMax(result, "restart", "ms", restartMs);
        putMedianAndMax(result, "heap", "mb", heapMb);
        putMedianAndMax(result, "rss", "mb", rssMb);
        putMedianAndMax(result, "total_rss", "mb", totalRssMb);
        Bench.result(result);
    }

    /** {@code name_unit} (median) and {@code name_max_unit}. */
    private static void putMedianAndMax(Map<String, Object> result, String name, String unit, double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        result.put(name + "_" + unit, fmt(Bench.percentile(sorted, 50)));
        result.put(name + "_max_" + unit, fmt(sorted[sorted.length - 1]));
    }

    private static double heapUsedMb(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        Matcher m = USED.matcher(jcmd(pid, "GC.heap_info"));
        return m.find() ? Long.parseLong(m.group(1)) / 1024.0 : Double.NaN;
    }

    private static double rssMb(long pid) throws IOException {
        Matcher m = VM_RSS.matcher(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
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
