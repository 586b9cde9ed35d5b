package org.xo.bench.manet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code bin/xo-bench manet [--scenario high|medium|low|ber|all] [--nodes N] [--duration S] [--seed K | --seeds 1-5]
 * [--drain S] [--range R] [--routing babel|ideal] [--out DIR]}: runs {@link ManetExperiment} for each chosen
 * scenario and seed. Defaults: all four scenarios, 11 nodes, 300 s, seed 1, 20 s drain, radio range 250, babeld
 * routing (a real protocol, like the paper's OSPF; {@code ideal} is the baseline's best case). Writes CSVs, a
 * Figure-3-style PNG per run and {@code summary.md} into the output directory (default
 * {@code target/manet/<date-time>}) and prints one {@code RESULT} line per run; with several seeds (the paper ran
 * five trace instances per scenario) also the pooled result of each scenario's runs.
 */
public final class ManetBench {
    static final double DEFAULT_DRAIN = 20;
    /** Smack logs every connection the emulated network breaks, with a stack trace: the counters say it shorter. */
    private static final Logger SMACK_LOG = Logger.getLogger("org.jivesoftware");

    private ManetBench() {
    }

    /** Runs the benchmark; throws IllegalArgumentException with a one-sentence message on a bad option. */
    public static List<ScenarioResult> run(Map<String, String> options) throws Exception {
        SMACK_LOG.setLevel(Level.OFF);
        String which = options.getOrDefault("scenario", "all");
        List<Scenario> scenarios = new ArrayList<>();
        for (Scenario preset : "all".equals(which) ? Scenario.presets() : List.of(Scenario.named(which))) {
            scenarios.add(preset.withNodes(intOption(options, "nodes", Scenario.DEFAULT_NODES, 2))
                    .withDuration(doubleOption(options, "duration", Scenario.DEFAULT_DURATION))
                    .withRadioRange(doubleOption(options, "range", Scenario.DEFAULT_RADIO_RANGE)));
        }
        String seedSpec = seedSpec(options);
        List<Long> seeds = seeds(seedSpec);
        double drain = doubleOption(options, "drain", DEFAULT_DRAIN);
        RadioNetwork.Routing routing = RadioNetwork.Routing.named(options.getOrDefault("routing", "babel"));
        Path out = Path.of(options.getOrDefault("out", "target/manet/"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        Files.createDirectories(out);

        List<ScenarioResult> results = new ArrayList<>();
        for (Scenario scenario : scenarios) {
            List<ScenarioResult> runs = new ArrayList<>();
            for (long seed : seeds) {
                ScenarioResult r = new ManetExperiment(scenario.withSeed(seed), routing, drain,
                        line -> System.err.println("[xo-bench] " + line)).run();
                if (seeds.size() > 1) {
                    r = r.withLabel(scenario.name() + "-seed" + seed);
                }
                runs.add(r);
                report(out, results, r, Long.toString(seed));
            }
            if (runs.size() > 1) {
                report(out, results, ScenarioResult.pool(scenario.name() + "-seeds" + seedSpec.replace(',', '+'),
                        runs), seedSpec);
            }
        }
        System.err.println("[xo-bench] report: " + out.resolve("summary.md").toAbsolutePath());
        return results;
    }

    private static void report(Path out, List<ScenarioResult> results, ScenarioResult r, String seeds)
            throws IOException {
        results.add(r);
        ManetReport.writeScenario(out, r);
        ManetReport.writeSummary(out, results);
        System.out.println(resultLine(r, seeds));
        System.out.flush();
    }

    /** --seeds "1-5" or "1,3,7", or --seed K; not both; default the scenario's default seed. */
    private static String seedSpec(Map<String, String> options) {
        if (options.containsKey("seed") && options.containsKey("seeds")) {
            throw new IllegalArgumentException("give --seed or --seeds, not both.");
        }
        if (options.containsKey("seed")) {
            return Integer.toString(intOption(options, "seed", 0, 0));
        }
        return options.getOrDefault("seeds", Long.toString(Scenario.DEFAULT_SEED));
    }

    /** The seeds of a spec: "1-5" (a range) or "1,3,7" (a list) or "4"; each at least 0, at most 100 of them. */
    static List<Long> seeds(String spec) {
        List<Long> seeds = new ArrayList<>();
        try {
            if (spec.matches("\\d+-\\d+")) {
                String[] range = spec.split("-");
                for (long k = Long.parseLong(range[0]); k <= Long.parseLong(range[1]) && seeds.size() <= 100; k++) {
                    seeds.add(k);
                }
            } else {
                for (String part : spec.split(",")) {
                    seeds.add(Long.parseLong(part.trim()));
                }
            }
        } catch (NumberFormatException e) {
            seeds.clear();
        }
        if (seeds.isEmpty() || seeds.size() > 100 || seeds.stream().anyMatch(k -> k < 0)
                || seeds.stream().distinct().count() < seeds.size()) {
            throw new IllegalArgumentException("--seeds takes a range such as 1-5 or a list such as 1,3,7 of up to "
                    + "100 distinct whole numbers, not '" + spec + "'.");
        }
        return seeds;
    }

    /** The machine-readable line of one scenario (latencies in ms, delivery as a fraction of sent x receivers). */
    static String resultLine(ScenarioResult r, String seeds) {
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("scenario", r.scenario().name());
        kv.put("label", r.label());
        kv.put("nodes", Integer.toString(r.scenario().nodes()));
        kv.put("duration_s", fmt(r.scenario().duration()));
        kv.put("seed", seeds);
        kv.put("routing", r.routing());
        kv.put("range", fmt(r.scenario().radioRange()));
        kv.put("pairs", Integer.toString(r.xo().pairs()));
        for (SystemResult s : List.of(r.xo(), r.cs())) {
            String p = s.system() + "_";
            kv.put(p + "delivery", fmt4(s.deliveryRatio()));
            kv.put(p + "p50_ms", fmt(s.latencyPercentile(50) * 1000));
            kv.put(p + "p99_ms", fmt(s.latencyPercentile(99) * 1000));
            kv.put(p + "reachable_delivery", fmt4(s.reachableDeliveryRatio()));
            kv.put(p + "within_1s_connected", fmt4(s.connectedWithin(1)));
            kv.put(p + "undelivered", Integer.toString(s.undelivered()));
            kv.put(p + "lost_partitioned", Integer.toString(s.undeliveredPartitioned()));
            kv.put(p + "lost_cut_off_at_send", Integer.toString(s.undeliveredCutOffAtSend()));
            kv.put(p + "lost_connected_at_send", Integer.toString(s.undeliveredConnectedAtSend()));
        }
        // 0/0 (both delivered everything) is no ratio at all; n/0 is XO infinitely better.
        kv.put("undelivered_cs_over_xo", r.xo().undelivered() > 0
                ? fmt((double) r.cs().undelivered() / r.xo().undelivered())
                : r.cs().undelivered() > 0 ? "inf" : "nan");
        kv.put("partitioned_fraction", fmt4(r.trace().partitionedFraction()));
        kv.put("mean_diameter", fmt(r.trace().meanDiameter()));
        r.network().forEach((k, v) -> kv.put(k, Long.toString(v)));
        StringJoiner line = new StringJoiner(" ", "RESULT ", "");
        kv.forEach((k, v) -> line.add(k + "=" + v));
        return line.toString();
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "nan" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String fmt4(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static int intOption(Map<String, String> options, String name, int defaultValue, int min) {
        String value = options.get(name);
        try {
            int v = value == null ? defaultValue : Integer.parseInt(value);
            if (v < min) {
                throw new IllegalArgumentException("--" + name + " must be at least " + min + ", not " + v + ".");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " takes a whole number, not '" + value + "'.");
        }
    }

    private static double doubleOption(Map<String, String> options, String name, double defaultValue) {
        String value = options.get(name);
        try {
            double v = value == null ? defaultValue : Double.parseDouble(value);
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("--" + name + " must be a positive number, not " + value + ".");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " takes a number, not '" + value + "'.");
        }
    }
}
