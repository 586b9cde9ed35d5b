package org.xo.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

import org.xo.it.Openfire;

/**
 * Entry point of {@code bin/xo-bench SCENARIO [--key value ...]}. Each scenario prints progress to stderr and ends
 * each case with one machine-readable line {@code RESULT key=value ...} on stdout.
 */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
            return;
        }
        Map<String, String> options = options(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "latency" -> LatencyBench.run(options);
            case "startup" -> StartupBench.run(options);
            case "discovery" -> DiscoveryBench.run(options);
            case "scale" -> ScaleBench.run(options);
            case "loss" -> LossBench.run(options);
            case "merge" -> MergeBench.run(options);
            case "bytes" -> BytesBench.run(options);
            case "pacing" -> PacingBench.run(options);
            case "fuzz" -> FuzzBench.run(options);
            case "gateway" -> GatewayBench.run(options);
            case "manet" -> {
                try {
                    org.xo.bench.manet.ManetBench.run(options);
                } catch (IllegalArgumentException e) {
                    System.err.println("xo-bench manet: " + e.getMessage());
                    System.exit(2);
                }
            }
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: bin/xo-bench latency [--messages N] [--rate PER_S] [--burst N]");
        System.err.println("       bin/xo-bench startup [--runs N] [--openfire all|4.2.0|5.1.1]");
        System.err.println("       bin/xo-bench discovery [--runs N] [--window S]");
        System.err.println("       bin/xo-bench loss [--transports udp,norm] [--losses 0,10,20,30] [--messages N]"
                + " [--rate PER_S]");
        System.err.println("       bin/xo-bench merge [--nodes N] [--messages N] [--timeout S] [--idle S]");
        System.err.println("       bin/xo-bench bytes [--messages N] [--burst N] [--plain true|false]"
                + " [--plain-messages N] [--key true|false]");
        System.err.println("       bin/xo-bench pacing [--rates 0.5,1,10,100,1000] [--chat-messages N] [--messages N]"
                + " [--burst N] [--bursts N]");
        System.err.println("       bin/xo-bench fuzz [--inputs N] [--max-seconds S]");
        System.err.println("       bin/xo-bench gateway [--openfire all|4.2.0|5.1.1] [--messages N] [--rate PER_S]"
                + " [--outage-s S] [--outage-messages N] [--ping-interval-s S]");
        System.err.println("       bin/xo-bench manet [--scenario high|medium|low|ber|all] [--nodes N] [--duration S]"
                + " [--seed K | --seeds 1-5] [--drain S] [--range R] [--routing babel|ideal] [--out DIR]");
        System.exit(2);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("xo-bench: options are --name value pairs; cannot read '" + args[i] + "'.");
                System.exit(2);
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
    }

    static int intOption(Map<String, String> options, String name, int defaultValue) {
        String value = options.get(name);
        try {
            return value == null ? defaultValue : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            System.err.println("xo-bench: --" + name + " takes a whole number, not '" + value + "'.");
            System.exit(2);
            return defaultValue;
        }
    }

    /**
     * The Openfires that {@code --openfire all|4.2.0|5.1.1} (default all) selects and that can run here; one that
     * cannot is named in a progress line with what to provide.
     */
    static List<Openfire> openfires(Map<String, String> options) {
        String which = options.getOrDefault("openfire", "all");
        List<Openfire> selected = new ArrayList<>();
        for (Openfire openfire : Openfire.values()) {
            if (!which.equals("all") && !which.equals(openfire.toString())) {
                continue;
            }
            String problem = openfire.problem();
            if (problem != null) {
                progress("openfire=%s skipped: %s; provide -D%s=DIR for any Openfire 4.8+ layout (bin/xo-bench: "
                        + "XO_OPENFIRE_HOME=DIR)", openfire, problem, Openfire.LAYOUT_PROPERTY);
                continue;
            }
            selected.add(openfire);
        }
        if (selected.isEmpty() && !which.equals("all") && Arrays.stream(Openfire.values())
                .noneMatch(o -> o.toString().equals(which))) {
            System.err.println("xo-bench: --openfire takes all, 4.2.0 or 5.1.1, not '" + which + "'.");
            System.exit(2);
        }
        return selected;
    }

    static void progress(String format, Object... args) {
        System.err.printf("[xo-bench] " + format + "%n", args);
    }

    /** Prints the case's one machine-readable line. */
    static void result(Map<String, Object> values) {
        StringBuilder line = new StringBuilder("RESULT");
        values.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
        System.out.println(line);
    }

    /** @return the p-th percentile (0..100) of sorted values, nearest rank */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static String fmt(double value) {
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        return String.format(java.util.Locale.ROOT, "%.2f", value);
    }
}
