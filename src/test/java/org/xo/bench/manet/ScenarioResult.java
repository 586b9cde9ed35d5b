package org.xo.bench.manet;

import java.util.Map;

/**
 * One scenario run: both systems measured on the same trace in the same run.
 *
 * @param scenario the scenario as run (nodes, duration and seed included)
 * @param routing  how the client/server baseline was routed: "babel" or "ideal"
 * @param trace    connectivity of the trace over the run
 * @param xo       XO's outcomes
 * @param cs       the client/server baseline's outcomes
 * @param network  counters of the emulated network (e.g. frames dropped as out of range, dropped as bit errors,
 *                 relayed multicast datagrams), name to value, in print order
 */
public record ScenarioResult(Scenario scenario, String routing, TraceSummary trace, SystemResult xo, SystemResult cs,
                             Map<String, Long> network) {
}
