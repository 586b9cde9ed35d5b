package org.xo.bench.manet;

import java.util.List;
import java.util.Locale;

/**
 * Connectivity of a trace, evaluated at every sample time: mean and maximum network diameter in hops (largest
 * component diameter when partitioned), fraction of samples where the graph is partitioned, mean node degree, and
 * mean fraction of node pairs that can reach each other.
 */
public record TraceSummary(String scenario, double radioRange, int samples, double meanDiameter, int maxDiameter,
                           double partitionedFraction, double meanDegree, double meanReachablePairs,
                           double[] diameterHistogram) {

    public static TraceSummary of(Trace trace) {
        return of(trace, trace.scenario().radioRange());
    }

    public static TraceSummary of(Trace trace, double range) {
        Topology topo = new Topology(trace, range);
        int samples = trace.samples();
        double diam = 0;
        int maxDiam = 0;
        int partitioned = 0;
        double degree = 0;
        double pairs = 0;
        double[] hist = new double[trace.nodes()];
        for (int k = 0; k < samples; k++) {
            Topology.Snapshot s = topo.at(trace.time(k));
            int d = s.diameter();
            diam += d;
            maxDiam = Math.max(maxDiam, d);
            hist[d] += 1.0 / samples;
            if (s.isPartitioned()) {
                partitioned++;
            }
            degree += s.meanDegree();
            pairs += s.reachablePairs();
        }
        return new TraceSummary(trace.scenario().name(), range, samples, diam / samples, maxDiam,
                partitioned / (double) samples, degree / samples, pairs / samples, hist);
    }

    /**
     * Several traces' summaries as one: means weighted by samples, the largest maximum diameter, samples added.
     */
    public static TraceSummary pooled(List<TraceSummary> summaries) {
        if (summaries.isEmpty()) {
            throw new IllegalArgumentException("nothing to pool");
        }
        int samples = 0;
        int maxDiameter = 0;
        double diameter = 0;
        double partitioned = 0;
        double degree = 0;
        double pairs = 0;
        double[] histogram = new double[summaries.stream().mapToInt(t -> t.diameterHistogram.length).max().orElse(0)];
        for (TraceSummary t : summaries) {
            samples += t.samples;
            maxDiameter = Math.max(maxDiameter, t.maxDiameter);
            diameter += t.meanDiameter * t.samples;
            partitioned += t.partitionedFraction * t.samples;
            degree += t.meanDegree * t.samples;
            pairs += t.meanReachablePairs * t.samples;
            for (int d = 0; d < t.diameterHistogram.length; d++) {
                histogram[d] += t.diameterHistogram[d] * t.samples;
            }
        }
        for (int d = 0; d < histogram.length; d++) {
            histogram[d] /= samples;
        }
        TraceSummary first = summaries.get(0);
        return new TraceSummary(first.scenario, first.radioRange, samples, diameter / samples, maxDiameter,
                partitioned / samples, degree / samples, pairs / samples, histogram);
    }

    /** One line, {@code key=value} pairs, e.g. for {@code bin/xo-bench manet}. */
    public String format() {
        StringBuilder h = new StringBuilder();
        for (int d = 0; d < diameterHistogram.length; d++) {
            if (diameterHistogram[d] > 0) {
                h.append(h.length() == 0 ? "" : ",").append(d).append(':')
                        .append(String.format(Locale.ROOT, "%.2f", diameterHistogram[d]));
            }
        }
        return String.format(Locale.ROOT,
                "scenario=%s range=%.0f samples=%d meanDiameter=%.2f maxDiameter=%d partitioned=%.3f "
                        + "meanDegree=%.2f reachablePairs=%.3f diameters=%s",
                scenario, radioRange, samples, meanDiameter, maxDiameter, partitionedFraction, meanDegree,
                meanReachablePairs, h);
    }

    /** Prints the summary of every preset (with the given seed) to stdout. */
    public static void main(String[] args) {
        long seed = args.length > 0 ? Long.parseLong(args[0]) : Scenario.DEFAULT_SEED;
        for (Scenario s : Scenario.presets()) {
            System.out.println(of(Rpgm.generate(s.withSeed(seed))).format());
        }
    }
}
