package org.xo.bench.manet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.List;
import java.util.Map;

import org.junit.Test;

/** Pooling the runs of several seeds: every pair kept and distinct, ratios over the pool, counters and traces merged. */
public class ScenarioResultTest {
    private static ScenarioResult run(long seed, int delivered, long drops) {
        Scenario scenario = Scenario.medium().withNodes(2).withDuration(20).withSeed(seed);
        List<Delivery> xo = List.of(
                new Delivery(0, 0, 1, 1, delivered > 0 ? 0.01 : Double.NaN, true, true),
                new Delivery(1, 1, 0, 2, delivered > 1 ? 0.02 : Double.NaN, true, true));
        List<Delivery> cs = List.of(new Delivery(0, 0, 1, 1, 3.0, true, true),
                new Delivery(1, 1, 0, 2, Double.NaN, false, true));
        return new ScenarioResult(scenario.name(), scenario, "babel", TraceSummary.of(Rpgm.generate(scenario)),
                new SystemResult("xo", "XO", xo), new SystemResult("cs", "client/server", cs),
                Map.of("dropped_out_of_range", drops));
    }

    @Test
    public void aPoolKeepsEveryPairWithDistinctMessageNumbersAndAddsTheCounters() {
        ScenarioResult pool = ScenarioResult.pool("medium-seeds1-2", List.of(run(1, 2, 5), run(2, 1, 7)));

        assertEquals("medium-seeds1-2", pool.label());
        assertEquals(4, pool.xo().pairs());
        assertEquals(0.75, pool.xo().deliveryRatio(), 1e-12);
        assertEquals(0.5, pool.cs().deliveryRatio(), 1e-12);
        assertEquals(List.of(0, 1, ScenarioResult.POOL_MESSAGE_OFFSET, ScenarioResult.POOL_MESSAGE_OFFSET + 1),
                pool.xo().deliveries().stream().map(Delivery::message).toList());
        assertEquals(Long.valueOf(12), pool.network().get("dropped_out_of_range"));
        assertEquals(2 * run(1, 0, 0).trace().samples(), pool.trace().samples());
    }

    @Test
    public void pooledTraceMeansAreWeightedBySamples() {
        TraceSummary a = run(1, 0, 0).trace();
        TraceSummary b = run(2, 0, 0).trace();
        TraceSummary pooled = TraceSummary.pooled(List.of(a, b));
        double expected = (a.meanDegree() * a.samples() + b.meanDegree() * b.samples()) / (a.samples() + b.samples());
        assertEquals(expected, pooled.meanDegree(), 1e-12);
        assertEquals(Math.max(a.maxDiameter(), b.maxDiameter()), pooled.maxDiameter());
    }

    @Test
    public void nothingToPoolIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> ScenarioResult.pool("x", List.of()));
    }
}
