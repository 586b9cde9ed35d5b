package org.xo.bench.manet;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One scenario run (both systems measured on the same trace in the same run), or several runs pooled.
 *
 * @param label    names the files and table rows: the scenario name for a single run, e.g. "medium-seed2" for one
 *                 of several seeds, "medium-seeds1-5" for their pool
 * @param scenario the scenario as run (nodes, duration and seed included; for a pool, its first run's)
 * @param routing  how the client/server baseline was routed: "babel" or "ideal"
 * @param trace    connectivity of the trace over the run (for a pool, over all runs)
 * @param xo       XO's outcomes
 * @param cs       the client/server baseline's outcomes
 * @param network  counters of the emulated network (e.g. frames dropped as out of range, dropped as bit errors,
 *                 relayed multicast datagrams), name to value, in print order (for a pool, sums)
 */
public record ScenarioResult(String label, Scenario scenario, String routing, TraceSummary trace, SystemResult xo,
                             SystemResult cs, Map<String, Long> network) {

    /** Message numbers of the i-th pooled run are offset by i times this, so every pooled message is distinct. */
    static final int POOL_MESSAGE_OFFSET = 1_000_000;

    public ScenarioResult withLabel(String newLabel) {
        return new ScenarioResult(newLabel, scenario, routing, trace, xo, cs, network);
    }

    /** All pairs of several runs of one scenario (different seeds) as one result, like the paper's five instances. */
    public static ScenarioResult pool(String label, List<ScenarioResult> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("nothing to pool");
        }
        List<Delivery> xo = new ArrayList<>();
        List<Delivery> cs = new ArrayList<>();
        Map<String, Long> network = new LinkedHashMap<>();
        for (int i = 0; i < runs.size(); i++) {
            ScenarioResult run = runs.get(i);
            xo.addAll(offset(run.xo().deliveries(), i));
            cs.addAll(offset(run.cs().deliveries(), i));
            run.network().forEach((k, v) -> network.merge(k, v, Long::sum));
        }
        ScenarioResult first = runs.get(0);
        return new ScenarioResult(label, first.scenario(), first.routing(),
                TraceSummary.pooled(runs.stream().map(ScenarioResult::trace).toList()),
                new SystemResult(first.xo().system(), first.xo().label(), xo),
                new SystemResult(first.cs().system(), first.cs().label(), cs), network);
    }

    private static List<Delivery> offset(List<Delivery> deliveries, int run) {
        return deliveries.stream().map(d -> new Delivery(d.message() + run * POOL_MESSAGE_OFFSET, d.sender(),
                d.receiver(), d.sentAt(), d.latency(), d.connectedAtSend(), d.reachableAfter())).toList();
    }
}
